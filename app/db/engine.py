"""SQLAlchemy engines over SQLCipher files.

The plain ``sqlite`` dialect is used with ``sqlcipher3`` as its DB-API module, so
SQLAlchemy translates SQLCipher's exceptions as it does SQLite's, and a ``creator`` that
sets the key before anything else touches the file.
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlcipher3
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import QueuePool

from app.search.keys import register_sql_functions

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


def connect_raw(path: Path, key: bytes) -> sqlcipher3.Connection:
    """A keyed DB-API connection, with the pragmas every connection needs."""
    conn = sqlcipher3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    # Reading the schema proves the key: a wrong key fails here, not at the first query.
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    register_sql_functions(conn)  # the search index triggers call them
    return conn


def writer(engine: Engine) -> Engine:
    """The same engine (same pool), but its transactions take the write lock at BEGIN."""
    return engine.execution_options(write=True)


def make_engine(path: Path, key: bytes, *, pool_size: int = 4) -> Engine:
    engine = create_engine(
        "sqlite://",
        module=sqlcipher3,
        creator=lambda: connect_raw(path, key),
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=2,
    )

    # pysqlite's own transaction handling defers BEGIN badly; take it over, as the
    # SQLAlchemy docs advise, so a unit of work is one real transaction.
    @event.listens_for(engine, "connect")
    def _no_autobegin(dbapi_conn, _record):
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # Writers take the write lock up front, so two writers queue on busy_timeout
        # instead of one failing halfway; readers never block anyone in WAL mode.
        immediate = conn.get_execution_options().get("write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
