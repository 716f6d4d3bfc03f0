"""The device side of sync: enrolment, writing bundles for HQ, applying HQ's replies.

Everything here works on one register's database through plain SQL in short
transactions. Applying a reply is one ``BEGIN IMMEDIATE`` transaction with capture off:
it commits whole or leaves nothing behind, so a computer switched off mid-import opens
as before and the same reply can be imported again.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection
from sqlmodel import Session

from app import __version__
from app.db.register import Register
from app.i18n import current_language
from app.services import audit
from app.sync import bundle, capture, catalog, changes, codes, hlc, versions
from app.sync.crypto import HqPublicKey, KeyPair, b64
from app.sync.errors import (
    AlreadyEnrolled,
    BundleInvalid,
    BundleRefused,
    BundleReplayed,
    Cancelled,
    EnrolCodeMalformed,
    EnrolOtherHq,
    EnrolStrongholdMismatch,
    ForeignRows,
    NotEnrolled,
    SchemaTooNew,
    UnknownSender,
    as_reply_error,
)
from app.sync.merge import FieldConflict, fold_clocks, merge_fields

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
CHUNK = 500

LOCAL, REJECTED, RECEIVED = 0, 2, 3  # sync_change.state (capture.py)
# (Before enrolment there is no sync_device row: everything logged waits for HQ.)
PENDING = (
    "origin IS NULL AND state = 0 "
    "AND seq > COALESCE((SELECT acked_upto FROM sync_device WHERE id = 1), 0)"
)
# This computer's number among its stronghold's (1, 2, ...), given by HQ in every reply and
# kept in local_state (never synced): the numbers of the documents it issues carry it, so
# two computers working apart never issue the same one (app/services/documents.py).
DEVICE_NUMBER_KEY = "device_number"
# Set while HQ's snapshot comes in parts (a reply said "more"): the next bundle asks for
# the rest of it ("resume"), so HQ goes on after the cursor with this computer's own
# changes included, as a snapshot does. Kept in local_state, like the number.
RESUME_KEY = "snapshot_resume"


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()


# --- state ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceState:
    device_id: str
    keys: KeyPair
    hq: HqPublicKey
    hq_url: str | None
    code: str | None
    state: str  # "pending" (enrolment travels in the next bundle) or "enrolled"
    enrolled_at: str | None
    cursor: int
    acked_upto: int
    export_seq: int
    reply_seq: int
    last_export_at: str | None
    last_import_at: str | None
    last_error: str | None
    replaces: str | None


def load_state(conn: Connection) -> DeviceState | None:
    row = conn.exec_driver_sql(
        "SELECT device_id, sign_seed, box_secret, hq_id, hq_sign_pub, hq_box_pub, hq_url, "
        "code, state, enrolled_at, cursor, acked_upto, export_seq, reply_seq, last_export_at, "
        "last_import_at, last_error, replaces FROM sync_device WHERE id = 1"
    ).first()
    if row is None:
        return None
    return DeviceState(
        device_id=row[0],
        keys=KeyPair(bytes(row[1]), bytes(row[2])),
        hq=HqPublicKey(row[3], bytes(row[4]), bytes(row[5])),
        hq_url=row[6],
        code=row[7],
        state=row[8],
        enrolled_at=row[9],
        cursor=row[10],
        acked_upto=row[11],
        export_seq=row[12],
        reply_seq=row[13],
        last_export_at=row[14],
        last_import_at=row[15],
        last_error=row[16],
        replaces=row[17],
    )


def state_of(reg: Register) -> DeviceState | None:
    with reg.engine.connect() as conn:
        return load_state(conn)


def require_state(conn: Connection) -> DeviceState:
    state = load_state(conn)
    if state is None:
        raise NotEnrolled()
    return state


def sync_device_id(reg: Register) -> str:
    """The id this computer has at HQ: the register's device id."""
    return reg.device_id.replace("-", "")


def device_number(conn: Connection) -> int | None:
    """This computer's number among its stronghold's, once HQ gave it (the first sync)."""
    value = conn.exec_driver_sql(
        "SELECT value FROM local_state WHERE key = ?", (DEVICE_NUMBER_KEY,)
    ).scalar()
    try:
        number = int(value) if value is not None else 0
    except ValueError:
        return None
    return number if number > 0 else None


# --- enrolment -------------------------------------------------------------------------


def check_code(code: str) -> None:
    """Refuse what is not an enrolment code at all, before asking whose it is."""
    if not codes.well_formed(code):
        raise EnrolCodeMalformed()


