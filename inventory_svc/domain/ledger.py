"""Ledger rules: what each scan action moves where, which lots may move, and FEFO picking.

Pure functions over plain values; the services apply them inside one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from inventory_svc.domain.errors import (
    BadRequest,
    DuplicateSerial,
    ExpiredLot,
    InsufficientStock,
    InvalidMovement,
    QuantityTooLarge,
    RecalledLot,
    ReturnExceedsIssued,
    UnsupportedAction,
)
from inventory_svc.domain.vocabulary import LocationKind, LotStatus, VirtualLocation

SUPPLIER = VirtualLocation.SUPPLIER
CONSUMED = VirtualLocation.CONSUMED
WASTE = VirtualLocation.WASTE
ADJUSTMENT = VirtualLocation.ADJUSTMENT
VIRTUAL_LOCATIONS = tuple(VirtualLocation)

EXPIRING_SOON_DAYS = 30

MAX_BASE_UNITS_PER_SCAN = 10_000_000
"""One scan books at most this many base units: a full pallet counted in tablets fits, a
typo or a hostile count cannot push a balance towards the 64-bit limit."""


class Action(StrEnum):
    RECEIVE = "receive"
    ISSUE = "issue"
    TRANSFER = "transfer"
    RESTOCK = "restock"
    REMOVE = "remove"
    WASTE = "waste"
    RETURN = "return"
    RETURN_TO_SUPPLIER = "return_to_supplier"
    COUNT = "count"
    SEAL = "seal"
    LOOKUP = "lookup"


# Actions whose workflow (kit restock, counts) arrives with its own feature.
MOVING_ACTIONS = (
    Action.RECEIVE,
    Action.ISSUE,
    Action.TRANSFER,
    Action.WASTE,
    Action.RETURN,
    Action.RETURN_TO_SUPPLIER,
)


@dataclass(frozen=True, slots=True)
class Route:
    """Where one scan moves stock: `source` and `destination` are location codes."""

    kind: str
    source: str
    destination: str

    @property
    def leaves_real_location(self) -> bool:
        return self.source not in VIRTUAL_LOCATIONS

    @property
    def may_create_lot(self) -> bool:
        """Only stock arriving from a supplier brings a lot into the ledger for the first
        time; every other move takes an existing lot from somewhere."""
        return self.source == SUPPLIER

    @property
    def bounded_by_issued(self) -> bool:
        """A return undoes an issue: never more of a lot than was issued, net of returns."""
        return self.source == CONSUMED


def is_virtual_code(code: str) -> bool:
    """Virtual locations (and any code shaped like one) stand for the outside world."""
    return code.startswith("@")


def check_names_real_locations(location: str, to_location: str | None) -> None:
    """A scan names real locations only: the outside world is reached through the action that
    owns that move (receive from `@supplier`, issue to `@consumed`, ...), never by name."""
    for code in (location, to_location):
        if code is not None and is_virtual_code(code):
            raise InvalidMovement(
                f"{code!r} is a virtual location: a scan names real locations, and the "
                "action decides where stock comes from or goes to."
            )


# Where each moving action takes stock from and to. `None` stands for the scan's `location`;
# a transfer's destination is its `to_location`. `return` brings unused stock back from the
# floor into `location` (the undo of issue).
_ROUTES: dict[Action, tuple[str | None, str | None]] = {
    Action.RECEIVE: (SUPPLIER, None),
    Action.ISSUE: (None, CONSUMED),
    Action.WASTE: (None, WASTE),
    Action.RETURN: (CONSUMED, None),
    # Recalled or short-dated stock sent back for credit (`reference`: the supplier's return
    # authorisation).
    Action.RETURN_TO_SUPPLIER: (None, SUPPLIER),
    Action.TRANSFER: (None, None),
}


def route_for(action: Action, location: str, to_location: str | None) -> Route:
    check_names_real_locations(location, to_location)
    if action not in _ROUTES:
        raise UnsupportedAction(f"The action {action.value!r} is not available on this server yet.")
    source, destination = _ROUTES[action]
    if action is Action.TRANSFER:
        if not to_location:
            raise BadRequest("A transfer needs `to_location`.")
        if to_location == location:
            raise InvalidMovement("A transfer needs two different locations.")
        destination = to_location
    return Route(action.value, source or location, destination or location)


def moves_named_lot(route: Route, lot: str | None, expiry: date | None) -> bool:
    """A barcode with a lot or expiry moves exactly that lot; stock arriving from outside
    is always a named lot (lot '' without one). Otherwise stock leaves earliest expiry
    first (FEFO)."""
    return lot is not None or expiry is not None or not route.leaves_real_location


def no_lot_warning(lot: str | None, expiry: date | None) -> tuple[str, str] | None:
    if lot is None and expiry is None:
        return ("no_lot", "This barcode carries no lot or expiry; booked without lot.")
    return None


def lot_status(expiry: date | None, recalled: bool, today: date) -> LotStatus:
    if recalled:
        return LotStatus.RECALLED
    if expiry is None:
        return LotStatus.OK
    if expiry < today:
        return LotStatus.EXPIRED
    if expiry <= today + timedelta(days=EXPIRING_SOON_DAYS):
        return LotStatus.EXPIRING
    return LotStatus.OK


def takes_unusable_stock(route: Route, destination_kind: str) -> bool:
    """Expired and recalled stock may still go to waste, back to the supplier or into
    quarantine, nowhere else."""
    return route.destination in (WASTE, SUPPLIER) or destination_kind == LocationKind.QUARANTINE


def check_lot_may_move(
    route: Route,
    destination_kind: str,
    lot_number: str,
    expiry: date | None,
    recalled: bool,
    today: date,
) -> list[tuple[str, str]]:
    """Refuse expired or recalled stock unless it is being pulled; return warnings."""
    status = lot_status(expiry, recalled, today)
    pulled = takes_unusable_stock(route, destination_kind)
    if status is LotStatus.RECALLED and not pulled:
        raise RecalledLot(f"Lot {lot_number or '(none)'} is recalled: quarantine or waste it.")
    if status is LotStatus.EXPIRED and not pulled:
        raise ExpiredLot(f"Lot {lot_number or '(none)'} expired on {expiry}.")
    if status is LotStatus.EXPIRING:
        return [("expiring_soon", f"Lot {lot_number or '(none)'} expires on {expiry}.")]
    return []


def base_units(quantity: int, units_per_scan: int, pack_count: int | None) -> int:
    """A carton GTIN means `units` base units; GS1 AI 30/37 says how many packs one label is."""
    if quantity < 1:
        raise BadRequest("quantity must be at least 1.")
    total = quantity * units_per_scan * (pack_count or 1)
    if total > MAX_BASE_UNITS_PER_SCAN:
        raise QuantityTooLarge(
            f"{quantity} x {units_per_scan} units x count {pack_count or 1} = {total} base "
            f"units; one scan books at most {MAX_BASE_UNITS_PER_SCAN}.",
            limit=MAX_BASE_UNITS_PER_SCAN,
        )
    return total


def check_return_within_issued(lot_number: str, net_issued: int, quantity: int) -> None:
    """`net_issued` is what went to `@consumed` of this lot over all locations, less what
    came back: returning more would create stock that never existed."""
    if quantity > net_issued:
        raise ReturnExceedsIssued(
            f"Return of {quantity} of lot {lot_number or '(none)'}: only {max(net_issued, 0)} "
            "issued and not yet returned.",
            returnable=max(net_issued, 0),
        )


@dataclass(frozen=True, slots=True)
class LotOnHand:
    lot_id: int
    lot_number: str
    expiry: date | None
    recalled: bool
    quantity: int


def fefo_order(lots: Sequence[LotOnHand]) -> list[LotOnHand]:
    """Earliest expiry first; lots without expiry last; lot number breaks ties."""
    return sorted(
        lots, key=lambda lot: (lot.expiry is None, lot.expiry or date.max, lot.lot_number)
    )


def pick_fefo(
    lots: Sequence[LotOnHand], wanted: int, today: date, *, include_unusable: bool = False
) -> list[tuple[LotOnHand, int]]:
    """Take `wanted` units earliest expiry first, splitting across lots. Expired and recalled
    lots are skipped unless the stock is being pulled (then they go first, being earliest)."""
    usable = [
        lot
        for lot in fefo_order(lots)
        if lot.quantity > 0
        and (
            include_unusable
            or lot_status(lot.expiry, lot.recalled, today)
            not in (LotStatus.EXPIRED, LotStatus.RECALLED)
        )
    ]
    picks: list[tuple[LotOnHand, int]] = []
    remaining = wanted
    for lot in usable:
        if remaining == 0:
            break
        take = min(remaining, lot.quantity)
        picks.append((lot, take))
        remaining -= take
    if remaining:
        available = wanted - remaining
        blocked = sum(lot.quantity for lot in lots if lot.quantity > 0) - available
        hint = f" ({blocked} more are expired or recalled)" if blocked > 0 else ""
        raise InsufficientStock(
            f"Wanted {wanted}, only {available} usable on hand{hint}.",
            available=available,
        )
    return picks


# --- planning a move: the domain decides, the database executes one statement ------------


@dataclass(frozen=True, slots=True)
class PlaceFacts:
    """A location as a move needs it."""

    id: int
    code: str
    kind: str
    is_virtual: bool


@dataclass(frozen=True, slots=True)
class LotFacts:
    """A lot as a move needs it, with its on-hand at the move's source (0 when none)."""

    id: int
    lot_number: str
    expiry: date | None
    recalled: bool
    on_hand: int


