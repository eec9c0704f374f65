"""Typed rows: what the database layer returns and the API answers with.

One definition per shape, so the served OpenAPI schema and the real answers cannot drift:
the API's response schemas are these Structs. Plain data, no I/O.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import msgspec

from inventory_svc.domain.kit_records import KitBrief
from inventory_svc.domain.roles import Role
from inventory_svc.domain.vocabulary import (
    IdentifierKind,
    LotStatus,
    PickListStatus,
    PurchaseOrderStatus,
    ScanStatus,
)


class EventRecord(msgspec.Struct):
    """One event of the feed (`GET /events`)."""

    id: int
    type: str
    occurred_at: datetime
    actor: str | None
    data: dict[str, Any]


class ItemRef(msgspec.Struct, gc=False):
    id: int
    name: str


class BarcodeOut(msgspec.Struct):
    """The parsed barcode, as the scan answer and the scan log show it."""

    kind: str
    gtin: str | None = None
    ndc: str | None = None
    lot: str | None = None
    expiry: date | None = None
    serial: str | None = None
    count: int | None = None
    symbology: str | None = None
    label: str | None = None
    sscc: str | None = None  # a case or pallet label's SSCC (AI 00)


class MovementLine(msgspec.Struct):
    id: int
    kind: str
    from_location: str
    to_location: str
    lot: str
    expiry: date | None
    quantity: int


class BalanceLine(msgspec.Struct):
    location: str
    lot: str
    expiry: date | None
    quantity: int


class Warning(msgspec.Struct):
    code: str
    detail: str


class ScanResult(msgspec.Struct, omit_defaults=True):
    """The answer to an applied scan (`201`, and `200` on a replay). `item` is null for a
    `seal` scan (its code is the seal's); `kit` is there for restock, remove and seal scans."""

    id: int
    status: Literal["applied"]
    action: str
    barcode: BarcodeOut
    item: ItemRef | None
    movements: list[MovementLine]
    balances: list[BalanceLine]
    warnings: list[Warning]
    kit: KitBrief | None = None


class ApiKeyRecord(msgspec.Struct):
    """An API key as listed: never the key itself."""

    id: int
    name: str
    role: Role
    prefix: str
    revoked_at: datetime | None


class KeyHolder(msgspec.Struct):
    """Who an active key belongs to."""

    key_id: int
    name: str
    role: Role


class IdentifierOut(msgspec.Struct):
    kind: IdentifierKind
    value: str
    printed: str
    units: int


class ItemOut(msgspec.Struct):
    id: int
    name: str
    strength: str | None
    form: str | None
    base_unit: str
    schedule: str | None
    identifiers: list[IdentifierOut]


class LocationOut(msgspec.Struct):
    id: int
    code: str
    name: str
    kind: str
    """A LocationKind, or `virtual` for the outside world's locations."""
    parent: str | None
    virtual: bool


class SupplierOut(msgspec.Struct):
    id: int
    code: str
    name: str
    account_number: str | None


class StockRow(msgspec.Struct):
    item: ItemRef
    location: str
    lot: str
    expiry: date | None
    quantity: int
    status: LotStatus


class MovementOut(msgspec.Struct):
    id: int
    kind: str
    item: ItemRef
    lot: str
    expiry: date | None
    from_location: str
    to_location: str
    quantity: int
    actor: str | None
    device: str | None
    scan_id: int | None
    reference: str | None
    occurred_at: datetime
    recorded_at: datetime


class ScanRecord(msgspec.Struct):
    id: int
    status: ScanStatus
    action: str
    code: str
    location: str | None
    to_location: str | None
    quantity: int | None
    device: str | None
    actor: str | None
    barcode: dict[str, Any] | None
    item_id: int | None
    error_code: str | None
    error_detail: str | None
    idempotency_key: str | None
    scanned_at: datetime | None
    recorded_at: datetime


class SupplierItemOut(msgspec.Struct):
    """A supplier's terms for one item. Money is integer cents; quantities base units."""

    supplier: str
    item: ItemRef
    supplier_item_code: str | None
    pack_size: int
    min_order_quantity: int
    lead_time_days: int
    unit_cost_cents: int | None
    preferred: bool
    """The item's preferred supplier (what replenishes a par level without a `source`)."""


class ParSource(msgspec.Struct, omit_defaults=True):
    """Where a par level is replenished from: a supplier (purchase orders) or a location
    (internal refills by transfer). Both absent: the item's preferred supplier."""

    supplier: str | None = None
    location: str | None = None


class ParLevelOut(msgspec.Struct):
    item: ItemRef
    location: str
    par: int
    reorder_point: int
    max: int | None
    source: ParSource | None


class ReorderLine(msgspec.Struct, gc=False):
    """One line of the reorder list; every number is explained in the README."""

    item: ItemRef
    location: str
    on_hand: int
    """Usable on hand: not expired, recalled, quarantined or expiring within the lead time."""
    on_order: int
    reorder_point: int
    par: int
    max: int | None
    suggested_quantity: int
    daily_usage: float
    days_of_supply: float | None
    supplier: str | None
    source_location: str | None
    supplier_item_code: str | None
    pack_size: int
    min_order_quantity: int
    lead_time_days: int
    unit_cost_cents: int | None
    line_cost_cents: int | None
    used_in_window: int
    usage_days: int


class PurchaseOrderLineOut(msgspec.Struct):
    line: int
    item: ItemRef
    ordered: int
    confirmed: int | None
    backordered: int
    received: int
    outstanding: int
    supplier_item_code: str | None
    unit_cost_cents: int | None


class PurchaseOrderOut(msgspec.Struct):
    id: int
    """For paging (`after=`); the PO is named by its `number`."""
    number: str
    status: PurchaseOrderStatus
    supplier: str
    location: str
    supplier_reference: str | None
    created_at: datetime
    submitted_at: datetime | None
    acknowledged_at: datetime | None
    cancelled_at: datetime | None
    lines: list[PurchaseOrderLineOut]
    total_cost_cents: int | None


class PickSuggestion(msgspec.Struct):
    """Take `quantity` of this lot from this bin (FEFO)."""

    location: str
    lot: str
    expiry: date | None
    quantity: int


class PickListLineOut(msgspec.Struct):
    line: int
    item: ItemRef
    source_location: str
    requested: int
    picked: int
    remaining: int
    short: int
    """Units of `remaining` the source does not hold usable now."""
    suggestions: list[PickSuggestion]


class PickListOut(msgspec.Struct):
    id: int
    location: str
    status: PickListStatus
    created_at: datetime
    completed_at: datetime | None
    lines: list[PickListLineOut]
    """In walking order: by the first bin each line visits."""


class SupplierReturnOut(msgspec.Struct):
    """Stock sent back to a supplier (a `return_to_supplier` movement), for the credit claim.
    `supplier` is the one whose purchase order received the lot, else the item's preferred
    supplier (None when neither is known)."""

    movement: int
    occurred_at: datetime
    supplier: str | None
    reference: str | None
    """The supplier's return authorisation, as scanned."""
    item: ItemRef
    lot: str
    expiry: date | None
    quantity: int
    from_location: str
