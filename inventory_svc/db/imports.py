"""The bulk look-ups and writes of the go-live imports (items, opening stock)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import Balance, Item, ItemIdentifier, Location, Lot, Supplier
from inventory_svc.domain.vocabulary import GTIN_KINDS


def number_space(kind: str) -> str:
    """GTIN, UPC and EAN share one number space (all stored as GTIN-14)."""
    return "gtin" if kind in GTIN_KINDS else kind


@dataclass(frozen=True, slots=True)
class ItemFields:
    id: int
    name: str
    strength: str | None
    form: str | None
    base_unit: str
    schedule: str | None
    preferred_supplier_id: int | None


async def items_by_identifiers(
    session: AsyncSession, values: Collection[str], *, chunk: int = 500
) -> dict[tuple[str, str], int]:
    """(number space, normalised value) -> item id, for the identifiers with these values."""
    found: dict[tuple[str, str], int] = {}
    ordered = sorted(set(values))
    for start in range(0, len(ordered), chunk):
        rows = await session.execute(
            select(ItemIdentifier.kind, ItemIdentifier.value, ItemIdentifier.item_id).where(
                ItemIdentifier.value.in_(ordered[start : start + chunk])
            )
        )
        for kind, value, item_id in rows.all():
            found[(number_space(kind), value)] = item_id
    return found


async def item_fields(session: AsyncSession, item_ids: Collection[int]) -> dict[int, ItemFields]:
    if not item_ids:
        return {}
    rows = await session.execute(
        select(
            Item.id,
            Item.name,
            Item.strength,
            Item.form,
            Item.base_unit,
            Item.schedule,
            Item.preferred_supplier_id,
        ).where(Item.id.in_(sorted(item_ids)))
    )
    return {row[0]: ItemFields(*row) for row in rows.all()}


async def update_item(session: AsyncSession, item_id: int, values: dict[str, Any]) -> None:
    await session.execute(update(Item).where(Item.id == item_id).values(**values))


async def supplier_ids(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Supplier.code, Supplier.id))
    return {code: supplier_id for code, supplier_id in rows.all()}


async def real_locations(session: AsyncSession, codes: Collection[str]) -> dict[str, int]:
    rows = await session.execute(
        select(Location.code, Location.id).where(
            Location.code.in_(sorted(set(codes))), Location.is_virtual.is_(False)
        )
    )
    return {code: location_id for code, location_id in rows.all()}


async def insert_items(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[int]:
    """New items in one statement; their ids in the order of `rows`."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        result = await session.execute(
            insert(Item).returning(Item.id, sort_by_parameter_order=True), list(rows)
        )
        return [int(item_id) for item_id in result.scalars().all()]
    # SQLite, one writer at a time, holding the database from here: the ids are the next
    # ones (an INTEGER PRIMARY KEY takes max + 1), and a plain executemany is much faster
    # than RETURNING row by row.
    await session.execute(update(Item).where(Item.id == -1).values(name=Item.name))
    first = int((await session.execute(select(func.coalesce(func.max(Item.id), 0)))).scalar_one())
    await session.execute(insert(Item), list(rows))
    return list(range(first + 1, first + 1 + len(rows)))


async def insert_identifiers(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(ItemIdentifier), list(rows))


async def lots(
    session: AsyncSession, wanted: set[tuple[int, str, str, date | None]], *, chunk: int = 500
) -> dict[tuple[int, str], int]:
    """(item id, lot key) -> lot id for the wanted (item, lot key, lot number, expiry),
    creating the lots that do not exist yet (in one statement)."""
    found: dict[tuple[int, str], int] = {}
    items = sorted({item_id for item_id, _, _, _ in wanted})

    async def read() -> None:
        for start in range(0, len(items), chunk):
            rows = await session.execute(
                select(Lot.item_id, Lot.lot_key, Lot.id).where(
                    Lot.item_id.in_(items[start : start + chunk])
                )
            )
            for item_id, key, lot_id in rows.all():
                found[(item_id, key)] = lot_id

    await read()
    missing = [w for w in sorted(wanted, key=str) if (w[0], w[1]) not in found]
    if missing:
        stmt = (
            postgresql.insert(Lot)
            if session.get_bind().dialect.name == "postgresql"
            else sqlite.insert(Lot)
        )
        await session.execute(
            stmt.on_conflict_do_nothing(index_elements=["item_id", "lot_key"]),
            [
                {
                    "item_id": item_id,
                    "lot_key": key,
                    "lot_number": number,
                    "expiry": expiry,
                    "recalled": False,
                }
                for item_id, key, number, expiry in missing
            ],
        )
        await read()
    return found


async def on_hand(
    session: AsyncSession, lot_ids: Collection[int], *, chunk: int = 500
) -> dict[tuple[int, int], int]:
    """(location id, lot id) -> on hand, for every real balance of these lots."""
    held: dict[tuple[int, int], int] = {}
    ordered = sorted(set(lot_ids))
    for start in range(0, len(ordered), chunk):
        rows = await session.execute(
            select(Balance.location_id, Balance.lot_id, Balance.quantity).where(
                Balance.lot_id.in_(ordered[start : start + chunk])
            )
        )
        for location_id, lot_id, quantity in rows.all():
            held[(location_id, lot_id)] = int(quantity)
    return held


__all__ = [
    "ItemFields",
    "insert_identifiers",
    "insert_items",
    "item_fields",
    "items_by_identifiers",
    "lots",
    "number_space",
    "on_hand",
    "real_locations",
    "supplier_ids",
    "update_item",
]
