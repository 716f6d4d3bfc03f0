"""HQ's own tables: devices, enrolment codes, the numbered change log, bundles, aliases.

Revision ID: h0001
Revises:
"""

from __future__ import annotations

from alembic import op

from app.hq.db import metadata

revision = "h0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "hq_meta",
    "hq_device",
    "hq_enrollment",
    "hq_change",
    "hq_counter",
    "hq_bundle",
    "hq_rejected",
    "hq_alias",
    "hq_conflict",
    "hq_nonce",
)


def upgrade() -> None:
    bind = op.get_bind()
    # The table definitions of this first revision are app.hq.db's; later revisions
    # alter them with explicit operations.
    metadata.create_all(bind, tables=[metadata.tables[name] for name in TABLES])
    op.execute("INSERT INTO hq_counter (name, value) VALUES ('server_seq', 0)")


def downgrade() -> None:
    bind = op.get_bind()
    metadata.drop_all(bind, tables=[metadata.tables[name] for name in TABLES])
