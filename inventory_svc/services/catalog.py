"""Items, locations and suppliers: the reference data scans resolve against."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import catalog
from inventory_svc.db.models import Item, ItemIdentifier, Location, Supplier
from inventory_svc.domain import barcodes
from inventory_svc.domain.errors import (
    BadRequest,
    DuplicateIdentifier,
    DuplicateLocation,
    DuplicateSupplier,
    NotFound,
    UnknownLocation,
    UnknownSupplier,
)
from inventory_svc.domain.ledger import LOCATION_KINDS

IDENTIFIER_KINDS = ("gtin", "upc", "ean", "ndc", "internal")


@dataclass(frozen=True, slots=True)
class IdentifierInput:
    kind: str
    value: str
    units: int = 1


@dataclass(frozen=True, slots=True)
class ItemInput:
    name: str
    identifiers: Sequence[IdentifierInput]
    strength: str | None = None
    form: str | None = None
    base_unit: str = "each"
    schedule: str | None = None
    preferred_supplier: str | None = None


def normalise_identifier(identifier: IdentifierInput) -> ItemIdentifier:
    if identifier.kind not in IDENTIFIER_KINDS:
        raise BadRequest(
            f"Identifier kind {identifier.kind!r} is not one of {', '.join(IDENTIFIER_KINDS)}."
        )
    if identifier.units < 1:
        raise BadRequest("Identifier units must be at least 1.")
    try:
        value = barcodes.normalize_identifier(identifier.kind, identifier.value)
    except ValueError as error:
        detail = getattr(error, "detail", str(error))
        raise BadRequest(f"Identifier {identifier.value!r}: {detail}") from error
    return ItemIdentifier(
        kind=identifier.kind, value=value, printed=identifier.value.strip(), units=identifier.units
    )


def _number_space(kind: str) -> str:
    """UPC, EAN and GTIN are one number space (all stored as GTIN-14): a scan of the number
    must resolve to one item whichever kind it was registered under."""
    return "gtin" if kind in catalog.GTIN_KINDS else kind


async def create_item(session: AsyncSession, data: ItemInput) -> tuple[Item, list[ItemIdentifier]]:
    identifiers = [normalise_identifier(i) for i in data.identifiers]
    keys = [(i.kind, i.value) for i in identifiers]
    if len({(_number_space(kind), value) for kind, value in keys}) != len(keys):
        raise BadRequest("The same identifier is listed twice.")
    supplier_id = None
    if data.preferred_supplier:
        supplier_id = await session.scalar(
            select(Supplier.id).where(Supplier.code == data.preferred_supplier)
        )
        if supplier_id is None:
            raise UnknownSupplier(f"No supplier with code {data.preferred_supplier!r}.")
    item = Item(
        name=data.name,
        strength=data.strength,
        form=data.form,
        base_unit=data.base_unit,
        schedule=data.schedule,
        preferred_supplier_id=supplier_id,
    )
    session.add(item)
    await session.flush()
    for identifier in identifiers:
        identifier.item_id = item.id
    session.add_all(identifiers)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        raise DuplicateIdentifier(
            "One of these identifiers already belongs to another item (GTIN, UPC and EAN are "
            "one number space).",
            identifiers=[{"kind": k, "value": v} for k, v in keys],
        ) from error
    return item, identifiers


async def get_item(session: AsyncSession, item_id: int) -> tuple[Item, list[ItemIdentifier]]:
    item = await session.get(Item, item_id)
    if item is None:
        raise NotFound(f"No item with id {item_id}.")
    return item, await catalog.identifiers_of(session, [item_id])


async def search_items(
    session: AsyncSession, q: str | None, limit: int, offset: int
) -> list[tuple[Item, list[ItemIdentifier]]]:
    """`q` matches names, any identifier as printed or normalised, or a scanned barcode."""
    stmt = select(Item).order_by(Item.name, Item.id).limit(limit).offset(offset)
    if q:
        values = {q.strip()}
        try:
            barcode = barcodes.interpret(q)
            if barcode.gtin:
                values.add(barcode.gtin)
            if barcode.ndc:
                values.update(barcodes.ndc11_candidates(barcode.ndc))
        except barcodes.BadBarcode:
            pass
        with_identifier = select(ItemIdentifier.item_id).where(
            or_(ItemIdentifier.value.in_(values), ItemIdentifier.printed.in_(values))
        )
        stmt = stmt.where(
            or_(func.lower(Item.name).contains(q.lower()), Item.id.in_(with_identifier))
        )
    items = list((await session.execute(stmt)).scalars().all())
    identifiers = await catalog.identifiers_of(session, [i.id for i in items])
    by_item: dict[int, list[ItemIdentifier]] = {}
    for identifier in identifiers:
        by_item.setdefault(identifier.item_id, []).append(identifier)
    return [(item, by_item.get(item.id, [])) for item in items]


async def create_location(
    session: AsyncSession, code: str, name: str, kind: str, parent: str | None
) -> Location:
    code = code.strip()
    if not code or code.startswith("@") or any(c.isspace() for c in code):
        raise BadRequest("A location code is non-empty, has no spaces and does not start with '@'.")
    if kind not in LOCATION_KINDS:
        raise BadRequest(f"Location kind {kind!r} is not one of {', '.join(LOCATION_KINDS)}.")
    parent_id = None
    if parent:
        parent_row = await catalog.location_by_code(session, parent)
        if parent_row is None or parent_row.is_virtual:
            raise UnknownLocation(f"No parent location has the code {parent!r}.")
        parent_id = parent_row.id
    location = Location(code=code, name=name, kind=kind, parent_id=parent_id, is_virtual=False)
    session.add(location)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        raise DuplicateLocation(f"A location with code {code!r} already exists.") from error
    return location


async def list_locations(
    session: AsyncSession, kind: str | None
) -> list[tuple[Location, str | None]]:
    parent = Location.__table__.alias("parent")
    stmt = (
        select(Location, parent.c.code)
        .outerjoin(parent, parent.c.id == Location.parent_id)
        .order_by(Location.is_virtual, Location.code)
    )
    if kind:
        stmt = stmt.where(Location.kind == kind)
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


async def create_supplier(
    session: AsyncSession, code: str, name: str, account_number: str | None
) -> Supplier:
    supplier = Supplier(code=code.strip(), name=name, account_number=account_number)
    session.add(supplier)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        raise DuplicateSupplier(f"A supplier with code {code!r} already exists.") from error
    return supplier


async def list_suppliers(session: AsyncSession) -> list[Supplier]:
    return list((await session.execute(select(Supplier).order_by(Supplier.code))).scalars().all())
