"""One handler per scan action, registered by action.

The envelope (services/scans.py) claims the Idempotency-Key, replays, records rejections and
retries; a handler only does what its action means, inside the envelope's unit of work. A new
scan action is one new handler and its `@handles(...)` line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import catalog
from inventory_svc.db.ledger import (
    NewMovement,
    find_lot,
    lots_on_hand,
    move_lot,
    net_moved_to,
    record_movements,
    upsert_lot,
)
from inventory_svc.db.models import Location, Lot
from inventory_svc.domain import barcodes
from inventory_svc.domain.errors import (
    InsufficientStock,
    UnknownItem,
    UnknownLocation,
    UnsupportedAction,
)
from inventory_svc.domain.ledger import (
    MOVING_ACTIONS,
    Action,
    LotOnHand,
    Route,
    base_units,
    check_lot_may_move,
    check_return_within_issued,
    moves_named_lot,
    no_lot_warning,
    pick_fefo,
    route_for,
    takes_unusable_stock,
)
from inventory_svc.domain.records import (
    BalanceLine,
    BarcodeOut,
    ItemRef,
    MovementLine,
    Warning,
)
from inventory_svc.services import reports
from inventory_svc.services.actors import Actor
from inventory_svc.services.uow import UnitOfWork

if TYPE_CHECKING:
    from inventory_svc.services.scans import ScanRequest

FEFO_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class ScanContext:
    """Everything a handler may know about the scan it applies."""

    request: ScanRequest
    barcode: barcodes.Barcode
    actor: Actor
    idempotency_key: str
    scan_id: int
    now: datetime
    today: date


@dataclass(slots=True)
class ScanEffect:
    """What the scan did so far; what is known when a scan is refused half-way (the item,
    the parsed barcode) still goes to the scan log."""

    item: ItemRef | None = None
    barcode: BarcodeOut | None = None
    movements: list[MovementLine] = field(default_factory=list)
    balances: list[BalanceLine] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)

    def clear(self) -> None:
        self.item, self.barcode = None, None
        self.movements, self.balances, self.warnings = [], [], []


ScanHandler = Callable[[UnitOfWork, ScanContext, ScanEffect], Awaitable[None]]
_HANDLERS: dict[Action, ScanHandler] = {}


def handles(*actions: Action) -> Callable[[ScanHandler], ScanHandler]:
    def register(handler: ScanHandler) -> ScanHandler:
        for action in actions:
            if action in _HANDLERS:
                raise RuntimeError(f"two handlers for {action}")
            _HANDLERS[action] = handler
        return handler

    return register


def handler_for(action: Action) -> ScanHandler:
    """The action's handler; an action whose workflow this server does not have (yet) is
    refused here, before any transaction."""
    if action not in _HANDLERS:
        raise UnsupportedAction(f"The action {action.value!r} is not available on this server yet.")
    return _HANDLERS[action]


async def identify(uow: UnitOfWork, ctx: ScanContext, effect: ScanEffect) -> catalog.ItemMatch:
    """The item the barcode names; its identifier says how many base units one scan is."""
    barcode = ctx.barcode
    ndc_candidates = barcodes.ndc11_candidates(barcode.ndc) if barcode.ndc else []
    found = await catalog.find_item_by_barcode(
        uow.session,
        barcode.gtin,
        ndc_candidates,
        fallback_to_ndc=barcodes.may_fall_back_to_ndc(barcode.gtin),
    )
    if found is None:
        ndc = f" (NDC digits {barcode.ndc})" if barcode.ndc else ""
        raise UnknownItem(
            f"No item has GTIN {barcode.gtin}{ndc}: add the identifier to the item first.",
            barcode=barcode.as_dict(),
        )
    effect.item = ItemRef(found.item.id, found.item.name)
    effect.barcode = _barcode_view(barcode, found.ndc_printed)
    effect.warnings += _warnings(list(barcode.warnings))  # e.g. fnc1_missing
    return found


@handles(Action.LOOKUP)
async def lookup(uow: UnitOfWork, ctx: ScanContext, effect: ScanEffect) -> None:
    """Where the item (or the lot on the barcode) is, changing nothing."""
    match = await identify(uow, ctx, effect)
    rows = await reports.stock(
        uow.session, today=ctx.today, item=match.item.id, lot=ctx.barcode.lot
    )
    effect.balances = [BalanceLine(row.location, row.lot, row.expiry, row.quantity) for row in rows]


@handles(*MOVING_ACTIONS)
async def move_stock(uow: UnitOfWork, ctx: ScanContext, effect: ScanEffect) -> None:
    """Receive, issue, transfer, waste, return: one lot named on the barcode, or lots picked
    earliest expiry first, along the action's route."""
    match = await identify(uow, ctx, effect)
    request, barcode, session = ctx.request, ctx.barcode, uow.session
    route = route_for(request.action, request.location, request.to_location)
    locations = await _route_locations(session, route)
    quantity = base_units(request.quantity, match.identifier.units, barcode.count)
    item_id = match.item.id

    if moves_named_lot(route, barcode.lot, barcode.expiry):
        picks = await _move_named_lot(session, route, locations, item_id, ctx, quantity, effect)
    else:
        picks = await _move_fefo(session, route, locations, item_id, quantity, ctx.today)

    ids = await record_movements(
        session,
        [
            NewMovement(
                kind=route.kind,
                item_id=item_id,
                lot_id=picked.lot_id,
                from_location_id=locations[route.source].id,
                to_location_id=locations[route.destination].id,
                quantity=taken,
                occurred_at=request.scanned_at or ctx.now,
                actor=ctx.actor.name,
                device=request.device,
                scan_id=ctx.scan_id,
                reference=request.purchase_order,
            )
            for picked, taken, _ in picks
        ],
    )
    for movement_id, (picked, taken, after) in zip(ids, picks, strict=True):
        effect.movements.append(
            MovementLine(
                movement_id,
                route.kind,
                route.source,
                route.destination,
                picked.lot_number,
                picked.expiry,
                taken,
            )
        )
        effect.balances += [
            BalanceLine(code, picked.lot_number, picked.expiry, on_hand)
            for code, on_hand in after.items()
        ]


