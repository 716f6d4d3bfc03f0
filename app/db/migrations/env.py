"""Alembic environment: runs on a connection handed in by app.db.migrate, never a URL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import app.domain  # noqa: F401  registers the tables on SQLModel.metadata
import app.sync.capture  # noqa: F401  the device's sync tables, so autogenerate keeps them

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
