"""Shipment notices (ASN), case labels received, and the receipts of a purchase order."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import exists, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import (
    Item,
    ItemIdentifier,
    Location,
    Lot,
    Movement,
    ReceivedSscc,
    Shipment,
    ShipmentLine,
)
from inventory_svc.domain.records import ItemRef
from inventory_svc.domain.shipments import (
    CheckedLine,
    ReceiptFacts,
    ReceiptOut,
    ShipmentLineOut,
    ShipmentOut,
    ShippedLot,
)
from inventory_svc.domain.vocabulary import GTIN_KINDS, IdentifierKind


async def item_ids_by_gtin(session: AsyncSession, gtins: Collection[str]) -> dict[str, int]:
    """GTIN-14 -> the item it identifies (GTIN, UPC and EAN share one number space)."""
    if not gtins:
        return {}
    stmt = select(ItemIdentifier.value, ItemIdentifier.item_id).where(
        ItemIdentifier.kind.in_([kind.value for kind in GTIN_KINDS]),
        ItemIdentifier.value.in_(sorted(set(gtins))),
    )
    return {value: item_id for value, item_id in await session.execute(stmt)}


async def insert_shipment(
    session: AsyncSession,
    po_id: int,
    reference: str | None,
    created_by: str,
    now: datetime,
    lines: Sequence[CheckedLine],
    items: dict[str, int],
) -> int:
    shipment_id: int = (
        await session.execute(
            insert(Shipment)
            .values(
                purchase_order_id=po_id,
                reference=reference,
                created_by=created_by,
                created_at=now,
            )
            .returning(Shipment.id)
        )
    ).scalar_one()
    await session.execute(
        insert(ShipmentLine),
        [
            {
                "shipment_id": shipment_id,
                "purchase_order_id": po_id,
                "line": line.line,
                "gtin": line.gtin,
                "item_id": items.get(line.gtin),
                "lot_number": line.lot,
                "expiry": line.expiry,
                "quantity": line.quantity,
                "sscc": line.sscc,
                "serials": list(line.serials) or None,
            }
            for line in lines
        ],
    )
    return shipment_id


async def shipments(
    session: AsyncSession,
    po_id: int,
    number: str,
    *,
    shipment_id: int | None = None,
    after: int | None = None,
    limit: int = 200,
) -> list[ShipmentOut]:
    """A PO's notices with their lines, oldest first (two statements)."""
    stmt = (
        select(Shipment)
        .where(Shipment.purchase_order_id == po_id)
        .order_by(Shipment.id)
        .limit(limit)
    )
    if shipment_id is not None:
        stmt = stmt.where(Shipment.id == shipment_id)
    if after is not None:
        stmt = stmt.where(Shipment.id > after)
    heads = list(await session.scalars(stmt))
    if not heads:
        return []
    line_stmt = (
        select(ShipmentLine, Item.name)
        .outerjoin(Item, Item.id == ShipmentLine.item_id)
        .where(ShipmentLine.shipment_id.in_([head.id for head in heads]))
        .order_by(ShipmentLine.shipment_id, ShipmentLine.line)
    )
    by_shipment: dict[int, list[ShipmentLineOut]] = {}
    for line, name in await session.execute(line_stmt):
        by_shipment.setdefault(line.shipment_id, []).append(
            ShipmentLineOut(
                line=line.line,
                gtin=line.gtin,
                item=None if line.item_id is None else ItemRef(line.item_id, name),
                lot=line.lot_number,
                expiry=line.expiry,
                quantity=line.quantity,
                serials=list(line.serials or []),
                sscc=line.sscc,
            )
        )
    return [
        ShipmentOut(
            id=head.id,
            purchase_order=number,
            reference=head.reference,
            created_by=head.created_by,
            created_at=head.created_at,
            lines=by_shipment.get(head.id, []),
        )
        for head in heads
    ]


async def receipt_facts(
    session: AsyncSession,
    po_id: int,
    number: str,
    item_id: int,
    lot: str,
    sscc: str | None,
) -> ReceiptFacts:
    """What a receipt of one lot against the PO is checked with: three statements, only for
    receive scans that name a PO (the four with an SSCC)."""
    shipped_stmt = (
        select(
            ShipmentLine.item_id,
            ShipmentLine.lot_number,
            ShipmentLine.expiry,
            func.sum(ShipmentLine.quantity),
        )
        .where(ShipmentLine.purchase_order_id == po_id)
        .group_by(ShipmentLine.item_id, ShipmentLine.lot_number, ShipmentLine.expiry)
    )
    rows = list(await session.execute(shipped_stmt))
    shipped = [ShippedLot(row[1], row[2], int(row[3])) for row in rows if row[0] == item_id]
    received_stmt = (
        select(func.coalesce(func.sum(Movement.quantity), 0))
        .join(Lot, Lot.id == Movement.lot_id)
        .where(
            Movement.reference == number,
            Movement.kind == "receive",
            Movement.item_id == item_id,
            Lot.lot_number == lot,
        )
    )
    received_before = int(await session.scalar(received_stmt) or 0)
    known: list[date | None] = list(
        await session.scalars(
            select(Lot.expiry).where(Lot.item_id == item_id, Lot.lot_number == lot)
        )
    )
    seen = False
    if sscc is not None:
        seen = bool(await session.scalar(select(exists().where(ReceivedSscc.sscc == sscc))))
    return ReceiptFacts(
        po_has_notices=bool(rows),
        shipped=shipped,
        received_before=received_before,
        known_expiries=known,
        sscc_seen=seen,
    )


async def record_sscc(
    session: AsyncSession, sscc: str, po_id: int, scan_key: str | None, now: datetime
) -> None:
    await session.execute(
        insert(ReceivedSscc).values(
            sscc=sscc, purchase_order_id=po_id, scan_key=scan_key, created_at=now
        )
    )


async def receipts(
    session: AsyncSession, number: str, *, after: int | None = None, limit: int = 1000
) -> list[ReceiptOut]:
    """`receive` movements naming the PO, oldest first, each with its item's first GTIN and
    NDC (what a FHIR coding carries)."""
    first_gtin = (
        select(ItemIdentifier.value)
        .where(
            ItemIdentifier.item_id == Movement.item_id,
            ItemIdentifier.kind.in_([kind.value for kind in GTIN_KINDS]),
        )
        .order_by(ItemIdentifier.id)
        .limit(1)
        .scalar_subquery()
    )
    first_ndc = (
        select(ItemIdentifier.value)
        .where(
            ItemIdentifier.item_id == Movement.item_id,
            ItemIdentifier.kind == IdentifierKind.NDC.value,
        )
        .order_by(ItemIdentifier.id)
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(
            Movement.id,
            Movement.scan_id,
            Item.id,
            Item.name,
            first_gtin,
            first_ndc,
            Lot.lot_number,
            Lot.expiry,
            Movement.quantity,
            Location.code,
            Movement.actor,
            Movement.occurred_at,
        )
        .join(Item, Item.id == Movement.item_id)
        .join(Lot, Lot.id == Movement.lot_id)
        .join(Location, Location.id == Movement.to_location_id)
        .where(Movement.reference == number, Movement.kind == "receive")
        .order_by(Movement.id)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(Movement.id > after)
    return [
        ReceiptOut(
            movement=row[0],
            scan=row[1],
            purchase_order=number,
            item=ItemRef(row[2], row[3]),
            gtin=row[4],
            ndc=row[5],
            lot=row[6],
            expiry=row[7],
            quantity=int(row[8]),
            location=row[9],
            actor=row[10],
            occurred_at=row[11],
        )
        for row in await session.execute(stmt)
    ]
