"""Supplier items, par levels and the reorder list's sums, as SQL.

The reorder list is one statement: per par level, the usable stock on hand at its location
and below, the units used over the trailing window and what open purchase orders still
expect; domain/reorder.py turns those sums into the numbers on the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from inventory_svc.db.models import (
    Balance,
    Item,
    Location,
    Lot,
    Movement,
    ParLevel,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplierItem,
)
from inventory_svc.domain.purchasing import ON_ORDER_STATUSES
from inventory_svc.domain.records import ItemRef, ParLevelOut, ParSource, SupplierItemOut
from inventory_svc.domain.vocabulary import LocationKind, VirtualLocation

USAGE_DESTINATIONS = (VirtualLocation.CONSUMED.value, VirtualLocation.WASTE.value)


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# --- supplier items ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupplierTerms:
    supplier_item_code: str | None
    pack_size: int
    min_order_quantity: int
    lead_time_days: int
    unit_cost_cents: int | None


async def upsert_supplier_item(
    session: AsyncSession, supplier_id: int, item_id: int, terms: SupplierTerms, now: datetime
) -> None:
    values = {
        "supplier_item_code": terms.supplier_item_code,
        "pack_size": terms.pack_size,
        "min_order_quantity": terms.min_order_quantity,
        "lead_time_days": terms.lead_time_days,
        "unit_cost_cents": terms.unit_cost_cents,
        "updated_at": now,
    }
    stmt = _insert(session)(SupplierItem).values(supplier_id=supplier_id, item_id=item_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["supplier_id", "item_id"], set_=values)
    )


async def set_preferred_supplier(
    session: AsyncSession, item_id: int, supplier_id: int, preferred: bool
) -> None:
    """Makes `supplier_id` the item's preferred supplier, or stops it being one."""
    if preferred:
        stmt = update(Item).where(Item.id == item_id).values(preferred_supplier_id=supplier_id)
    else:
        stmt = (
            update(Item)
            .where(Item.id == item_id, Item.preferred_supplier_id == supplier_id)
            .values(preferred_supplier_id=None)
        )
    await session.execute(stmt)


