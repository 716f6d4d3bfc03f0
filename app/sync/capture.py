"""Change capture on the device: SQL triggers that log every write to the outbox.

Triggers, not ORM events, because rows are also written by bulk imports, the demo
generator, migrations and plain SQL; a trigger sees them all, in the same transaction as
the write. Each change gets the next device sequence number and a hybrid logical clock
stamp from the one-row ``sync_clock`` table, advanced inside the trigger, so both are
assigned in write order and the same way on every run.

Applying changes that came from elsewhere sets ``sync_clock.capture`` to 0 inside the
applying transaction, so they are not echoed back as local changes.

The triggers are generated from the tables as they are in the file (``PRAGMA
table_info``), not from the Python models: a later migration that adds a column or a
table re-runs ``refresh_triggers`` at the end of the upgrade (app/db/migrate.py), and a
batch-mode alter, which drops the table's triggers with the old table, gets them back.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import SQLModel

from app.sync.catalog import LOCAL_COLUMNS, NOT_REPLICATED, REPLICATED_COLUMNS

log = logging.getLogger(__name__)

TRIGGER_PREFIX = "sync_capture_"
CAPTURING = "(SELECT capture FROM sync_clock WHERE id = 1) = 1"
NOW_MS = "CAST(unixepoch('subsec') * 1000 AS INTEGER)"
ADVANCE_CLOCK = f"""UPDATE sync_clock SET
    wall = max(wall, {NOW_MS}),
    counter = CASE WHEN {NOW_MS} > wall THEN 0 ELSE counter + 1 END,
    seq = seq + 1
  WHERE id = 1;"""
STAMP = "printf('%013d-%06d-%s', c.wall, c.counter, c.node)"
CHANGE_ID = "lower(hex(randomblob(16)))"

# The device's own tables. They are declared on SQLModel.metadata (not as models: nothing
# but sync reads them) so that alembic's autogenerate and the schema check know them; the
# migration creates them from these definitions.
_meta = SQLModel.metadata

sync_clock = Table(
    "sync_clock",
    _meta,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("wall", Integer, nullable=False),
    Column("counter", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("node", Text, nullable=False),
    Column("capture", Integer, nullable=False),
    CheckConstraint("id = 1", name="ck_sync_clock_single"),
)

# The change log: this device's changes (the outbox, origin NULL) and the changes applied
# from HQ (origin set), in the order they happened here (n). state: 0 this device's change
# (pending while seq > sync_device.acked_upto: HQ's acknowledgement is one number, not a
# write per change), 2 refused by HQ (reason says why), 3 received from HQ.
sync_change = Table(
    "sync_change",
    _meta,
    Column("n", Integer, primary_key=True),
    Column("seq", Integer),
    Column("change_id", Text, nullable=False, unique=True),
    Column("tbl", Text, nullable=False),
    Column("row_id", Text, nullable=False),
    Column("op", Text, nullable=False),
    Column("hlc", Text, nullable=False),
    Column("fields", Text, nullable=False),
    Column("clocks", Text),
    Column("origin", Text),
    Column("state", Integer, nullable=False, server_default=text("0")),
    Column("reason", Text),
    Index("ix_sync_change_row", "tbl", "row_id"),
    Index("ix_sync_change_local", "seq", sqlite_where=text("origin IS NULL")),
)

sync_conflict = Table(
    "sync_conflict",
    _meta,
    Column("id", Text, primary_key=True),
    Column("tbl", Text, nullable=False),
    Column("row_id", Text, nullable=False),
    Column("field", Text, nullable=False),
    Column("local_value", Text),
    Column("remote_value", Text),
    Column("local_hlc", Text, nullable=False),
    Column("remote_hlc", Text, nullable=False),
    Column("winner", Text, nullable=False),
    Column("remote_origin", Text),
    Column("created_at", Text, nullable=False),
    Column("resolved_at", Text),
    Column("resolution", Text),
    UniqueConstraint(
        "tbl", "row_id", "field", "local_hlc", "remote_hlc", name="uq_sync_conflict_pair"
    ),
)

# This device's keys (inside the encrypted file), HQ's pinned keys and the cursors.
sync_device = Table(
    "sync_device",
    _meta,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("device_id", Text, nullable=False),
    Column("sign_seed", LargeBinary, nullable=False),
    Column("box_secret", LargeBinary, nullable=False),
    Column("hq_id", Text, nullable=False),
    Column("hq_sign_pub", LargeBinary, nullable=False),
    Column("hq_box_pub", LargeBinary, nullable=False),
    Column("hq_url", Text),
    Column("code", Text),
    Column("replaces", Text),  # this computer's identity before it enrolled again
    Column("state", Text, nullable=False),
    Column("enrolled_at", Text),
    Column("cursor", Integer, nullable=False, server_default=text("0")),
    Column("acked_upto", Integer, nullable=False, server_default=text("0")),
    Column("export_seq", Integer, nullable=False, server_default=text("0")),
    Column("reply_seq", Integer, nullable=False, server_default=text("0")),
    Column("last_export_at", Text),
    Column("last_import_at", Text),
    Column("last_error", Text),
    CheckConstraint("id = 1", name="ck_sync_device_single"),
)

# What came and went: one row per bundle, for the Sync screen's report.
sync_bundle = Table(
    "sync_bundle",
    _meta,
    Column("bundle_id", Text, primary_key=True),
    Column("direction", Text, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", Text, nullable=False),
    Column("transport", Text, nullable=False),
    Column("summary", Text, nullable=False),
)

# Changes for rows this device does not have yet; retried at every import.
sync_parked = Table(
    "sync_parked",
    _meta,
    Column("change_id", Text, primary_key=True),
    Column("payload", Text, nullable=False),
)

DEVICE_TABLES = (sync_clock, sync_change, sync_conflict, sync_device, sync_bundle, sync_parked)


def replicated_tables(conn: Any) -> dict[str, list[tuple[str, str, bool]]]:
    """Tables in the file that carry the replicated columns, with (column, declared type,
    NOT NULL)."""
    names = [
        r[0]
        for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'sync_%' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name"
        ).fetchall()
    ]
    out = {}
    for name in names:
        if name in NOT_REPLICATED:
            continue
        cols = [
            (r[1], (r[2] or "").upper(), bool(r[3]))
            for r in conn.exec_driver_sql(f'PRAGMA table_info("{name}")').fetchall()
        ]
        if REPLICATED_COLUMNS <= {c[0] for c in cols}:
            out[name] = cols
    return out


def _value(ref: str, column: str, decl: str) -> str:
    expr = f'{ref}."{column}"'
    if "BLOB" in decl or "BINARY" in decl:
        return f"CASE WHEN {expr} IS NULL THEN NULL ELSE lower(hex({expr})) END"
    return expr


def _neutral(column: str, decl: str, notnull: bool) -> str:
    """The condition under which an insert's value differs from the column's neutral one.

    An insert leaves out values equal to what a receiver fills in for a missing column
    (NULL, or '' and 0 for NOT NULL text and numbers; see changes.fill_missing): most
    columns of a new row are empty, and a 50,000-row bundle is read faster without them.
    """
    ref = f'NEW."{column}"'
    if notnull and any(t in decl for t in ("CHAR", "TEXT", "CLOB")):
        return f"{ref} IS NOT ''"
    if notnull and any(t in decl for t in ("INT", "BOOL")):
        return f"{ref} IS NOT 0"
    return f"{ref} IS NOT NULL"


def trigger_sql(table: str, columns: list[tuple[str, str, bool]]) -> list[str]:
    """The three capture triggers of one table (insert, update, delete)."""
    synced = [c for c in columns if c[0] != "id"]
    tracked = [c for c in synced if c[0] not in LOCAL_COLUMNS]
    insert_parts = " UNION ALL ".join(
        f"SELECT '{c}' AS k, {_value('NEW', c, d)} AS v WHERE {_neutral(c, d, nn)}"
        for c, d, nn in synced
    )
    any_change = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c, _d, _n in tracked)
    diff = " UNION ALL ".join(
        f'SELECT \'{c}\' AS k, {_value("NEW", c, d)} AS v WHERE OLD."{c}" IS NOT NEW."{c}"'
        for c, d, _n in tracked
    )
    owned = "{ref}.stronghold_code IS NOT NULL"
    p = TRIGGER_PREFIX
    return [
        f"""CREATE TRIGGER "{p}i_{table}" AFTER INSERT ON "{table}"
