"""Cycle counts, controlled-substance witnesses and scan reversals.

- `count_sessions`: one cycle count of one location (`open` -> `committed`), blind or not;
  the manager's `reason` signs off variances on scheduled items.
- `count_lines`: counted units per item-lot (`lot_id` NULL: the item counted as a whole, from
  barcodes without a lot), with the lot's balance at its first count scan (`baseline`) and
  the last movement id then (`watermark`): movements after it come on top (DESIGN §2).
- `movements.witness`: who witnessed a controlled-substance movement (a name, never a key).
- `scan_reversals`: an applied scan and the scan row that reversed it; the primary key on the
  original makes a second reversal impossible, even under concurrency.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("(CURRENT_TIMESTAMP)")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "count_sessions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("committed_by", sa.String(length=200), nullable=True),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_count_sessions_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_sessions")),
    )
    op.create_index(
        "ix_count_sessions_location_status", "count_sessions", ["location_id", "status"]
    )
    op.create_index(
        "uq_count_sessions_open_location",
        "count_sessions",
        ["location_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "count_lines",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("count_session_id", BIG_ID, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("counted", sa.BigInteger(), nullable=False),
        sa.Column("baseline", sa.BigInteger(), nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=False),
        sa.Column("first_counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "counted >= 0 AND baseline >= 0", name=op.f("ck_count_lines_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["count_session_id"],
            ["count_sessions.id"],
            name=op.f("fk_count_lines_count_session_id_count_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_count_lines_item_id_items")
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_count_lines_lot_id_lots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_lines")),
    )
    op.create_index(
        "uq_count_lines_session_lot",
        "count_lines",
        ["count_session_id", "lot_id"],
        unique=True,
        sqlite_where=sa.text("lot_id IS NOT NULL"),
        postgresql_where=sa.text("lot_id IS NOT NULL"),
    )
    op.create_index(
        "uq_count_lines_session_item_whole",
        "count_lines",
        ["count_session_id", "item_id"],
        unique=True,
        sqlite_where=sa.text("lot_id IS NULL"),
        postgresql_where=sa.text("lot_id IS NULL"),
    )
    op.create_table(
        "scan_reversals",
        sa.Column("scan_id", BIG_ID, nullable=False),
        sa.Column("reversal_scan_id", BIG_ID, nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("reversed_by", sa.String(length=200), nullable=True),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_scan_reversals_scan_id_scans")
        ),
        sa.ForeignKeyConstraint(
            ["reversal_scan_id"],
            ["scans.id"],
            name=op.f("fk_scan_reversals_reversal_scan_id_scans"),
        ),
        sa.PrimaryKeyConstraint("scan_id", name=op.f("pk_scan_reversals")),
        sa.UniqueConstraint("reversal_scan_id", name=op.f("uq_scan_reversals_reversal_scan_id")),
    )
    # A plain nullable column: no table rebuild on SQLite, so the append-only triggers stay.
    op.add_column("movements", sa.Column("witness", sa.String(length=200), nullable=True))


def downgrade() -> None:
    # Native on both (SQLite >= 3.35): a batch rebuild would drop the append-only triggers.
    op.execute("ALTER TABLE movements DROP COLUMN witness")
    op.drop_table("scan_reversals")
    op.drop_index("uq_count_lines_session_item_whole", table_name="count_lines")
    op.drop_index("uq_count_lines_session_lot", table_name="count_lines")
    op.drop_table("count_lines")
    op.drop_index("uq_count_sessions_open_location", table_name="count_sessions")
    op.drop_index("ix_count_sessions_location_status", table_name="count_sessions")
    op.drop_table("count_sessions")
