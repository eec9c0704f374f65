"""Purchase orders: drafts (by hand or from the reorder list), edits while draft, submit,
acknowledge, cancel. The lifecycle is domain/purchasing; each step is one unit of work and
raises its `purchase_order.*` event. (Receiving is `receive` scans naming the PO, applied
with domain/purchasing.apply_receipt.)"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import purchasing as purchasing_db
from inventory_svc.db import reorders as reorders_db
from inventory_svc.domain import limits, reorder
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.errors import BadRequest, InvalidTransition, NotFound
from inventory_svc.domain.events import EventType
from inventory_svc.domain.purchasing import (
    Acknowledgement,
    PoAction,
    PurchaseOrderDetail,
    acknowledge_lines,
    apply_receipt,
)
from inventory_svc.domain.purchasing import check_transition as _check
from inventory_svc.domain.records import PurchaseOrderOut, SupplierReturnOut
from inventory_svc.domain.vocabulary import PurchaseOrderStatus
from inventory_svc.services import reorders, shipments
from inventory_svc.services.catalog import require
from inventory_svc.services.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class LineInput:
    item: int
    ordered: int


def _check_lines(lines: Sequence[LineInput], minimum: int) -> None:
    if len(lines) > limits.MAX_PO_LINES:
        raise BadRequest(f"A purchase order has at most {limits.MAX_PO_LINES} lines.")
    items = [line.item for line in lines]
    if len(set(items)) != len(items):
        raise BadRequest("An item is listed twice: one line per item.")
    for line in lines:
        if not minimum <= line.ordered <= limits.ORDER_QUANTITY.le:
            raise BadRequest(
                f"ordered must be {minimum} to {limits.ORDER_QUANTITY.le}, got {line.ordered}."
            )


async def _get(session: AsyncSession, number: str) -> PurchaseOrderOut:
    found = await purchasing_db.orders(session, number=number, limit=1)
    if not found:
        raise NotFound(f"No purchase order {number}.")
    return found[0]


async def _head(uow: UnitOfWork, number: str) -> purchasing_db.PoHead:
    head = await purchasing_db.head(uow.session, number, for_update=True)
    if head is None:
        raise NotFound(f"No purchase order {number}.")
    return head


async def create_purchase_order(
    uow: UnitOfWork,
    clock: SiteClock,
    supplier: str,
    *,
    location: str | None = None,
    lines: Sequence[LineInput] | None = None,
    from_reorder_list: str | None = None,
) -> PurchaseOrderOut:
    """A draft PO: the lines given, or (`from_reorder_list` = a location code) the reorder
    list's lines for that location that this supplier supplies or that have no supplier
    yet, at the suggested quantities (rounded to this supplier's packs and minimum)."""
    require(limits.SUPPLIER_CODE, supplier, "A supplier code")
    if (from_reorder_list is None) == (location is None):
        raise BadRequest("Give either location and lines, or from_reorder_list.")
    if from_reorder_list is not None and lines is not None:
        raise BadRequest("lines come from the reorder list: give one or the other.")
    session = uow.session
    supplier_id = await reorders.supplier_id_of(session, supplier)
    place = from_reorder_list or location
    assert place is not None
    location_id = (await reorders.location_ids(session, [place]))[place]
    wanted: list[LineInput]
    if from_reorder_list is not None:
        listed = await reorders.reorder_lines(
            session, now=uow.now, today=uow.today, zone=clock.zone, location=place
        )
        candidates = [
            line
            for line in listed
            if line.supplier == supplier or (line.supplier is None and line.source_location is None)
        ]
        terms = await reorders_db.supplier_terms(
            session, supplier_id, [line.item.id for line in candidates]
        )
        wanted = []
        for line in candidates:
            own = terms.get(line.item.id)
            quantity = reorder.suggested_quantity(
                line.par,
                line.on_hand,
                line.on_order,
                own.pack_size if own else 1,
                own.min_order_quantity if own else 1,
            )
            if quantity > 0:
                wanted.append(LineInput(line.item.id, quantity))
    else:
        wanted = list(lines or [])
        _check_lines(wanted, minimum=1)
        await reorders.require_items(session, [line.item for line in wanted])
        terms = await reorders_db.supplier_terms(
            session, supplier_id, [line.item for line in wanted]
        )
    head = await purchasing_db.insert_order(session, supplier_id, location_id)
    await _add_lines(session, head.id, terms, wanted)
    return await _get(session, head.number)


async def _add_lines(
    session: AsyncSession,
    po_id: int,
    terms: Mapping[int, reorders_db.SupplierTerms],
    lines: Sequence[LineInput],
) -> None:
    """New lines at the supplier's unit cost for the item, where it has one."""
    await purchasing_db.add_lines(
        session,
        po_id,
        [
            purchasing_db.NewLine(
                line.item,
                line.ordered,
                terms[line.item].unit_cost_cents if line.item in terms else None,
            )
            for line in lines
        ],
    )


async def edit_lines(uow: UnitOfWork, number: str, lines: Sequence[LineInput]) -> PurchaseOrderOut:
    """While draft: each entry sets its item's ordered quantity (a new item adds a line,
    0 removes the item's line); lines not named stay as they are."""
    _check_lines(lines, minimum=0)
    session = uow.session
    head = await _head(uow, number)
    _check(number, head.status, PoAction.EDIT)
    await reorders.require_items(session, [line.item for line in lines])
    current = {line.item_id: line for line in await purchasing_db.lines(session, head.id)}
    new = []
    for line in lines:
        existing = current.get(line.item)
        if existing is None:
            if line.ordered:
                new.append(line)
        elif line.ordered:
            await purchasing_db.set_ordered(session, head.id, existing.line, line.ordered)
        else:
            await purchasing_db.delete_line(session, head.id, existing.line)
    if len(current) + len(new) > limits.MAX_PO_LINES:
        raise BadRequest(f"A purchase order has at most {limits.MAX_PO_LINES} lines.")
    terms = await reorders_db.supplier_terms(session, head.supplier_id, [line.item for line in new])
    await _add_lines(session, head.id, terms, new)
    return await _get(session, number)


async def _step(
    uow: UnitOfWork,
    number: str,
    action: PoAction,
    status: PurchaseOrderStatus,
    event: EventType,
) -> PurchaseOrderOut:
    head = await _head(uow, number)
    _check(number, head.status, action)
    if action is PoAction.SUBMIT and not await purchasing_db.lines(uow.session, head.id):
        raise InvalidTransition(
            f"Purchase order {number} has no lines to submit.", current_status=head.status.value
        )
    await purchasing_db.set_status(
        uow.session, head.id, status, **purchasing_db.stamp(uow.now, status)
    )
    order = await _get(uow.session, number)
    uow.emit(event, {"purchase_order": order})
    return order


async def submit(uow: UnitOfWork, number: str) -> PurchaseOrderOut:
    return await _step(
        uow,
        number,
        PoAction.SUBMIT,
        PurchaseOrderStatus.SUBMITTED,
        EventType.PURCHASE_ORDER_SUBMITTED,
    )


async def cancel(uow: UnitOfWork, number: str) -> PurchaseOrderOut:
    return await _step(
        uow,
        number,
        PoAction.CANCEL,
        PurchaseOrderStatus.CANCELLED,
        EventType.PURCHASE_ORDER_CANCELLED,
    )


async def acknowledge(
    uow: UnitOfWork,
    number: str,
    supplier_reference: str,
    lines: Sequence[Acknowledgement] | None = None,
) -> PurchaseOrderOut:
    """The supplier's answer: what it confirms and backorders per line (lines it does not
    name are confirmed as ordered)."""
    require(limits.SUPPLIER_REFERENCE, supplier_reference, "A supplier reference")
    session = uow.session
    head = await _head(uow, number)
    _check(number, head.status, PoAction.ACKNOWLEDGE)
    updated = acknowledge_lines(await purchasing_db.lines(session, head.id), lines or [])
    await purchasing_db.store_quantities(session, head.id, updated)
    await purchasing_db.set_status(
        session,
        head.id,
        PurchaseOrderStatus.ACKNOWLEDGED,
        supplier_reference=supplier_reference,
        acknowledged_at=uow.now,
    )
    order = await _get(session, number)
    uow.emit(EventType.PURCHASE_ORDER_ACKNOWLEDGED, {"purchase_order": order})
    return order


async def get_purchase_order(session: AsyncSession, number: str) -> PurchaseOrderDetail:
    """The PO with the warnings its receipts raised."""
    order = await _get(session, number)
    warnings = await purchasing_db.warnings_of(session, order.id)
    return PurchaseOrderDetail(
        **{field: getattr(order, field) for field in order.__struct_fields__},
        warnings=warnings,
    )


async def list_purchase_orders(
    session: AsyncSession,
    *,
    status: PurchaseOrderStatus | None = None,
    supplier: str | None = None,
    location: str | None = None,
    after: int | None = None,
    limit: int = 200,
) -> list[PurchaseOrderOut]:
    supplier_id = await reorders.supplier_id_of(session, supplier) if supplier else None
    location_id = (await reorders.location_ids(session, [location]))[location] if location else None
    return await purchasing_db.orders(
        session,
        status=status,
        supplier_id=supplier_id,
        location_id=location_id,
        after=after,
        limit=limit,
    )


_RECEIPT_EVENTS = {
    PurchaseOrderStatus.PARTIALLY_RECEIVED: EventType.PURCHASE_ORDER_PARTIALLY_RECEIVED,
    PurchaseOrderStatus.RECEIVED: EventType.PURCHASE_ORDER_RECEIVED,
}


async def receive_against(
    uow: UnitOfWork,
    number: str,
    item_id: int,
    quantity: int,
    *,
    scan_key: str | None = None,
    lot: str = "",
    expiry: date | None = None,
    sscc: str | None = None,
) -> list[tuple[str, str]]:
    """A `receive` scan naming the PO, in the scan's unit of work: the PO is locked, its
    lines fill (domain/purchasing.apply_receipt), its status follows (with its event), and
    the receipt's warnings (`not_on_order`, `over_received`, and against the PO's shipment
    notices `lot_not_shipped`, `expiry_conflict`, `over_shipment`, `duplicate_sscc`: services/
    shipments.py) go on the scan and are kept on the PO (with the scan's Idempotency-Key,
    `scan_key`), never silent. A draft, cancelled or received PO refuses the scan (409
    invalid_transition)."""
    head = await _head(uow, number)
    receipt = apply_receipt(
        number, head.status, await purchasing_db.lines(uow.session, head.id), item_id, quantity
    )
    if receipt.filled:
        await purchasing_db.store_quantities(uow.session, head.id, receipt.lines)
    if receipt.status != head.status:  # an event per step of the lifecycle, not per carton
        await purchasing_db.set_status(
            uow.session,
            head.id,
            receipt.status,
            **purchasing_db.stamp(uow.now, receipt.status),
        )
        order = await _get(uow.session, number)
        uow.emit(_RECEIPT_EVENTS[receipt.status], {"purchase_order": order})
    warnings = [(warning.code, warning.detail) for warning in receipt.warnings]
    warnings += await shipments.check_against_notices(
        uow,
        head.id,
        number,
        item_id,
        lot=lot,
        expiry=expiry,
        quantity=quantity,
        sscc=sscc,
        scan_key=scan_key,
    )
    await purchasing_db.add_warnings(
        uow.session, head.id, item_id, warnings, scan_key=scan_key, now=uow.now
    )
    return warnings


async def supplier_returns(
    session: AsyncSession,
    *,
    supplier: str | None,
    since: datetime | None,
    after: int | None,
    limit: int,
) -> list[SupplierReturnOut]:
    """What went back to suppliers (`return_to_supplier` scans), for their credit claims."""
    return await purchasing_db.supplier_returns(
        session, supplier=supplier, since=since, after=after, limit=limit
    )