async def supplier_items(
    session: AsyncSession,
    *,
    supplier_id: int | None = None,
    item_id: int | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[SupplierItemOut]:
    stmt = (
        select(SupplierItem, Supplier.code, Item.name, Item.preferred_supplier_id)
        .join(Supplier, Supplier.id == SupplierItem.supplier_id)
        .join(Item, Item.id == SupplierItem.item_id)
        .order_by(Item.name, Item.id, Supplier.code)
        .limit(limit)
        .offset(offset)
    )
    if supplier_id is not None:
        stmt = stmt.where(SupplierItem.supplier_id == supplier_id)
    if item_id is not None:
        stmt = stmt.where(SupplierItem.item_id == item_id)
    return [
        SupplierItemOut(
            supplier=code,
            item=ItemRef(si.item_id, name),
            supplier_item_code=si.supplier_item_code,
            pack_size=si.pack_size,
            min_order_quantity=si.min_order_quantity,
            lead_time_days=si.lead_time_days,
            unit_cost_cents=si.unit_cost_cents,
            preferred=preferred == si.supplier_id,
        )
        for si, code, name, preferred in await session.execute(stmt)
    ]


async def supplier_terms(
    session: AsyncSession, supplier_id: int, item_ids: list[int]
) -> dict[int, SupplierTerms]:
    if not item_ids:
        return {}
    stmt = select(SupplierItem).where(
        SupplierItem.supplier_id == supplier_id, SupplierItem.item_id.in_(item_ids)
    )
    return {
        si.item_id: SupplierTerms(
            si.supplier_item_code,
            si.pack_size,
            si.min_order_quantity,
            si.lead_time_days,
            si.unit_cost_cents,
        )
        for si in await session.scalars(stmt)
    }


async def existing_item_ids(session: AsyncSession, item_ids: list[int]) -> set[int]:
    if not item_ids:
        return set()
    return set(await session.scalars(select(Item.id).where(Item.id.in_(item_ids))))


# --- par levels -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewParLevel:
    item_id: int
    location_id: int
    par: int
    reorder_point: int
    max_level: int | None
    source_supplier_id: int | None
    source_location_id: int | None


async def upsert_par_levels(
    session: AsyncSession, levels: list[NewParLevel], now: datetime
) -> None:
    insert = _insert(session)
    for level in levels:
        values = {
            "par": level.par,
            "reorder_point": level.reorder_point,
            "max_level": level.max_level,
            "source_supplier_id": level.source_supplier_id,
            "source_location_id": level.source_location_id,
            "updated_at": now,
        }
        stmt = insert(ParLevel).values(
            item_id=level.item_id, location_id=level.location_id, **values
        )
        await session.execute(
            stmt.on_conflict_do_update(index_elements=["item_id", "location_id"], set_=values)
        )


async def par_levels(
    session: AsyncSession,
    *,
    location_id: int | None = None,
    item_id: int | None = None,
    keys: list[tuple[int, int]] | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[ParLevelOut]:
    """Par levels by location code and item name; `keys` limits them to (item, location)s."""
    place, source_place = aliased(Location), aliased(Location)
    stmt = (
        select(ParLevel, Item.name, place.code, Supplier.code, source_place.code)
        .join(Item, Item.id == ParLevel.item_id)
        .join(place, place.id == ParLevel.location_id)
        .outerjoin(Supplier, Supplier.id == ParLevel.source_supplier_id)
        .outerjoin(source_place, source_place.id == ParLevel.source_location_id)
        .order_by(place.code, Item.name, Item.id)
        .limit(limit)
        .offset(offset)
    )
    if location_id is not None:
        stmt = stmt.where(ParLevel.location_id == location_id)
    if item_id is not None:
        stmt = stmt.where(ParLevel.item_id == item_id)
    if keys is not None:
        if not keys:
            return []
        item_ids = sorted({item for item, _ in keys})
        stmt = stmt.where(ParLevel.item_id.in_(item_ids))
        wanted = set(keys)
    rows = [
        ParLevelOut(
            item=ItemRef(p.item_id, name),
            location=code,
            par=p.par,
            reorder_point=p.reorder_point,
            max=p.max_level,
            source=(
                ParSource(supplier=supplier, location=source)
                if supplier is not None or source is not None
                else None
            ),
        )
        for p, name, code, supplier, source in await session.execute(stmt)
        if keys is None or (p.item_id, p.location_id) in wanted
    ]
    return rows


# --- the reorder list -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReorderSums:
    """One par level with what the ledger says about it."""

    item_id: int
    item_name: str
    location: str
    par: int
    reorder_point: int
    max_level: int | None
    supplier: str | None
    source_location: str | None
    supplier_item_code: str | None
    pack_size: int
    min_order_quantity: int
    lead_time_days: int
    unit_cost_cents: int | None
    usable: int
    used: int
    on_order: int


def _cutoff(session: AsyncSession, today: date, lead_days: Any) -> ColumnElement[Any]:
    """today + lead_days as a SQL date: domain/reorder.usable_expiry_cutoff, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        later: ColumnElement[Any] = literal(today, Date) + lead_days  # date + integer: a date
        return later
    days = literal("+", String) + cast(lead_days, String) + literal(" days", String)
    return func.date(literal(today, Date), days)  # 'YYYY-MM-DD', as SQLite stores dates


def location_tree() -> Any:
    """(root_id, id): every real location with each location at or below it."""
    tree = (
        select(Location.id.label("root_id"), Location.id.label("id"))
        .where(Location.is_virtual.is_(False))
        .cte("tree", recursive=True)
    )
    child = aliased(Location)
    return tree.union_all(select(tree.c.root_id, child.id).where(child.parent_id == tree.c.id))


async def reorder_sums(
    session: AsyncSession,
    *,
    today: date,
    window_start: datetime,
    window_end: datetime,
    location_id: int | None = None,
    include_sublocations: bool = False,
    supplier_id: int | None = None,
    only_below_reorder_point: bool = True,
) -> list[ReorderSums]:
    """Per par level: usable on hand at its location and below (not recalled, not in a
    quarantine location, expiring on or after today + the supplier's lead time), units
    that left there to @consumed/@waste or to a location this one feeds (its par level's
    source) within [window_start, window_end], and what open POs for the location still
    expect. With `only_below_reorder_point`, only levels where usable + on order <= the
    reorder point. One statement."""
    tree = location_tree()
    place, source_place = aliased(Location), aliased(Location)
    supplier = aliased(Supplier)
    effective_supplier = func.coalesce(
        ParLevel.source_supplier_id,
        case((ParLevel.source_location_id.is_(None), Item.preferred_supplier_id)),
    )
    base_stmt = (
        select(
            ParLevel.id.label("par_id"),
            ParLevel.item_id,
            ParLevel.location_id,
            ParLevel.par,
            ParLevel.reorder_point,
            ParLevel.max_level,
            Item.name.label("item_name"),
            place.code.label("location"),
            supplier.code.label("supplier"),
            source_place.code.label("source_location"),
            SupplierItem.supplier_item_code,
            func.coalesce(SupplierItem.pack_size, 1).label("pack_size"),
            func.coalesce(SupplierItem.min_order_quantity, 1).label("min_order_quantity"),
            func.coalesce(SupplierItem.lead_time_days, 0).label("lead_time_days"),
            SupplierItem.unit_cost_cents,
        )
        .join(Item, Item.id == ParLevel.item_id)
        .join(place, place.id == ParLevel.location_id)
        .outerjoin(source_place, source_place.id == ParLevel.source_location_id)
        .outerjoin(supplier, supplier.id == effective_supplier)
        .outerjoin(
            SupplierItem,
            and_(
                SupplierItem.item_id == ParLevel.item_id,
                SupplierItem.supplier_id == effective_supplier,
            ),
        )
    )
    if location_id is not None:
        if include_sublocations:
            scope = select(tree.c.id).where(tree.c.root_id == location_id)
            base_stmt = base_stmt.where(ParLevel.location_id.in_(scope))
        else:
            base_stmt = base_stmt.where(ParLevel.location_id == location_id)
    if supplier_id is not None:
        base_stmt = base_stmt.where(effective_supplier == supplier_id)
    base = base_stmt.cte("base")

    held_at = aliased(Location)
    on_hand = (
        select(base.c.par_id, func.sum(Balance.quantity).label("usable"))
        .select_from(base)
        .join(tree, tree.c.root_id == base.c.location_id)
        .join(Balance, and_(Balance.location_id == tree.c.id, Balance.item_id == base.c.item_id))
        .join(Lot, Lot.id == Balance.lot_id)
        .join(held_at, held_at.id == Balance.location_id)
        .where(
            Balance.quantity > 0,
            Lot.recalled.is_(False),
            held_at.kind != LocationKind.QUARANTINE.value,
            or_(Lot.expiry.is_(None), Lot.expiry >= _cutoff(session, today, base.c.lead_time_days)),
        )
        .group_by(base.c.par_id)
        .subquery("on_hand")
    )

    destination, fed = aliased(Location), aliased(ParLevel)
    feeds = exists().where(
        fed.item_id == base.c.item_id,
        fed.source_location_id == base.c.location_id,
        fed.location_id == Movement.to_location_id,
    )
    usage = (
        select(base.c.par_id, func.sum(Movement.quantity).label("used"))
        .select_from(base)
        .join(tree, tree.c.root_id == base.c.location_id)
        .join(
            Movement,
            and_(Movement.from_location_id == tree.c.id, Movement.item_id == base.c.item_id),
        )
        .join(destination, destination.id == Movement.to_location_id)
        .where(
            Movement.occurred_at >= window_start,
            Movement.occurred_at <= window_end,
            or_(
                and_(destination.is_virtual.is_(True), destination.code.in_(USAGE_DESTINATIONS)),
                feeds,
            ),
        )
        .group_by(base.c.par_id)
        .subquery("usage")
    )

    expected = case(
        (PurchaseOrderLine.confirmed.is_(None), PurchaseOrderLine.ordered),
        else_=PurchaseOrderLine.confirmed + PurchaseOrderLine.backordered,
    )
    outstanding = case(
        (expected > PurchaseOrderLine.received, expected - PurchaseOrderLine.received), else_=0
    )
    on_order = (
        select(
            PurchaseOrder.location_id,
            PurchaseOrderLine.item_id,
            func.sum(outstanding).label("quantity"),
        )
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(PurchaseOrder.status.in_([s.value for s in ON_ORDER_STATUSES]))
        .group_by(PurchaseOrder.location_id, PurchaseOrderLine.item_id)
        .subquery("on_order")
    )

    usable = func.coalesce(on_hand.c.usable, 0)
    ordered = func.coalesce(on_order.c.quantity, 0)
    stmt = (
        select(base, usable.label("usable"), func.coalesce(usage.c.used, 0), ordered)
        .outerjoin(on_hand, on_hand.c.par_id == base.c.par_id)
        .outerjoin(usage, usage.c.par_id == base.c.par_id)
        .outerjoin(
            on_order,
            and_(
                on_order.c.location_id == base.c.location_id,
                on_order.c.item_id == base.c.item_id,
            ),
        )
        .order_by(base.c.location, base.c.item_name, base.c.item_id)
    )
    if only_below_reorder_point:
        stmt = stmt.where(usable + ordered <= base.c.reorder_point)
    return [
        ReorderSums(
            item_id=row.item_id,
            item_name=row.item_name,
            location=row.location,
            par=row.par,
            reorder_point=row.reorder_point,
            max_level=row.max_level,
            supplier=row.supplier,
            source_location=row.source_location,
            supplier_item_code=row.supplier_item_code,
            pack_size=row.pack_size,
            min_order_quantity=row.min_order_quantity,
            lead_time_days=row.lead_time_days,
            unit_cost_cents=row.unit_cost_cents,
            usable=int(row[-3]),
            used=int(row[-2]),
            on_order=int(row[-1]),
        )
        for row in await session.execute(stmt)
    ]