WHEN {CAPTURING} AND {owned.format(ref="NEW")}
BEGIN
  {ADVANCE_CLOCK}
  INSERT INTO sync_change (seq, change_id, tbl, row_id, op, hlc, fields)
  SELECT c.seq, {CHANGE_ID}, '{table}', NEW.id, 'i', {STAMP}, d.j
  FROM sync_clock AS c, (SELECT json_group_object(k, v) AS j FROM ({insert_parts})) AS d
  WHERE c.id = 1;
END""",
        f"""CREATE TRIGGER "{p}u_{table}" AFTER UPDATE ON "{table}"
WHEN {CAPTURING} AND ({owned.format(ref="NEW")} OR {owned.format(ref="OLD")})
  AND ({any_change})
BEGIN
  {ADVANCE_CLOCK}
  INSERT INTO sync_change (seq, change_id, tbl, row_id, op, hlc, fields)
  SELECT c.seq, {CHANGE_ID}, '{table}', NEW.id, 'u', {STAMP}, d.j
  FROM sync_clock AS c, (SELECT json_group_object(k, v) AS j FROM ({diff})) AS d
  WHERE c.id = 1;
END""",
        # A row deleted outside the services travels as a tombstone: others keep theirs.
        f"""CREATE TRIGGER "{p}d_{table}" AFTER DELETE ON "{table}"
