"""Reorder crossings, warnings stored on purchase orders, and background job cursors.

- `par_levels.below_since`: when the line last went to or below its reorder point (null while
  above). The reorder watcher flips it with a conditional UPDATE, so each crossing raises
  `stock.below_reorder_point` once, however many scans follow it below the point.
- `purchase_order_warnings`: `not_on_order` / `over_received` receipts, kept on the PO as
  well as answered on the scan, so a buyer sees them later.
- `job_cursors`: how far each background job has read the event feed; advanced in the same
  transaction as the job's work, so a crash neither loses nor repeats it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("par_levels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("below_since", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "purchase_order_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purchase_order_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("scan_key", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_purchase_order_warnings_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_warnings_purchase_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_warnings")),
    )
    with op.batch_alter_table("purchase_order_warnings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_purchase_order_warnings_po", ["purchase_order_id", "id"], unique=False
        )

    op.create_table(
        "job_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_cursors")),
    )


def downgrade() -> None:
    op.drop_table("job_cursors")
    with op.batch_alter_table("purchase_order_warnings", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_order_warnings_po")

    op.drop_table("purchase_order_warnings")
    with op.batch_alter_table("par_levels", schema=None) as batch_op:
        batch_op.drop_column("below_since")