def start_enrolment(
    reg: Register, hq: HqPublicKey, code: str, *, url: str | None = None, again: bool = False
) -> DeviceState:
    """Create this device's keys and pin HQ's; the request travels in the next bundle.

    Enrolling again with the same HQ replaces a pending request (a mistyped code). An
    enrolled computer is refused unless ``again`` (or HQ revoked it): then it joins under
    a new identity with new keys, keeping what HQ already acknowledged, so nothing is
    sent twice; HQ sends it everything afresh.
    """
    check_code(code)
    if not codes.belongs_to(code, hq.hq_id):
        raise EnrolOtherHq()
    with reg.write_engine.begin() as conn:
        old = load_state(conn)
        renew = old is not None and old.state in ("enrolled", "revoked")
        if old is not None and old.state == "enrolled" and not again:
            raise AlreadyEnrolled(hq=old.hq.hq_id)
        if renew:
            keys, device_id = KeyPair.generate(), uuid.uuid4().hex
        else:
            same = old is not None and old.hq.hq_id == hq.hq_id
            keys = old.keys if same else KeyPair.generate()
            device_id = old.device_id if same else sync_device_id(reg)
        kept = (old.acked_upto, old.export_seq) if old is not None else (0, 0)
        replaces = old.device_id if renew else (old.replaces if old is not None else None)
        conn.exec_driver_sql("DELETE FROM sync_device")
        conn.exec_driver_sql(
            "INSERT INTO sync_device (id, device_id, sign_seed, box_secret, hq_id, hq_sign_pub, "
            "hq_box_pub, hq_url, code, state, acked_upto, export_seq, replaces) "
            "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
            (
                device_id,
                keys.sign_seed,
                keys.box_secret,
                hq.hq_id,
                hq.sign_pub,
                hq.box_pub,
                url,
                codes.normalize(code),
                *kept,
                replaces,
            ),
        )
        audit_in(conn, reg, "sync_enrol", hq=hq.hq_id, again=renew)
        state = load_state(conn)
    assert state is not None
    log.info("enrolment prepared for HQ %s", hq.hq_id)
    return state


def snapshot(reg: Register) -> tuple[tuple[str, ...], tuple[Any, ...]] | None:
    """This computer's enrolment row as it is, to put back if HQ refuses a new one."""
    with reg.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT * FROM sync_device WHERE id = 1").first()
    return (tuple(row._mapping.keys()), tuple(row)) if row is not None else None


def restore(reg: Register, saved: tuple[tuple[str, ...], tuple[Any, ...]] | None) -> None:
    with reg.write_engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sync_device")
        if saved is not None:
            names, values = saved
            conn.exec_driver_sql(
                f"INSERT INTO sync_device ({', '.join(names)}) "
                f"VALUES ({', '.join('?' * len(names))})",
                values,
            )
    log.info("enrolment refused by HQ; the earlier state is back")


def mark_revoked(reg: Register, message: str) -> None:
    """HQ refused this computer for good; a new enrolment is the way back."""
    with reg.write_engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE sync_device SET state = 'revoked', last_error = ? WHERE id = 1", (message,)
        )


def enrolment_request(reg: Register, state: DeviceState) -> dict[str, Any]:
    return {
        "code": state.code,
        "device": state.device_id,
        "stronghold": reg.stronghold_code,
        "sign_pub": b64(state.keys.sign_pub),
        "box_pub": b64(state.keys.box_pub),
        "label": reg.user.login,
        "replaces": state.replaces,
    }


def mark_enrolled(reg: Register, stronghold: str) -> None:
    if stronghold != reg.stronghold_code:
        raise EnrolStrongholdMismatch(stronghold=stronghold, own=reg.stronghold_code)
    with reg.write_engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE sync_device SET state = 'enrolled', code = NULL, enrolled_at = ? WHERE id = 1",
            (_now_text(),),
        )


# --- export ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Exported:
    data: bytes
    bundle_id: str
    seq: int
    changes: int
    first_seq: int | None
    last_seq: int | None
    records: int = 0  # the changes that are not audit entries ("not yet sent" counts these)
    more: bool = False  # a ``limit`` left pending changes for another bundle


def pending_count(conn: Connection, *, with_audit: bool = False) -> int:
    """Changes HQ has not acknowledged; by default without audit entries, which every
    command adds (a login, an export) and which travel along with the next bundle."""
    sql = f"SELECT count(*) FROM sync_change WHERE {PENDING}"
    if not with_audit:
        sql += f" AND tbl != '{catalog.AUDIT_TABLE}'"
    return conn.exec_driver_sql(sql).scalar()


def _bases(conn: Connection, pending: list[tuple[int, str, str]]) -> dict[int, dict[str, str]]:
    """For each pending update or delete (n, table, row id; n its log position): the
    stamp each field replaced, when there is one."""
    raw = conn.connection.dbapi_connection
    updates = {p[0] for p in pending}
    rows: dict[str, set[str]] = defaultdict(set)
    for _n, tbl, row_id in pending:
        rows[tbl].add(row_id)
    out: dict[int, dict[str, str]] = {}
    for tbl, ids in rows.items():
        for chunk in _chunks(sorted(ids)):
            marks = ",".join("?" * len(chunk))
            history: dict[str, list[tuple]] = defaultdict(list)
            for r in raw.execute(
                f"SELECT n, row_id, hlc, fields, clocks FROM sync_change "
                f"WHERE state != 2 AND tbl = ? AND row_id IN ({marks}) ORDER BY n",
                (tbl, *chunk),
            ):
                history[r[1]].append((r[0], r[2], r[3], r[4]))
            for entries in history.values():
                clocks: dict[str, str] = {}
                for n, stamp, fields_json, clocks_json in entries:
                    names = orjson.loads(fields_json)
                    if n in updates:
                        found = {k: clocks[k] for k in names if k in clocks}
                        if found:
                            out[n] = found
                    per_field = orjson.loads(clocks_json) if clocks_json else {}
                    for k in names:
                        s = per_field.get(k, stamp)
                        if s > clocks.get(k, ""):
                            clocks[k] = s
    return out


