"""Recalls (by item and lot number, `*` for every lot), the expiry sweep's notices, and
DSCSA serial numbers (where each serialised pack is; movements keep the serial they moved).

A recall is kept by lot number, not by lot row: a number matches every expiry it was received
with and later receipts of it. `expiry_notices` makes each `lot.expiring` / `lot.expired` /
`kit.expiring` event happen once (its primary key is claimed by the sweep that raises it).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("(CURRENT_TIMESTAMP)")


def upgrade() -> None:
    op.create_table(
        "recalls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_recalls_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recalls")),
    )
    op.create_table(
        "recall_lots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recall_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot_number", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_recall_lots_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["recall_id"],
            ["recalls.id"],
            name=op.f("fk_recall_lots_recall_id_recalls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_lots")),
    )
    op.create_index("ix_recall_lots_item_lot", "recall_lots", ["item_id", "lot_number"])
    op.create_index(op.f("ix_recall_lots_recall_id"), "recall_lots", ["recall_id"])
    op.create_table(
        "expiry_notices",
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("threshold_days", sa.Integer(), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("noticed_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint(
            "subject", "subject_id", "threshold_days", "expiry", name=op.f("pk_expiry_notices")
        ),
    )

    # DSCSA: where each serialised pack is (its last destination, a virtual one once it left)
    op.create_table(
        "serials",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("serial", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_serials_item_id_items")),
        sa.ForeignKeyConstraint(["lot_id"], ["lots.id"], name=op.f("fk_serials_lot_id_lots")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_serials_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serials")),
        sa.UniqueConstraint("gtin", "serial", name="uq_serials_gtin_serial"),
    )
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("serial", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.drop_column("serial")
    op.drop_table("serials")
    op.drop_table("expiry_notices")
    op.drop_table("recall_lots")
    op.drop_table("recalls")
