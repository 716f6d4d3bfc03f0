"""Reading and writing the shared tables at HQ, on SQLite or PostgreSQL.

Values arrive in wire form (app/sync/catalog.py). On SQLite that is the storage form,
so rows go in as they came, with ``executemany``; on PostgreSQL they are converted to
Python values and bound through SQLAlchemy. Every change HQ accepts or makes gets the
next server sequence number here, from a counter row that stays locked until commit:
numbers are gap-free and a reader never sees number n+1 before n.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from itertools import repeat
from operator import eq, is_, itemgetter
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError

from app.hq.db import hq_change
from app.sync import catalog, hlc
from app.sync.changes import dumps, neutral_values
from app.sync.merge import fold_parsed

log = logging.getLogger(__name__)

CHUNK = 500
SQLITE_CHUNK = 5000  # bound parameters per statement (SQLite allows 32,766)
# Up to this many change-log rows are numbered and inserted by one statement on
# PostgreSQL; more go in with COPY.
NUMBER_IN_ONE_STATEMENT = 2000


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class NotNew(Exception):
    """A row assumed new (``Store.new_rows``) exists; nothing of the transaction stays."""


class Store:
    def __init__(self, conn: Connection, *, new_rows: dict[str, set[str]] | None = None) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        # Rows a bundle inserts, by table, taken to be new without a lookup
        # (app/hq/ingest.py ``_new_rows``): the first load_rows of exactly those finds
        # none, and inserting one that exists fails on its primary key (NotNew), which
        # makes the bundle apply again with the lookup. Saves the queries and their index
        # probes (a sync's 100, a stick's 50,000), which the inserts make anyway.
        self.new_rows = dict(new_rows) if new_rows else {}
        self.assumed: set[str] = set()  # tables whose rows were taken to be new

    @property
    def raw(self) -> Any:
        """The DB-API connection under ``conn`` (in the same transaction)."""
        return self.conn.connection.dbapi_connection

    # --- rows ---------------------------------------------------------------------------

    def assume_new(self, table: str, ids: set[str]) -> bool:
        """Whether these rows, exactly, are taken to be new (``new_rows``): then they are
        not looked up, and an insert of one that exists is NotNew."""
        if self.new_rows.get(table) != ids:
            return False
        del self.new_rows[table]
        self.assumed.add(table)
        return True

    def load_rows(self, table: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        info = catalog.tables()[table]
        cols = list(info.kinds)
        blobs = [c for c in cols if info.kinds[c] == "blob"]
        out: dict[str, dict[str, Any]] = {}
        ids = list(set(ids))
        if self.assume_new(table, set(ids)):
            return out
        col_sql = ", ".join(f'"{c}"' for c in cols)
        for chunk in chunks(ids, SQLITE_CHUNK if self.sqlite else CHUNK):
            if self.sqlite:
                # The DB-API cursor: a bundle's 50,000 new ids are looked up (and not
                # found) in ten statements, without SQLAlchemy's work per statement.
                marks = ",".join("?" * len(chunk))
                rows = self.raw.execute(
                    f'SELECT {col_sql} FROM "{table}" WHERE id IN ({marks})', chunk
                ).fetchall()
            else:
                rows = self.raw.execute(_select_by_ids(table, tuple(cols)), (_pg_array(chunk),))
            if self.sqlite:
                # SQLite holds the wire form already, but for blobs.
                for row in rows:
                    values = dict(zip(cols, row, strict=True))
                    for c in blobs:
                        values[c] = catalog.to_wire("blob", values[c])
                    out[values["id"]] = values
                continue
            for row in rows:
                values = {
                    c: catalog.to_wire(info.kinds[c], v) for c, v in zip(cols, row, strict=True)
                }
                out[values["id"]] = values
        return out

    def existing_ids(self, table: str, ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(sorted(set(ids))):
            if self.sqlite:
                marks = ",".join("?" * len(chunk))
                rows = self.conn.exec_driver_sql(
                    f'SELECT id FROM "{table}" WHERE id IN ({marks})', tuple(chunk)
                ).fetchall()
            else:
                rows = self.raw.execute(_select_by_ids(table, ("id",)), (_pg_array(chunk),))
            found.update(catalog.to_wire("uuid", r[0]) for r in rows)
        return found

    def insert_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert whole rows (every column present, as ``changes.fill_missing`` leaves
        them) with one ``executemany``; values pass through untouched on SQLite."""
        if not rows:
            return
        info = catalog.tables()[table]
        cols = list(info.kinds)
        if self.sqlite:
            # A column with one value in every row (most of a new row's are empty) is
            # written into the statement, the others are bound.
            blob_cols = tuple(c for c in cols if info.kinds[c] == "blob")
            constant = _constant_columns(rows, cols, blob_cols) if len(rows) > 100 else {}
            bound = [c for c in cols if c not in constant]
            get = itemgetter(*bound)
            params = list(map(get, rows)) if len(bound) > 1 else [(get(r),) for r in rows]
            blobs = [i for i, c in enumerate(bound) if info.kinds[c] == "blob"]
            if blobs and {p[i] for p in params for i in blobs} != {None}:
                params = [_unhex(p, blobs) for p in params]
            col_sql = ", ".join(f'"{c}"' for c in cols)
            values = ", ".join(constant.get(c, "?") for c in cols)
            with self._not_new_if_refused(table):
                self.conn.exec_driver_sql(
                    f'INSERT INTO "{table}" ({col_sql}) VALUES ({values})', params
                )
        else:
            # COPY, with the wire values as PostgreSQL's text input (UUIDs without dashes,
            # timestamps, dates and 0/1 all parse as they are; blobs get the \\x prefix).
            blobs = [i for i, c in enumerate(cols) if info.kinds[c] == "blob"]
            params = list(map(itemgetter(*cols), rows))
            if blobs:
                params = [_pg_bytea(p, blobs) for p in params]
            with self._not_new_if_refused(table):
                self._copy(table, cols, params)

    def insert_columns(self, table: str, ids: list[str], fields: dict[str, list[Any]]) -> None:
        """Insert new rows given by column: ``ids`` and, for each field the rows carry,
        its values in the same order; the other columns get their neutral values (as
        ``changes.fill_missing`` would). No dict per row: for a 50,000-row bundle."""
        info = catalog.tables()[table]
        if not ids:
            return
        neutral = neutral_values(table)
        if any(info.kinds[c] == "blob" for c in fields):
            # A photo in every row: through the rows' path, which converts blobs.
            names = list(fields)
            self.insert_rows(
                table,
                [
                    {**neutral, **dict(zip(names, values, strict=True)), "id": r}
                    for r, *values in zip(ids, *fields.values(), strict=True)
                ],
            )
            return
        rest = [c for c in info.kinds if c != "id" and c not in fields]
        if self.sqlite:
            # The columns the rows leave out hold their neutral value in every row.
            names = ["id", *fields, *rest]
            marks, params = _by_column([ids, *fields.values(), *(neutral[c] for c in rest)])
            col_sql = ", ".join(f'"{c}"' for c in names)
            with self._not_new_if_refused(table):
                self.conn.exec_driver_sql(
                    f'INSERT INTO "{table}" ({col_sql}) VALUES ({marks})', params
                )
            return
        same = ([neutral[c]] * len(ids) for c in rest)
        with self._not_new_if_refused(table):
            self._copy(
                table,
                ["id", *fields, *rest],
                list(zip(ids, *fields.values(), *same, strict=True)),
            )

    @contextmanager
    def _not_new_if_refused(self, table: str) -> Iterator[None]:
        """Around an insert of new rows: for rows taken to be new without a lookup
        (``new_rows``), a refusal is NotNew, and the bundle is applied again with the
        lookup, which refuses what it must the usual way."""
        if table not in self.assumed:
            yield
            return
        refused: tuple[type[Exception], ...] = (IntegrityError,)
        if not self.sqlite:  # (psycopg is not imported for a SQLite HQ: 0.1 s)
            from psycopg.errors import UniqueViolation  # COPY's, on the DB-API cursor

            refused = (IntegrityError, UniqueViolation)
        try:
            yield
        except refused as exc:
            raise NotNew() from exc

    def update_row(self, table: str, row_id: str, values: dict[str, Any]) -> None:
        self.update_rows(table, [(row_id, values)])

    def update_rows(self, table: str, items: list[tuple[str, dict[str, Any]]]) -> None:
        """Update many rows, one statement per set of columns (``executemany``)."""
        info = catalog.tables()[table]
        groups: dict[tuple[str, ...], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for row_id, values in items:
            if values:
                groups[tuple(sorted(values))].append((row_id, values))
        for cols, group in groups.items():
            if self.sqlite:
                sets = ", ".join(f'"{c}" = ?' for c in cols)
                self.conn.exec_driver_sql(
                    f'UPDATE "{table}" SET {sets}, version = version + 1 WHERE id = ?',
                    [
                        (*(catalog.to_sqlite(info.kinds[c], v[c]) for c in cols), row_id)
                        for row_id, v in group
                    ],
                )
            else:
                t = info.table
                stmt = (
                    update(t)
                    .where(t.c.id == bindparam("_id"))
                    .values({c: bindparam("_v_" + c) for c in cols} | {"version": t.c.version + 1})
                )
                self.conn.execute(
                    stmt,
                    [
                        {"_id": catalog.to_python("uuid", row_id)}
                        | {"_v_" + c: catalog.to_python(info.kinds[c], v[c]) for c in cols}
                        for row_id, v in group
                    ],
                )

    def existing_keys(self, table: str, cols: tuple[str, ...], keys: list[tuple]) -> set[tuple]:
        """Which of these values of ``cols`` (a unique key) rows already hold."""
        info = catalog.tables()[table]
        t = info.table
        found: set[tuple] = set()
        for chunk in chunks(keys, 200):
            typed = [
                tuple(catalog.to_python(info.kinds[c], v) for c, v in zip(cols, k, strict=True))
                for k in chunk
            ]
            rows = self.conn.execute(
                select(*[t.c[c] for c in cols]).where(tuple_(*[t.c[c] for c in cols]).in_(typed))
            ).fetchall()
            found.update(
                tuple(catalog.to_wire(info.kinds[c], v) for c, v in zip(cols, row, strict=True))
                for row in rows
            )
        return found

    def find_by(self, table: str, values: dict[str, Any]) -> str | None:
        """The id of a live row whose columns equal ``values`` (natural keys)."""
        info = catalog.tables()[table]
        t = info.table
        stmt = select(t.c.id).where(t.c.deleted == False)  # noqa: E712
        for c, v in values.items():
            stmt = stmt.where(t.c[c] == catalog.to_python(info.kinds[c], v))
        row = self.conn.execute(stmt.order_by(t.c.created_at, t.c.id).limit(1)).first()
        return catalog.to_wire("uuid", row[0]) if row else None

    # --- clocks and the log ----------------------------------------------------------

    def clocks(self, table: str, ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """Per-field stamps of rows, folded from HQ's change log."""
        history: dict[str, list[tuple]] = defaultdict(list)
        for chunk in chunks(sorted(set(ids))):
            if self.sqlite:
                marks = ",".join("?" * len(chunk))
                rows = self.conn.exec_driver_sql(
                    "SELECT row_id, hlc, payload FROM hq_change "
                    f"WHERE tbl = ? AND row_id IN ({marks})",
                    (table, *chunk),
                )
            else:
                rows = self.raw.execute(_HISTORY, (table, _pg_array(chunk)))
            for row_id, stamp, payload in rows:
                change = orjson.loads(payload)
                history[row_id].append((stamp, change["f"], change.get("c")))
        return {row_id: fold_parsed(entries) for row_id, entries in history.items()}

    def take_numbers(self, count: int) -> int:
        """Reserve ``count`` server sequence numbers; return the first."""
        if count <= 0:
            return 0
        last = self.conn.execute(_TAKE_NUMBERS, {"n": count}).scalar_one()
        return last - count + 1

    def log_changes(self, rows: list[tuple]) -> None:
        """Insert change-log rows, numbered here in their order.

        Each row is (change_id, stronghold_code, tbl, row_id, hlc, payload, origin,
        origin_seq, received_at). On PostgreSQL one statement takes the numbers and
        inserts the rows, so the counter, once locked, waits only for the commit that
        should follow at once.
        """
        if not rows:
            return
        if self.sqlite:
            self.log_columns(list(map(list, zip(*rows, strict=True))))
            return
        if len(rows) > NUMBER_IN_ONE_STATEMENT:
            # A stick's worth of changes: COPY, with the numbers taken just before.
            first = self.take_numbers(len(rows))
            self._copy(
                "hq_change",
                [c.name for c in hq_change.columns],
                [(first + i, *row) for i, row in enumerate(rows)],
            )
            return
        # A sync's worth: the rows travel as one JSON parameter (cheaper to send than
        # nine arrays), and the numbers are taken by the same statement (on the DB-API
        # cursor, like the other statements every sync runs).
        self.raw.execute(
            _NUMBER_AND_LOG, {"count": len(rows), "rows": orjson.dumps(rows).decode("utf-8")}
        )

    def log_columns(self, columns: list[Any]) -> None:
        """``log_changes`` given by column: each of the nine, a list with a value per
        row, or one value for every row (a bundle's stronghold, device and time)."""
        lists = [c for c in columns if isinstance(c, list)]
        n = len(lists[0]) if lists else 0
        if not n:
            return
        if not self.sqlite:
            full = (c if isinstance(c, list) else repeat(c, n) for c in columns)
            self.log_changes(list(zip(*full, strict=True)))
            return
        first = self.take_numbers(n)
        # The stronghold, table, origin and time are usually the same for the whole bundle.
        marks, params = _by_column([list(range(first, first + n)), *columns])
        self.conn.exec_driver_sql(
            "INSERT INTO hq_change (server_seq, change_id, stronghold_code, tbl, row_id, hlc, "
            f"payload, origin, origin_seq, received_at) VALUES ({marks})",
            params,
        )

    def _copy(self, table: str, cols: list[str], rows: list[tuple]) -> None:
        """Bulk insert on PostgreSQL with COPY, inside the current transaction."""
        cur = self.conn.connection.dbapi_connection.cursor()
        col_sql = ", ".join(f'"{c}"' for c in cols)
        with cur.copy(f'COPY "{table}" ({col_sql}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)

    def change_ids_from(self, origin: str, from_seq: int) -> set[str]:
        """Ids of the changes HQ holds from ``origin`` numbered ``from_seq`` or later."""
        rows = self.conn.execute(
            select(hq_change.c.change_id).where(
                hq_change.c.origin == origin, hq_change.c.origin_seq >= from_seq
            )
        ).fetchall()
        return {r[0] for r in rows}

    def known_change_ids(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(ids):
            found.update(
                r[0]
                for r in self.conn.execute(
                    select(hq_change.c.change_id).where(hq_change.c.change_id.in_(chunk))
                )
            )
        return found

    def max_seq(self) -> int:
        return self.conn.execute(
            text("SELECT value FROM hq_counter WHERE name = 'server_seq'")
        ).scalar_one()


_TAKE_NUMBERS = text(
    "UPDATE hq_counter SET value = value + :n WHERE name = 'server_seq' RETURNING value"
)
# PostgreSQL only, with psycopg's placeholders.
_NUMBER_AND_LOG = (
    "WITH n AS (UPDATE hq_counter SET value = value + %(count)s "
    "WHERE name = 'server_seq' RETURNING value - %(count)s AS base) "
    "INSERT INTO hq_change (server_seq, change_id, stronghold_code, tbl, row_id, "
    "hlc, payload, origin, origin_seq, received_at) "
    "SELECT n.base + u.k, u.r->>0, u.r->>1, u.r->>2, u.r->>3, u.r->>4, u.r->>5, "
    "u.r->>6, CAST(u.r->>7 AS bigint), u.r->>8 "
    "FROM n, jsonb_array_elements(CAST(%(rows)s AS jsonb)) WITH ORDINALITY AS u(r, k)"
)

# PostgreSQL: one array parameter instead of an expanded IN list (cheaper to build, and
# one cached statement whatever the number of ids).
# Both run on the DB-API cursor (psycopg's placeholders), without SQLAlchemy's work per
# statement: a sync looks up the rows of each table it touches.
_HISTORY = (
    "SELECT row_id, hlc, payload FROM hq_change WHERE tbl = %s AND row_id = ANY(CAST(%s AS text[]))"
)


def _by_column(columns: list[Any]) -> tuple[str, list[tuple]]:
    """An INSERT's VALUES marks and its parameters, for rows given by column: each a list
    with a value per row, or one value for every row. A column with one value in every
    row is written into the statement once, not bound for every row; but not for a sync's
    few rows (100 or fewer), whose statement SQLite would otherwise prepare anew for every
    bundle."""
    n = max(len(c) for c in columns if isinstance(c, list))
    literals = [
        _constant_literal(c if isinstance(c, list) else (c,)) if n > 100 else None for c in columns
    ]
    bound = [
        c if isinstance(c, list) else repeat(c, n)
        for c, literal in zip(columns, literals, strict=True)
        if literal is None
    ]
    marks = ", ".join(literal or "?" for literal in literals)
    return marks, list(zip(*bound, strict=True))  # column by column, not a tuple per row


def _constant_literal(values: Iterable[Any]) -> str | None:
    """The SQL literal for a column whose rows all hold the same value, if there is one:
    NULL, '', 0 or 1 (compared by identity: 0 is not 0.0 or False, '' is not NULL), or a
    text. Such a column is written into the statement once instead of bound for every
    row; binding is a third of what a 50,000-row ``executemany`` costs. ``values`` may be
    a lazy iterator: the check stops at the first value that differs."""
    values = iter(values)
    v = next(values)
    if v is None:
        literal = "NULL"
    elif type(v) is str and v == "":
        literal = "''"
    elif type(v) is int and 0 <= v <= 1:
        literal = str(v)
    elif type(v) is str and "\0" not in v:
        same = all(map(eq, values, repeat(v)))
        return "'" + v.replace("'", "''") + "'" if same else None
    else:
        return None
    return literal if all(map(is_, values, repeat(v))) else None


def _constant_columns(
    rows: list[dict[str, Any]], cols: list[str], blobs: tuple[str, ...] = ()
) -> dict[str, str]:
    """The columns whose rows all hold the same value, as SQL literals (a column of
    ``blobs``, which travel as hex text, only when it is NULL)."""
    out = {}
    for c in cols:
        literal = _constant_literal(map(itemgetter(c), rows))
        if literal is not None and (c not in blobs or literal == "NULL"):
            out[c] = literal
    return out


def _pg_array(ids: list[str]) -> str | list[str]:
    """Row ids as a PostgreSQL array literal: one text parameter, which psycopg sends as
    it is instead of adapting a list item by item. (Ids are 32 hex digits, checked on
    arrival; anything else goes as a list.)"""
    if not all(map(_HEX_ID.fullmatch, ids)):
        return list(ids)
    return "{" + ",".join(ids) + "}"


_HEX_ID = re.compile(r"[0-9a-f]{32}")


@cache
def _select_by_ids(table: str, cols: tuple[str, ...]) -> str:
    col_sql = ", ".join(f'"{c}"' for c in cols)
    return f'SELECT {col_sql} FROM "{table}" WHERE id = ANY(CAST(%s AS uuid[]))'


def hq_stamp(existing: dict[str, str], node: str) -> str:
    """A stamp for an HQ edit: after every stamp the row's fields hold, and after now."""
    wall, counter = 0, 0
    if existing:
        latest = hlc.parse(max(existing.values()))
        wall, counter = latest.wall, latest.counter
    wall, counter = hlc.advance(wall, counter)
    return hlc.make(wall, counter, node)


def write_as_hq(
    store: Store,
    table: str,
    row_id: str,
    fields: dict[str, Any],
    *,
    partition: str | None,
    node: str,
    insert: bool,
    clocks: dict[str, str] | None = None,
) -> None:
    """Write a row as HQ and log the change, so devices pull it like any other.

    ``clocks`` carries per-field stamps for a record moved between strongholds: the
    receiving stronghold gets the whole row with the stamps its fields already had.
    """
    existing = store.clocks(table, [row_id]).get(row_id, {})
    stamp = hq_stamp(existing, node)
    if insert:
        store.insert_rows(table, [{"id": row_id, **fields}])
    else:
        store.update_row(table, row_id, fields)
    change: dict[str, Any] = {
        "i": uuid.uuid4().hex,
        "t": table,
        "r": row_id,
        "o": "i" if insert else "u",
        "h": stamp,
        "f": fields,
    }
    if not insert and existing:
        change["b"] = {f: existing[f] for f in fields if f in existing}
    if clocks:
        change["c"] = {f: s for f, s in clocks.items() if f in fields and f != "stronghold_code"}
    store.log_changes(
        [(change["i"], partition, table, row_id, stamp, dumps(change), "hq", None, now_text())]
    )


def _unhex(values: tuple, positions: list[int]) -> tuple:
    if all(values[i] is None for i in positions):
        return values
    out = list(values)
    for i in positions:
        if out[i] is not None:
            out[i] = bytes.fromhex(out[i])
    return tuple(out)


def _pg_bytea(values: tuple, positions: list[int]) -> tuple:
    out = list(values)
    for i in positions:
        if out[i] is not None:
            out[i] = "\\x" + out[i]
    return tuple(out)