# One change as its JSON line, put together by SQLite from the log: the values are ids,
# names and stamps of known characters and the fields are JSON already (the triggers
# wrote them), so nothing needs escaping, and 50,000 lines come back as bytes ready to
# compress, without a Python object per value.
_LINE_SQL = (
    """printf('{"i":"%s","t":"%s","r":"%s","o":"%s","h":"%s","q":%d,"f":%s}', """
    "change_id, tbl, row_id, op, hlc, seq, fields)"
)


class _Pending(NamedTuple):
    lines: list[bytes]  # the changes, one JSON line each (UTF-8)
    count: int
    records: int  # those that are not audit entries (``pending_count``)
    first: int | None  # the first and last device sequence numbers
    last: int | None


def _pending_lines(conn: Connection, up_to: int | None = None) -> _Pending:
    """The pending changes (numbered ``up_to`` at most), read in one pass over the log."""
    raw = conn.connection.dbapi_connection
    # The fourth column is set for updates and deletes only (their bases are looked up);
    # the fifth marks an audit entry, which ``records`` leaves out.
    rows = raw.execute(
        f"SELECT n, seq, CAST({_LINE_SQL} AS BLOB), "
        "CASE WHEN op = 'i' THEN NULL ELSE tbl || ' ' || row_id END, "
        f"tbl = '{catalog.AUDIT_TABLE}' "
        f"FROM sync_change WHERE {PENDING} AND seq <= ? ORDER BY seq, n",
        (up_to if up_to is not None else 2**62,),
    ).fetchall()
    if not rows:
        return _Pending([], 0, 0, None, None)
    edits = [(r[0], *r[3].split(" ")) for r in rows if r[3] is not None]
    bases = _bases(conn, edits) if edits else {}
    if bases:
        lines = [
            line[:-1] + b',"b":' + orjson.dumps(bases[n]) + b"}" if n in bases else line
            for n, _seq, line, _edit, _audit in rows
        ]
    else:
        lines = list(map(itemgetter(2), rows))
    audit = sum(map(itemgetter(4), rows))
    return _Pending(lines, len(rows), len(rows) - audit, rows[0][1], rows[-1][1])


def export_bundle(
    reg: Register,
    *,
    transport: str = "usb",
    sink: Callable[[bytes], None] | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    limit: int | None = None,
) -> Exported:
    """Seal every change HQ has not acknowledged, with the pull cursor, into a bundle;
    with ``limit``, the oldest of them, about that many (``Exported.more`` says whether
    others wait for the next bundle).

    A lost stick loses nothing: the same changes go again in the next bundle until HQ's
    reply acknowledges them. ``sink`` (writing the file) runs before the export is
    recorded, so a full stick or a cancel leaves no trace of an export that did not happen.
    """
    with changes.gc_paused(), reg.write_engine.begin() as conn:
        state = require_state(conn)
        _check_cancel(cancel)
        up_to, more = _cut(conn, limit) if limit else (None, False)
        lines, total, records, first, last = _pending_lines(conn, up_to)
        _check_cancel(cancel)
        clock = conn.exec_driver_sql("SELECT seq FROM sync_clock WHERE id = 1").scalar()
        seq = max(state.export_seq + 1, hlc.now_ms())
        bundle_id = bundle.new_bundle_id()
        header: dict[str, Any] = {
            "kind": "device",
            "from": state.device_id,
            "bundle": bundle_id,
            "seq": seq,
            "stronghold": reg.stronghold_code,
            "protocol": bundle.PROTOCOL,
            "schema": versions.head(),
            "app": __version__,
            "lang": current_language(),
            "cursor": state.cursor,
            "count": total,
            "first": first,
            "last": last,
            "seq_high": clock,
            "created_at": _now_text(),
            "parts": True,  # a long reply may come in parts (app.hq.ingest.REPLY_PART_LINES)
        }
        if conn.exec_driver_sql("SELECT 1 FROM local_state WHERE key = ?", (RESUME_KEY,)).first():
            header["resume"] = True
        extra_clear = None
        if state.state == "pending":
            header["enrol"] = enrolment_request(reg, state)
            extra_clear = {"enrol_pub": b64(state.keys.sign_pub)}
        data = bundle.write(
            header, lines, state.keys, state.hq.box_pub, state.hq.hq_id, extra_clear
        )
        now = _now_text()
        conn.exec_driver_sql(
            "UPDATE sync_device SET export_seq = ?, last_export_at = ? WHERE id = 1", (seq, now)
        )
        # The history shows what the report said went: the user's changes, as "Not yet
        # sent to HQ" counts them (without the audit entries that travel along).
        summary = {"changes": records, "first": header["first"], "last": header["last"]}
        conn.exec_driver_sql(
            "INSERT INTO sync_bundle (bundle_id, direction, seq, at, transport, summary) "
            "VALUES (?, 'out', ?, ?, ?, ?)",
            (bundle_id, seq, now, transport, changes.dumps(summary)),
        )
        audit_in(conn, reg, "sync_export", changes=total, transport=transport)
        _check_cancel(cancel)
        if sink is not None:
            sink(data)
    if progress:
        progress(total, total)
    log.info("bundle exported: %d changes, %d bytes", total, len(data))
    return Exported(data, bundle_id, seq, total, header["first"], header["last"], records, more)


