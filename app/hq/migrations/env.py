"""Alembic environment for HQ's own tables; runs on a connection handed in by app.hq.db."""

from __future__ import annotations

from alembic import context

from app.hq.db import HQ_VERSION_TABLE, metadata

target_metadata = metadata


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=HQ_VERSION_TABLE,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
