"""Request and response bodies (msgspec Structs); they also make the served OpenAPI schema."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

# Bounds keep absurd numbers a 400 rather than a database error: reference data (items,
# locations) has 32-bit ids, the ledger and the scan log 64-bit ones.
MAX_ID = 2**31 - 1
MAX_LEDGER_ID = 2**63 - 1
MAX_OFFSET = 2**31 - 1

NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Units = Annotated[int, msgspec.Meta(ge=1, le=100000)]

IdentifierKind = Literal["gtin", "upc", "ean", "ndc", "internal"]
LocationKind = Literal[
    "storeroom", "shelf", "bin", "satellite", "adc", "quarantine", "crash_cart", "anesthesia_tray"
]
StockStatus = Literal["ok", "expiring", "expired", "recalled"]


class IdentifierIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: IdentifierKind
    value: NonEmpty
    units: Units = 1


class IdentifierOut(msgspec.Struct):
    kind: str
    value: str
    printed: str
    units: int


class ItemIn(msgspec.Struct, forbid_unknown_fields=True):
    name: NonEmpty
    identifiers: list[IdentifierIn] = []
    strength: str | None = None
    form: str | None = None
    base_unit: NonEmpty = "each"
    schedule: Literal["CI", "CII", "CIII", "CIV", "CV"] | None = None
    preferred_supplier: str | None = None


class ItemOut(msgspec.Struct):
    id: int
    name: str
    strength: str | None
    form: str | None
    base_unit: str
    schedule: str | None
    identifiers: list[IdentifierOut]


class ItemRef(msgspec.Struct):
    id: int
    name: str


class LocationIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name: NonEmpty
    kind: LocationKind
    parent: str | None = None


class LocationOut(msgspec.Struct):
    id: int
    code: str
    name: str
    kind: str
    parent: str | None
    virtual: bool


class SupplierIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name: NonEmpty
    account_number: str | None = None


class SupplierOut(msgspec.Struct):
    id: int
    code: str
    name: str
    account_number: str | None


class BarcodeOut(msgspec.Struct):
    kind: str
    gtin: str | None = None
    ndc: str | None = None
    lot: str | None = None
    expiry: date | None = None
    serial: str | None = None
    count: int | None = None
    symbology: str | None = None
    label: str | None = None


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


class ScanResult(msgspec.Struct):
    id: int
    status: Literal["applied"]
    action: str
    barcode: BarcodeOut
    item: ItemRef
    movements: list[MovementLine]
    balances: list[BalanceLine]
    warnings: list[Warning]


class StockRow(msgspec.Struct):
    item: ItemRef
    location: str
    lot: str
    expiry: date | None
    quantity: int
    status: StockStatus


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
    status: Literal["applied", "rejected"]
    action: str
    code: str
    location: str | None
    to_location: str | None
    quantity: int | None
    device: str | None
    actor: str | None
    barcode: dict[str, object] | None
    item_id: int | None
    error_code: str | None
    error_detail: str | None
    idempotency_key: str | None
    scanned_at: datetime | None
    recorded_at: datetime


class Problem(msgspec.Struct):
    """RFC 9457 problem details; `code` is the stable, machine-readable reason."""

    type: str
    title: str
    status: int
    detail: str
    code: str


class Health(msgspec.Struct):
    status: str
