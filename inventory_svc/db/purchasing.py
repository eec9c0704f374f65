"""Purchase orders and their lines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from inventory_svc.db.models import (
    Item,
    Location,
    Lot,
    Movement,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderWarning,
    Scan,
    Supplier,
    SupplierItem,
)
from inventory_svc.domain.purchasing import PoLine, PurchaseOrderWarningOut
from inventory_svc.domain.records import (
    ItemRef,
    PurchaseOrderLineOut,
    PurchaseOrderOut,
    SupplierReturnOut,
)
from inventory_svc.domain.vocabulary import PurchaseOrderStatus


@dataclass(frozen=True, slots=True)
class PoHead:
    id: int
    number: str
    status: PurchaseOrderStatus
    supplier_id: int


@dataclass(frozen=True, slots=True)
class NewLine:
    item_id: int
    ordered: int
    unit_cost_cents: int | None


def number_for(po_id: int) -> str:
    return f"PO-{po_id:06d}"


async def insert_order(session: AsyncSession, supplier_id: int, location_id: int) -> PoHead:
    """A draft; its number comes from its id (PO-000042)."""
    po_id: int = (
        await session.execute(
            insert(PurchaseOrder)
            .values(
                number=f"new-{uuid.uuid4().hex[:24]}",
                supplier_id=supplier_id,
                location_id=location_id,
                status=PurchaseOrderStatus.DRAFT.value,
            )
            .returning(PurchaseOrder.id)
        )
    ).scalar_one()
    number = number_for(po_id)
    await session.execute(
        update(PurchaseOrder).where(PurchaseOrder.id == po_id).values(number=number)
    )
    return PoHead(po_id, number, PurchaseOrderStatus.DRAFT, supplier_id)


async def head(session: AsyncSession, number: str, *, for_update: bool = False) -> PoHead | None:
    stmt = select(
        PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.status, PurchaseOrder.supplier_id
    ).where(PurchaseOrder.number == number)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).first()
    return PoHead(row[0], row[1], PurchaseOrderStatus(row[2]), row[3]) if row else None


async def set_status(
    session: AsyncSession, po_id: int, status: PurchaseOrderStatus, **stamps: object
) -> None:
    await session.execute(
        update(PurchaseOrder).where(PurchaseOrder.id == po_id).values(status=status.value, **stamps)
    )


async def lines(session: AsyncSession, po_id: int) -> list[PoLine]:
    stmt = (
        select(PurchaseOrderLine)
        .where(PurchaseOrderLine.purchase_order_id == po_id)
        .order_by(PurchaseOrderLine.line)
    )
    return [
        PoLine(pl.line, pl.item_id, pl.ordered, pl.confirmed, pl.backordered, pl.received)
        for pl in await session.scalars(stmt)
    ]


async def add_lines(session: AsyncSession, po_id: int, new: Sequence[NewLine]) -> None:
    current = await lines(session, po_id)
    first = max((line.line for line in current), default=0) + 1
    if new:
        await session.execute(
            insert(PurchaseOrderLine),
            [
                {
                    "purchase_order_id": po_id,
                    "line": first + n,
                    "item_id": line.item_id,
                    "ordered": line.ordered,
                    "confirmed": None,
                    "backordered": 0,
                    "received": 0,
                    "unit_cost_cents": line.unit_cost_cents,
                }
                for n, line in enumerate(new)
            ],
        )


async def set_ordered(session: AsyncSession, po_id: int, line: int, ordered: int) -> None:
    await session.execute(
        update(PurchaseOrderLine)
        .where(PurchaseOrderLine.purchase_order_id == po_id, PurchaseOrderLine.line == line)
        .values(ordered=ordered)
    )


async def delete_line(session: AsyncSession, po_id: int, line: int) -> None:
    await session.execute(
        delete(PurchaseOrderLine).where(
            PurchaseOrderLine.purchase_order_id == po_id, PurchaseOrderLine.line == line
        )
    )


async def store_quantities(session: AsyncSession, po_id: int, updated: Sequence[PoLine]) -> None:
    """Writes confirmed, backordered and received of each line (an acknowledgement, a
    receipt)."""
    for line in updated:
        await session.execute(
            update(PurchaseOrderLine)
            .where(
                PurchaseOrderLine.purchase_order_id == po_id,
                PurchaseOrderLine.line == line.line,
            )
            .values(confirmed=line.confirmed, backordered=line.backordered, received=line.received)
        )


async def orders(
    session: AsyncSession,
    *,
    number: str | None = None,
    status: PurchaseOrderStatus | None = None,
    supplier_id: int | None = None,
    location_id: int | None = None,
    after: int | None = None,
    limit: int = 200,
) -> list[PurchaseOrderOut]:
    """Purchase orders with their lines, oldest first (two statements)."""
    stmt = (
        select(PurchaseOrder, Supplier.code, Location.code)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(Location, Location.id == PurchaseOrder.location_id)
        .order_by(PurchaseOrder.id)
        .limit(limit)
    )
    if number is not None:
        stmt = stmt.where(PurchaseOrder.number == number)
    if status is not None:
        stmt = stmt.where(PurchaseOrder.status == status.value)
    if supplier_id is not None:
        stmt = stmt.where(PurchaseOrder.supplier_id == supplier_id)
    if location_id is not None:
        stmt = stmt.where(PurchaseOrder.location_id == location_id)
    if after is not None:
        stmt = stmt.where(PurchaseOrder.id > after)
    heads = list(await session.execute(stmt))
    if not heads:
        return []
    line_stmt = (
        select(PurchaseOrderLine, Item.name, SupplierItem.supplier_item_code)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .join(Item, Item.id == PurchaseOrderLine.item_id)
        .outerjoin(
            SupplierItem,
            (SupplierItem.item_id == PurchaseOrderLine.item_id)
            & (SupplierItem.supplier_id == PurchaseOrder.supplier_id),
        )
        .where(PurchaseOrderLine.purchase_order_id.in_([po.id for po, _, _ in heads]))
        .order_by(PurchaseOrderLine.purchase_order_id, PurchaseOrderLine.line)
    )
    by_order: dict[int, list[PurchaseOrderLineOut]] = {}
    for pl, name, code in await session.execute(line_stmt):
        state = PoLine(pl.line, pl.item_id, pl.ordered, pl.confirmed, pl.backordered, pl.received)
        by_order.setdefault(pl.purchase_order_id, []).append(
            PurchaseOrderLineOut(
                line=pl.line,
                item=ItemRef(pl.item_id, name),
                ordered=pl.ordered,
                confirmed=pl.confirmed,
                backordered=pl.backordered,
                received=pl.received,
                outstanding=state.outstanding,
                supplier_item_code=code,
                unit_cost_cents=pl.unit_cost_cents,
            )
        )
    result = []
    for po, supplier, location in heads:
        po_lines = by_order.get(po.id, [])
        costs = [
            line.ordered * line.unit_cost_cents
            for line in po_lines
            if line.unit_cost_cents is not None
        ]
        result.append(
            PurchaseOrderOut(
                id=po.id,
                number=po.number,
                status=PurchaseOrderStatus(po.status),
                supplier=supplier,
                location=location,
                supplier_reference=po.supplier_reference,
                created_at=po.created_at,
                submitted_at=po.submitted_at,
                acknowledged_at=po.acknowledged_at,
                cancelled_at=po.cancelled_at,
                lines=po_lines,
                total_cost_cents=sum(costs) if len(costs) == len(po_lines) and po_lines else None,
            )
        )
    return result


async def order_id_of(session: AsyncSession, number: str) -> int | None:
    found: int | None = await session.scalar(
        select(PurchaseOrder.id).where(PurchaseOrder.number == number)
    )
    return found


def stamp(now: datetime, status: PurchaseOrderStatus) -> dict[str, object]:
    stamps: dict[PurchaseOrderStatus, dict[str, object]] = {
        PurchaseOrderStatus.SUBMITTED: {"submitted_at": now},
        PurchaseOrderStatus.ACKNOWLEDGED: {"acknowledged_at": now},
        PurchaseOrderStatus.CANCELLED: {"cancelled_at": now},
    }
    return stamps.get(status, {})


async def supplier_returns(
    session: AsyncSession,
    *,
    supplier: str | None,
    since: datetime | None,
    after: int | None,
    limit: int,
) -> list[SupplierReturnOut]:
    """`return_to_supplier` movements, oldest first, each with the supplier it goes back to:
    the one whose purchase order received the lot (its first receipt naming a PO), else the
    item's preferred supplier."""
    receipt = aliased(Movement)
    received_from = (
        select(PurchaseOrder.supplier_id)
        .join(receipt, receipt.reference == PurchaseOrder.number)
        .where(receipt.lot_id == Movement.lot_id, receipt.kind == "receive")
        .order_by(receipt.id)
        .limit(1)
        .scalar_subquery()
    )
    supplier_id = func.coalesce(received_from, Item.preferred_supplier_id)
    stmt = (
        select(
            Movement.id,
            Movement.occurred_at,
            Supplier.code,
            Movement.reference,
            Item.id,
            Item.name,
            Lot.lot_number,
            Lot.expiry,
            Movement.quantity,
            Location.code,
        )
        .join(Item, Item.id == Movement.item_id)
        .join(Lot, Lot.id == Movement.lot_id)
        .join(Location, Location.id == Movement.from_location_id)
        .outerjoin(Supplier, Supplier.id == supplier_id)
        .where(Movement.kind == "return_to_supplier")
        .order_by(Movement.id)
        .limit(limit)
    )
    if supplier is not None:
        stmt = stmt.where(Supplier.code == supplier)
    if since is not None:
        stmt = stmt.where(Movement.occurred_at >= since)
    if after is not None:
        stmt = stmt.where(Movement.id > after)
    return [
        SupplierReturnOut(
            row[0], row[1], row[2], row[3], ItemRef(row[4], row[5]), row[6], row[7], row[8], row[9]
        )
        for row in await session.execute(stmt)
    ]


