"""HQ keeps none of the device's person-list and search-by-document indexes.

The shared migrations give HQ's person table the indexes a register's window needs: the
person list in surname order (0006) and the look-ups by PINFL and passport number. HQ has
no such screen and runs no such query (it reads persons by id, and by stronghold for the
district report); each of these indexes only made every person HQ receives cost three
more B-tree insertions, a tenth of importing a 50,000-person bundle.

A later shared migration that alters one of these indexes must skip HQ
(``tayanch_role == "hq"``), as 0003 does for the device's sync tables.

Revision ID: h0002
Revises: h0001
"""

from __future__ import annotations

from alembic import op

revision = "h0002"
down_revision = "h0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_person_list": "person (deleted, surname, given_name, id)",
    "ix_person_pinfl": "person (pinfl)",
    "ix_person_passport": "person (passport)",
}


def upgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")


def downgrade() -> None:
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {columns}")
