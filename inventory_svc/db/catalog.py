"""Queries over items, identifiers and locations."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import and_, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import Item, ItemIdentifier, Location

GTIN_KINDS = ("gtin", "upc", "ean")


async def find_item_by_barcode(
    session: AsyncSession, gtin: str | None, ndc11_candidates: Sequence[str]
) -> tuple[Item, ItemIdentifier] | None:
    """An exact GTIN match wins over an NDC match (the GTIN also knows the pack size)."""
    conditions = []
    if gtin:
        conditions.append(and_(ItemIdentifier.kind.in_(GTIN_KINDS), ItemIdentifier.value == gtin))
    if ndc11_candidates:
        conditions.append(
            and_(ItemIdentifier.kind == "ndc", ItemIdentifier.value.in_(ndc11_candidates))
        )
    if not conditions:
        return None
    stmt = (
        select(Item, ItemIdentifier)
        .join(ItemIdentifier, ItemIdentifier.item_id == Item.id)
        .where(or_(*conditions))
        .order_by(case((ItemIdentifier.kind == "ndc", 1), else_=0), ItemIdentifier.id)
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row else None


async def identifiers_of(session: AsyncSession, item_ids: Collection[int]) -> list[ItemIdentifier]:
    if not item_ids:
        return []
    stmt = (
        select(ItemIdentifier)
        .where(ItemIdentifier.item_id.in_(item_ids))
        .order_by(ItemIdentifier.item_id, ItemIdentifier.id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def locations_by_codes(session: AsyncSession, codes: Collection[str]) -> dict[str, Location]:
    stmt = select(Location).where(Location.code.in_(set(codes)))
    return {loc.code: loc for loc in (await session.execute(stmt)).scalars().all()}


async def location_by_code(session: AsyncSession, code: str) -> Location | None:
    return (await locations_by_codes(session, [code])).get(code)


def subtree_ids_query(root_id: int):  # type: ignore[no-untyped-def]
    """Recursive CTE of a location and everything below it (works on both databases)."""
    tree = select(Location.id).where(Location.id == root_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Location.id).where(Location.parent_id == tree.c.id))
    return select(tree.c.id)