def _cut(conn: Connection, limit: int) -> tuple[int | None, bool]:
    """Where a bundle of about ``limit`` pending changes ends: the number of its last
    change (None: all of them fit), and whether users' changes remain after it (audit
    entries alone wait for the next sync, as always: each bundle adds one). The cut
    falls between numbers, never inside one: HQ confirms a bundle up to its last number."""
    raw = conn.connection.dbapi_connection
    row = raw.execute(
        f"SELECT seq FROM sync_change WHERE {PENDING} ORDER BY seq, n LIMIT 1 OFFSET ?",
        (max(0, limit - 1),),
    ).fetchone()
    if row is None:
        return None, False
    more = raw.execute(
        f"SELECT EXISTS (SELECT 1 FROM sync_change WHERE {PENDING} AND seq > ? "
        f"AND tbl != '{catalog.AUDIT_TABLE}')",
        (row[0],),
    ).fetchone()[0]
    return (row[0], True) if more else (None, False)


# --- applying HQ's changes ---------------------------------------------------------------


@dataclass
class Applied:
    received: int = 0
    skipped: int = 0
    inserted: int = 0
    updated: int = 0
    conflicts: int = 0
    parked: int = 0
    acknowledged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    already_applied: bool = False
    bundle_id: str = ""
    snapshot: bool = False
    enrolled: bool = False
    more: bool = False  # HQ's answer was a part: more follows in the next sync's reply

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "skipped": self.skipped,
            "inserted": self.inserted,
            "updated": self.updated,
            "conflicts": self.conflicts,
            "parked": self.parked,
            "acknowledged": self.acknowledged,
            "rejected": len(self.rejected),
            "already_applied": self.already_applied,
            "snapshot": self.snapshot,
        }


