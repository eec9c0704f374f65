"""The outbox: an `events` table written with each change, and the feed head.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UNPOSITIONED = sa.text("id IS NULL")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", BigId, primary_key=True),
        sa.Column("id", sa.BigInteger(), nullable=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_events"),
        sa.UniqueConstraint("id", name="uq_events_id"),
    )
    op.create_index(
        "ix_events_unpositioned",
        "events",
        ["seq"],
        sqlite_where=UNPOSITIONED,
        postgresql_where=UNPOSITIONED,
    )
    op.create_index("ix_events_type_id", "events", ["type", "id"])
    feed = op.create_table(
        "event_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_event_feed"),
    )
    op.bulk_insert(feed, [{"id": 1, "last_id": 0}])


def downgrade() -> None:
    op.drop_table("event_feed")
    op.drop_index("ix_events_type_id", table_name="events")
    op.drop_index("ix_events_unpositioned", table_name="events")
    op.drop_table("events")
