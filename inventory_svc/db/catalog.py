"""Queries over items, identifiers and locations."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import String, and_, case, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from inventory_svc.db.models import Item, ItemIdentifier, Location

GTIN_KINDS = ("gtin", "upc", "ean")


@dataclass(frozen=True, slots=True)
class ItemMatch:
    item: Item
    identifier: ItemIdentifier
    ndc_printed: str | None
    """The item's NDC as printed on its package, when the barcode's NDC is one of its own."""


async def find_item_by_barcode(
    session: AsyncSession,
    gtin: str | None,
    ndc11_candidates: Sequence[str],
    *,
    fallback_to_ndc: bool = True,
) -> ItemMatch | None:
    """An exact GTIN match wins over an NDC match (the GTIN also knows the pack size).

    One query: the item, the identifier that matched, and the printed NDC for display."""
    conditions = []
    if gtin:
        conditions.append(and_(ItemIdentifier.kind.in_(GTIN_KINDS), ItemIdentifier.value == gtin))
    if ndc11_candidates and fallback_to_ndc:
        conditions.append(
            and_(ItemIdentifier.kind == "ndc", ItemIdentifier.value.in_(ndc11_candidates))
        )
    if not conditions:
        return None
    ndc = aliased(ItemIdentifier)
    ndc_printed = (
        select(ndc.printed)
        .where(ndc.item_id == Item.id, ndc.kind == "ndc", ndc.value.in_(ndc11_candidates))
        .limit(1)
        .scalar_subquery()
        if ndc11_candidates
        else literal(None, String)
    )
    stmt = (
        select(Item, ItemIdentifier, ndc_printed)
        .join(ItemIdentifier, ItemIdentifier.item_id == Item.id)
        .where(or_(*conditions))
        .order_by(case((ItemIdentifier.kind == "ndc", 1), else_=0), ItemIdentifier.id)
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return ItemMatch(row[0], row[1], row[2]) if row else None


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