@dataclass(frozen=True, slots=True)
class Leg:
    """One lot's part of a move: `quantity` units from the source to the destination.
    `lot_id` is None for a lot that arrives for the first time (created before the write)."""

    lot_id: int | None
    lot_number: str
    expiry: date | None
    quantity: int


@dataclass(frozen=True, slots=True)
class MovePlan:
    """What one moving scan does to the ledger, decided before any write: the executor
    (db/moves.py) applies all legs, or none when a real source turns out short."""

    route: Route
    item_id: int
    source: PlaceFacts
    destination: PlaceFacts
    legs: tuple[Leg, ...]
    warnings: tuple[tuple[str, str], ...]

    @property
    def new_lot(self) -> Leg | None:
        return next((leg for leg in self.legs if leg.lot_id is None), None)


def plan_move(
    route: Route,
    *,
    item_id: int,
    source: PlaceFacts,
    destination: PlaceFacts,
    quantity: int,
    barcode_lot: str | None,
    barcode_expiry: date | None,
    named_lot: LotFacts | None,
    lots_at_source: Sequence[LotFacts],
    net_issued: int | None,
    today: date,
) -> MovePlan:
    """The ledger rules of one move, in the contract's order (lot fitness, then stock).

    `named_lot` is the barcode's lot when it exists; `lots_at_source` the source's lots of
    the item with stock (for FEFO); `net_issued` the lot's issued-less-returned units, for a
    return only. Raises the DomainError that refuses the scan."""
    warnings: list[tuple[str, str]] = []
    legs: tuple[Leg, ...]
    if moves_named_lot(route, barcode_lot, barcode_expiry):
        lot_number = barcode_lot or ""
        if named_lot is None:
            warnings += check_lot_may_move(
                route, destination.kind, lot_number, barcode_expiry, False, today
            )
            if route.bounded_by_issued:
                check_return_within_issued(lot_number, 0, quantity)
            if not route.may_create_lot:
                raise InsufficientStock(
                    f"No lot {lot_number or '(none)'} of this item at {route.source}."
                )
            legs = (Leg(None, lot_number, barcode_expiry, quantity),)
        else:
            warnings += check_lot_may_move(
                route,
                destination.kind,
                named_lot.lot_number,
                named_lot.expiry,
                named_lot.recalled,
                today,
            )
            if route.bounded_by_issued:
                check_return_within_issued(named_lot.lot_number, net_issued or 0, quantity)
            if not source.is_virtual and named_lot.on_hand < quantity:
                raise InsufficientStock(
                    f"Not enough of lot {named_lot.lot_number or '(none)'} at {route.source} "
                    f"for {quantity}: {named_lot.on_hand} on hand.",
                    available=named_lot.on_hand,
                )
            legs = (Leg(named_lot.id, named_lot.lot_number, named_lot.expiry, quantity),)
        if warning := no_lot_warning(barcode_lot, barcode_expiry):
            warnings.append(warning)
    else:
        on_hand = [
            LotOnHand(lot.id, lot.lot_number, lot.expiry, lot.recalled, lot.on_hand)
            for lot in lots_at_source
        ]
        include_unusable = takes_unusable_stock(route, destination.kind)
        picks = pick_fefo(on_hand, quantity, today, include_unusable=include_unusable)
        legs = tuple(Leg(lot.lot_id, lot.lot_number, lot.expiry, take) for lot, take in picks)
    return MovePlan(route, item_id, source, destination, legs, tuple(warnings))