class _Rows:
    """The rows a batch of changes touches, loaded once, changed in memory, written once."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.values: dict[tuple[str, str], dict[str, Any]] = {}
        self.clocks: dict[tuple[str, str], dict[str, str]] = {}
        self.new: dict[tuple[str, str], dict[str, Any]] = {}
        self.dirty: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)

    def load(self, keys: Iterable[tuple[str, str]]) -> None:
        by_table: dict[str, list[str]] = defaultdict(list)
        for t, r in set(keys):
            if (t, r) not in self.values:
                by_table[t].append(r)
        for t, ids in by_table.items():
            info = catalog.tables()[t]
            cols = list(info.kinds)
            blobs = [c for c in cols if info.kinds[c] == "blob"]
            col_sql = ", ".join(f'"{c}"' for c in cols)
            for chunk in _chunks(sorted(ids)):
                marks = ",".join("?" * len(chunk))
                raw = self.conn.connection.dbapi_connection
                # SQLite holds values in their wire form already, except blobs.
                for row in raw.execute(
                    f'SELECT {col_sql} FROM "{t}" WHERE id IN ({marks})', tuple(chunk)
                ):
                    values = dict(zip(cols, row, strict=True))
                    for c in blobs:
                        values[c] = catalog.to_wire("blob", values[c])
                    self.values[(t, values["id"])] = values
                history: dict[str, list[tuple]] = defaultdict(list)
                for row in raw.execute(
                    f"SELECT row_id, hlc, fields, clocks FROM sync_change "
                    f"WHERE state != 2 AND tbl = ? AND row_id IN ({marks}) ORDER BY n",
                    (t, *chunk),
                ):
                    history[row[0]].append(row[1:])
                for row_id, entries in history.items():
                    self.clocks[(t, row_id)] = fold_clocks(entries)

    def flush(self) -> tuple[int, int]:
        inserted = updated = 0
        by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for (t, _r), values in self.new.items():
            by_table[t].append(values)
        # Referenced tables first. Foreign keys are checked at commit, but while one row
        # refers to a row not yet written, SQLite looks for the rows referring to every
        # row inserted into the referenced table, by a full scan of each table whose
        # reference has no index: inserting persons after households scanned every
        # household for every person: a first sync that grew with the square of its size.
        for t, info in catalog.tables().items():
            rows = by_table.get(t)
            if not rows:
                continue
            cols = list(info.kinds)
            params = (
                [
                    tuple(catalog.to_sqlite(info.kinds[c], v) for c, v in zip(cols, p, strict=True))
                    for p in map(itemgetter(*cols), rows)
                ]
                if "blob" in info.kinds.values()
                else list(map(itemgetter(*cols), rows))
            )
            col_sql = ", ".join(f'"{c}"' for c in cols)
            marks = ", ".join("?" * len(cols))
            self.conn.exec_driver_sql(f'INSERT INTO "{t}" ({col_sql}) VALUES ({marks})', params)
            inserted += len(rows)
        grouped: dict[tuple[str, tuple[str, ...]], list[tuple]] = defaultdict(list)
        for (t, r), values in self.dirty.items():
            if not values or (t, r) in self.new:
                continue
            info = catalog.tables()[t]
            cols = tuple(sorted(values))
            grouped[(t, cols)].append(
                (*(catalog.to_sqlite(info.kinds[c], values[c]) for c in cols), r)
            )
        for (t, cols), rows in grouped.items():
            sets = ", ".join(f'"{c}" = ?' for c in cols)
            self.conn.exec_driver_sql(
                f'UPDATE "{t}" SET {sets}, version = version + 1 WHERE id = ?', rows
            )
            updated += len(rows)
        return inserted, updated


def _log_entries(conn: Connection, entries: list[tuple]) -> None:
    if entries:
        conn.exec_driver_sql(
            "INSERT OR IGNORE INTO sync_change (seq, change_id, tbl, row_id, op, hlc, fields, "
            "clocks, origin, state) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, 3)",
            entries,
        )


def _record_conflicts(
    conn: Connection, t: str, r: str, found: list[FieldConflict], origin: str | None
) -> int:
    rows = [
        (
            capture_id(),
            t,
            r,
            c.field,
            changes.dumps(c.local_value),
            changes.dumps(c.remote_value),
            c.local_hlc,
            c.remote_hlc,
            c.winner,
            origin,
            _now_text(),
        )
        for c in found
    ]
    if not rows:
        return 0
    before = conn.exec_driver_sql("SELECT total_changes()").scalar()
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO sync_conflict (id, tbl, row_id, field, local_value, remote_value, "
        "local_hlc, remote_hlc, winner, remote_origin, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return conn.exec_driver_sql("SELECT total_changes()").scalar() - before


def capture_id() -> str:
    return uuid.uuid4().hex


def apply_remote(
    conn: Connection,
    incoming: list[dict[str, Any]],
    *,
    cancel: threading.Event | None = None,
    progress: Progress | None = None,
    settled: frozenset[tuple[str, str]] = frozenset(),
) -> Applied:
    """Merge HQ's changes into the tables (capture must be off). Idempotent by change id.
    ``settled``: the (table, id) of rows a re-key of the same reply brought whole."""
    out = Applied(received=len(incoming))
    seen: set[str] = set()
    ids = [c["i"] for c in incoming]
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        seen.update(
            r[0]
            for r in conn.exec_driver_sql(
                f"SELECT change_id FROM sync_change WHERE change_id IN ({marks})", tuple(chunk)
            )
        )
    todo = []
    for c in incoming:
        if c["i"] in seen:
            out.skipped += 1
        else:
            seen.add(c["i"])
            todo.append(c)
    rows = _Rows(conn)
    rows.load((c["t"], c["r"]) for c in todo)
    log_rows: list[tuple] = []
    parked: list[tuple[str, str]] = []
    total = len(todo)
    for i, c in enumerate(todo):
        if i % 2000 == 1999:
            _check_cancel(cancel)
            if progress:
                progress(i + 1, total)
        key = (c["t"], c["r"])
        current = rows.values.get(key)
        if current is None:
            if c["o"] == "d":
                pass  # a tombstone for a row this computer never had: nothing to keep
            else:
                fields = changes.fill_missing(c["t"], c["f"])
                if changes.missing_required(c["t"], fields) or _number_taken(
                    conn, c["t"], c["r"], fields, rows
                ):
                    # Kept aside and tried again at the next import: a row that cannot
                    # go in yet never blocks the rest.
                    parked.append((c["i"], changes.dumps(c)))
                    out.parked += 1
                    continue
                values = {"id": c["r"], **fields}
                values["version"] = values.get("version") or 1
                rows.values[key] = values
                rows.new[key] = values
                rows.clocks[key] = dict(_clocks_of(c))
        else:
            merged = merge_fields(current, rows.clocks.get(key, {}), c)
            if merged.updates:
                current.update(merged.updates)
                rows.dirty[key].update(merged.updates)
                rows.clocks.setdefault(key, {}).update(merged.clocks)
            # A row HQ has just handed over whole (a re-key) already holds every change
            # of this reply to it: an older one among them is its history, not a
            # concurrent edit.
            found = [fc for fc in merged.conflicts if fc.winner == "remote" or key not in settled]
            if found:
                out.conflicts += _record_conflicts(conn, c["t"], c["r"], found, c.get("d"))
        log_rows.append(
            (
                c["i"],
                c["t"],
                c["r"],
                c["o"],
                c["h"],
                changes.dumps(c["f"]),
                changes.dumps(c["c"]) if c.get("c") else None,
                c.get("d") or "hq",
            )
        )
    out.inserted, out.updated = rows.flush()
    _log_entries(conn, log_rows)
    if parked:
        conn.exec_driver_sql(
            "INSERT OR IGNORE INTO sync_parked (change_id, payload) VALUES (?, ?)", parked
        )
    return out


def _number_taken(
    conn: Connection, table: str, row_id: str, fields: dict[str, Any], rows: _Rows
) -> bool:
    """Whether a row here already holds this new row's unique number (two computers of a
    stronghold that issued the same document number while apart)."""
    cols = catalog.unique_keys().get(table)
    if not cols:
        return False
    key = tuple(fields.get(c) for c in cols)
    for (t, r), values in rows.new.items():
        if t == table and r != row_id and tuple(values.get(c) for c in cols) == key:
            return True
    where = " AND ".join(f'"{c}" IS ?' for c in cols)
    return bool(
        conn.exec_driver_sql(
            f'SELECT count(*) FROM "{table}" WHERE {where} AND id != ?', (*key, row_id)
        ).scalar()
    )


def _clocks_of(change: dict[str, Any]) -> dict[str, str]:
    stamp = change["h"]
    per_field = change.get("c") or {}
    return {f: per_field.get(f, stamp) for f in change["f"]}


def _retry_parked(conn: Connection) -> int:
    """Try the parked changes again; those still blocked are parked again."""
    parked = conn.exec_driver_sql("SELECT change_id, payload FROM sync_parked").fetchall()
    if not parked:
        return 0
    conn.exec_driver_sql("DELETE FROM sync_parked")
    applied = apply_remote(conn, [json.loads(p[1]) for p in parked])
    return applied.inserted + applied.updated


def _rekey(conn: Connection, item: dict[str, Any]) -> int:
    """Adopt HQ's row for something this register also created (catalog.NATURAL_KEYS).

    The local copy and its history go; HQ's row comes in with HQ's field stamps; local
    edits not yet acknowledged move to the new id and keep their values.
    """
    t, old, new = item.get("t"), item.get("from"), item.get("to")
    if catalog.table(t or "") is None or t not in catalog.NATURAL_KEYS:
        raise BundleInvalid(detail="re-key")
    change = changes.check(
        {
            "i": "rekey-" + new,
            "t": t,
            "r": new,
            "o": "i",
            "h": max((item.get("c") or {}).values(), default=None),
            "f": item.get("f"),
            "c": item.get("c") or {},
        }
    )
    row_there = conn.exec_driver_sql(f'SELECT count(*) FROM "{t}" WHERE id = ?', (old,)).scalar()
    logged = conn.exec_driver_sql(
        "SELECT count(*) FROM sync_change WHERE tbl = ? AND row_id = ?", (t, old)
    ).scalar()
    if not row_there and not logged:
        return 0
    pending = conn.exec_driver_sql(
        f"SELECT fields FROM sync_change WHERE tbl = ? AND row_id = ? AND {PENDING}",
        (t, old),
    ).fetchall()
    keep = sorted({k for (f,) in pending for k in json.loads(f)} - {"id"})
    kept: dict[str, Any] = {}
    if keep and row_there:
        cols = ", ".join(f'"{k}"' for k in keep)
        kept = dict(
            zip(
                keep,
                conn.exec_driver_sql(f'SELECT {cols} FROM "{t}" WHERE id = ?', (old,)).one(),
                strict=True,
            )
        )
    for other, other_info in catalog.tables().items():
        for col, target in other_info.foreign_keys.items():
            if target == t:
                conn.exec_driver_sql(
                    f'UPDATE "{other}" SET "{col}" = ? WHERE "{col}" = ?', (new, old)
                )
    conn.exec_driver_sql(
        f"UPDATE sync_change SET row_id = ? WHERE tbl = ? AND row_id = ? AND {PENDING}",
        (new, t, old),
    )
    conn.exec_driver_sql("DELETE FROM sync_change WHERE tbl = ? AND row_id = ?", (t, old))
    conn.exec_driver_sql("DELETE FROM sync_conflict WHERE tbl = ? AND row_id = ?", (t, old))
    conn.exec_driver_sql(f'DELETE FROM "{t}" WHERE id = ?', (old,))
    conn.exec_driver_sql("DELETE FROM sync_change WHERE change_id = ?", (change["i"],))
    apply_remote(conn, [change])
    if kept:
        sets = ", ".join(f'"{k}" = ?' for k in kept)
        conn.exec_driver_sql(
            f'UPDATE "{t}" SET {sets} WHERE id = ?',
            (*(kept[k] for k in kept), new),
        )
    return 1


def _restore(conn: Connection, item: dict[str, Any]) -> None:
    """Put back HQ's values of fields whose local change HQ rejected."""
    t, r, fields = item["t"], item["r"], item["f"]
    info = catalog.tables()[t]
    cols = sorted(fields)
    if not cols:
        return
    sets = ", ".join(f'"{c}" = ?' for c in cols)
    conn.exec_driver_sql(
        f'UPDATE "{t}" SET {sets}, version = version + 1 WHERE id = ?',
        (*(catalog.to_sqlite(info.kinds[c], fields[c]) for c in cols), r),
    )


