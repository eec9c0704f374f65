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

from inventory_svc.db import moves
from inventory_svc.domain import barcodes
from inventory_svc.domain.errors import UnknownItem, UnknownLocation, UnsupportedAction
from inventory_svc.domain.ledger import (
    MOVING_ACTIONS,
    Action,
    MovePlan,
    PlaceFacts,
    base_units,
    moves_named_lot,
    plan_move,
    route_for,
)
from inventory_svc.domain.records import BalanceLine, BarcodeOut, ItemRef, Warning
from inventory_svc.services import picking, purchasing, reports
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

    def clear(self) -> None:
        self.item, self.barcode, self.plan = None, None, None
        self.balances, self.warnings = [], []


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
    uow: UnitOfWork, ctx: ScanContext, source: str, destination: str, *, fefo: bool
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
    facts = await read_facts(uow, ctx, route.source, route.destination, fefo=fefo)
    item_id = identify(ctx, facts, effect)
    source, destination = (_place(facts, code) for code in (route.source, route.destination))
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
            await purchasing.receive_against(uow, request.purchase_order, item_id, quantity)
        )
    if request.pick_list is not None and request.action is Action.TRANSFER:
        effect.warnings += _warnings(
            await picking.fill_from_transfer(
                uow, request.pick_list, item_id, source.id, destination.id, quantity
            )
        )
    if (new := plan.new_lot) is not None:
        lot_id = await moves.create_lot(uow.session, item_id, new.lot_number, new.expiry)
        plan = replace(plan, legs=(replace(new, lot_id=lot_id),))
    effect.warnings += _warnings(list(plan.warnings))
    effect.plan = plan


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
