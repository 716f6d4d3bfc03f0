"""Search index: FTS5 over folded name keys and identifiers, kept in step by triggers.

Revision ID: 0002
Revises: 0001

The statements live in app.search.index (the self-repair after a batch table copy
runs the same ones); installing is idempotent, so a later revision that changes the
index calls ``install`` and ``rebuild`` again. The key functions the triggers call are
registered on every connection by app.db.engine.connect_raw.

Autogenerate does not know these tables (FTS5 is not in SQLModel.metadata): drop any
``drop_table`` it proposes for person_fts*, person_search_doc or search_term.
"""

from __future__ import annotations

import logging

from alembic import context, op

from app.search import index

log = logging.getLogger(__name__)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if context.config.attributes.get("tayanch_role") == "hq" or conn.dialect.name != "sqlite":
        return  # HQ's database (SQLite or PostgreSQL) has no person search
    if not index.can_install(conn):
        # An engine made without app.db.engine.connect_raw: the triggers would fail on
        # every person write. The search service installs the index on first use.
        log.warning("search index not installed: the key functions are not registered")
        return
    index.install(conn)
    index.rebuild(conn)  # persons already in a 0001 register


def downgrade() -> None:
    conn = op.get_bind()
    if context.config.attributes.get("tayanch_role") == "hq" or conn.dialect.name != "sqlite":
        return
    for sql in index.DROP:
        op.execute(sql)
