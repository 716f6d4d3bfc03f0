"""Reading and writing the shared tables at HQ, on SQLite or PostgreSQL.

Values arrive in wire form (app/sync/catalog.py). On SQLite that is the storage form,
so rows go in as they came, with ``executemany``; on PostgreSQL they are converted to
Python values and bound through SQLAlchemy. Every change HQ accepts or makes gets the
next server sequence number here, from a counter row that stays locked until commit:
numbers are gap-free and a reader never sees number n+1 before n.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, bindparam, select, text, tuple_, update

from app.hq.db import hq_change
from app.sync import catalog, hlc
from app.sync.changes import dumps
from app.sync.merge import fold_clocks

log = logging.getLogger(__name__)

CHUNK = 500


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Store:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"

    # --- rows ---------------------------------------------------------------------------

    def load_rows(self, table: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        info = catalog.tables()[table]
        cols = list(info.kinds)
        out: dict[str, dict[str, Any]] = {}
        ids = sorted(set(ids))
        for chunk in chunks(ids):
            if self.sqlite:
                marks = ",".join("?" * len(chunk))
                col_sql = ", ".join(f'"{c}"' for c in cols)
                rows = self.conn.exec_driver_sql(
                    f'SELECT {col_sql} FROM "{table}" WHERE id IN ({marks})', tuple(chunk)
                ).fetchall()
            else:
                t = info.table
                rows = self.conn.execute(
                    select(*[t.c[c] for c in cols]).where(
                        t.c.id.in_([catalog.to_python("uuid", i) for i in chunk])
                    )
                ).fetchall()
            for row in rows:
                values = {
                    c: catalog.to_wire(info.kinds[c], v) for c, v in zip(cols, row, strict=True)
                }
                out[values["id"]] = values
        return out

    def existing_ids(self, table: str, ids: Iterable[str]) -> set[str]:
        info = catalog.tables()[table]
        found: set[str] = set()
        for chunk in chunks(sorted(set(ids))):
            if self.sqlite:
                marks = ",".join("?" * len(chunk))
                rows = self.conn.exec_driver_sql(
                    f'SELECT id FROM "{table}" WHERE id IN ({marks})', tuple(chunk)
                ).fetchall()
            else:
                t = info.table
                rows = self.conn.execute(
                    select(t.c.id).where(t.c.id.in_([catalog.to_python("uuid", i) for i in chunk]))
                ).fetchall()
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
            params = list(map(itemgetter(*cols), rows))
            blobs = [i for i, c in enumerate(cols) if info.kinds[c] == "blob"]
            if blobs and {p[i] for p in params for i in blobs} != {None}:
                params = [_unhex(p, blobs) for p in params]
            col_sql = ", ".join(f'"{c}"' for c in cols)
            marks = ", ".join("?" * len(cols))
            self.conn.exec_driver_sql(f'INSERT INTO "{table}" ({col_sql}) VALUES ({marks})', params)
        else:
            # COPY, with the wire values as PostgreSQL's text input (UUIDs without dashes,
            # timestamps, dates and 0/1 all parse as they are; blobs get the \\x prefix).
            blobs = [i for i, c in enumerate(cols) if info.kinds[c] == "blob"]
            params = list(map(itemgetter(*cols), rows))
            if blobs:
                params = [_pg_bytea(p, blobs) for p in params]
            self._copy(table, cols, params)

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
            rows = self.conn.execute(
                select(hq_change.c.row_id, hq_change.c.hlc, hq_change.c.payload).where(
                    hq_change.c.tbl == table, hq_change.c.row_id.in_(chunk)
                )
            ).fetchall()
            for row_id, stamp, payload in rows:
                change = json.loads(payload)
                history[row_id].append(
                    (stamp, dumps(change["f"]), dumps(change["c"]) if change.get("c") else None)
                )
        return {row_id: fold_clocks(entries) for row_id, entries in history.items()}

    def take_numbers(self, count: int) -> int:
        """Reserve ``count`` server sequence numbers; return the first."""
        if count <= 0:
            return 0
        last = self.conn.execute(
            text(
                "UPDATE hq_counter SET value = value + :n WHERE name = 'server_seq' RETURNING value"
            ),
            {"n": count},
        ).scalar_one()
        return last - count + 1

    def log_changes(self, rows: list[tuple]) -> None:
        """Insert change-log rows, numbered here in their order.

        Each row is (change_id, stronghold_code, tbl, row_id, hlc, payload, origin,
        origin_seq, received_at).
        """
        if not rows:
            return
        first = self.take_numbers(len(rows))
        numbered = [(first + i, *row) for i, row in enumerate(rows)]
        if self.sqlite:
            self.conn.exec_driver_sql(
                "INSERT INTO hq_change (server_seq, change_id, stronghold_code, tbl, row_id, hlc, "
                "payload, origin, origin_seq, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                numbered,
            )
        else:
            self._copy("hq_change", [c.name for c in hq_change.columns], numbered)

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
