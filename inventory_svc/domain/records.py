"""Typed rows: what the database layer returns and the API answers with.

One definition per shape, so the served OpenAPI schema and the real answers cannot drift:
the API's response schemas are these Structs. Plain data, no I/O.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import msgspec

from inventory_svc.domain.roles import Role
from inventory_svc.domain.vocabulary import IdentifierKind, LotStatus, ScanStatus


class EventRecord(msgspec.Struct):
    """One event of the feed (`GET /events`)."""

    id: int
    type: str
    occurred_at: datetime
    actor: str | None
    data: dict[str, Any]


class ItemRef(msgspec.Struct):
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


class ScanResult(msgspec.Struct):
    """The answer to an applied scan (`201`, and `200` on a replay)."""

    id: int
    status: Literal["applied"]
    action: str
    barcode: BarcodeOut
    item: ItemRef
    movements: list[MovementLine]
    balances: list[BalanceLine]
    warnings: list[Warning]


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
