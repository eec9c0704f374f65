"""Queries over items, identifiers and locations."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, String, and_, bindparam, case, func, insert, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from inventory_svc.db.models import Item, ItemIdentifier, Location, Supplier
from inventory_svc.domain import vocabulary
from inventory_svc.domain.records import IdentifierOut, ItemOut, LocationOut, SupplierOut
from inventory_svc.domain.vocabulary import VIRTUAL_KIND, IdentifierKind, LocationKind

GTIN_KINDS = tuple(kind.value for kind in vocabulary.GTIN_KINDS)


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


# --- writes and typed reads of the reference data ---------------------------------------


@dataclass(frozen=True, slots=True)
class NewIdentifier:
    kind: str
    value: str
    printed: str
    units: int


async def supplier_id(session: AsyncSession, code: str) -> int | None:
    found: int | None = await session.scalar(select(Supplier.id).where(Supplier.code == code))
    return found


async def insert_item(
    session: AsyncSession,
    *,
    name: str,
    strength: str | None,
    form: str | None,
    base_unit: str,
    schedule: str | None,
    preferred_supplier_id: int | None,
) -> int:
    item = Item(
        name=name,
        strength=strength,
        form=form,
        base_unit=base_unit,
        schedule=schedule,
        preferred_supplier_id=preferred_supplier_id,
    )
    session.add(item)
    await session.flush()
    return item.id


async def insert_identifiers(
    session: AsyncSession, item_id: int, identifiers: Sequence[NewIdentifier]
) -> None:
    """Raises IntegrityError when one of them belongs to an item already."""
    if identifiers:
        await session.execute(
            insert(ItemIdentifier),
            [
                {
                    "item_id": item_id,
                    "kind": i.kind,
                    "value": i.value,
                    "printed": i.printed,
                    "units": i.units,
                }
                for i in identifiers
            ],
        )


async def items_by_ids(session: AsyncSession, item_ids: Sequence[int]) -> list[ItemOut]:
    """The items with their identifiers, in the order of `item_ids`."""
    if not item_ids:
        return []
    rows = {
        item.id: item for item in await session.scalars(select(Item).where(Item.id.in_(item_ids)))
    }
    by_item: dict[int, list[IdentifierOut]] = {}
    for i in await identifiers_of(session, item_ids):
        by_item.setdefault(i.item_id, []).append(
            IdentifierOut(IdentifierKind(i.kind), i.value, i.printed, i.units)
        )
    return [
        ItemOut(
            id=item.id,
            name=item.name,
            strength=item.strength,
            form=item.form,
            base_unit=item.base_unit,
            schedule=item.schedule,
            identifiers=by_item.get(item.id, []),
        )
        for item in (rows[item_id] for item_id in item_ids if item_id in rows)
    ]


async def search_item_ids(
    session: AsyncSession,
    name_part: str | None,
    identifiers: Collection[str],
    limit: int,
    offset: int,
) -> list[int]:
    """Items whose name contains `name_part` (case-insensitive, `%` and `_` literal) or that
    have one of `identifiers` (normalised or as printed), by name."""
    stmt = select(Item.id).order_by(Item.name, Item.id).limit(limit).offset(offset)
    if name_part:
        with_identifier = select(ItemIdentifier.item_id).where(
            or_(ItemIdentifier.value.in_(identifiers), ItemIdentifier.printed.in_(identifiers))
        )
        stmt = stmt.where(
            or_(
                func.lower(Item.name).contains(name_part.lower(), autoescape=True),
                Item.id.in_(with_identifier),
            )
        )
    return list(await session.scalars(stmt))


async def insert_location(
    session: AsyncSession, *, code: str, name: str, kind: str, parent_id: int | None
) -> int:
    """Raises IntegrityError when the code is taken."""
    location_id: int = (
        await session.execute(
            insert(Location)
            .values(code=code, name=name, kind=kind, parent_id=parent_id, is_virtual=False)
            .returning(Location.id)
        )
    ).scalar_one()
    return location_id


def _location_out(location: Location, parent: str | None) -> LocationOut:
    kind = VIRTUAL_KIND if location.is_virtual else LocationKind(location.kind).value
    return LocationOut(location.id, location.code, location.name, kind, parent, location.is_virtual)


async def location_records(
    session: AsyncSession, kind: str | None = None, location_id: int | None = None
) -> list[LocationOut]:
    """Locations with their parent's code, real ones first, by code."""
    parent = aliased(Location)
    stmt = (
        select(Location, parent.code)
        .outerjoin(parent, parent.id == Location.parent_id)
        .order_by(Location.is_virtual, Location.code)
    )
    if kind:
        stmt = stmt.where(Location.kind == kind)
    if location_id is not None:
        stmt = stmt.where(Location.id == location_id)
    return [_location_out(location, code) for location, code in await session.execute(stmt)]


async def insert_supplier(
    session: AsyncSession, *, code: str, name: str, account_number: str | None
) -> SupplierOut:
    """Raises IntegrityError when the code is taken."""
    row = (
        await session.execute(
            insert(Supplier)
            .values(code=code, name=name, account_number=account_number)
            .returning(Supplier.id)
        )
    ).scalar_one()
    return SupplierOut(row, code, name, account_number)


async def supplier_records(session: AsyncSession) -> list[SupplierOut]:
    rows = await session.scalars(select(Supplier).order_by(Supplier.code))
    return [SupplierOut(s.id, s.code, s.name, s.account_number) for s in rows]
