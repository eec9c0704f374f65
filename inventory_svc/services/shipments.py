"""Shipment notices (ASN) for purchase orders, the receipts of a PO, and the check of a
receipt against what was shipped (called by services/purchasing.receive_against, in the
receiving scan's unit of work)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import catalog as catalog_db
from inventory_svc.db import purchasing as purchasing_db
from inventory_svc.db import shipments as shipments_db
from inventory_svc.domain.errors import NotFound
from inventory_svc.domain.events import EventType
from inventory_svc.domain.purchasing import PoAction, check_transition
from inventory_svc.domain.records import ItemOut
from inventory_svc.domain.shipments import (
    NoticeLine,
    ReceiptOut,
    ReceiptWarningOut,
    ShipmentOut,
    check_notice,
    check_receipt,
    lines_not_on_order,
)
from inventory_svc.domain.vocabulary import GTIN_KINDS, IdentifierKind
from inventory_svc.services.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class ShipmentInput:
    reference: str | None
    lines: Sequence[NoticeLine]


async def _head(session: AsyncSession, number: str, *, lock: bool) -> purchasing_db.PoHead:
    head = await purchasing_db.head(session, number, for_update=lock)
    if head is None:
        raise NotFound(f"No purchase order {number}.")
    return head


async def post_shipment(uow: UnitOfWork, number: str, notice: ShipmentInput) -> ShipmentOut:
    """Keeps a notice for a PO that may still be received (submitted, acknowledged,
    partially received; otherwise 409 invalid_transition). Lines whose GTIN is not on the
    order are kept with a `not_on_order` warning, answered and kept on the PO."""
    lines = check_notice(notice.lines)
    session = uow.session
    head = await _head(session, number, lock=True)
    check_transition(number, head.status, PoAction.SHIP)
    items = await shipments_db.item_ids_by_gtin(session, {line.gtin for line in lines})
    ordered = {line.item_id for line in await purchasing_db.lines(session, head.id)}
    warnings = lines_not_on_order(number, lines, items, ordered)
    shipment_id = await shipments_db.insert_shipment(
        session, head.id, notice.reference, uow.actor.name, uow.now, lines, items
    )
    for item_id, warning in warnings:
        await purchasing_db.add_warnings(
            session, head.id, item_id, [(warning.code, warning.detail)], scan_key=None, now=uow.now
        )
    (shipment,) = await shipments_db.shipments(session, head.id, number, shipment_id=shipment_id)
    shipment.warnings = [ReceiptWarningOut(w.code, w.detail) for _, w in warnings]
    uow.emit(EventType.PURCHASE_ORDER_SHIPPED, {"shipment": shipment})
    return shipment


async def list_shipments(
    session: AsyncSession, number: str, *, after: int | None, limit: int
) -> list[ShipmentOut]:
    head = await _head(session, number, lock=False)
    return await shipments_db.shipments(session, head.id, number, after=after, limit=limit)


async def receipts(
    session: AsyncSession, number: str, *, after: int | None = None, limit: int = 1000
) -> list[ReceiptOut]:
    """What arrived against the PO: its `receive` movements, oldest first."""
    await _head(session, number, lock=False)
    return await shipments_db.receipts(session, number, after=after, limit=limit)


async def check_against_notices(
    uow: UnitOfWork,
    po_id: int,
    number: str,
    item_id: int,
    *,
    lot: str,
    expiry: date | None,
    quantity: int,
    sscc: str | None,
    scan_key: str | None,
) -> list[tuple[str, str]]:
    """A receipt's warnings against the PO's notices, the lot's stored expiries and the
    case labels received (domain/shipments.check_receipt); the SSCC is recorded."""
    facts = await shipments_db.receipt_facts(uow.session, po_id, number, item_id, lot, sscc)
    warnings = check_receipt(number, facts, lot=lot, expiry=expiry, quantity=quantity, sscc=sscc)
    if sscc is not None:
        await shipments_db.record_sscc(uow.session, sscc, po_id, scan_key, uow.now)
    return [(warning.code, warning.detail) for warning in warnings]


async def items_of(session: AsyncSession, item_ids: Sequence[int]) -> dict[int, ItemOut]:
    """The items with their identifiers (the codings of FHIR and the codes of CSV)."""
    unique = list(dict.fromkeys(item_ids))
    return {item.id: item for item in await catalog_db.items_by_ids(session, unique)}


def first_codes(items: Mapping[int, ItemOut]) -> dict[int, tuple[str | None, str | None]]:
    """item id -> (its first GTIN-14, its first NDC 5-4-2)."""
    codes: dict[int, tuple[str | None, str | None]] = {}
    for item_id, item in items.items():
        gtins = [i.value for i in item.identifiers if i.kind in GTIN_KINDS]
        ndcs = [i.value for i in item.identifiers if i.kind is IdentifierKind.NDC]
        codes[item_id] = (gtins[0] if gtins else None, ndcs[0] if ndcs else None)
    return codes
