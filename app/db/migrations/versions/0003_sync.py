"""Sync on the device: change log, clock, conflicts, keys, bundle history, capture triggers.

Upgrading a register that already holds rows logs each of them once as an insert, so its
first bundle carries everything. HQ's database runs the same chain of migrations for the
shared tables; there (``tayanch_role = "hq"``) this step adds nothing: HQ keeps its own
log with server sequence numbers (app/hq/db.py) and has no triggers.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import context, op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _is_hq() -> bool:
    return context.config.attributes.get("tayanch_role") == "hq"


def upgrade() -> None:
    bind = op.get_bind()
    if _is_hq() or bind.dialect.name != "sqlite":
        return
    from app.sync import capture

    capture.create_device_tables(bind)
    capture.backfill(bind)
    capture.refresh_triggers(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if _is_hq() or bind.dialect.name != "sqlite":
        return
    from app.sync import capture

    capture.drop_triggers(bind)
    for table in reversed(capture.DEVICE_TABLES):
        table.drop(bind, checkfirst=True)
