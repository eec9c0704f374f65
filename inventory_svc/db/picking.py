"""Pick lists: their lines, and the usable stock of their sources for the suggestions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from inventory_svc.db.catalog import subtree_ids_query
from inventory_svc.db.models import Balance, Item, Location, Lot, PickList, PickListLine
from inventory_svc.db.reorders import location_tree
from inventory_svc.domain.picking import StockAt
from inventory_svc.domain.vocabulary import LocationKind, PickListStatus


@dataclass(frozen=True, slots=True)
class NewPickLine:
    item_id: int
    source_location_id: int
    requested: int


@dataclass(frozen=True, slots=True)
class PickListRow:
    id: int
    location: str
    status: PickListStatus
    created_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class PickLineRow:
    line: int
    item_id: int
    item_name: str
    source_location_id: int
    source_location: str
    requested: int
    picked: int


async def insert_pick_list(
    session: AsyncSession, location_id: int, lines: Sequence[NewPickLine]
) -> int:
    pick_list_id: int = (
        await session.execute(
            insert(PickList)
            .values(location_id=location_id, status=PickListStatus.OPEN.value)
            .returning(PickList.id)
        )
    ).scalar_one()
    if lines:
        await session.execute(
            insert(PickListLine),
            [
                {
                    "pick_list_id": pick_list_id,
                    "line": n,
                    "item_id": line.item_id,
                    "source_location_id": line.source_location_id,
                    "requested": line.requested,
                    "picked": 0,
                }
                for n, line in enumerate(lines, start=1)
            ],
        )
    return pick_list_id


async def pick_list(
    session: AsyncSession, pick_list_id: int
) -> tuple[PickListRow, list[PickLineRow]] | None:
    head = (
        await session.execute(
            select(PickList, Location.code)
            .join(Location, Location.id == PickList.location_id)
            .where(PickList.id == pick_list_id)
        )
    ).first()
    if head is None:
        return None
    found, code = head
    source = aliased(Location)
    lines = [
        PickLineRow(
            line.line,
            line.item_id,
            name,
            line.source_location_id,
            source_code,
            line.requested,
            line.picked,
        )
        for line, name, source_code in await session.execute(
            select(PickListLine, Item.name, source.code)
            .join(Item, Item.id == PickListLine.item_id)
            .join(source, source.id == PickListLine.source_location_id)
            .where(PickListLine.pick_list_id == pick_list_id)
            .order_by(PickListLine.line)
        )
    ]
    row = PickListRow(
        found.id, code, PickListStatus(found.status), found.created_at, found.completed_at
    )
    return row, lines


async def usable_stock(
    session: AsyncSession, wanted: Sequence[tuple[int, int]], today: date
) -> dict[tuple[int, int], list[StockAt]]:
    """Per (source location, item): usable stock at the source and below it (not expired,
    recalled or in a quarantine location). One statement."""
    if not wanted:
        return {}
    tree = location_tree()
    held_at = aliased(Location)
    sources = sorted({source for source, _ in wanted})
    items = sorted({item for _, item in wanted})
    stmt = (
        select(
            tree.c.root_id,
            Balance.item_id,
            held_at.code,
            Lot.lot_number,
            Lot.expiry,
            Balance.quantity,
        )
        .select_from(tree)
        .join(Balance, Balance.location_id == tree.c.id)
        .join(Lot, Lot.id == Balance.lot_id)
        .join(held_at, held_at.id == Balance.location_id)
        .where(
            tree.c.root_id.in_(sources),
            Balance.item_id.in_(items),
            Balance.quantity > 0,
            Lot.recalled.is_(False),
            or_(Lot.expiry.is_(None), Lot.expiry >= today),
            held_at.kind != LocationKind.QUARANTINE.value,
        )
    )
    found: dict[tuple[int, int], list[StockAt]] = {}
    keys = set(wanted)
    for root, item, code, lot, expiry, quantity in await session.execute(stmt):
        if (root, item) in keys:
            found.setdefault((root, item), []).append(StockAt(code, lot, expiry, quantity))
    return found


async def lock_for_filling(
    session: AsyncSession, pick_list_id: int
) -> tuple[PickListRow, int, list[PickLineRow]] | None:
    """The pick list (locked until the scan's transaction ends, so two technicians filling
    it count each unit once), its location's id, and its lines."""
    row = (
        await session.execute(
            select(PickList.location_id).where(PickList.id == pick_list_id).with_for_update()
        )
    ).first()
    if row is None:
        return None
    found = await pick_list(session, pick_list_id)
    assert found is not None
    return found[0], int(row[0]), found[1]


async def within(session: AsyncSession, location_id: int, root_id: int) -> bool:
    """Whether the location is `root_id` or lies below it."""
    inside = await session.execute(
        select(Location.id).where(
            Location.id == location_id, Location.id.in_(subtree_ids_query(root_id))
        )
    )
    return inside.first() is not None


async def add_picked(
    session: AsyncSession, pick_list_id: int, filled: Sequence[tuple[int, int]]
) -> None:
    for line, units in filled:
        await session.execute(
            update(PickListLine)
            .where(PickListLine.pick_list_id == pick_list_id, PickListLine.line == line)
            .values(picked=PickListLine.picked + units)
        )


async def complete(session: AsyncSession, pick_list_id: int, at: datetime) -> None:
    await session.execute(
        update(PickList)
        .where(PickList.id == pick_list_id)
        .values(status=PickListStatus.COMPLETED.value, completed_at=at)
    )