WHEN {CAPTURING} AND {owned.format(ref="OLD")}
BEGIN
  {ADVANCE_CLOCK}
  INSERT INTO sync_change (seq, change_id, tbl, row_id, op, hlc, fields)
  SELECT c.seq, {CHANGE_ID}, '{table}', OLD.id, 'd', {STAMP},
         json_object('deleted', 1, 'updated_at', strftime('%Y-%m-%d %H:%M:%f000', 'now'))
  FROM sync_clock AS c WHERE c.id = 1;
END""",
    ]


def create_device_tables(conn: Any) -> None:
    for table in DEVICE_TABLES:
        table.create(conn, checkfirst=True)
    if conn.exec_driver_sql("SELECT count(*) FROM sync_clock").scalar() == 0:
        conn.exec_driver_sql(
            "INSERT INTO sync_clock (id, wall, counter, seq, node, capture) VALUES (1, 0, 0, 0, ?, 1)",
            (secrets.token_hex(8),),
        )


def drop_triggers(conn: Any) -> None:
    rows = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?",
        (TRIGGER_PREFIX + "%",),
    ).fetchall()
    for (name,) in rows:
        conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}"')


def refresh_triggers(conn: Any) -> int:
    """(Re)create the capture triggers of every replicated table; return how many tables.

    A no-op on a database without the sync tables (HQ, or before migration 0003).
    """
    has_clock = conn.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sync_clock'"
    ).scalar()
    if not has_clock:
        return 0
    drop_triggers(conn)
    found = replicated_tables(conn)
    for table, columns in found.items():
        for sql in trigger_sql(table, columns):
            conn.exec_driver_sql(sql)
    log.debug("capture triggers installed on %d tables", len(found))
    return len(found)


def backfill(conn: Any) -> int:
    """Log every existing row once, as an insert: a register that had data before sync
    existed sends all of it in its first bundle. Rows are logged oldest first."""
    total = 0
    for table, columns in replicated_tables(conn).items():
        synced = [(c, d) for c, d, _n in columns if c != "id"]
        obj = ", ".join(f"'{c}', {_value('t', c, d)}" for c, d in synced)
        clock = conn.exec_driver_sql("SELECT wall, counter, seq, node FROM sync_clock").one()
        wall = max(clock[0], _now_ms(conn))
        n = conn.exec_driver_sql(
            f"""INSERT INTO sync_change (seq, change_id, tbl, row_id, op, hlc, fields)
            SELECT ? + r.k, {CHANGE_ID}, '{table}', r.id, 'i',
                   printf('%013d-%06d-%s', ?, ? + r.k, ?), r.j
            FROM (SELECT t.id AS id, row_number() OVER (ORDER BY t.created_at, t.id) AS k,
                         json_object({obj}) AS j
                  FROM "{table}" AS t WHERE t.stronghold_code IS NOT NULL) AS r
            ORDER BY r.k""",
            (clock[2], wall, clock[1], clock[3]),
        ).rowcount
        if n:
            conn.exec_driver_sql(
                "UPDATE sync_clock SET wall = ?, counter = counter + ?, seq = seq + ?",
                (wall, n, n),
            )
            total += n
    return total


def _now_ms(conn: Any) -> int:
    return conn.exec_driver_sql(f"SELECT {NOW_MS}").scalar()


def set_capture(conn: Any, on: bool) -> None:
    """Switch capture for the current transaction's writes (restored by rollback)."""
    conn.exec_driver_sql("UPDATE sync_clock SET capture = ? WHERE id = 1", (1 if on else 0,))
