"""Schema migrations with alembic, run at start-up on the already keyed connection."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from app.errors import SchemaTooNewError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def check_not_newer(conn: Connection) -> str | None:
    """The register's revision; refuse a register written by a newer app."""
    current = current_revision(conn)
    if current is not None and current not in known_revisions():
        raise SchemaTooNewError(found=current)
    return current


def needs_upgrade(engine: Engine) -> bool:
    with engine.connect() as conn:
        return check_not_newer(conn) != head_revision()


def upgrade(engine: Engine) -> None:
    """Bring the schema to head in one transaction (SQLite runs DDL transactionally)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        before = check_not_newer(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        # Sync's capture triggers follow the tables as migrated (a batch alter drops them).
        from app.sync.capture import refresh_triggers

        refresh_triggers(conn)
    log.info("schema migrated from %s to %s", before, head_revision())
