"""Queries over items, identifiers and locations."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, String, and_, bindparam, case, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from inventory_svc.db.models import Item, ItemIdentifier, Location

GTIN_KINDS = ("gtin", "upc", "ean")


@dataclass(frozen=True, slots=True)
class ItemMatch:
    item: Item
    identifier: ItemIdentifier
    ndc_printed: str | None
    """The item's NDC as printed on its package, when the barcode's NDC is one of its own."""


@cache
def _item_by_barcode_query(by_gtin: bool, by_ndc: bool, show_ndc: bool) -> Any:
    """Built once per shape with bound parameters (`gtin`, expanding `candidates`): building
    this statement costs more than running it."""
    candidates: BindParameter[Any] = bindparam("candidates", expanding=True)
    conditions = []
    if by_gtin:
        conditions.append(
            and_(ItemIdentifier.kind.in_(GTIN_KINDS), ItemIdentifier.value == bindparam("gtin"))
        )
    if by_ndc:
        conditions.append(and_(ItemIdentifier.kind == "ndc", ItemIdentifier.value.in_(candidates)))
    ndc = aliased(ItemIdentifier)
    ndc_printed = (
        select(ndc.printed)
        .where(ndc.item_id == Item.id, ndc.kind == "ndc", ndc.value.in_(candidates))
        .limit(1)
        .scalar_subquery()
        if show_ndc
        else literal(None, String)
    )
    return (
        select(Item, ItemIdentifier, ndc_printed)
        .join(ItemIdentifier, ItemIdentifier.item_id == Item.id)
        .where(or_(*conditions))
        .order_by(case((ItemIdentifier.kind == "ndc", 1), else_=0), ItemIdentifier.id)
        .limit(1)
    )


async def find_item_by_barcode(
    session: AsyncSession,
    gtin: str | None,
    ndc11_candidates: Sequence[str],
    *,
    fallback_to_ndc: bool = True,
) -> ItemMatch | None:
    """An exact GTIN match wins over an NDC match (the GTIN also knows the pack size).

    One query: the item, the identifier that matched, and the printed NDC for display."""
    by_ndc = bool(ndc11_candidates) and fallback_to_ndc
    if not gtin and not by_ndc:
        return None
    stmt = _item_by_barcode_query(bool(gtin), by_ndc, bool(ndc11_candidates))
    params: dict[str, Any] = {"gtin": gtin, "candidates": list(ndc11_candidates)}
    row = (await session.execute(stmt, params)).first()
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


_LOCATIONS_BY_CODES = select(Location).where(Location.code.in_(bindparam("codes", expanding=True)))


async def locations_by_codes(session: AsyncSession, codes: Collection[str]) -> dict[str, Location]:
    rows = await session.execute(_LOCATIONS_BY_CODES, {"codes": sorted(set(codes))})
    return {loc.code: loc for loc in rows.scalars().all()}


async def location_by_code(session: AsyncSession, code: str) -> Location | None:
    return (await locations_by_codes(session, [code])).get(code)


def subtree_ids_query(root_id: int) -> Select[tuple[int]]:
    """Recursive CTE of a location and everything below it (works on both databases)."""
    tree = select(Location.id).where(Location.id == root_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Location.id).where(Location.parent_id == tree.c.id))
    return select(tree.c.id)
