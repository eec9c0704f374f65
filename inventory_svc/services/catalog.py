"""Items, locations and suppliers: the reference data scans resolve against.

Each write is a use case run in a unit of work, and an event (`item.changed`,
`location.changed`, `supplier.changed`) naming who made it: the event log is the audit trail
of the catalogue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import catalog
from inventory_svc.domain import barcodes, limits
from inventory_svc.domain.errors import (
    BadRequest,
    DomainError,
    DuplicateIdentifier,
    DuplicateLocation,
    DuplicateSupplier,
    NotFound,
    UnknownLocation,
    UnknownSupplier,
)
from inventory_svc.domain.events import EventType
from inventory_svc.domain.records import ItemOut, LocationOut, SupplierOut
from inventory_svc.domain.vocabulary import GTIN_KINDS, KIT_KINDS, IdentifierKind, LocationKind
from inventory_svc.services.uow import UnitOfWork


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


def require(limit: limits.Text, value: str | None, field: str) -> None:
    """The API refuses such values already; this keeps every other caller (the demo loader,
    the CLI) to the same one definition of the field."""
    if value is not None and not limit.allows(value):
        raise BadRequest(
            f"{field} must be {limit.min_length} to {limit.max_length} characters"
            + (f" matching {limit.pattern}" if limit.pattern else "")
            + f", got {value[:80]!r}."
        )


@asynccontextmanager
async def _stored(
    session: AsyncSession, duplicate: Callable[[], DomainError]
) -> AsyncIterator[None]:
    """Flush new rows in a savepoint: a unique key already taken is `duplicate()`. (A value
    the database refuses is UnstorableValue, a 400, for every statement: db/errors.py.)"""
    try:
        async with session.begin_nested():
            yield
            await session.flush()
    except IntegrityError as error:
        raise duplicate() from error


def normalise_identifier(identifier: IdentifierInput) -> catalog.NewIdentifier:
    try:
        kind = IdentifierKind(identifier.kind)
    except ValueError:
        raise BadRequest(
            f"Identifier kind {identifier.kind!r} is not one of {', '.join(IdentifierKind)}."
        ) from None
    if not limits.UNITS.allows(identifier.units):
        raise BadRequest(
            f"Identifier units must be {limits.UNITS.ge} to {limits.UNITS.le}, "
            f"got {identifier.units}."
        )
    require(limits.IDENTIFIER, identifier.value, "An identifier")
    try:
        value = barcodes.normalize_identifier(kind, identifier.value)
    except ValueError as error:
        detail = getattr(error, "detail", str(error))
        raise BadRequest(f"Identifier {identifier.value!r}: {detail}") from error
    return catalog.NewIdentifier(kind, value, identifier.value.strip(), identifier.units)


def _number_space(kind: str) -> str:
    """UPC, EAN and GTIN are one number space (all stored as GTIN-14): a scan of the number
    must resolve to one item whichever kind it was registered under."""
    return IdentifierKind.GTIN if kind in GTIN_KINDS else kind


async def create_item(uow: UnitOfWork, data: ItemInput) -> ItemOut:
    require(limits.NAME, data.name, "An item name")
    require(limits.STRENGTH, data.strength, "A strength")
    require(limits.FORM, data.form, "A form")
    require(limits.BASE_UNIT, data.base_unit, "A base unit")
    require(limits.SUPPLIER_CODE, data.preferred_supplier or None, "A supplier code")
    if len(data.identifiers) > limits.MAX_IDENTIFIERS_PER_ITEM:
        raise BadRequest(f"An item has at most {limits.MAX_IDENTIFIERS_PER_ITEM} identifiers.")
    identifiers = [normalise_identifier(i) for i in data.identifiers]
    keys = [(i.kind, i.value) for i in identifiers]
    if len({(_number_space(kind), value) for kind, value in keys}) != len(keys):
        raise BadRequest("The same identifier is listed twice.")
    session = uow.session
    supplier_id = None
    if data.preferred_supplier:
        supplier_id = await catalog.supplier_id(session, data.preferred_supplier)
        if supplier_id is None:
            raise UnknownSupplier(f"No supplier with code {data.preferred_supplier!r}.")
    item_id = await catalog.insert_item(
        session,
        name=data.name,
        strength=data.strength,
        form=data.form,
        base_unit=data.base_unit,
        schedule=data.schedule,
        preferred_supplier_id=supplier_id,
    )

    def duplicate() -> DomainError:
        return DuplicateIdentifier(
            "One of these identifiers already belongs to another item (GTIN, UPC and EAN are "
            "one number space).",
            identifiers=[{"kind": k, "value": v} for k, v in keys],
        )

    async with _stored(session, duplicate):
        await catalog.insert_identifiers(session, item_id, identifiers)
    (item,) = await catalog.items_by_ids(session, [item_id])
    uow.emit(EventType.ITEM_CHANGED, {"change": "created", "item": item})
    return item


async def get_item(session: AsyncSession, item_id: int) -> ItemOut:
    found = await catalog.items_by_ids(session, [item_id])
    if not found:
        raise NotFound(f"No item with id {item_id}.")
    return found[0]


async def search_items(
    session: AsyncSession, q: str | None, limit: int, offset: int
) -> list[ItemOut]:
    """`q` matches names, any identifier as printed or normalised, or a scanned barcode."""
    values = set()
    if q:
        values.add(q.strip())
        try:
            barcode = barcodes.interpret(q)
            if barcode.gtin:
                values.add(barcode.gtin)
            if barcode.ndc:
                values.update(barcodes.ndc11_candidates(barcode.ndc))
        except barcodes.BadBarcode:
            pass
    ids = await catalog.search_item_ids(session, q, values, limit, offset)
    return await catalog.items_by_ids(session, ids)


async def create_location(
    uow: UnitOfWork, code: str, name: str, kind: str, parent: str | None, *, kit: bool = False
) -> LocationOut:
    """A location; one of a kit kind only as a kit (services/kits.create_kit binds it to its
    template: a kit location without one could hold stock no template accounts for)."""
    code = code.strip()
    if not limits.LOCATION_CODE.allows(code):
        raise BadRequest(
            f"A location code is 1 to {limits.LOCATION_CODE.max_length} letters, digits, "
            f"'-', '_' or '.', got {code[:80]!r}."
        )
    require(limits.NAME, name, "A location name")
    require(limits.LOCATION_REF, parent or None, "A parent location code")
    if kind not in set(LocationKind):
        raise BadRequest(f"Location kind {kind!r} is not one of {', '.join(LocationKind)}.")
    if (kind in KIT_KINDS) != kit:
        raise BadRequest(
            f"A {kind} is a kit: create it with POST /kits (it needs a template)."
            if kit is False
            else "A kit's kind is its template's."
        )
    session = uow.session
    parent_id = None
    if parent:
        parent_row = await catalog.location_by_code(session, parent)
        if parent_row is None or parent_row.is_virtual:
            raise UnknownLocation(f"No parent location has the code {parent!r}.")
        parent_id = parent_row.id
    async with _stored(
        session, lambda: DuplicateLocation(f"A location with code {code!r} already exists.")
    ):
        location_id = await catalog.insert_location(
            session, code=code, name=name, kind=kind, parent_id=parent_id
        )
    (location,) = await catalog.location_records(session, location_id=location_id)
    uow.emit(EventType.LOCATION_CHANGED, {"change": "created", "location": location})
    return location


async def label_caption(session: AsyncSession, code: str) -> str:
    """The name printed on a location's label. Labels print Code128 `LOC:<code>`: a code
    outside the code pattern (non-ASCII, '/', too long) is one no location can have, and
    one no label can carry, even if an older row holds it."""
    if not limits.LOCATION_CODE.allows(code):
        raise UnknownLocation(
            f"No location can have the code {code!r}: codes are 1 to "
            f"{limits.LOCATION_CODE.max_length} letters, digits, '-', '_' or '.'."
        )
    location = await catalog.location_by_code(session, code)
    if location is None or location.is_virtual:
        raise UnknownLocation(f"No location has the code {code!r}.")
    return location.name


async def list_locations(session: AsyncSession, kind: str | None) -> list[LocationOut]:
    return await catalog.location_records(session, kind)


async def create_supplier(
    uow: UnitOfWork, code: str, name: str, account_number: str | None
) -> SupplierOut:
    code = code.strip()
    require(limits.SUPPLIER_CODE, code, "A supplier code")
    require(limits.NAME, name, "A supplier name")
    require(limits.ACCOUNT_NUMBER, account_number, "An account number")
    async with _stored(
        uow.session, lambda: DuplicateSupplier(f"A supplier with code {code!r} already exists.")
    ):
        supplier = await catalog.insert_supplier(
            uow.session, code=code, name=name, account_number=account_number
        )
    uow.emit(EventType.SUPPLIER_CHANGED, {"change": "created", "supplier": supplier})
    return supplier


async def list_suppliers(session: AsyncSession) -> list[SupplierOut]:
    return await catalog.supplier_records(session)