def _drop_local_reference(conn: Connection) -> int:
    """After HQ's first snapshot, drop the reference rows this register seeded itself.

    Rows HQ sent have log entries; seeded ones do not. A seeded row something refers to
    stays (its reference would break), and so does a table HQ sent nothing for.
    """
    dropped = 0
    for table in catalog.REFERENCE_TABLES:
        if not conn.exec_driver_sql(
            "SELECT count(*) FROM sync_change WHERE tbl = ?", (table,)
        ).scalar():
            continue
        ids = conn.exec_driver_sql(
            f'SELECT id FROM "{table}" WHERE stronghold_code IS NULL AND id NOT IN '
            f"(SELECT row_id FROM sync_change WHERE tbl = ?)",
            (table,),
        ).fetchall()
        for (row_id,) in ids:
            conn.exec_driver_sql("SAVEPOINT drop_seed")
            try:
                conn.exec_driver_sql(f'DELETE FROM "{table}" WHERE id = ?', (row_id,))
                conn.exec_driver_sql("RELEASE drop_seed")
                dropped += 1
            except Exception:  # a row something refers to: keep it
                conn.exec_driver_sql("ROLLBACK TO drop_seed")
                conn.exec_driver_sql("RELEASE drop_seed")
    return dropped


def _check_header(header: dict[str, Any], state: DeviceState) -> None:
    if header.get("kind") != "reply":
        raise BundleInvalid(detail="not a reply from headquarters")
    schema = header.get("schema")
    if not isinstance(schema, str) or schema not in versions.known():
        raise SchemaTooNew(schema=str(schema)[:20])
    for key in ("seq", "cursor", "acked_upto"):
        value = header.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise BundleInvalid(detail=key)
    if not isinstance(header.get("seq"), int) or not isinstance(header.get("cursor"), int):
        raise BundleInvalid(detail="seq")


