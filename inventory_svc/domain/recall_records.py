"""Typed rows of recalls and expiring stock, as the API answers with them."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from inventory_svc.domain.records import ItemRef


class AffectedOut(msgspec.Struct):
    """Units of a recalled lot somewhere: `kit` and `slot` when they sit in a kit."""

    location: str
    kit: str | None
    slot: str | None
    lot: str
    expiry: date | None
    quantity: int
    quarantined: bool
    """Already in a quarantine location."""


class RecallOut(msgspec.Struct):
    id: int
    item: ItemRef
    lots: list[str]
    reason: str
    source: str | None
    created_by: str | None
    created_at: datetime
    quarantined_at: datetime | None
    affected: list[AffectedOut]
    """Live: where the recalled lots are now."""
    outstanding: int
    """Units outside quarantine: what must still be found and pulled."""


class QuarantineOut(msgspec.Struct):
    recall: int
    quarantine_location: str
    moved: int
    """Units moved to quarantine (stock outside kits)."""
    kits_flagged: list[str]
    """Kits holding recalled units: quarantined, each unit pulled with a `remove` scan."""
    pull_list: list[AffectedOut]


class ExpiringOut(msgspec.Struct):
    item: ItemRef
    location: str
    kit: str | None
    lot: str
    expiry: date
    days_left: int
    quantity: int
    recalled: bool


class PackMove(msgspec.Struct):
    movement: int
    kind: str
    from_location: str
    to_location: str
    quantity: int
    actor: str | None
    at: datetime


class SerialOut(msgspec.Struct):
    """Where one serialised pack is (DSCSA) and every move that named it."""

    gtin: str
    serial: str
    item: ItemRef
    lot: str
    expiry: date | None
    location: str
    in_stock: bool
    """At a real location (not given, wasted or back with the supplier)."""
    history: list[PackMove]
