"""Kits: versioned templates (slots and the items each accepts), kits bound to a version,
restock sessions (one open per kit), seal checks and openings.

A kit is a location: its stock stays in `balances` and `movements`. Restock and remove
movements carry their session in `reference`, which is now indexed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("(CURRENT_TIMESTAMP)")


def upgrade() -> None:
    op.create_table(
        "kit_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("check_interval_days", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit_templates")),
        sa.UniqueConstraint("code", "version", name="uq_kit_templates_code_version"),
    )
    op.create_table(
        "kit_template_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("slot", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("min_days_to_expiry", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "quantity > 0 AND min_days_to_expiry >= 0",
            name=op.f("ck_kit_template_slots_quantities"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["kit_templates.id"],
            name=op.f("fk_kit_template_slots_template_id_kit_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit_template_slots")),
        sa.UniqueConstraint("template_id", "slot", name="uq_kit_template_slots_template_slot"),
    )
    op.create_table(
        "kit_template_slot_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_kit_template_slot_items_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["kit_template_slots.id"],
            name=op.f("fk_kit_template_slot_items_slot_id_kit_template_slots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["kit_templates.id"],
            name=op.f("fk_kit_template_slot_items_template_id_kit_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit_template_slot_items")),
        sa.UniqueConstraint(
            "template_id", "item_id", name="uq_kit_template_slot_items_template_item"
        ),
    )
    op.create_index(
        op.f("ix_kit_template_slot_items_slot_id"), "kit_template_slot_items", ["slot_id"]
    )
    op.create_table(
        "kits",
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("seal_number", sa.String(length=64), nullable=True),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sealed_by", sa.String(length=200), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flag_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_kits_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"], ["kit_templates.id"], name=op.f("fk_kits_template_id_kit_templates")
        ),
        sa.PrimaryKeyConstraint("location_id", name=op.f("pk_kits")),
    )
    op.create_index("ix_kits_status", "kits", ["status"])
    op.create_index(op.f("ix_kits_template_id"), "kits", ["template_id"])
    op.create_table(
        "kit_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kit_location_id", sa.Integer(), nullable=False),
        sa.Column("seal_number", sa.String(length=64), nullable=True),
        sa.Column("intact", sa.Boolean(), nullable=False),
        sa.Column("seal_matches", sa.Boolean(), nullable=False),
        sa.Column("checked_by", sa.String(length=200), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["kit_location_id"],
            ["kits.location_id"],
            name=op.f("fk_kit_checks_kit_location_id_kits"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit_checks")),
    )
    op.create_index("ix_kit_checks_kit", "kit_checks", ["kit_location_id", "id"])
    op.create_table(
        "kit_openings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kit_location_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("seal_number", sa.String(length=64), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("opened_by", sa.String(length=200), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["kit_location_id"],
            ["kits.location_id"],
            name=op.f("fk_kit_openings_kit_location_id_kits"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit_openings")),
    )
    op.create_index("ix_kit_openings_kit", "kit_openings", ["kit_location_id", "id"])
    op.create_table(
        "restock_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kit_location_id", sa.Integer(), nullable=False),
        sa.Column("source_location_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("opened_by", sa.String(length=200), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_by", sa.String(length=200), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seal_number", sa.String(length=64), nullable=True),
        sa.Column("override_reason", sa.String(length=500), nullable=True),
        sa.Column("override_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["kit_location_id"],
            ["kits.location_id"],
            name=op.f("fk_restock_sessions_kit_location_id_kits"),
        ),
        sa.ForeignKeyConstraint(
            ["source_location_id"],
            ["locations.id"],
            name=op.f("fk_restock_sessions_source_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["kit_templates.id"],
            name=op.f("fk_restock_sessions_template_id_kit_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restock_sessions")),
    )
    op.create_index(
        op.f("ix_restock_sessions_kit_location_id"), "restock_sessions", ["kit_location_id"]
    )
    op.create_index(
        "uq_restock_sessions_open_kit",
        "restock_sessions",
        ["kit_location_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(
        "ix_movements_reference",
        "movements",
        ["reference"],
        sqlite_where=sa.text("reference IS NOT NULL"),
        postgresql_where=sa.text("reference IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_movements_reference", table_name="movements")
    op.drop_table("restock_sessions")
    op.drop_table("kit_openings")
    op.drop_table("kit_checks")
    op.drop_table("kits")
    op.drop_table("kit_template_slot_items")
    op.drop_table("kit_template_slots")
    op.drop_table("kit_templates")
