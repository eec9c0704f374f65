"""Typed rows of kits, as the API answers with them (the schemas are these Structs)."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from inventory_svc.domain.kits import UnitState
from inventory_svc.domain.vocabulary import KitStatus, RestockSessionStatus


class SlotShort(msgspec.Struct):
    slot: str
    missing: int
    to_pull: int = 0
    """Expired, recalled or short-dated units still in the slot."""


class KitBrief(msgspec.Struct):
    """What a restock, remove or seal scan's answer says of its kit, after the scan."""

    code: str
    status: KitStatus
    ready: bool
    short: list[SlotShort]
    restock_session: int | None = None


class KitLotOut(msgspec.Struct):
    item: int
    item_name: str
    lot: str
    expiry: date | None
    quantity: int
    state: UnitState


class KitSlotOut(msgspec.Struct):
    """`present` counts every unit of the slot's items in the kit; `fit` the ones usable
    today with the slot's minimum shelf life; `missing` = required - fit; `expired` counts
    expired and recalled units, `short_dated` the ones under the minimum shelf life,
    `expiring` fit ones that expire before the next check is due."""

    slot: str
    items: list[int]
    min_days_to_expiry: int
    required: int
    present: int
    fit: int
    missing: int
    expired: int
    short_dated: int
    expiring: int
    lots: list[KitLotOut]


class KitOut(msgspec.Struct):
    code: str
    name: str
    kind: str
    template: str
    template_version: int
    template_name: str
    home_location: str | None
    status: KitStatus
    ready: bool
    """The live verdict: sealed, and nothing expired, recalled, short-dated, off template
    or missing today."""
    seal_number: str | None
    sealed_at: datetime | None
    sealed_by: str | None
    expiry: date | None
    """The earliest expiry among the kit's contents, from the ledger."""
    days_to_expiry: int | None
    last_check_at: datetime | None
    next_check_due: date | None
    flag_reason: str | None
    restock_session: int | None
    slots: list[KitSlotOut]
    off_template: list[KitLotOut]


class KitBoardRow(msgspec.Struct):
    code: str
    name: str
    kind: str
    template: str
    template_version: int
    home_location: str | None
    status: KitStatus
    ready: bool
    seal_number: str | None
    expiry: date | None
    days_to_expiry: int | None
    last_check_at: datetime | None
    next_check_due: date | None
    short: list[SlotShort]
    off_template: int


class TemplateLineOut(msgspec.Struct):
    slot: str
    items: list[int]
    item_names: list[str]
    quantity: int
    min_days_to_expiry: int


class KitTemplateOut(msgspec.Struct):
    code: str
    version: int
    name: str
    kind: str
    check_interval_days: int
    created_at: datetime
    lines: list[TemplateLineOut]


class MovedOut(msgspec.Struct):
    movement: int
    kind: str
    item: int
    item_name: str
    lot: str
    expiry: date | None
    quantity: int
    from_location: str
    to_location: str
    actor: str | None
    reference: str | None
    at: datetime


class RestockSessionOut(msgspec.Struct):
    id: int
    kit: str
    source_location: str
    status: RestockSessionStatus
    template: str
    template_version: int
    opened_by: str | None
    opened_at: datetime
    completed_by: str | None
    completed_at: datetime | None
    seal_number: str | None
    override_reason: str | None
    override_by: str | None
    moved_in: list[MovedOut]
    moved_out: list[MovedOut]
    kit_status: KitStatus


class KitCheckOut(msgspec.Struct):
    id: int
    kit: str
    seal_number: str | None
    intact: bool
    seal_matches: bool
    flagged: bool
    checked_by: str | None
    checked_at: datetime
    kit_status: KitStatus


class KitOpeningOut(msgspec.Struct):
    reason: str
    seal_number: str | None
    reference: str | None
    opened_by: str | None
    opened_at: datetime


class UsageTotal(msgspec.Struct):
    item: int
    item_name: str
    quantity: int


class KitUsageOut(msgspec.Struct):
    """The charge sheet: what left the kit (issued or wasted) since it was last sealed."""

    kit: str
    status: KitStatus
    sealed_at: datetime | None
    openings: list[KitOpeningOut]
    lines: list[MovedOut]
    totals: list[UsageTotal]


class Suggested(msgspec.Struct):
    item: int
    item_name: str
    lot: str
    expiry: date | None
    quantity: int


class PlanSlot(msgspec.Struct):
    slot: str
    required: int
    fit: int
    missing: int
    swap: list[KitLotOut]
    """Units to take out: expired, recalled, short-dated, or expiring before the next check."""
    bring: int
    """Units to scan in: what is missing plus what is swapped out while still fit."""
    suggested: list[Suggested]
    not_available: int
    """Units of `bring` the source cannot supply with the slot's shelf life."""


class RestockPlanOut(msgspec.Struct):
    kit: str
    source: str
    template: str
    template_version: int
    next_check_due: date
    slots: list[PlanSlot]
    off_template: list[KitLotOut]
