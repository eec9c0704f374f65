"""SQLAlchemy 2 models: the one schema shared by SQLite and PostgreSQL.

Relationships are deliberately absent: every query is an explicit statement in a
repository or service, so nothing lazy-loads behind our back in async code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from inventory_svc.domain import limits

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL, but INTEGER on SQLite so that it stays the rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _text(limit: limits.Text) -> String:
    """A VARCHAR as long as the field's one definition allows (domain/limits)."""
    return String(limit.max_length)


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps are UTC and timezone-aware on both databases (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # Converted here, the same on both databases: a time UTC cannot express (year 10000
        # after conversion) is refused as TimestampOutOfRange, never a driver overflow.
        value = limits.as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now() -> Any:
    return func.now()


class Supplier(Base):
    __tablename__ = "suppliers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(_text(limits.SUPPLIER_CODE), unique=True)
    name: Mapped[str] = mapped_column(_text(limits.NAME))
    account_number: Mapped[str | None] = mapped_column(_text(limits.ACCOUNT_NUMBER))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(_text(limits.NAME), index=True)
    strength: Mapped[str | None] = mapped_column(_text(limits.STRENGTH))
    form: Mapped[str | None] = mapped_column(_text(limits.FORM))
    base_unit: Mapped[str] = mapped_column(_text(limits.BASE_UNIT), default="each")
    schedule: Mapped[str | None] = mapped_column(_text(limits.SCHEDULE))
    preferred_supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


class ItemIdentifier(Base):
    """GTIN/UPC/EAN are stored as GTIN-14, NDC as the 11-digit 5-4-2 form; `printed` keeps
    the form on the package so it can be shown back to staff."""

    __tablename__ = "item_identifiers"
    __table_args__ = (
        UniqueConstraint("kind", "value", name="uq_item_identifiers_kind_value"),
        # GTIN, UPC and EAN are one number space (all stored as GTIN-14): one item per number.
        Index(
            "uq_item_identifiers_gtin_value",
            "value",
            unique=True,
            sqlite_where=text("kind IN ('gtin', 'upc', 'ean')"),
            postgresql_where=text("kind IN ('gtin', 'upc', 'ean')"),
        ),
        CheckConstraint("units > 0", name="units_positive"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(_text(limits.IDENTIFIER_KIND))
    value: Mapped[str] = mapped_column(_text(limits.IDENTIFIER), index=True)
    printed: Mapped[str] = mapped_column(_text(limits.IDENTIFIER))
    units: Mapped[int] = mapped_column(Integer, default=1)


class Location(Base):
    __tablename__ = "locations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(_text(limits.LOCATION_CODE), unique=True)
    name: Mapped[str] = mapped_column(_text(limits.NAME))
    kind: Mapped[str] = mapped_column(_text(limits.LOCATION_KIND))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    is_virtual: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


class Lot(Base):
    """(item, lot number, expiry). `lot_key` makes that triple unique on both databases even
    when the expiry is unknown (NULLs never collide in a UNIQUE index)."""

    __tablename__ = "lots"
    __table_args__ = (UniqueConstraint("item_id", "lot_key", name="uq_lots_item_lot_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    lot_number: Mapped[str] = mapped_column(_text(limits.LOT_NUMBER), default="")
    expiry: Mapped[date | None] = mapped_column(Date)
    lot_key: Mapped[str] = mapped_column(String(40))
    recalled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


class Balance(Base):
    """On-hand per real location and lot, never negative. Virtual locations (the outside
    world) have no stored balance: theirs is the sum of their movements."""

    __tablename__ = "balances"
    __table_args__ = (
        UniqueConstraint("location_id", "lot_id", name="uq_balances_location_lot"),
        CheckConstraint("quantity >= 0", name="never_negative"),
        Index("ix_balances_item_location", "item_id", "location_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=_now(), onupdate=_now()
    )


class Scan(Base):
    """Every scan received, applied or rejected; also the idempotency record."""

    __tablename__ = "scans"
    __table_args__ = (
        Index("ix_scans_device_id", "device", "id"),
        Index("ix_scans_status_id", "status", "id"),
        # An item's or a location's scan log, newest first (migration 0015).
        Index("ix_scans_item_id", "item_id", "id"),
        Index("ix_scans_location_id", "location_code", "id"),
        Index(
            "ix_scans_to_location_id",
            "to_location_code",
            "id",
            sqlite_where=text("to_location_code IS NOT NULL"),
            postgresql_where=text("to_location_code IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str | None] = mapped_column(_text(limits.IDEMPOTENCY_KEY), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    actor: Mapped[str | None] = mapped_column(_text(limits.ACTOR))
    device: Mapped[str | None] = mapped_column(_text(limits.DEVICE))
    code: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(_text(limits.SCAN_ACTION))
    location_code: Mapped[str | None] = mapped_column(_text(limits.LOCATION_REF))
    to_location_code: Mapped[str | None] = mapped_column(_text(limits.LOCATION_REF))
    quantity: Mapped[int | None] = mapped_column(Integer)
    barcode: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    status: Mapped[str] = mapped_column(_text(limits.SCAN_STATUS))
    error_code: Mapped[str | None] = mapped_column(_text(limits.ERROR_CODE))
    error_detail: Mapped[str | None] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scanned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now(), index=True)


class Movement(Base):
    """Append-only double-entry ledger line: `quantity` base units of one lot, from -> to."""

    __tablename__ = "movements"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("from_location_id <> to_location_id", name="distinct_locations"),
        Index("ix_movements_item_id", "item_id", "id"),
        Index("ix_movements_from_location", "from_location_id", "id"),
        Index("ix_movements_to_location", "to_location_id", "id"),
        # Usage over a window, per location and item (the reorder list).
        Index("ix_movements_usage", "from_location_id", "item_id", "occurred_at"),
        # What a restock session (or another reference) moved.
        Index(
            "ix_movements_reference",
            "reference",
            sqlite_where=text("reference IS NOT NULL"),
            postgresql_where=text("reference IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(_text(limits.MOVEMENT_KIND))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str | None] = mapped_column(_text(limits.ACTOR))
    device: Mapped[str | None] = mapped_column(_text(limits.DEVICE))
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id"), index=True)
    reference: Mapped[str | None] = mapped_column(_text(limits.REFERENCE))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())
    # Who witnessed a controlled-substance movement (a name: the witness's key is never kept).
    witness: Mapped[str | None] = mapped_column(_text(limits.ACTOR))
    serial: Mapped[str | None] = mapped_column(_text(limits.SERIAL))
    """The serialised pack this movement moved (GS1 AI 21), if the scan named one."""


class ApiKey(Base):
    """Only a SHA-256 of the key is stored: keys are 256-bit random, so no slow hash is needed."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(_text(limits.API_KEY_NAME))
    role: Mapped[str] = mapped_column(_text(limits.ROLE))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Event(Base):
    """The outbox: one row per domain event, written in the transaction of its change.

    `seq` orders writes; `id` is the feed position, given after commit by the sequencer
    (db/events.py), so that readers following `after=<id>` never miss a late commit."""

    __tablename__ = "events"
    __table_args__ = (
        Index(
            "ix_events_unpositioned",
            "seq",
            sqlite_where=text("id IS NULL"),
            postgresql_where=text("id IS NULL"),
        ),
        Index("ix_events_type_id", "type", "id"),
    )
    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class EventFeed(Base):
    """One row: the last feed id given. Its row lock makes one sequencer run at a time."""

    __tablename__ = "event_feed"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)


class SupplierItem(Base):
    """A supplier's terms for an item. Whether it is the preferred supplier is the item's
    `preferred_supplier_id` (one truth). Money is integer cents per base unit."""

    __tablename__ = "supplier_items"
    __table_args__ = (
        UniqueConstraint("supplier_id", "item_id", name="uq_supplier_items_supplier_item"),
        CheckConstraint("pack_size > 0", name="pack_size_positive"),
        CheckConstraint("min_order_quantity > 0", name="min_order_positive"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
        CheckConstraint("unit_cost_cents >= 0", name="cost_not_negative"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    supplier_item_code: Mapped[str | None] = mapped_column(_text(limits.SUPPLIER_ITEM_CODE))
    pack_size: Mapped[int] = mapped_column(Integer, default=1)
    min_order_quantity: Mapped[int] = mapped_column(Integer, default=1)
    lead_time_days: Mapped[int] = mapped_column(Integer, default=0)
    unit_cost_cents: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


class ParLevel(Base):
    """Fill-to level per (item, location); replenished from a supplier, another location, or
    (neither) the item's preferred supplier."""

    __tablename__ = "par_levels"
    __table_args__ = (
        UniqueConstraint("item_id", "location_id", name="uq_par_levels_item_location"),
        CheckConstraint("reorder_point >= 0 AND reorder_point <= par", name="reorder_within_par"),
        CheckConstraint("max_level IS NULL OR par <= max_level", name="par_within_max"),
        CheckConstraint(
            "source_supplier_id IS NULL OR source_location_id IS NULL", name="one_source"
        ),
        Index("ix_par_levels_location_item", "location_id", "item_id"),
        Index("ix_par_levels_source_location", "source_location_id", "item_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    par: Mapped[int] = mapped_column(Integer)
    reorder_point: Mapped[int] = mapped_column(Integer)
    max_level: Mapped[int | None] = mapped_column(Integer)
    source_supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    source_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())
    # When the line last went to or below its reorder point; null while above. Flipped only
    # by the reorder watcher (services/reorder_watch.py), once per crossing.
    below_since: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (
        Index("ix_purchase_orders_location_status", "location_id", "status"),
        Index("ix_purchase_orders_supplier_status", "supplier_id", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(_text(limits.PO_NUMBER), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    status: Mapped[str] = mapped_column(_text(limits.PO_STATUS))
    supplier_reference: Mapped[str | None] = mapped_column(_text(limits.SUPPLIER_REFERENCE))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PurchaseOrderLine(Base):
    """Quantities in base units: `confirmed` is null until the supplier acknowledges;
    `received` is filled by receive scans naming the PO."""

    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        UniqueConstraint("purchase_order_id", "line", name="uq_purchase_order_lines_po_line"),
        CheckConstraint("ordered > 0", name="ordered_positive"),
        CheckConstraint("received >= 0 AND backordered >= 0", name="not_negative"),
        Index("ix_purchase_order_lines_item", "item_id", "purchase_order_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="CASCADE")
    )
    line: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    ordered: Mapped[int] = mapped_column(Integer)
    confirmed: Mapped[int | None] = mapped_column(Integer)
    backordered: Mapped[int] = mapped_column(Integer, default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)
    unit_cost_cents: Mapped[int | None] = mapped_column(Integer)


class PickList(Base):
    """A refill run for one location from its par levels' source locations."""

    __tablename__ = "pick_lists"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    status: Mapped[str] = mapped_column(_text(limits.PICK_LIST_STATUS))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PickListLine(Base):
    """`picked` is filled by transfer scans naming the pick list."""

    __tablename__ = "pick_list_lines"
    __table_args__ = (
        UniqueConstraint("pick_list_id", "line", name="uq_pick_list_lines_list_line"),
        CheckConstraint("requested > 0 AND picked >= 0", name="quantities"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pick_list_id: Mapped[int] = mapped_column(ForeignKey("pick_lists.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    source_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    requested: Mapped[int] = mapped_column(Integer)
    picked: Mapped[int] = mapped_column(Integer, default=0)


class PurchaseOrderWarning(Base):
    """A receipt against a PO that was not as ordered (`not_on_order`, `over_received`):
    answered on the scan and kept here, so the buyer sees it on the PO later."""

    __tablename__ = "purchase_order_warnings"
    __table_args__ = (Index("ix_purchase_order_warnings_po", "purchase_order_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(_text(limits.ERROR_CODE))
    detail: Mapped[str] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    # The receiving scan's Idempotency-Key: the PO's lines are filled before the scan row
    # (and its id) is written, in the same transaction; the key finds the scan afterwards.
    scan_key: Mapped[str | None] = mapped_column(_text(limits.IDEMPOTENCY_KEY))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


class JobCursor(Base):
    """How far a background job has read the event feed; advanced in the transaction of the
    job's own work, so a crash neither loses nor repeats it."""

    __tablename__ = "job_cursors"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


# --- kits ---------------------------------------------------------------------------------


class KitTemplate(Base):
    """One version of a kit template: editing a template adds a version, and a kit keeps the
    version it was last restocked to."""

    __tablename__ = "kit_templates"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_kit_templates_code_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(_text(limits.KIT_TEMPLATE_CODE))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(_text(limits.NAME))
    kind: Mapped[str] = mapped_column(_text(limits.LOCATION_KIND))
    check_interval_days: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(_text(limits.ACTOR))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


class KitTemplateSlot(Base):
    __tablename__ = "kit_template_slots"
    __table_args__ = (
        UniqueConstraint("template_id", "slot", name="uq_kit_template_slots_template_slot"),
        CheckConstraint("quantity > 0 AND min_days_to_expiry >= 0", name="quantities"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("kit_templates.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    slot: Mapped[str] = mapped_column(_text(limits.KIT_SLOT))
    quantity: Mapped[int] = mapped_column(Integer)
    min_days_to_expiry: Mapped[int] = mapped_column(Integer)


class KitTemplateSlotItem(Base):
    """An item a slot accepts; unique per template, so every unit in a kit has one slot."""

    __tablename__ = "kit_template_slot_items"
    __table_args__ = (
        UniqueConstraint("template_id", "item_id", name="uq_kit_template_slot_items_template_item"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("kit_templates.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(
        ForeignKey("kit_template_slots.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))


class Kit(Base):
    """A kit is a location (its stock is ordinary stock) bound to a template version."""

    __tablename__ = "kits"
    __table_args__ = (Index("ix_kits_status", "status"),)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("kit_templates.id"), index=True)
    status: Mapped[str] = mapped_column(_text(limits.KIT_STATUS))
    seal_number: Mapped[str | None] = mapped_column(_text(limits.SEAL_NUMBER))
    sealed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sealed_by: Mapped[str | None] = mapped_column(_text(limits.ACTOR))
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    flag_reason: Mapped[str | None] = mapped_column(_text(limits.KIT_REASON))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


class KitCheck(Base):
    """Every check of a kit's seal, intact or not."""

    __tablename__ = "kit_checks"
    __table_args__ = (Index("ix_kit_checks_kit", "kit_location_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kit_location_id: Mapped[int] = mapped_column(ForeignKey("kits.location_id"))
    seal_number: Mapped[str | None] = mapped_column(_text(limits.SEAL_NUMBER))
    intact: Mapped[bool] = mapped_column(Boolean)
    seal_matches: Mapped[bool] = mapped_column(Boolean)
    checked_by: Mapped[str | None] = mapped_column(_text(limits.ACTOR))
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())


class KitOpening(Base):
    """A broken seal: opened for a case or a code blue (`reference`), or by an issue."""

    __tablename__ = "kit_openings"
    __table_args__ = (Index("ix_kit_openings_kit", "kit_location_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kit_location_id: Mapped[int] = mapped_column(ForeignKey("kits.location_id"))
    reason: Mapped[str] = mapped_column(_text(limits.KIT_REASON))
    seal_number: Mapped[str | None] = mapped_column(_text(limits.SEAL_NUMBER))
    reference: Mapped[str | None] = mapped_column(_text(limits.REFERENCE))
    opened_by: Mapped[str | None] = mapped_column(_text(limits.ACTOR))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RestockSession(Base):
    """One restock of one kit from a source location; at most one open per kit."""

    __tablename__ = "restock_sessions"
    __table_args__ = (
        Index(
            "uq_restock_sessions_open_kit",
            "kit_location_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kit_location_id: Mapped[int] = mapped_column(ForeignKey("kits.location_id"), index=True)
    source_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    template_id: Mapped[int] = mapped_column(ForeignKey("kit_templates.id"))
    status: Mapped[str] = mapped_column(_text(limits.KIT_STATUS))
    opened_by: Mapped[str | None] = mapped_column(_text(limits.ACTOR))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_by: Mapped[str | None] = mapped_column(_text(limits.ACTOR))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    seal_number: Mapped[str | None] = mapped_column(_text(limits.SEAL_NUMBER))
    override_reason: Mapped[str | None] = mapped_column(_text(limits.KIT_REASON))
    override_by: Mapped[str | None] = mapped_column(_text(limits.ACTOR))


# --- counts, scan reversals (issue 15) ------------------------------------------------------


class CountSession(Base):
    """A cycle count of one location: `open` while count scans accumulate, then `committed`."""

    __tablename__ = "count_sessions"
    __table_args__ = (
        Index("ix_count_sessions_location_status", "location_id", "status"),
        # One open count per location: two would settle the same differences twice.
        Index(
            "uq_count_sessions_open_location",
            "location_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )
    # BIGINT: a count scan names its session with a JSON-safe integer (limits.SESSION_ID).
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    status: Mapped[str] = mapped_column(_text(limits.COUNT_STATUS))
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_by: Mapped[str | None] = mapped_column(_text(limits.ACTOR))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    committed_by: Mapped[str | None] = mapped_column(_text(limits.ACTOR))
    committed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(_text(limits.COUNT_REASON))


class CountLine(Base):
    """Units counted of one lot (`lot_id` NULL: the item as a whole, from barcodes without a
    lot). `baseline` is the lot's balance at its first count scan and `watermark` the last
    movement id then: movements after it come on top of what was counted (DESIGN §2)."""

    __tablename__ = "count_lines"
    __table_args__ = (
        CheckConstraint("counted >= 0 AND baseline >= 0", name="not_negative"),
        Index(
            "uq_count_lines_session_lot",
            "count_session_id",
            "lot_id",
            unique=True,
            sqlite_where=text("lot_id IS NOT NULL"),
            postgresql_where=text("lot_id IS NOT NULL"),
        ),
        Index(
            "uq_count_lines_session_item_whole",
            "count_session_id",
            "item_id",
            unique=True,
            sqlite_where=text("lot_id IS NULL"),
            postgresql_where=text("lot_id IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    count_session_id: Mapped[int] = mapped_column(
        ForeignKey("count_sessions.id", ondelete="CASCADE")
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))
    counted: Mapped[int] = mapped_column(BigInteger, default=0)
    baseline: Mapped[int] = mapped_column(BigInteger, default=0)
    watermark: Mapped[int] = mapped_column(BigInteger, default=0)
    first_counted_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ScanReversal(Base):
    """An applied scan and the scan row whose movements undid it; keyed by the original, so a
    scan is reversed at most once."""

    __tablename__ = "scan_reversals"
    scan_id: Mapped[int] = mapped_column(BigId, ForeignKey("scans.id"), primary_key=True)
    reversal_scan_id: Mapped[int] = mapped_column(BigId, ForeignKey("scans.id"), unique=True)
    reason: Mapped[str] = mapped_column(_text(limits.REVERSAL_REASON))
    reversed_by: Mapped[str | None] = mapped_column(_text(limits.ACTOR))
    reversed_at: Mapped[datetime] = mapped_column(UtcDateTime())


# --- recalls and the expiry sweep ------------------------------------------------------------


class Recall(Base):
    """A manufacturer's recall of an item's lots (by number: `recall_lots`)."""

    __tablename__ = "recalls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    reason: Mapped[str] = mapped_column(_text(limits.RECALL_REASON))
    source: Mapped[str | None] = mapped_column(_text(limits.RECALL_SOURCE))
    created_by: Mapped[str | None] = mapped_column(_text(limits.ACTOR))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())
    quarantined_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RecallLot(Base):
    """A recalled lot number of an item, `*` for every lot: receipts of it are refused."""

    __tablename__ = "recall_lots"
    __table_args__ = (Index("ix_recall_lots_item_lot", "item_id", "lot_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recall_id: Mapped[int] = mapped_column(ForeignKey("recalls.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_number: Mapped[str] = mapped_column(_text(limits.LOT_NUMBER))


class ExpiryNotice(Base):
    """One expiry event raised (a lot at a threshold, a kit before its check): the sweep
    claims the row, so several workers never raise it twice."""

    __tablename__ = "expiry_notices"
    subject: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    threshold_days: Mapped[int] = mapped_column(Integer, primary_key=True)
    expiry: Mapped[date] = mapped_column(Date, primary_key=True)
    noticed_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


class SerialPack(Base):
    """A serialised pack (GTIN + GS1 AI 21): where it is now, its last destination (a
    virtual location once it has left: given, wasted, or back to the supplier)."""

    __tablename__ = "serials"
    __table_args__ = (UniqueConstraint("gtin", "serial", name="uq_serials_gtin_serial"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    gtin: Mapped[str] = mapped_column(String(14))
    serial: Mapped[str] = mapped_column(_text(limits.SERIAL))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


# --- people who log in to the web UI ---------------------------------------------------------


class User(Base):
    """A person who logs in to the web UI: an argon2 hash of the password, never the password;
    failed logins in a row lock the user for a while (domain/users.py)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(_text(limits.USER_NAME), unique=True)
    role: Mapped[str] = mapped_column(_text(limits.ROLE))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    failed_logins: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class UiSession(Base):
    """A logged-in browser: a SHA-256 of the session cookie (the cookie itself is stored
    nowhere), its CSRF token, and when it began and was last used. Logging out, disabling
    the user or resetting the password deletes the rows."""

    __tablename__ = "ui_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Shipment(Base):
    """A shipment notice (ASN: an X12 856 or a wholesaler's JSON) for a purchase order: what
    the supplier says is on its way, lot by lot, checked against the receiving scans."""

    __tablename__ = "shipments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True
    )
    reference: Mapped[str | None] = mapped_column(_text(limits.SHIPMENT_REFERENCE))
    created_by: Mapped[str] = mapped_column(_text(limits.ACTOR))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


class ShipmentLine(Base):
    """One lot of one GTIN in a shipment notice, in base units. `purchase_order_id` and
    `item_id` are copied from the notice and the catalogue so a receipt finds what was
    shipped of its item in one indexed read."""

    __tablename__ = "shipment_lines"
    __table_args__ = (
        UniqueConstraint("shipment_id", "line", name="uq_shipment_lines_shipment_line"),
        Index("ix_shipment_lines_po_item", "purchase_order_id", "item_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    purchase_order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="CASCADE")
    )
    line: Mapped[int] = mapped_column(Integer)
    gtin: Mapped[str] = mapped_column(String(14))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    lot_number: Mapped[str] = mapped_column(_text(limits.LOT_NUMBER))
    expiry: Mapped[date | None] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    sscc: Mapped[str | None] = mapped_column(_text(limits.SSCC))
    serials: Mapped[list[str] | None] = mapped_column(JSON)


class ReceivedSscc(Base):
    """A case label (SSCC, GS1 AI 00) received against a PO. Not unique: a second receipt of
    the same label is booked (the units are on the shelf) with a `duplicate_sscc` warning."""

    __tablename__ = "received_ssccs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sscc: Mapped[str] = mapped_column(_text(limits.SSCC), index=True)
    purchase_order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_orders.id", ondelete="CASCADE")
    )
    scan_key: Mapped[str | None] = mapped_column(_text(limits.IDEMPOTENCY_KEY))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


class IdempotentRequest(Base):
    """A write sent with an `Idempotency-Key` (other than a scan, which the scan log keeps):
    claimed at the start of its unit of work, answered at its end, so a concurrent twin
    waits on the unique key and then replays the answer instead of applying again."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotent_requests_scope_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(32))
    """Whose keys these are: `key:<api key id>` (keys of two integrations never collide)."""
    key: Mapped[str] = mapped_column(_text(limits.IDEMPOTENCY_KEY))
    operation: Mapped[str] = mapped_column(_text(limits.OPERATION))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


# --- webhooks ------------------------------------------------------------------------------


class Webhook(Base):
    """A subscription: events matching `events` (patterns) are POSTed to `url`, signed with
    `secret`. `after_event_id` is how far the feed has been turned into deliveries; the
    lease (`leased_until`, `lease_token`) is the dispatcher's claim, held while it calls the
    receiver outside any transaction."""

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(_text(limits.WEBHOOK_URL))
    secret: Mapped[str] = mapped_column(_text(limits.WEBHOOK_SECRET))
    events: Mapped[list[str]] = mapped_column(JSON)
    after_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lease_token: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str | None] = mapped_column(_text(limits.ACTOR))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())


class WebhookDelivery(Base):
    """One event for one subscription: pending until delivered, or dead after the last
    attempt. Per subscription the pending one with the lowest event id goes first."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_webhook_event"),
        Index("ix_webhook_deliveries_queue", "webhook_id", "status", "event_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(_text(limits.WEBHOOK_EVENT_TYPE))
    status: Mapped[str] = mapped_column(_text(limits.DELIVERY_STATUS))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(_text(limits.DELIVERY_ERROR))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=_now())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WebhookAttempt(Base):
    """Every POST made for a delivery, failed or not: what `GET .../deliveries` shows."""

    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(_text(limits.DELIVERY_ERROR))
    duration_ms: Mapped[int] = mapped_column(Integer)