async def add_warnings(
    session: AsyncSession,
    po_id: int,
    item_id: int | None,
    warnings: Sequence[tuple[str, str]],
    *,
    scan_key: str | None,
    now: datetime,
) -> None:
    """Keeps a receipt's warnings on the PO, in the receiving scan's transaction."""
    if not warnings:
        return
    await session.execute(
        insert(PurchaseOrderWarning),
        [
            {
                "purchase_order_id": po_id,
                "code": code,
                "detail": detail,
                "item_id": item_id,
                "scan_key": scan_key,
                "created_at": now,
            }
            for code, detail in warnings
        ],
    )


async def warnings_of(session: AsyncSession, po_id: int) -> list[PurchaseOrderWarningOut]:
    """The PO's warnings, oldest first, each with its scan's id (found by the scan's key)."""
    stmt = (
        select(PurchaseOrderWarning, Item.name, Scan.id)
        .outerjoin(Item, Item.id == PurchaseOrderWarning.item_id)
        .outerjoin(Scan, Scan.idempotency_key == PurchaseOrderWarning.scan_key)
        .where(PurchaseOrderWarning.purchase_order_id == po_id)
        .order_by(PurchaseOrderWarning.id)
    )
    return [
        PurchaseOrderWarningOut(
            code=warning.code,
            detail=warning.detail,
            item=None if warning.item_id is None else ItemRef(warning.item_id, name),
            scan=scan_id,
            at=warning.created_at,
        )
        for warning, name, scan_id in await session.execute(stmt)
    ]
