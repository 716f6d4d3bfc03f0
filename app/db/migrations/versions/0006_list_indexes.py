"""Indexes for the persons table's first page and for visit coverage by time.

Measured on 100,000 persons and 1,000,000 visits (bench/ui_bench.py): without them the
quarter's visits take about a second to read and the first persons page sorts the table.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_household_visit_at_household",
        "household_visit",
        ["visited_at", "household_id", "deleted"],
    )
    op.create_index("ix_person_list", "person", ["deleted", "surname", "given_name", "id"])


def downgrade() -> None:
    op.drop_index("ix_person_list", table_name="person")
    op.drop_index("ix_household_visit_at_household", table_name="household_visit")
