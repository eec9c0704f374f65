"""Supplier items, par levels and the reorder list.

Writes are use cases run in a unit of work; the reorder list is a read: db/reorders sums the
ledger in one statement and domain/reorder turns the sums into the list's numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import catalog
from inventory_svc.db import reorders as reorders_db
from inventory_svc.domain import limits, reorder
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.errors import (
    BadRequest,
    UnknownItem,
    UnknownLocation,
    UnknownSupplier,
)
from inventory_svc.domain.events import EventType
from inventory_svc.domain.records import ItemRef, ParLevelOut, ReorderLine, SupplierItemOut
from inventory_svc.services.catalog import require
from inventory_svc.services.uow import UnitOfWork


def _bounded(limit: limits.IntRange, value: int | None, field: str) -> None:
    if value is not None and not limit.allows(value):
        raise BadRequest(f"{field} must be {limit.ge} to {limit.le}, got {value}.")


async def supplier_id_of(session: AsyncSession, code: str) -> int:
    found = await catalog.supplier_id(session, code)
    if found is None:
        raise UnknownSupplier(f"No supplier with code {code!r}.")
    return found


async def location_ids(session: AsyncSession, codes: Sequence[str]) -> dict[str, int]:
    """Real locations by code; UnknownLocation names the first code that is not one."""
    found = await catalog.locations_by_codes(session, codes)
    for code in codes:
        location = found.get(code)
        if location is None or location.is_virtual:
            raise UnknownLocation(f"No location has the code {code!r}.")
    return {code: location.id for code, location in found.items()}


async def require_items(session: AsyncSession, item_ids: Sequence[int]) -> None:
    existing = await reorders_db.existing_item_ids(session, sorted(set(item_ids)))
    for item_id in item_ids:
        if item_id not in existing:
            raise UnknownItem(f"No item with id {item_id}.")


# --- supplier items ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupplierItemInput:
    supplier: str
    item: int
    supplier_item_code: str | None = None
    pack_size: int = 1
    min_order_quantity: int = 1
    lead_time_days: int = 0
    unit_cost_cents: int | None = None
    preferred: bool | None = None
    """True makes this supplier the item's preferred one; False stops it being so; None
    leaves the item's preferred supplier as it is."""


async def put_supplier_item(uow: UnitOfWork, data: SupplierItemInput) -> SupplierItemOut:
    require(limits.SUPPLIER_CODE, data.supplier, "A supplier code")
    require(limits.SUPPLIER_ITEM_CODE, data.supplier_item_code, "A supplier item code")
    _bounded(limits.REFERENCE_ID, data.item, "item")
    _bounded(limits.PACK_SIZE, data.pack_size, "pack_size")
    _bounded(limits.MIN_ORDER_QUANTITY, data.min_order_quantity, "min_order_quantity")
    _bounded(limits.LEAD_TIME_DAYS, data.lead_time_days, "lead_time_days")
    _bounded(limits.COST_CENTS, data.unit_cost_cents, "unit_cost_cents")
    session = uow.session
    supplier_id = await supplier_id_of(session, data.supplier)
    await require_items(session, [data.item])
    terms = reorders_db.SupplierTerms(
        data.supplier_item_code,
        data.pack_size,
        data.min_order_quantity,
        data.lead_time_days,
        data.unit_cost_cents,
    )
    await reorders_db.upsert_supplier_item(session, supplier_id, data.item, terms, uow.now)
    if data.preferred is not None:
        await reorders_db.set_preferred_supplier(session, data.item, supplier_id, data.preferred)
    (stored,) = await reorders_db.supplier_items(
        session, supplier_id=supplier_id, item_id=data.item
    )
    uow.emit(EventType.SUPPLIER_CHANGED, {"change": "supplier_item", "supplier_item": stored})
    return stored


