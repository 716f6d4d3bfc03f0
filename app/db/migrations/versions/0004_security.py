"""Security: indexes for the audit chain and the Audit screen.

Revision ID: 0004
Revises: 0003

Appending an entry looks up the device's newest one, verifying walks a device's chain
in order, and the Audit screen filters by user and by date: each gets an index, so a
register with years of entries stays quick. The login back-off lives outside the
database (app/db/keys.py), because it must work before the key is known.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_device_seq", ["device_id", "seq"], unique=False)
        batch_op.create_index("ix_audit_entry_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_entry_user_login", ["user_login"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_user_login")
        batch_op.drop_index("ix_audit_entry_at")
        batch_op.drop_index("ix_audit_entry_device_seq")
