"""The scan log of one item or one location (the web UI's item and location pages, `GET
/scans?item=` / `location=`), read newest first through an index instead of the whole log.
A transfer's destination is indexed only where there is one, so most scans pay for two
index entries, not three.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_scans_item_id", "scans", ["item_id", "id"])
    op.create_index("ix_scans_location_id", "scans", ["location_code", "id"])
    op.create_index(
        "ix_scans_to_location_id",
        "scans",
        ["to_location_code", "id"],
        sqlite_where=sa.text("to_location_code IS NOT NULL"),
        postgresql_where=sa.text("to_location_code IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_scans_to_location_id", table_name="scans")
    op.drop_index("ix_scans_location_id", table_name="scans")
    op.drop_index("ix_scans_item_id", table_name="scans")