Pick = tuple[LotOnHand, int, dict[str, int]]
"""A lot, the units taken of it, and the new on-hand of the real locations touched."""


async def _move_named_lot(
    session: AsyncSession,
    route: Route,
    locations: dict[str, Location],
    item_id: int,
    ctx: ScanContext,
    quantity: int,
    effect: ScanEffect,
) -> list[Pick]:
    """Move exactly the lot on the barcode. Only a receipt may bring a new lot into the
    ledger; every other move must find it."""
    barcode, today = ctx.barcode, ctx.today
    lot_number = barcode.lot or ""
    destination_kind = locations[route.destination].kind
    lot: Lot | None
    if route.may_create_lot:
        lot = await upsert_lot(session, item_id, lot_number, barcode.expiry)
    else:
        # A return locks the lot so that concurrent returns count its issued units once.
        lot = await find_lot(
            session, item_id, lot_number, barcode.expiry, lock=route.bounded_by_issued
        )
    if lot is None:
        check_lot_may_move(route, destination_kind, lot_number, barcode.expiry, False, today)
        if route.bounded_by_issued:
            check_return_within_issued(lot_number, 0, quantity)
        raise InsufficientStock(f"No lot {lot_number or '(none)'} of this item at {route.source}.")
    effect.warnings += _warnings(
        check_lot_may_move(route, destination_kind, lot.lot_number, lot.expiry, lot.recalled, today)
    )
    if route.bounded_by_issued:
        issued = await net_moved_to(session, lot.id, locations[route.source])
        check_return_within_issued(lot.lot_number, issued, quantity)
    if warning := no_lot_warning(barcode.lot, barcode.expiry):
        effect.warnings += _warnings([warning])
    moved = await move_lot(
        session, locations[route.source], locations[route.destination], item_id, lot.id, quantity
    )
    if moved is None:
        raise InsufficientStock(
            f"Not enough of lot {lot.lot_number or '(none)'} at {route.source} for {quantity}."
        )
    return [(LotOnHand(lot.id, lot.lot_number, lot.expiry, lot.recalled, 0), quantity, moved)]


async def _move_fefo(
    session: AsyncSession,
    route: Route,
    locations: dict[str, Location],
    item_id: int,
    quantity: int,
    today: date,
) -> list[Pick]:
    """No lot on the barcode: take earliest-expiring usable lots first. A concurrent scan may
    empty a lot between reading and taking; then the plan is made again from fresh balances."""
    source, destination = locations[route.source], locations[route.destination]
    include_unusable = takes_unusable_stock(route, destination.kind)
    for _attempt in range(FEFO_ATTEMPTS):
        on_hand = await lots_on_hand(session, item_id, source.id)
        plan = pick_fefo(on_hand, quantity, today, include_unusable=include_unusable)
        done: list[Pick] = []
        savepoint = await session.begin_nested()
        for lot, take in plan:
            after = await move_lot(session, source, destination, item_id, lot.lot_id, take)
            if after is None:
                await savepoint.rollback()
                break
            done.append((lot, take, after))
        else:
            await savepoint.commit()
            return done
    raise InsufficientStock(f"Stock at {route.source} changed while picking; scan again.")


async def _route_locations(session: AsyncSession, route: Route) -> dict[str, Location]:
    """The route's two locations; `route_for` has made sure the scan named real ones only."""
    locations = await catalog.locations_by_codes(session, (route.source, route.destination))
    for code in (route.source, route.destination):
        if code not in locations:
            raise UnknownLocation(f"No location has the code {code!r}.", location=code)
    return locations


def _barcode_view(barcode: barcodes.Barcode, ndc_printed: str | None) -> BarcodeOut:
    """The parsed barcode, with the NDC shown in the layout printed on this item's package."""
    ndc = barcode.ndc
    if ndc and ndc_printed and len(ndc) == 10:  # 11/12 digits (AI 715) are shown as sent
        ndc = barcodes.format_ndc10(ndc, like=ndc_printed)
    return BarcodeOut(
        kind=barcode.kind,
        gtin=barcode.gtin,
        ndc=ndc,
        lot=barcode.lot,
        expiry=barcode.expiry,
        serial=barcode.serial,
        count=barcode.count,
        symbology=barcode.symbology,
        label=barcode.label,
        sscc=barcode.sscc,
    )


def _warnings(pairs: list[tuple[str, str]]) -> list[Warning]:
    return [Warning(code, detail) for code, detail in pairs]