async def list_supplier_items(
    session: AsyncSession,
    *,
    supplier: str | None = None,
    item: int | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[SupplierItemOut]:
    supplier_id = await supplier_id_of(session, supplier) if supplier else None
    return await reorders_db.supplier_items(
        session, supplier_id=supplier_id, item_id=item, limit=limit, offset=offset
    )


# --- par levels -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParLevelInput:
    item: int
    location: str
    par: int
    reorder_point: int
    max: int | None = None
    source_supplier: str | None = None
    source_location: str | None = None


def _check_par_level(n: int, level: ParLevelInput, many: bool) -> None:
    where = f"Par level {n}: " if many else ""
    try:
        require(limits.LOCATION_REF, level.location, "A location code")
        require(limits.LOCATION_REF, level.source_location, "A source location code")
        require(limits.SUPPLIER_CODE, level.source_supplier, "A source supplier code")
        _bounded(limits.REFERENCE_ID, level.item, "item")
        for field, value in (
            ("par", level.par),
            ("reorder_point", level.reorder_point),
            ("max", level.max),
        ):
            _bounded(limits.PAR_QUANTITY, value, field)
    except BadRequest as error:
        raise BadRequest(where + error.detail) from error
    if problem := reorder.check_par_level(level.par, level.reorder_point, level.max):
        raise BadRequest(where + problem)
    if level.source_supplier is not None and level.source_location is not None:
        raise BadRequest(where + "source is a supplier or a location, not both.")
    if level.source_location == level.location:
        raise BadRequest(where + f"{level.location} cannot be refilled from itself.")


async def put_par_levels(uow: UnitOfWork, levels: Sequence[ParLevelInput]) -> list[ParLevelOut]:
    """Sets (creates or replaces) par levels, all or none."""
    if len(levels) > limits.MAX_PAR_LEVELS_PER_REQUEST:
        raise BadRequest(f"At most {limits.MAX_PAR_LEVELS_PER_REQUEST} par levels at once.")
    many = len(levels) > 1
    seen: set[tuple[int, str]] = set()
    for n, level in enumerate(levels, start=1):
        _check_par_level(n, level, many)
        key = (level.item, level.location)
        if key in seen:
            raise BadRequest(f"Par level {n}: item {level.item} at {level.location} is twice.")
        seen.add(key)
    session = uow.session
    codes = {level.location for level in levels} | {
        level.source_location for level in levels if level.source_location
    }
    place_ids = await location_ids(session, sorted(codes))
    supplier_ids = {
        code: await supplier_id_of(session, code)
        for code in sorted({level.source_supplier for level in levels if level.source_supplier})
    }
    await require_items(session, [level.item for level in levels])
    rows = [
        reorders_db.NewParLevel(
            item_id=level.item,
            location_id=place_ids[level.location],
            par=level.par,
            reorder_point=level.reorder_point,
            max_level=level.max,
            source_supplier_id=supplier_ids.get(level.source_supplier or ""),
            source_location_id=place_ids.get(level.source_location or ""),
        )
        for level in levels
    ]
    await reorders_db.upsert_par_levels(session, rows, uow.now)
    return await reorders_db.par_levels(
        session,
        keys=[(row.item_id, row.location_id) for row in rows],
        limit=limits.MAX_PAR_LEVELS_PER_REQUEST,
    )


async def list_par_levels(
    session: AsyncSession,
    *,
    location: str | None = None,
    item: int | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[ParLevelOut]:
    location_id = (await location_ids(session, [location]))[location] if location else None
    return await reorders_db.par_levels(
        session, location_id=location_id, item_id=item, limit=limit, offset=offset
    )


# --- the reorder list -------------------------------------------------------------------------


def reorder_line(sums: reorders_db.ReorderSums, usage_days: int) -> ReorderLine:
    """A line of the list from its sums. Built 10,000 times for a hospital's list, so the
    sums are unpacked and the line is built in its fields' order (keyword arguments were
    half of the time); tests/unit/test_reorder_line.py checks every field lands in place."""
    (
        _,
        item_id,
        item_name,
        location,
        par,
        reorder_point,
        max_level,
        supplier,
        source_location,
        supplier_item_code,
        pack_size,
        min_order,
        lead_time_days,
        unit_cost_cents,
        usable,
        used,
        on_order,
    ) = sums
    _, _, daily_usage, days_of_supply, suggested, line_cost_cents = reorder.figures(
        par=par,
        usable=usable,
        on_order=on_order,
        used=used,
        usage_days=usage_days,
        pack_size=pack_size,
        min_order=min_order,
        unit_cost_cents=unit_cost_cents,
    )
    return ReorderLine(
        ItemRef(item_id, item_name),
        location,
        usable,  # on_hand: usable on hand
        on_order,
        reorder_point,
        par,
        max_level,
        suggested,
        daily_usage,
        days_of_supply,
        supplier,
        source_location,
        supplier_item_code,
        pack_size,
        min_order,
        lead_time_days,
        unit_cost_cents,
        line_cost_cents,
        used,  # used_in_window
        usage_days,
    )


async def reorder_lines(
    session: AsyncSession,
    *,
    now: datetime,
    today: date,
    zone: tzinfo,
    location: str | None = None,
    supplier: str | None = None,
    include_sublocations: bool = False,
    usage_days: int = reorder.DEFAULT_USAGE_DAYS,
) -> list[ReorderLine]:
    _bounded(limits.USAGE_DAYS, usage_days, "usage_days")
    location_id = (await location_ids(session, [location]))[location] if location else None
    supplier_id = await supplier_id_of(session, supplier) if supplier else None
    sums = await reorders_db.reorder_sums(
        session,
        today=today,
        window_start=reorder.usage_window_start(today, usage_days, zone),
        window_end=now,
        location_id=location_id,
        include_sublocations=include_sublocations,
        supplier_id=supplier_id,
    )
    return [reorder_line(s, usage_days) for s in sums]


async def reorder_list(
    session: AsyncSession,
    clock: SiteClock,
    *,
    location: str | None = None,
    supplier: str | None = None,
    include_sublocations: bool = False,
    usage_days: int = reorder.DEFAULT_USAGE_DAYS,
) -> list[ReorderLine]:
    now = clock.now()
    return await reorder_lines(
        session,
        now=now,
        today=clock.today(now),
        zone=clock.zone,
        location=location,
        supplier=supplier,
        include_sublocations=include_sublocations,
        usage_days=usage_days,
    )


async def usage_by_day(
    session: AsyncSession,
    clock: SiteClock,
    lines: Sequence[ReorderLine],
    days: int = reorder.DEFAULT_USAGE_DAYS,
) -> dict[tuple[str, int], list[int]]:
    """Per reorder line (location code, item id): units used on each of the last `days`
    site days, oldest first, today last; the daily view of the list's `used_in_window`."""
    _bounded(limits.USAGE_DAYS, days, "days")
    now = clock.now()
    today = clock.today(now)
    first_day = today - timedelta(days=days - 1)
    pairs = {(line.location, line.item.id) for line in lines}
    series = {pair: [0] * days for pair in pairs}
    moves = await reorders_db.usage_moves(
        session, pairs, reorder.usage_window_start(today, days, clock.zone), now
    )
    for code, item_id, at, quantity in moves:
        day = (clock.today(at) - first_day).days
        if 0 <= day < days:
            series[(code, item_id)][day] += quantity
    return series
