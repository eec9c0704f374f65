"""Kit rules: slot accounting, shelf life, what may go into a kit, when it may be sealed.

A kit is a location bound to one version of a template; its contents are ordinary stock.
Everything here is pure: the services read the kit's lots and the template's slots, and these
functions decide (services/kits.py applies the decision in one unit of work).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from inventory_svc.domain.errors import (
    BelowMinShelfLife,
    InsufficientStock,
    KitIncomplete,
    NotInTemplate,
    SessionClosed,
    SlotFull,
)
from inventory_svc.domain.ledger import (
    LotFacts,
    MovePlan,
    PlaceFacts,
    Route,
    check_lot_may_move,
    moves_named_lot,
    plan_move,
)
from inventory_svc.domain.vocabulary import KitStatus

DEFAULT_CHECK_INTERVAL_DAYS = 30


@dataclass(frozen=True, slots=True)
class SlotRule:
    """One line of a template: `quantity` base units of any of `items`, each unit with at
    least `min_days_to_expiry` days of shelf life left."""

    slot: str
    items: frozenset[int]
    quantity: int
    min_days_to_expiry: int

    def earliest_acceptable_expiry(self, today: date) -> date:
        """A unit expiring on this day or later is fit: exactly the minimum is enough."""
        return today + timedelta(days=self.min_days_to_expiry)


@dataclass(frozen=True, slots=True)
class TemplateRules:
    """A template version's slots (an item belongs to at most one slot); `by_item` finds an
    item's slot without walking them (the board looks up every lot of hundreds of kits)."""

    id: int
    code: str
    version: int
    check_interval_days: int
    slots: tuple[SlotRule, ...]
    by_item: dict[int, SlotRule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_item", {i: slot for slot in self.slots for i in slot.items})

    def slot_for(self, item_id: int) -> SlotRule | None:
        return self.by_item.get(item_id)

    def next_check(self, today: date) -> date:
        return today + timedelta(days=self.check_interval_days)


def check_template_lines(lines: Sequence[tuple[str, Sequence[int]]]) -> list[str]:
    """What is wrong with a template's slots (name, item ids): a slot named twice, or an
    item in two slots (every unit in a kit must belong to exactly one slot)."""
    problems: list[str] = []
    seen_slots: set[str] = set()
    slot_of: dict[int, str] = {}
    for slot, items in lines:
        if slot in seen_slots:
            problems.append(f"The slot {slot!r} is named twice.")
        seen_slots.add(slot)
        for item in items:
            if item in slot_of and slot_of[item] != slot:
                problems.append(f"Item {item} is in two slots: {slot_of[item]!r} and {slot!r}.")
            elif item in slot_of:
                problems.append(f"Item {item} is listed twice in the slot {slot!r}.")
            slot_of.setdefault(item, slot)
    return problems


class UnitState(StrEnum):
    """How one lot in a kit stands today against its slot."""

    OK = "ok"
    EXPIRING = "expiring"
    """Fit today, but expires before the kit's next check is due: swap it at the restock."""
    SHORT_DATED = "short_dated"
    """Not expired, but under the slot's minimum shelf life: it no longer counts as present."""
    EXPIRED = "expired"
    RECALLED = "recalled"


UNFIT = frozenset({UnitState.SHORT_DATED, UnitState.EXPIRED, UnitState.RECALLED})


def unit_state(
    expiry: date | None, recalled: bool, slot: SlotRule, today: date, next_check: date
) -> UnitState:
    """A unit expiring today is still usable today (as everywhere in the ledger); one whose
    expiry is exactly the slot's minimum shelf life away is fit."""
    if recalled:
        return UnitState.RECALLED
    if expiry is None:
        return UnitState.OK
    if expiry < today:
        return UnitState.EXPIRED
    if expiry < slot.earliest_acceptable_expiry(today):
        return UnitState.SHORT_DATED
    if expiry < next_check:
        return UnitState.EXPIRING
    return UnitState.OK


class KitLot(NamedTuple):
    """One lot of one item in a kit (or at a restock source)."""

    item_id: int
    item_name: str
    lot_id: int
    lot_number: str
    expiry: date | None
    recalled: bool
    quantity: int


@dataclass(frozen=True, slots=True)
class SlotLot:
    item_id: int
    item_name: str
    lot: str
    expiry: date | None
    quantity: int
    state: UnitState


@dataclass(slots=True)
class SlotView:
    """`present` counts every unit of the slot's items in the kit; `fit` those usable today
    with the slot's shelf life; `missing` = required - fit."""

    slot: str
    required: int
    present: int = 0
    fit: int = 0
    expired: int = 0
    """Expired or recalled units: to be pulled (waste, or quarantine when recalled)."""
    short_dated: int = 0
    expiring: int = 0
    lots: list[SlotLot] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return max(self.required - self.fit, 0)

    @property
    def unusable(self) -> int:
        return self.present - self.fit


@dataclass(frozen=True, slots=True)
class KitAssessment:
    slots: list[SlotView]
    off_template: list[SlotLot]
    """Units no slot of the kit's template version accepts: removed before sealing."""
    expiry: date | None
    """The earliest expiry among everything in the kit (off-template units included)."""

    @property
    def complete(self) -> bool:
        """Nothing missing, nothing expired, recalled or short-dated, nothing off template."""
        return not self.off_template and all(
            slot.missing == 0 and slot.unusable == 0 for slot in self.slots
        )

    def short(self) -> list[SlotView]:
        return [slot for slot in self.slots if slot.missing or slot.unusable]

    def incomplete_slots(self) -> list[dict[str, object]]:
        """The `slots` of a `409 kit_incomplete`, in template order."""
        return [
            {
                "slot": slot.slot,
                "required": slot.required,
                "present": slot.present,
                "missing": slot.missing,
                "expired": slot.expired,
                "short_dated": slot.short_dated,
            }
            for slot in self.short()
        ]


def assess(rules: TemplateRules, contents: Iterable[KitLot], today: date) -> KitAssessment:
    """Slot accounting of a kit's contents against its template version, today."""
    next_check = rules.next_check(today)
    views = {slot.slot: SlotView(slot.slot, slot.quantity) for slot in rules.slots}
    off_template: list[SlotLot] = []
    earliest: date | None = None
    for lot in contents:
        if lot.quantity <= 0:
            continue
        if lot.expiry is not None and (earliest is None or lot.expiry < earliest):
            earliest = lot.expiry
        slot = rules.slot_for(lot.item_id)
        if slot is None:
            off_template.append(
                SlotLot(
                    lot.item_id,
                    lot.item_name,
                    lot.lot_number,
                    lot.expiry,
                    lot.quantity,
                    UnitState.OK,
                )
            )
            continue
        state = unit_state(lot.expiry, lot.recalled, slot, today, next_check)
        view = views[slot.slot]
        view.present += lot.quantity
        view.lots.append(
            SlotLot(lot.item_id, lot.item_name, lot.lot_number, lot.expiry, lot.quantity, state)
        )
        if state in (UnitState.EXPIRED, UnitState.RECALLED):
            view.expired += lot.quantity
        elif state is UnitState.SHORT_DATED:
            view.short_dated += lot.quantity
        else:
            view.fit += lot.quantity
            if state is UnitState.EXPIRING:
                view.expiring += lot.quantity
    for view in views.values():
        view.lots.sort(key=lambda lot: (lot.expiry is None, lot.expiry or date.max, lot.lot))
    return KitAssessment(list(views.values()), off_template, earliest)


@dataclass(frozen=True, slots=True)
class KitSummary:
    """The board's view of a kit: per short slot (name, missing, to pull), units off the
    template, the kit's expiry. The same accounting as `assess`, without per-lot detail."""

    short: list[tuple[str, int, int]]
    off_template: int
    expiry: date | None

    @property
    def complete(self) -> bool:
        return not self.short and not self.off_template


def summarize(rules: TemplateRules, contents: Iterable[KitLot], today: date) -> KitSummary:
    """`assess` reduced to counts (one pass, no objects per lot): the kit board's hot loop."""
    fit: dict[str, int] = dict.fromkeys((slot.slot for slot in rules.slots), 0)
    unusable = dict(fit)
    earliest_fit = {slot.slot: slot.earliest_acceptable_expiry(today) for slot in rules.slots}
    off_template = 0
    expiry: date | None = None
    for lot in contents:
        quantity = lot.quantity
        if quantity <= 0:
            continue
        lot_expiry = lot.expiry
        if lot_expiry is not None and (expiry is None or lot_expiry < expiry):
            expiry = lot_expiry
        slot = rules.slot_for(lot.item_id)
        if slot is None:
            off_template += quantity
        elif lot.recalled or (lot_expiry is not None and lot_expiry < earliest_fit[slot.slot]):
            unusable[slot.slot] += quantity  # expired, recalled or short-dated
        else:
            fit[slot.slot] += quantity
    short = [
        (slot.slot, max(slot.quantity - fit[slot.slot], 0), unusable[slot.slot])
        for slot in rules.slots
        if fit[slot.slot] < slot.quantity or unusable[slot.slot]
    ]
    return KitSummary(short, off_template, expiry)


def is_ready(status: KitStatus, assessment: KitAssessment | KitSummary) -> bool:
    """The live verdict: sealed, and nothing expired, recalled, short-dated, off template or
    missing today (a kit sealed complete can stop being ready overnight)."""
    return status is KitStatus.READY and assessment.complete


def check_may_seal(assessment: KitAssessment, override_reason: str | None) -> bool:
    """Raises KitIncomplete for a kit that is not complete, unless overridden; returns
    whether the seal is an override (a complete kit needs none)."""
    if assessment.complete:
        return False
    if override_reason:
        return True
    off = ", ".join(sorted({lot.item_name for lot in assessment.off_template}))
    parts = [
        f"{slot.slot}: {slot.missing} missing"
        + (f", {slot.unusable} to pull" if slot.unusable else "")
        for slot in assessment.short()
    ]
    if off:
        parts.append(f"not in the template: {off}")
    raise KitIncomplete(
        "The kit cannot be sealed: " + "; ".join(parts) + ".",
        slots=assessment.incomplete_slots(),
        off_template=[
            {"item": lot.item_id, "lot": lot.lot, "quantity": lot.quantity}
            for lot in assessment.off_template
        ],
    )


def plan_restock(
    route: Route,
    rules: TemplateRules,
    *,
    item_id: int,
    source: PlaceFacts,
    destination: PlaceFacts,
    quantity: int,
    barcode_lot: str | None,
    barcode_expiry: date | None,
    named_lot: LotFacts | None,
    lots_at_source: Sequence[LotFacts],
    present_in_slot: int,
    session_open: bool,
    today: date,
) -> MovePlan:
    """A restock scan's rules, in the contract's order: lot fitness (expiry, recall, the
    slot's shelf life), template, slot capacity, session, stock. `present_in_slot` counts
    every unit of the slot's items already in the kit (read under the kit's lock)."""
    slot = rules.slot_for(item_id)
    named = moves_named_lot(route, barcode_lot, barcode_expiry)
    if named:
        lot_number = named_lot.lot_number if named_lot else (barcode_lot or "")
        expiry = named_lot.expiry if named_lot else barcode_expiry
        recalled = named_lot.recalled if named_lot else False
        check_lot_may_move(route, destination.kind, lot_number, expiry, recalled, today)
        if slot is not None and expiry is not None:
            earliest = slot.earliest_acceptable_expiry(today)
            if expiry < earliest:
                raise BelowMinShelfLife(
                    f"Lot {lot_number or '(none)'} expires on {expiry}; the slot "
                    f"{slot.slot!r} needs {slot.min_days_to_expiry} days (until {earliest}).",
                    slot=slot.slot,
                    min_days_to_expiry=slot.min_days_to_expiry,
                )
    if slot is None:
        raise NotInTemplate(
            f"No slot of the kit's template {rules.code} (version {rules.version}) takes this "
            "item.",
            template=rules.code,
        )
    if present_in_slot + quantity > slot.quantity:
        raise SlotFull(
            f"The slot {slot.slot!r} holds {present_in_slot} of {slot.quantity}; "
            f"{quantity} more would exceed it.",
            slot=slot.slot,
            required=slot.quantity,
            present=present_in_slot,
        )
    if not session_open:
        raise SessionClosed("This restock session is completed; scan into the kit's open one.")
    if named:
        lots = lots_at_source
    else:  # earliest expiry first among the lots that meet the slot's shelf life
        earliest = slot.earliest_acceptable_expiry(today)
        lots = [lot for lot in lots_at_source if lot.expiry is None or lot.expiry >= earliest]
    try:
        return plan_move(
            route,
            item_id=item_id,
            source=source,
            destination=destination,
            quantity=quantity,
            barcode_lot=barcode_lot,
            barcode_expiry=barcode_expiry,
            named_lot=named_lot,
            lots_at_source=lots,
            net_issued=None,
            today=today,
        )
    except InsufficientStock:
        if not named and sum(lot.on_hand for lot in lots_at_source) >= quantity:
            raise BelowMinShelfLife(
                f"Not enough units at {route.source} with {slot.min_days_to_expiry} days of "
                f"shelf life left for the slot {slot.slot!r}.",
                slot=slot.slot,
                min_days_to_expiry=slot.min_days_to_expiry,
            ) from None
        raise


@dataclass(frozen=True, slots=True)
class Suggestion:
    item_id: int
    item_name: str
    lot: str
    expiry: date | None
    quantity: int


def suggest_lots(
    slot: SlotRule, lots: Sequence[KitLot], wanted: int, today: date, next_check: date
) -> list[Suggestion]:
    """Lots from the source for `wanted` units of the slot: earliest expiry first among those
    that outlast the next check, then the ones that only meet the minimum shelf life."""
    earliest = slot.earliest_acceptable_expiry(today)
    eligible = [
        lot
        for lot in lots
        if lot.item_id in slot.items
        and lot.quantity > 0
        and not lot.recalled
        and (lot.expiry is None or lot.expiry >= earliest)
    ]
    eligible.sort(
        key=lambda lot: (
            lot.expiry is not None and lot.expiry < next_check,
            lot.expiry is None,
            lot.expiry or date.max,
            lot.lot_number,
        )
    )
    picks: list[Suggestion] = []
    for lot in eligible:
        if wanted <= 0:
            break
        take = min(wanted, lot.quantity)
        picks.append(Suggestion(lot.item_id, lot.item_name, lot.lot_number, lot.expiry, take))
        wanted -= take
    return picks


def to_replace(view: SlotView) -> int:
    """Units the restock must bring: what is missing, plus the fit units that expire before
    the next check (they are swapped)."""
    return view.missing + view.expiring
