"""Usage is read per (location, item) over a window of time: the reorder list sums what left
each par level's location for its item over the last days. An index in that order lets it
read just those movements (the reorder list of 118,000 par levels over a year of movements
read nearly all of them before: bench/reorder_bench.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_movements_usage", "movements", ["from_location_id", "item_id", "occurred_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_movements_usage", table_name="movements")