def open_reply(reg: Register, data: bytes) -> tuple[DeviceState, bundle.Opened]:
    with reg.engine.connect() as conn:
        state = require_state(conn)

    def sender_key(clear: dict[str, Any]) -> bytes:
        if clear["from"] != state.hq.hq_id:
            raise UnknownSender(sender=str(clear["from"])[:40])
        return state.hq.sign_pub

    opened = bundle.open_bundle(data, state.keys, sender_key, kind="reply")
    _check_header(opened.header, state)
    return state, opened


def import_reply(
    reg: Register,
    data: bytes,
    *,
    transport: str = "usb",
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Applied:
    """Apply HQ's reply bundle in one transaction; refuse it whole if any check fails."""
    try:
        with changes.gc_paused():
            return _import_reply(reg, data, transport=transport, progress=progress, cancel=cancel)
    except BundleRefused as exc:
        raise as_reply_error(exc) from exc


def _import_reply(
    reg: Register,
    data: bytes,
    *,
    transport: str,
    progress: Progress | None,
    cancel: threading.Event | None,
) -> Applied:
    state, opened = open_reply(reg, data)
    header = opened.header
    incoming = changes.parse_all(opened.lines, from_hq=True)
    own = reg.stronghold_code
    for c in incoming:
        if c.get("s") not in (own, None):
            raise ForeignRows(stronghold=str(c.get("s"))[:16])
    _check_cancel(cancel)
    with reg.write_engine.begin() as conn:
        state = require_state(conn)
        done = conn.exec_driver_sql(
            "SELECT count(*) FROM sync_bundle WHERE bundle_id = ? AND direction = 'in'",
            (header["bundle"],),
        ).scalar()
        if done:
            return Applied(already_applied=True, bundle_id=header["bundle"])
        if header["seq"] <= state.reply_seq:
            raise BundleReplayed()
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        capture.set_capture(conn, False)
        acked_upto = header.get("acked_upto")
        acked = 0
        if isinstance(acked_upto, int) and acked_upto > state.acked_upto:
            # Counted as "Sent" and "Not yet sent to HQ" count: the audit entries that
            # travel along are not the user's changes.
            acked = conn.exec_driver_sql(
                "SELECT count(*) FROM sync_change WHERE origin IS NULL AND seq > ? AND seq <= ? "
                f"AND tbl != '{catalog.AUDIT_TABLE}'",
                (state.acked_upto, acked_upto),
            ).scalar()
            conn.exec_driver_sql(
                "UPDATE sync_device SET acked_upto = ? WHERE id = 1", (acked_upto,)
            )
        rejected = header.get("rejected") or []
        for item in rejected:
            conn.exec_driver_sql(
                "UPDATE sync_change SET state = 2, reason = ? WHERE change_id = ? "
                "AND origin IS NULL",
                (
                    changes.dumps({"code": item.get("code"), "params": item.get("params")}),
                    item["i"],
                ),
            )
        # After the acknowledgements: only edits made since the export stay pending.
        settled = set()
        for item in header.get("rekeys") or ():
            if _rekey(conn, item):
                settled.add((item["t"], item["to"]))
        for item in header.get("restores") or ():
            if catalog.table(item.get("t", "")) is not None:
                _restore(conn, item)
        applied = apply_remote(
            conn, incoming, cancel=cancel, progress=progress, settled=frozenset(settled)
        )
        applied.updated += _retry_parked(conn)
        applied.acknowledged = acked
        applied.rejected = list(rejected)
        applied.bundle_id = header["bundle"]
        applied.snapshot = bool(header.get("snapshot"))
        if applied.snapshot:
            _drop_local_reference(conn)
        stamps = [c["h"] for c in incoming]
        wall, counter = conn.exec_driver_sql(
            "SELECT wall, counter FROM sync_clock WHERE id = 1"
        ).one()
        if stamps:
            wall, counter = hlc.advance(wall, counter, [max(stamps)])
        conn.exec_driver_sql(
            "UPDATE sync_clock SET wall = ?, counter = ? WHERE id = 1", (wall, counter)
        )
        enrolled = state.state == "pending" and bool(header.get("enrolled"))
        applied.enrolled = enrolled
        now = _now_text()
        conn.exec_driver_sql(
            "UPDATE sync_device SET cursor = ?, reply_seq = ?, last_import_at = ?, "
            "last_error = NULL, state = CASE WHEN ? THEN 'enrolled' ELSE state END, "
            "code = CASE WHEN ? THEN NULL ELSE code END, "
            "enrolled_at = CASE WHEN ? THEN ? ELSE enrolled_at END WHERE id = 1",
            (header["cursor"], header["seq"], now, enrolled, enrolled, enrolled, now),
        )
        number = header.get("device_number")
        if isinstance(number, int) and not isinstance(number, bool) and number > 0:
            conn.exec_driver_sql(
                "INSERT OR REPLACE INTO local_state (key, value) VALUES (?, ?)",
                (DEVICE_NUMBER_KEY, str(number)),
            )
        applied.more = header.get("more") is True
        if applied.more and applied.snapshot:
            conn.exec_driver_sql(
                "INSERT OR REPLACE INTO local_state (key, value) VALUES (?, '1')", (RESUME_KEY,)
            )
        else:
            conn.exec_driver_sql("DELETE FROM local_state WHERE key = ?", (RESUME_KEY,))
        conn.exec_driver_sql(
            "INSERT INTO sync_bundle (bundle_id, direction, seq, at, transport, summary) "
            "VALUES (?, 'in', ?, ?, ?, ?)",
            (header["bundle"], header["seq"], now, transport, changes.dumps(applied.as_dict())),
        )
        capture.set_capture(conn, True)
        audit_in(
            conn,
            reg,
            "sync_import",
            received=applied.received,
            conflicts=applied.conflicts,
            rejected=len(rejected),
            transport=transport,
        )
        _check_cancel(cancel)
    if progress:
        progress(len(incoming), len(incoming))
    log.info(
        "reply applied: %d received, %d skipped, %d conflicts",
        applied.received,
        applied.skipped,
        applied.conflicts,
    )
    return applied


def remember_url(reg: Register, url: str) -> None:
    with reg.write_engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sync_device SET hq_url = ? WHERE id = 1", (url,))


def record_error(reg: Register, message: str, *, unconfirmed: str | None = None) -> None:
    """Keep the last error; ``unconfirmed``: a bundle sent over the network that HQ did not
    answer, so the history does not show it as gone (its changes wait for the next try).

    The history keeps the latest unanswered attempt only: offline for a day, the
    background sync tries some thirty times, and each try would add a row of its own.
    """
    with reg.write_engine.begin() as conn:
        conn.exec_driver_sql("UPDATE sync_device SET last_error = ? WHERE id = 1", (message,))
        if unconfirmed is not None:
            conn.exec_driver_sql(
                "DELETE FROM sync_bundle WHERE direction = 'out' AND bundle_id != ? "
                "AND json_extract(summary, '$.unconfirmed') = 1",
                (unconfirmed,),
            )
            conn.exec_driver_sql(
                "UPDATE sync_bundle SET summary = json_set(coalesce(summary, '{}'), "
                "'$.unconfirmed', json('true')) WHERE bundle_id = ? AND direction = 'out'",
                (unconfirmed,),
            )


# --- local edits made by sync itself (conflict resolution) ------------------------------


def write_local(conn: Connection, table: str, row_id: str, values: dict[str, Any]) -> None:
    """Set fields and log them as a local change even where the value does not change.

    Resolving a conflict by keeping the value that already won must still travel, so the
    other computers see the field decided; a trigger would log nothing for it.
    """
    info = catalog.tables()[table]
    values = {**values, "updated_at": _now_text()}
    capture.set_capture(conn, False)
    sets = ", ".join(f'"{c}" = ?' for c in values)
    conn.exec_driver_sql(
        f'UPDATE "{table}" SET {sets}, version = version + 1 WHERE id = ?',
        (*(catalog.to_sqlite(info.kinds[c], v) for c, v in values.items()), row_id),
    )
    conn.exec_driver_sql(capture.ADVANCE_CLOCK)
    conn.exec_driver_sql(
        f"INSERT INTO sync_change (seq, change_id, tbl, row_id, op, hlc, fields) "
        f"SELECT c.seq, {capture.CHANGE_ID}, ?, ?, 'u', {capture.STAMP}, ? "
        f"FROM sync_clock AS c WHERE c.id = 1",
        (table, row_id, changes.dumps(values)),
    )
    capture.set_capture(conn, True)


def audit_in(
    conn: Connection,
    reg: Register,
    action: str,
    *,
    table: str = "",
    record: str | None = None,
    **details: Any,
) -> None:
    """An audit entry in the caller's transaction (ids, codes and counts only)."""
    with Session(bind=conn) as s:
        audit.append(
            s,
            device_id=reg.device_id,
            stronghold_code=reg.stronghold_code,
            user_login=reg.user.login,
            action=action,
            table_name=table,
            record_id=uuid.UUID(record) if record else None,
            details=details,
        )
        s.flush()
