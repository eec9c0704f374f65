"""GTIN, UPC and EAN identifiers share one number space: unique across those kinds.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = sa.text("kind IN ('gtin', 'upc', 'ean')")


def upgrade() -> None:
    op.create_index(
        "uq_item_identifiers_gtin_value",
        "item_identifiers",
        ["value"],
        unique=True,
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("uq_item_identifiers_gtin_value", table_name="item_identifiers")
