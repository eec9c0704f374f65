"""Reorders: supplier items (a supplier's terms per item), par levels (with their source),
purchase orders and their lines, pick lists (refill runs) and theirs.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("supplier_reference", sa.String(length=200), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_purchase_orders_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_purchase_orders_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_orders_number")),
    )
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_purchase_orders_location_status", ["location_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_purchase_orders_supplier_status", ["supplier_id", "status"], unique=False
        )

    op.create_table(
        "par_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("par", sa.Integer(), nullable=False),
        sa.Column("reorder_point", sa.Integer(), nullable=False),
        sa.Column("max_level", sa.Integer(), nullable=True),
        sa.Column("source_supplier_id", sa.Integer(), nullable=True),
        sa.Column("source_location_id", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "max_level IS NULL OR par <= max_level", name=op.f("ck_par_levels_par_within_max")
        ),
        sa.CheckConstraint(
            "reorder_point >= 0 AND reorder_point <= par",
            name=op.f("ck_par_levels_reorder_within_par"),
        ),
        sa.CheckConstraint(
            "source_supplier_id IS NULL OR source_location_id IS NULL",
            name=op.f("ck_par_levels_one_source"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_par_levels_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_par_levels_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["source_location_id"],
            ["locations.id"],
            name=op.f("fk_par_levels_source_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["source_supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_par_levels_source_supplier_id_suppliers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_par_levels")),
        sa.UniqueConstraint("item_id", "location_id", name="uq_par_levels_item_location"),
    )
    with op.batch_alter_table("par_levels", schema=None) as batch_op:
        batch_op.create_index(
            "ix_par_levels_location_item", ["location_id", "item_id"], unique=False
        )
        batch_op.create_index(
            "ix_par_levels_source_location", ["source_location_id", "item_id"], unique=False
        )

    op.create_table(
        "purchase_order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purchase_order_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("ordered", sa.Integer(), nullable=False),
        sa.Column("confirmed", sa.Integer(), nullable=True),
        sa.Column("backordered", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("unit_cost_cents", sa.Integer(), nullable=True),
        sa.CheckConstraint("ordered > 0", name=op.f("ck_purchase_order_lines_ordered_positive")),
        sa.CheckConstraint(
            "received >= 0 AND backordered >= 0", name=op.f("ck_purchase_order_lines_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_purchase_order_lines_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_lines_purchase_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_lines")),
        sa.UniqueConstraint("purchase_order_id", "line", name="uq_purchase_order_lines_po_line"),
    )
    with op.batch_alter_table("purchase_order_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_purchase_order_lines_item", ["item_id", "purchase_order_id"], unique=False
        )

    op.create_table(
        "supplier_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("supplier_item_code", sa.String(length=64), nullable=True),
        sa.Column("pack_size", sa.Integer(), nullable=False),
        sa.Column("min_order_quantity", sa.Integer(), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("unit_cost_cents", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "lead_time_days >= 0", name=op.f("ck_supplier_items_lead_time_not_negative")
        ),
        sa.CheckConstraint(
            "min_order_quantity > 0", name=op.f("ck_supplier_items_min_order_positive")
        ),
        sa.CheckConstraint("pack_size > 0", name=op.f("ck_supplier_items_pack_size_positive")),
        sa.CheckConstraint(
            "unit_cost_cents >= 0", name=op.f("ck_supplier_items_cost_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_supplier_items_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_supplier_items_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_items")),
        sa.UniqueConstraint("supplier_id", "item_id", name="uq_supplier_items_supplier_item"),
    )
    with op.batch_alter_table("supplier_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_items_item_id"), ["item_id"], unique=False)
    op.create_table(
        "pick_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_pick_lists_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_lists")),
    )
    with op.batch_alter_table("pick_lists", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pick_lists_location_id"), ["location_id"], unique=False
        )

    op.create_table(
        "pick_list_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pick_list_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("source_location_id", sa.Integer(), nullable=False),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("picked", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "requested > 0 AND picked >= 0", name=op.f("ck_pick_list_lines_quantities")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_pick_list_lines_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["pick_list_id"],
            ["pick_lists.id"],
            name=op.f("fk_pick_list_lines_pick_list_id_pick_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_location_id"],
            ["locations.id"],
            name=op.f("fk_pick_list_lines_source_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_list_lines")),
        sa.UniqueConstraint("pick_list_id", "line", name="uq_pick_list_lines_list_line"),
    )


def downgrade() -> None:
    op.drop_table("pick_list_lines")
    with op.batch_alter_table("pick_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pick_lists_location_id"))

    op.drop_table("pick_lists")
    with op.batch_alter_table("supplier_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_items_item_id"))

    op.drop_table("supplier_items")
    with op.batch_alter_table("purchase_order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_order_lines_item")

    op.drop_table("purchase_order_lines")
    with op.batch_alter_table("par_levels", schema=None) as batch_op:
        batch_op.drop_index("ix_par_levels_source_location")
        batch_op.drop_index("ix_par_levels_location_item")

    op.drop_table("par_levels")
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_orders_supplier_status")
        batch_op.drop_index("ix_purchase_orders_location_status")

    op.drop_table("purchase_orders")
