"""Shipment notices (ASN), SSCCs received, and Idempotency-Key records for integration writes.

A shipment line keeps its PO and item beside the notice, so a receiving scan naming the PO
finds what was shipped of its item with one indexed read. `received_ssccs` is not unique:
a case label received twice is booked with a `duplicate_sscc` warning, not refused.
`idempotent_requests` is the generic Idempotency-Key store (scans keep theirs in the scan log).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("(CURRENT_TIMESTAMP)")


def upgrade() -> None:
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purchase_order_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_shipments_purchase_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
    )
    op.create_index(op.f("ix_shipments_purchase_order_id"), "shipments", ["purchase_order_id"])
    op.create_table(
        "shipment_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("purchase_order_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("lot_number", sa.String(length=20), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("sscc", sa.String(length=18), nullable=True),
        sa.Column("serials", sa.JSON(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_shipment_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_shipment_lines_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_shipment_lines_purchase_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_shipment_lines_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_lines")),
        sa.UniqueConstraint("shipment_id", "line", name="uq_shipment_lines_shipment_line"),
    )
    op.create_index("ix_shipment_lines_po_item", "shipment_lines", ["purchase_order_id", "item_id"])
    op.create_table(
        "received_ssccs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sscc", sa.String(length=18), nullable=False),
        sa.Column("purchase_order_id", sa.Integer(), nullable=False),
        sa.Column("scan_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_received_ssccs_purchase_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_ssccs")),
    )
    op.create_index(op.f("ix_received_ssccs_sscc"), "received_ssccs", ["sscc"])
    op.create_table(
        "idempotent_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotent_requests")),
        sa.UniqueConstraint("scope", "key", name="uq_idempotent_requests_scope_key"),
    )


def downgrade() -> None:
    op.drop_table("idempotent_requests")
    op.drop_index(op.f("ix_received_ssccs_sscc"), table_name="received_ssccs")
    op.drop_table("received_ssccs")
    op.drop_index("ix_shipment_lines_po_item", table_name="shipment_lines")
    op.drop_table("shipment_lines")
    op.drop_index(op.f("ix_shipments_purchase_order_id"), table_name="shipments")
    op.drop_table("shipments")
