"""HQ's database: the shared register tables plus HQ's own (devices, change log, ...).

The shared tables come from the same alembic migrations as a device's register (run with
``tayanch_role = "hq"``, so the device-only sync step adds nothing); HQ's own tables
have their own short chain in app/hq/migrations, versioned in ``hq_alembic_version``.

Default: a plain SQLite file in the data folder. Not SQLCipher: HQ runs unattended, so
its key would have to sit in a file next to the database and would protect nothing a
disk-encrypted server does not; the files are created readable by their owner only.
Production: PostgreSQL through ``postgresql+psycopg://``.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.pool import QueuePool

from app.db import migrate
from app.errors import SchemaTooNewError
from app.sync import versions

log = logging.getLogger(__name__)

HQ_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HQ_VERSION_TABLE = "hq_alembic_version"
DB_FILE = "hq.db"
BUSY_TIMEOUT_MS = 30_000

metadata = MetaData()

DEVICE_NUMBER_PREFIX = "device_number:"


def device_number_key(of: str) -> str:
    """hq_meta's key for a device's number among its stronghold's computers (``of`` the
    device's id), and hq_counter's name for the counter that gives them (``of`` the
    stronghold's code)."""
    return DEVICE_NUMBER_PREFIX + of


hq_meta = Table(
    "hq_meta",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("value", Text, nullable=False),
)

hq_device = Table(
    "hq_device",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("stronghold_code", String(16), nullable=False, index=True),
    Column("label", String(200), nullable=False, default=""),
    # The same computer's earlier identity (it enrolled again): its changes count as known.
    Column("replaces", String(64)),
    Column("sign_pub", String(64), nullable=False),
    Column("box_pub", String(64), nullable=False),
    Column("enrolled_at", String(32), nullable=False),
    Column("revoked_at", String(32)),
    Column("last_sync_at", String(32)),
    Column("last_transport", String(8)),
    Column("last_bundle_seq", BigInteger, nullable=False, default=0),
    Column("confirmed_cursor", BigInteger, nullable=False, default=0),
    Column("sent_cursor", BigInteger, nullable=False, default=0),
    Column("max_seq_seen", BigInteger, nullable=False, default=0),
    Column("reply_seq", BigInteger, nullable=False, default=0),
    Column("app_version", String(40), nullable=False, default=""),
    Column("schema_rev", String(40), nullable=False, default=""),
    Column("lang", String(8), nullable=False, default=""),
)

hq_enrollment = Table(
    "hq_enrollment",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("stronghold_code", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("used_at", String(32)),
    Column("device_id", String(64)),
)

# Every accepted change, numbered by HQ (server_seq): what devices pull after their cursor.
hq_change = Table(
    "hq_change",
    metadata,
    # INTEGER on SQLite makes it the rowid: no second index to keep for the key.
    Column(
        "server_seq",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
    # Not indexed: a repeated change is found by its device and sequence number
    # (ix_hq_change_origin), which costs nothing to keep in order, unlike a random id.
    Column("change_id", String(64), nullable=False),
    Column("stronghold_code", String(16)),
    Column("tbl", String(40), nullable=False),
    Column("row_id", String(32), nullable=False),
    Column("hlc", String(80), nullable=False),
    Column("payload", Text, nullable=False),
    Column("origin", String(64), nullable=False),
    Column("origin_seq", BigInteger),
    Column("received_at", String(32), nullable=False),
    Index("ix_hq_change_partition", "stronghold_code", "server_seq"),
    Index("ix_hq_change_row", "tbl", "row_id"),
    Index("ix_hq_change_origin", "origin", "origin_seq"),
)

# The counter that numbers changes; its row is locked for the rest of the transaction
# that takes numbers, so numbers are gap-free and commit in order.
hq_counter = Table(
    "hq_counter",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

hq_bundle = Table(
    "hq_bundle",
    metadata,
    Column("bundle_id", String(64), primary_key=True),
    Column("device_id", String(64), nullable=False, index=True),
    Column("seq", BigInteger, nullable=False),
    Column("applied_at", String(32), nullable=False),
    Column("transport", String(8), nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("skipped", Integer, nullable=False),
)

hq_rejected = Table(
    "hq_rejected",
    metadata,
    Column("change_id", String(64), primary_key=True),
    Column("bundle_id", String(64), nullable=False, index=True),
    Column("device_id", String(64), nullable=False),
    Column("tbl", String(40), nullable=False),
    Column("row_id", String(32), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("params", Text, nullable=False),
    Column("fields", Text, nullable=False),
    Column("at", String(32), nullable=False),
    Index("ix_hq_rejected_device", "device_id"),  # each sync reads its device's (h0003)
)

# A device's copy of a row HQ already had under another id (catalog.NATURAL_KEYS).
hq_alias = Table(
    "hq_alias",
    metadata,
    Column("tbl", String(40), primary_key=True),
    Column("row_id", String(32), primary_key=True),
    Column("target_id", String(32), nullable=False),
    Column("device_id", String(64), nullable=False),
    Index("ix_hq_alias_device", "device_id"),  # each sync reads its device's (h0003)
)

hq_conflict = Table(
    "hq_conflict",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("tbl", String(40), nullable=False),
    Column("row_id", String(32), nullable=False),
    Column("field", String(80), nullable=False),
    Column("winner_value", Text),
    Column("loser_value", Text),
    Column("winner_hlc", String(80), nullable=False),
    Column("loser_hlc", String(80), nullable=False),
    Column("stronghold_code", String(16)),
    Column("created_at", String(32), nullable=False),
    Index("ix_hq_conflict_row", "tbl", "row_id", "field"),
)

# Nonces of signed HTTP requests, kept for the accepted clock window (replay guard).
hq_nonce = Table(
    "hq_nonce",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("device_id", String(64), nullable=False),
    Column("at", BigInteger, nullable=False, index=True),
)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{Path(data_dir) / DB_FILE}"


def make_engine(url: str) -> Engine:
    """An engine for HQ's database; SQLite writers take the write lock at BEGIN."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and not Path(path).exists():
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).touch(mode=0o600)
        engine = create_engine(
            url,
            poolclass=QueuePool,
            pool_size=8,
            max_overflow=8,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA cache_size = -65536")  # 64 MB: a 50,000-row bundle's indexes
            cur.execute("PRAGMA wal_autocheckpoint = 0")  # see Checkpointer
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            immediate = conn.get_execution_options().get("write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    # No pre-ping: it would cost a round trip per checkout; a connection that died with
    # the server fails one request, which the device retries.
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_recycle=3600)

    @event.listens_for(engine, "connect")
    def _generic_plans(dbapi_conn, _record):
        # psycopg prepares a statement from its fifth run on a connection, which only the
        # statements every sync runs reach: they are key lookups, whose plan does not
        # depend on the values. PostgreSQL would still plan them again for their first
        # five runs, and some (the device's history: a range from its first change on)
        # at every run, a quarter of a millisecond of its CPU per sync; a generic plan
        # is made once per connection.
        with dbapi_conn.cursor() as cur:
            cur.execute("SET plan_cache_mode = force_generic_plan")
        dbapi_conn.commit()

    return engine


class Checkpointer:
    """Copies SQLite's write-ahead log into the database file on a thread of its own.

    By default SQLite makes that copy inside the commit that grows the log past 1,000
    pages, so whichever sync crosses the line waits for it: about 0.15 s of the reply to a
    50,000-person bundle. HQ switches the automatic copy off on its connections and does
    it here instead, as PostgreSQL's checkpointer does: soon after a sync wrote
    (``soon``), every ``interval`` seconds in any case, and in full (the log emptied) when
    HQ closes. A PASSIVE checkpoint waits for no reader and no writer; what it cannot copy
    yet it copies next time.
    """

    def __init__(self, engine: Engine, interval: float = 5.0) -> None:
        self.engine = engine
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hq-checkpoint", daemon=True)
        self._thread.start()

    def soon(self) -> None:
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join()
        self.checkpoint("TRUNCATE")

    def checkpoint(self, mode: str = "PASSIVE") -> None:
        try:
            raw = self.engine.raw_connection()
            try:
                raw.driver_connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
            finally:
                raw.close()
        except (sqlite3.Error, OSError) as exc:  # the next one tries again
            log.warning("checkpoint of HQ's database failed: %s", exc)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            self.checkpoint()


def writer(engine: Engine) -> Engine:
    return engine.execution_options(write=True)


def reader(engine: Engine) -> Engine:
    """For reads of a statement or two outside the syncs' transactions (a device's key,
    whether a bundle was applied). On PostgreSQL these run outside any transaction: a read
    in one ends with a rollback, and psycopg forgets the connection's prepared statements
    at every rollback, so the next sync on that connection would be planned afresh."""
    return engine if is_sqlite(engine) else engine.execution_options(isolation_level="AUTOCOMMIT")


def _hq_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HQ_MIGRATIONS))
    return cfg


@cache
def hq_head() -> str:
    return ScriptDirectory.from_config(_hq_config()).get_current_head()


def upgrade(engine: Engine) -> None:
    """Bring the shared tables and HQ's own to head; refuse a database from a newer app."""
    with engine.begin() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        if current is not None and current not in versions.known():
            raise SchemaTooNewError(found=current)
        cfg = migrate.alembic_config()
        cfg.attributes["connection"] = conn
        cfg.attributes["tayanch_role"] = "hq"
        command.upgrade(cfg, "head")
    with engine.begin() as conn:
        hq_cfg = _hq_config()
        hq_cfg.attributes["connection"] = conn
        command.upgrade(hq_cfg, "head")
    log.info("HQ database at schema %s / %s", versions.head(), hq_head())


def needs_upgrade(engine: Engine) -> bool:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn)
        shared = ctx.get_current_revision()
        hq = MigrationContext.configure(
            conn, opts={"version_table": HQ_VERSION_TABLE}
        ).get_current_revision()
    if shared is not None and shared not in versions.known():
        raise SchemaTooNewError(found=shared)
    return shared != versions.head() or hq != hq_head()


def restrict_file(path: Path) -> None:
    """Owner-only permissions for HQ's files (database, keys, settings)."""
    try:
        os.chmod(path, 0o600)
    except OSError:
        log.warning("could not restrict permissions of %s", path.name)
