"""One handler per scan action, registered by action.

The envelope (services/scans.py) claims the Idempotency-Key, replays, records rejections and
retries; a handler only does what its action means, inside the envelope's unit of work. A new
scan action is one new handler and its `@handles(...)` line.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from inventory_svc.db import catalog, moves
from inventory_svc.db import kits as kits_db
from inventory_svc.db import recalls as recalls_db
from inventory_svc.domain import barcodes
from inventory_svc.domain.errors import (
    BadRequest,
    InvalidMovement,
    SessionClosed,
    UnknownItem,
    UnknownLocation,
    UnsupportedAction,
)
from inventory_svc.domain.kit_records import KitBrief
from inventory_svc.domain.kits import plan_restock
from inventory_svc.domain.ledger import (
    MOVING_ACTIONS,
    Action,
    MovePlan,
    PlaceFacts,
    Route,
    base_units,
    check_lot_may_move,
    check_serial,
    moves_named_lot,
    not_fefo_warning,
    plan_move,
    route_for,
)
from inventory_svc.domain.records import BalanceLine, BarcodeOut, ItemRef, Warning
from inventory_svc.domain.vocabulary import KIT_KINDS
from inventory_svc.services import controlled, counts, kits, picking, purchasing, reports
from inventory_svc.services.actors import Actor
from inventory_svc.services.uow import UnitOfWork

if TYPE_CHECKING:
    from inventory_svc.services.scans import ScanRequest


@dataclass(frozen=True, slots=True)
class ScanContext:
    """Everything a handler may know about the scan it applies."""

    request: ScanRequest
    barcode: barcodes.Barcode
    actor: Actor
    idempotency_key: str
    now: datetime
    today: date
    witness: controlled.WitnessClaim | None = None
    """What `X-Witness-Key` named (None: no header): checked only where a witness is needed."""


@dataclass(slots=True)
class ScanEffect:
    """What the scan did so far; what is known when a scan is refused half-way (the item,
    the parsed barcode) still goes to the scan log. A moving handler leaves its `plan`,
    which the envelope writes with the scan row in one statement."""

    item: ItemRef | None = None
    barcode: BarcodeOut | None = None
    plan: MovePlan | None = None
    balances: list[BalanceLine] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    kit: KitBrief | None = None
    reference: str | None = None
    """What the plan's movements carry in `reference` (a restock session), when the handler
    decides it rather than the request."""
    witness: str | None = None
    """Who witnessed a controlled-substance waste: kept on its movements."""
    serial: moves.SerialMove | None = None
    """The serialised pack the move takes along (DSCSA)."""

    def clear(self) -> None:
        self.item, self.barcode, self.plan = None, None, None
        self.balances, self.warnings = [], []
        self.kit, self.reference, self.witness = None, None, None
        self.serial = None


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


def identify(ctx: ScanContext, facts: moves.MoveFacts, effect: ScanEffect) -> int:
    """The item the barcode names (its identifier says how many base units one scan is)."""
    barcode = ctx.barcode
    if facts.item_id is None:
        ndc = f" (NDC digits {barcode.ndc})" if barcode.ndc else ""
        raise UnknownItem(
            f"No item has GTIN {barcode.gtin}{ndc}: add the identifier to the item first.",
            barcode=barcode.as_dict(),
        )
    effect.item = ItemRef(facts.item_id, facts.item_name)
    effect.barcode = _barcode_view(barcode, facts.ndc_printed)
    effect.warnings += _warnings(list(barcode.warnings))  # e.g. fnc1_missing
    return facts.item_id


async def read_facts(
    uow: UnitOfWork,
    ctx: ScanContext,
    source: str,
    destination: str,
    *,
    fefo: bool,
    check_fefo: bool = False,
) -> moves.MoveFacts:
    barcode = ctx.barcode
    return await moves.move_facts(
        uow.session,
        gtin=barcode.gtin,
        ndc_candidates=barcodes.ndc11_candidates(barcode.ndc) if barcode.ndc else [],
        fallback_to_ndc=barcodes.may_fall_back_to_ndc(barcode.gtin),
        source=source,
        destination=destination,
        lot_number=None if fefo else (barcode.lot or ""),
        expiry=barcode.expiry,
        fefo=fefo,
        usable_from=ctx.today if check_fefo else None,
        serial=barcode.serial,
    )


@handles(Action.LOOKUP)
async def lookup(uow: UnitOfWork, ctx: ScanContext, effect: ScanEffect) -> None:
    """Where the item (or the lot on the barcode) is, changing nothing."""
    location = ctx.request.location
    facts = await read_facts(uow, ctx, location, location, fefo=False)
    item_id = identify(ctx, facts, effect)
    rows = await reports.stock(uow.session, today=ctx.today, item=item_id, lot=ctx.barcode.lot)
    effect.balances = [BalanceLine(row.location, row.lot, row.expiry, row.quantity) for row in rows]


@handles(*MOVING_ACTIONS)
async def move_stock(uow: UnitOfWork, ctx: ScanContext, effect: ScanEffect) -> None:
    """Receive, issue, transfer, waste, return: one read of what the rules need, the
    domain's plan (one lot named on the barcode, or lots earliest expiry first), and the
    plan left for the envelope to write with the scan."""
    request, barcode = ctx.request, ctx.barcode
    route = route_for(request.action, request.location, request.to_location)
    fefo = not moves_named_lot(route, barcode.lot, barcode.expiry)
    check_fefo = not fefo and request.action is Action.ISSUE
    facts = await read_facts(
        uow, ctx, route.source, route.destination, fefo=fefo, check_fefo=check_fefo
    )
    item_id = identify(ctx, facts, effect)
    source, destination = (_place(facts, code) for code in (route.source, route.destination))
    if request.action is Action.WASTE:
        effect.witness = controlled.witness_for_waste(facts.schedule, ctx.actor, ctx.witness)
    kits.check_kit_move(request.action, source, destination)
    effect.serial = _serial_move(ctx, facts, route, source)
    quantity = base_units(request.quantity, facts.units, barcode.count)
    net_issued = None
    if route.bounded_by_issued and facts.named_lot is not None:
        net_issued = await moves.lock_lot_issued(uow.session, facts.named_lot.id, source)
    plan = plan_move(
        route,
        item_id=item_id,
        source=source,
        destination=destination,
        quantity=quantity,
        barcode_lot=barcode.lot,
        barcode_expiry=barcode.expiry,
        named_lot=facts.named_lot,
        lots_at_source=facts.lots_at_source,
        net_issued=net_issued,
        today=ctx.today,
    )
    if request.purchase_order is not None and route.may_create_lot:
        # A receipt against a PO: one transaction with the PO's lines (rarer than scans
        # that move stock in the building; the plain receipt keeps its two round trips).
        effect.warnings += _warnings(
            await purchasing.receive_against(
                uow,
                request.purchase_order,
                item_id,
                quantity,
                scan_key=ctx.idempotency_key,
                lot=barcode.lot or "",
                expiry=barcode.expiry,
                sscc=barcode.sscc,
            )
        )
    if request.pick_list is not None and request.action is Action.TRANSFER:
        effect.warnings += _warnings(
            await picking.fill_from_transfer(
                uow, request.pick_list, item_id, source.id, destination.id, quantity
            )
        )
    if source.kind in KIT_KINDS:  # an issue or waste from a sealed kit breaks its seal
        await kits.note_taken_from_kit(uow, source)
    if (new := plan.new_lot) is not None:
        # a lot number under recall arriving with a new expiry (or for the first time)
        recalled = await recalls_db.number_is_recalled(uow.session, item_id, new.lot_number)
        if recalled:
            check_lot_may_move(route, destination.kind, new.lot_number, new.expiry, True, ctx.today)
        lot_id = await moves.create_lot(
            uow.session, item_id, new.lot_number, new.expiry, recalled=recalled
        )
        plan = replace(plan, legs=(replace(new, lot_id=lot_id),))
    effect.warnings += _warnings(list(plan.warnings))
    if check_fefo and (warning := not_fefo_warning(plan, facts.earliest_usable)):
        effect.warnings += _warnings([warning])
    effect.plan = plan


@handles(Action.RESTOCK)
async def restock(uow: UnitOfWork, ctx: ScanContext, effect: ScanEffect) -> None:
    """Source (`location`) → kit (`to_location`) within the kit's restock session (named,
    or the kit's open one, or one opened now from `location`). The kit's lock is held from
    the slot count to the write, so a slot never exceeds its quantity."""
    request, barcode = ctx.request, ctx.barcode
    if not request.to_location:
        raise BadRequest("A restock scan names the kit in `to_location`.")
    if request.to_location == request.location:
        raise InvalidMovement("A restock moves stock from a real place into a kit.")
    route = Route(Action.RESTOCK.value, request.location, request.to_location)
    fefo = not moves_named_lot(route, barcode.lot, barcode.expiry)
    facts = await read_facts(uow, ctx, route.source, route.destination, fefo=fefo)
    item_id = identify(ctx, facts, effect)
    source, kit_place = _place(facts, route.source), _place(facts, route.destination)
    quantity = base_units(request.quantity, facts.units, barcode.count)
    target = await kits.restock_target(uow, kit_place, source, request.restock_session)
    plan = plan_restock(
        route,
        target.rules,
        item_id=item_id,
        source=source,
        destination=kit_place,
        quantity=quantity,
        barcode_lot=barcode.lot,
        barcode_expiry=barcode.expiry,
        named_lot=facts.named_lot,
        lots_at_source=facts.lots_at_source,
        present_in_slot=kits.present_in_slot(target, item_id),
        session_open=target.session_open,
        today=ctx.today,
    )
    effect.serial = _serial_move(ctx, facts, route, source)
    _kit_move(effect, target, plan, ctx)


@handles(Action.REMOVE)
async def remove(uow: UnitOfWork, ctx: ScanContext, effect: ScanEffect) -> None:
    """Kit (`location`) → a real place (`to_location`, default the session's source):
    e.g. recalled units to quarantine. Expired units are pulled with `waste` scans."""
    request, barcode = ctx.request, ctx.barcode
    destination_code = request.to_location
    if destination_code is None:
        kit = await kits_db.kit_by_code(uow.session, request.location)
        if kit is not None and kit.open_session is not None:
            open_session = await kits_db.session_by_id(uow.session, kit.open_session)
            destination_code = open_session.source if open_session else None
        if destination_code is None:
            raise BadRequest("A remove scan names where the stock goes in `to_location`.")
    if destination_code == request.location:
        raise InvalidMovement("A remove moves stock out of a kit to another place.")
    route = Route(Action.REMOVE.value, request.location, destination_code)
    fefo = not moves_named_lot(route, barcode.lot, barcode.expiry)
    facts = await read_facts(uow, ctx, route.source, route.destination, fefo=fefo)
    item_id = identify(ctx, facts, effect)
    kit_place, destination = _place(facts, route.source), _place(facts, route.destination)
    quantity = base_units(request.quantity, facts.units, barcode.count)
    target = await kits.restock_target(uow, kit_place, destination, request.restock_session)
    if not target.session_open:
        raise SessionClosed("This restock session is completed; scan into the kit's open one.")
    plan = plan_move(
        route,
        item_id=item_id,
        source=kit_place,
        destination=destination,
        quantity=quantity,
        barcode_lot=barcode.lot,
        barcode_expiry=barcode.expiry,
        named_lot=facts.named_lot,
        lots_at_source=facts.lots_at_source,
        net_issued=None,
        today=ctx.today,
    )
    effect.serial = _serial_move(ctx, facts, route, kit_place)
    _kit_move(effect, target, plan, ctx)


def _serial_move(
    ctx: ScanContext, facts: moves.MoveFacts, route: Route, source: PlaceFacts
) -> moves.SerialMove | None:
    """A scan of a serialised pack (GS1 AI 21) moves that pack: checked against where it is
    (a pack received twice is `duplicate_serial`), carried in the move's one write."""
    barcode = ctx.barcode
    if barcode.serial is None or barcode.gtin is None:
        return None
    if ctx.request.quantity != 1:
        raise BadRequest("A serialised pack is scanned one at a time (quantity 1).")
    expected = check_serial(route, barcode.serial, facts.serial_at, source)
    return moves.SerialMove(barcode.gtin, barcode.serial, expected)


def _kit_move(
    effect: ScanEffect, target: kits.RestockTarget, plan: MovePlan, ctx: ScanContext
) -> None:
    effect.warnings += _warnings(list(plan.warnings))
    effect.plan = plan
    effect.reference = kits_db.session_reference(target.session_id)
    effect.kit = kits.brief_after(target, plan, ctx.today)


@handles(Action.COUNT)
async def count(uow: UnitOfWork, ctx: ScanContext, effect: ScanEffect) -> None:
    """Counted units into the count's line (`count_session`); no stock moves. A barcode
    with a lot counts that lot, one without counts the item as a whole."""
    request, barcode = ctx.request, ctx.barcode
    if request.count_session is None:
        raise BadRequest("A count scan names its count in `count_session`.")
    facts = await read_facts(uow, ctx, request.location, request.location, fefo=False)
    item_id = identify(ctx, facts, effect)
    _place(facts, request.location)
    quantity = base_units(request.quantity, facts.units, barcode.count)
    lot_id = None
    if barcode.lot is not None or barcode.expiry is not None:
        lot_id = await counts.lot_for_count(
            uow, item_id, facts.named_lot, barcode.lot or "", barcode.expiry
        )
    await counts.add_scan(
        uow,
        count_id=request.count_session,
        location=request.location,
        item_id=item_id,
        lot_id=lot_id,
        quantity=quantity,
    )


@handles(Action.SEAL)
async def seal(uow: UnitOfWork, ctx: ScanContext, effect: ScanEffect) -> None:
    """The seal's own barcode scanned at the kit (`location`) completes its open restock
    session, as `POST /restock-sessions/{id}/complete` does, without an override."""
    request = ctx.request
    places = await catalog.locations_by_codes(uow.session, [request.location])
    place = places.get(request.location)
    if place is None or place.is_virtual:
        raise UnknownLocation(
            f"No location has the code {request.location!r}.", location=request.location
        )
    assert ctx.barcode.label is not None
    effect.barcode = BarcodeOut(kind="seal", label=ctx.barcode.label)
    effect.kit = await kits.seal_by_scan(
        uow, PlaceFacts(place.id, place.code, place.kind, False), ctx.barcode.label
    )


def _place(facts: moves.MoveFacts, code: str) -> PlaceFacts:
    """The route's locations; `route_for` has made sure the scan named real ones only."""
    if code not in facts.places:
        raise UnknownLocation(f"No location has the code {code!r}.", location=code)
    return facts.places[code]


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