def not_fefo_warning(
    plan: MovePlan, earliest_usable: tuple[str, date] | None
) -> tuple[str, str] | None:
    """An issue of a lot while a shorter-dated usable lot of the item sits at the same
    location: allowed (the nurse has the pack in hand), but said, so stock does not expire on
    the shelf behind it."""
    if earliest_usable is None or len(plan.legs) != 1:
        return None
    leg = plan.legs[0]
    lot_number, expiry = earliest_usable
    if leg.expiry is None or expiry >= leg.expiry or lot_number == leg.lot_number:
        return None
    return (
        "not_fefo",
        f"Lot {lot_number} here expires first ({expiry}); this is lot "
        f"{leg.lot_number or '(none)'} ({leg.expiry}).",
    )


def check_serial(
    route: Route, serial: str, found_at: PlaceFacts | None, source: PlaceFacts
) -> int | None:
    """Where a serialised pack must be for this move, as its row's location id (None: a
    pack not seen before, which the move records). A pack arrives from the supplier once:
    again only after it went back to the supplier; any other move takes it from where it
    is."""
    if found_at is None:
        return None
    if route.may_create_lot:
        if found_at.code == SUPPLIER:
            return found_at.id  # sent back for credit, and delivered again
        raise DuplicateSerial(
            f"Pack {serial} was received already: it is at {found_at.code}.",
            serial=serial,
            location=found_at.code,
        )
    if found_at.id == source.id:
        return found_at.id
    if found_at.code in (CONSUMED, WASTE):
        gone = "given to a patient" if found_at.code == CONSUMED else "wasted"
        raise DuplicateSerial(f"Pack {serial} was {gone} already.", serial=serial)
    raise InvalidMovement(
        f"Pack {serial} is at {found_at.code}, not at {source.code}.", location=found_at.code
    )
