"""Schema migrations with alembic, run at start-up on the already keyed connection.

Alembic is imported only when it has work to do: a register already at ``HEAD`` (every
start but the first after an update) is recognised from its ``alembic_version`` row,
which saves importing alembic and reading every revision file (about 0.3 s of each start).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from app.errors import SchemaTooNewError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The newest revision in migrations/versions (tests/core checks it is alembic's head).
HEAD = "0007"


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def check_not_newer(conn: Connection) -> str | None:
    """The register's revision; refuse a register written by a newer app."""
    current = current_revision(conn)
    if current is not None and current not in known_revisions():
        raise SchemaTooNewError(found=current)
    return current


def needs_upgrade(engine: Engine) -> bool:
    with engine.connect() as conn:
        try:
            if conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD:
                return False
        except DBAPIError:
            conn.rollback()  # no alembic_version table yet: alembic decides below
        return check_not_newer(conn) != head_revision()


def upgrade(engine: Engine) -> None:
    """Bring the schema to head in one transaction (SQLite runs DDL transactionally)."""
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        before = check_not_newer(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        # Sync's capture triggers follow the tables as migrated (a batch alter drops them).
        from app.sync.capture import refresh_triggers

        refresh_triggers(conn)
    log.info("schema migrated from %s to %s", before, head_revision())
