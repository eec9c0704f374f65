"""Supplier items, par levels and the reorder list's sums, as SQL.

The reorder list is one statement: per par level, the usable stock on hand at its location
and below, the units used over the trailing window and what open purchase orders still
expect; domain/reorder.py turns those sums into the numbers on the list.
"""

from __future__ import annotations

import asyncio
import heapq
import re
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from inventory_svc.db.engine import READ_ONLY
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
    UtcDateTime,
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


class ReorderSums(NamedTuple):
    """One par level with what the ledger says about it. A named tuple: built straight from
    the statement's rows, 10,000 of them for a hospital's list."""

    par_id: int
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


_PG_SETTINGS = text("SELECT set_config('jit', 'off', true), set_config('work_mem', '32MB', true)")
"""For the list's transaction only (SET LOCAL), in one round trip. JIT compiling the
statement's many expressions costs more than it saves (twice the time at 118,000 par
levels); memory enough to aggregate them without spilling."""


def _total(
    postgresql: bool, quantity: ColumnElement[Any] | InstrumentedAttribute[int]
) -> ColumnElement[Any]:
    """A sum of quantities as a BIGINT. On PostgreSQL bigint_sum (migration 0016): sum() of
    BIGINTs answers NUMERIC from a 128-bit state allocated per group, a fifth of the list's
    statement over 118,000 (location, item) groups, and decodes as Decimal. SQLite's sum() of
    integers is an integer."""
    if postgresql:
        return func.bigint_sum(quantity, type_=BigInteger)
    return func.sum(quantity, type_=BigInteger)


def _cutoff(postgresql: bool, today: Any, lead_days: Any) -> ColumnElement[Any]:
    """today + lead_days as a SQL date: domain/reorder.usable_expiry_cutoff, in SQL."""
    if postgresql:
        later: ColumnElement[Any] = today + lead_days  # date + integer: a date
        return later
    days = literal("+", String) + cast(lead_days, String) + literal(" days", String)
    return func.date(today, days)  # 'YYYY-MM-DD', as SQLite stores dates


def _is_usage(destination: Any, item_id: Any, root_id: Any) -> ColumnElement[bool]:
    """Whether a movement out of `root_id` (or below it) to `destination` is usage of the
    item there: it went to @consumed or @waste, or to a location that `root_id` feeds with
    that item (a refill of a satellite is the storeroom's usage). The one definition for
    the reorder list's `used` and the reorder page's day-by-day usage."""
    fed = aliased(ParLevel)
    feeds = (
        exists()
        .where(
            fed.item_id == item_id,
            fed.source_location_id == root_id,
            fed.location_id == Movement.to_location_id,
        )
        .correlate_except(fed)  # the line (or root) further out, and this movement
    )
    return or_(
        and_(destination.is_virtual.is_(True), destination.code.in_(USAGE_DESTINATIONS)), feeds
    )


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
    par_ids: Sequence[int] | None = None,
) -> list[ReorderSums]:
    """Per par level: usable on hand at its location and below (not recalled, not in a
    quarantine location, expiring on or after today + the supplier's lead time), units
    that left there to @consumed/@waste or to a location this one feeds (its par level's
    source) within [window_start, window_end], and what open POs for the location still
    expect. With `only_below_reorder_point`, only levels where usable + on order <= the
    reorder point. `par_ids` restricts it to those par levels (the reorder watcher). One
    statement; on PostgreSQL, the whole hospital's list read in a read-only session is two
    (_in_two_halves), in transactions of their own."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    sums = partial(
        _sums_select,
        postgresql,
        by_location=location_id is not None,
        include_sublocations=include_sublocations,
        by_supplier=supplier_id is not None,
        only_below_reorder_point=only_below_reorder_point,
        by_par_ids=par_ids is not None,
    )
    values: dict[str, Any] = {
        "today": today,
        "window_start": window_start,
        "window_end": window_end,
    }
    if location_id is not None:
        values["location_id"] = location_id
    if supplier_id is not None:
        values["supplier_id"] = supplier_id
    if par_ids is not None:
        values["par_ids"] = list(par_ids)
    engine = session.bind
    if (
        postgresql
        and location_id is None
        and par_ids is None
        and isinstance(engine, AsyncEngine)
        and engine.get_execution_options().get(READ_ONLY)  # no writes of its own to see
    ):
        return await _in_two_halves(engine, sums, values)
    if postgresql:
        await session.execute(_PG_SETTINGS)
    return _sums_of(await (await session.connection()).execute(sums(), values))


def _sums_of(result: Any) -> list[ReorderSums]:
    """The driver's rows as they come, not SQLAlchemy's: no column needs converting (the
    sums are BIGINTs, _total), and 10,000 result rows wrapped once more were half the garbage
    that set off a full collection of the heap."""
    return list(map(ReorderSums._make, result.cursor.fetchall()))


_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+-[0-9]+")


async def _in_two_halves(
    engine: AsyncEngine, sums: Callable[..., Select[Any]], values: dict[str, Any]
) -> list[ReorderSums]:
    """The whole hospital's list as two statements at once, on two connections that share
    one snapshot (pg_export_snapshot / SET TRANSACTION SNAPSHOT, as pg_dump's parallel jobs
    do): the par levels of even item ids and those of odd ones. They see the same committed
    ledger one statement would, each runs on a core of its own, and their lines, each in the
    list's order, are merged in it.

    PostgreSQL's own parallel query cannot split this work: its hash aggregate has about one
    balance per group, so partial aggregates save nothing. On bench/reorder_bench.py's data,
    raw asyncpg: the one statement 234 ms, the two halves together 167 (median of 12). Two
    pooled connections for the time of the list."""
    async with shared_snapshot(engine) as (first, second):
        for connection in (first, second):
            await connection.execute(_PG_SETTINGS)
        even, odd = await asyncio.gather(
            first.execute(sums(half=0), values), second.execute(sums(half=1), values)
        )
        return list(heapq.merge(_sums_of(even), _sums_of(odd), key=_list_order))


@asynccontextmanager
async def shared_snapshot(
    engine: AsyncEngine,
) -> AsyncIterator[tuple[AsyncConnection, AsyncConnection]]:
    """Two connections in REPEATABLE READ transactions that see one snapshot: the second
    imports the first's (pg_export_snapshot / SET TRANSACTION SNAPSHOT) before it reads
    anything, so a commit in between is seen by neither. PostgreSQL only."""
    async with engine.connect() as first, engine.connect() as second:
        for connection in (first, second):
            await connection.execution_options(isolation_level="REPEATABLE READ")
        async with first.begin(), second.begin():
            snapshot = await first.scalar(text("SELECT pg_export_snapshot()"))
            if not isinstance(snapshot, str) or not _SNAPSHOT_ID.fullmatch(snapshot):
                raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
            await second.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            yield first, second


def _list_order(sums: ReorderSums) -> tuple[str, str, int]:
    """The list's order, as its statement sorts it (by code point: _in_code_point_order)."""
    return sums.location, sums.item_name, sums.item_id


def _in_code_point_order(postgresql: bool, text_column: Any) -> Any:
    """Text sorted by code point, as Python compares strings and SQLite sorts by default,
    whatever the PostgreSQL database's collation: the two halves of a list merge in Python
    (_in_two_halves), and the list is in one order on every database."""
    if postgresql:
        return text_column.collate("C")
    return text_column


@lru_cache(maxsize=64)
def _sums_select(
    postgresql: bool,
    *,
    by_location: bool,
    include_sublocations: bool,
    by_supplier: bool,
    only_below_reorder_point: bool,
    by_par_ids: bool,
    half: int | None = None,
) -> Select[Any]:
    """reorder_sums' statement, one per shape, built once (building it was 8 ms, a statement
    reused is also compiled once): its values are the bound parameters `today`,
    `window_start`, `window_end` and, as the shape has them, `location_id`, `supplier_id`
    and `par_ids`. With `half` (0 or 1), only the par levels of items whose id has that
    remainder by 2 (half of the whole list, _in_two_halves).

    Shaped for a hospital's 100,000+ par levels (bench/reorder_bench.py): usable stock is
    summed from the balances side, per (location and the locations above it, item), and
    hash-joined to the par levels, with no per-par-level work except for the few lots
    expiring within the longest lead time (usable or not depending on each par level's
    supplier); usage, the costliest sum (movements over the window), is taken only for the
    lines that are listed; names and terms are joined last, to the listed lines alone."""
    today = bindparam("today", type_=Date)
    window_start = bindparam("window_start", type_=UtcDateTime())
    window_end = bindparam("window_end", type_=UtcDateTime())
    location_id = bindparam("location_id", type_=Integer) if by_location else None
    supplier_id = bindparam("supplier_id", type_=Integer) if by_supplier else None
    par_ids = bindparam("par_ids", type_=Integer, expanding=True) if by_par_ids else None
    tree = location_tree()
    # Lots expiring on or after today + the longest lead time are usable for every par level.
    longest_lead = select(func.coalesce(func.max(SupplierItem.lead_time_days), 0))
    horizon = _cutoff(postgresql, today, longest_lead.scalar_subquery())
    # Which par levels' stock to sum: a location's list, or the watcher's few par levels,
    # need only their own, not the whole hospital's.
    scope: list[ColumnElement[bool]] = []
    if location_id is not None:
        if include_sublocations:
            places = select(tree.c.id).where(tree.c.root_id == location_id)
            scope.append(ParLevel.location_id.in_(places))
        else:
            scope.append(ParLevel.location_id == location_id)
    if half is not None:
        scope.append(ParLevel.item_id % 2 == half)
    if par_ids is not None:
        scope.append(ParLevel.id.in_(par_ids))
    in_scope = select(ParLevel.location_id, ParLevel.item_id).where(*scope)
    quarantined = select(Location.id).where(Location.kind == LocationKind.QUARANTINE.value)

    def held(*conditions: ColumnElement[bool], expiry: bool = False) -> Any:
        """Balances on hand outside quarantine, once for the location that holds them and
        once more for each location above it: the location tree's other pairs, none in a
        flat hospital, where no balance is joined to the tree at all."""
        columns = [Balance.item_id, Balance.quantity, *([Lot.expiry] if expiry else [])]

        def counted_at(root: Any) -> Any:
            stmt = select(root.label("root_id"), *columns).where(
                Balance.quantity > 0, Balance.location_id.not_in(quarantined), *conditions
            )
            if expiry:
                stmt = stmt.join_from(Balance, Lot, Lot.id == Balance.lot_id)
            if location_id is not None:
                stmt = stmt.where(root.in_(in_scope.with_only_columns(ParLevel.location_id)))
            if half is not None:
                stmt = stmt.where(Balance.item_id % 2 == half)
            if par_ids is not None:
                stmt = stmt.where(Balance.item_id.in_(in_scope.with_only_columns(ParLevel.item_id)))
            return stmt

        above = counted_at(tree.c.root_id).join_from(
            Balance, tree, and_(tree.c.id == Balance.location_id, tree.c.id != tree.c.root_id)
        )
        return union_all(counted_at(Balance.location_id), above)

    # Usable for every par level: lots neither recalled nor expiring before the longest lead
    # time. The few that are (or have no expiry) are named, not joined: a lot's row is read
    # only for them, not for every balance.
    not_lasting = select(Lot.id).where(or_(Lot.recalled.is_(True), Lot.expiry < horizon))
    lasting_rows = held(Balance.lot_id.not_in(not_lasting)).subquery("lasting_rows")
    lasting = (
        select(
            lasting_rows.c.root_id,
            lasting_rows.c.item_id,
            _total(postgresql, lasting_rows.c.quantity).label("quantity"),
        )
        .group_by(lasting_rows.c.root_id, lasting_rows.c.item_id)
        .subquery("lasting")
    )
    # Usable for some par levels: lots expiring from today to the longest lead time, usable
    # where they outlast that par level's own supplier's lead time.
    short_rows = held(
        Lot.recalled.is_(False),
        Lot.expiry >= _cutoff(postgresql, today, literal(0)),
        Lot.expiry < horizon,
        expiry=True,
    ).subquery("short_rows")
    short_par, short_item, short_terms = aliased(ParLevel), aliased(Item), aliased(SupplierItem)
    short_supplier = func.coalesce(
        short_par.source_supplier_id,
        case((short_par.source_location_id.is_(None), short_item.preferred_supplier_id)),
    )
    short_dated = (
        select(
            short_par.id.label("par_id"),
            _total(postgresql, short_rows.c.quantity).label("quantity"),
        )
        .select_from(short_rows)
        .join(
            short_par,
            and_(
                short_par.location_id == short_rows.c.root_id,
                short_par.item_id == short_rows.c.item_id,
            ),
        )
        .join(short_item, short_item.id == short_par.item_id)
        .outerjoin(
            short_terms,
            and_(
                short_terms.item_id == short_par.item_id,
                short_terms.supplier_id == short_supplier,
            ),
        )
        .where(
            short_rows.c.expiry
            >= _cutoff(postgresql, today, func.coalesce(short_terms.lead_time_days, 0)),
        )
        .group_by(short_par.id)
        .subquery("short_dated")
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
            _total(postgresql, outstanding).label("quantity"),
        )
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(PurchaseOrder.status.in_([s.value for s in ON_ORDER_STATUSES]))
        .group_by(PurchaseOrder.location_id, PurchaseOrderLine.item_id)
        .subquery("on_order")
    )

    usable = func.coalesce(lasting.c.quantity, 0) + func.coalesce(short_dated.c.quantity, 0)
    ordered = func.coalesce(on_order.c.quantity, 0)
    listed_stmt = (
        select(
            ParLevel.id.label("par_id"),
            ParLevel.item_id,
            ParLevel.location_id,
            ParLevel.par,
            ParLevel.reorder_point,
            ParLevel.max_level,
            ParLevel.source_supplier_id,
            ParLevel.source_location_id,
            usable.label("usable"),
            ordered.label("on_order"),
        )
        .select_from(ParLevel)
        .outerjoin(
            lasting,
            and_(
                lasting.c.root_id == ParLevel.location_id,
                lasting.c.item_id == ParLevel.item_id,
            ),
        )
        .outerjoin(short_dated, short_dated.c.par_id == ParLevel.id)
        .outerjoin(
            on_order,
            and_(
                on_order.c.location_id == ParLevel.location_id,
                on_order.c.item_id == ParLevel.item_id,
            ),
        )
    )
    if scope:
        listed_stmt = listed_stmt.where(*scope)
    if supplier_id is not None:
        listed_stmt = listed_stmt.join(Item, Item.id == ParLevel.item_id).where(
            func.coalesce(
                ParLevel.source_supplier_id,
                case((ParLevel.source_location_id.is_(None), Item.preferred_supplier_id)),
            )
            == supplier_id
        )
    if only_below_reorder_point:
        listed_stmt = listed_stmt.where(usable + ordered <= ParLevel.reorder_point)
    listed = listed_stmt.cte("listed")

    # Usage per listed line, as a correlated subquery: a few index probes per line
    # (ix_movements_usage: from location, item, time) instead of a join with every movement
    # of the window (on PostgreSQL the planner chose to merge the whole index).
    destination = aliased(Location)
    usage = (
        select(func.coalesce(_total(postgresql, Movement.quantity), 0))
        .join(destination, destination.id == Movement.to_location_id)
        .where(
            Movement.item_id == listed.c.item_id,
            Movement.occurred_at >= window_start,
            Movement.occurred_at <= window_end,
            _is_usage(destination, listed.c.item_id, listed.c.location_id),
        )
    )
    subtree = None
    if postgresql:
        # The line's location and those below it as one array, probed with `= ANY`: scanning
        # the location tree again for each of 10,000 lines was a third of the usage's time.
        subtree = (
            select(tree.c.root_id, func.array_agg(tree.c.id).label("ids"))
            .group_by(tree.c.root_id)
            .cte("subtree")
        )
        usage = usage.where(Movement.from_location_id == any_(subtree.c.ids))
    else:
        moved_from = tree.alias("moved_from")
        usage = usage.join(moved_from, moved_from.c.id == Movement.from_location_id).where(
            moved_from.c.root_id == listed.c.location_id
        )
    used = usage.scalar_subquery()

    place, source_place = aliased(Location), aliased(Location)
    effective_supplier = func.coalesce(
        listed.c.source_supplier_id,
        case((listed.c.source_location_id.is_(None), Item.preferred_supplier_id)),
    )
    stmt = (
        select(
            listed.c.par_id,
            listed.c.item_id,
            Item.name,
            place.code,
            listed.c.par,
            listed.c.reorder_point,
            listed.c.max_level,
            Supplier.code,
            source_place.code,
            SupplierItem.supplier_item_code,
            func.coalesce(SupplierItem.pack_size, 1),
            func.coalesce(SupplierItem.min_order_quantity, 1),
            func.coalesce(SupplierItem.lead_time_days, 0),
            SupplierItem.unit_cost_cents,
            listed.c.usable,
            used,
            listed.c.on_order,
        )
        .select_from(listed)
        .join(Item, Item.id == listed.c.item_id)
        .join(place, place.id == listed.c.location_id)
        .outerjoin(source_place, source_place.id == listed.c.source_location_id)
        .outerjoin(Supplier, Supplier.id == effective_supplier)
        .outerjoin(
            SupplierItem,
            and_(
                SupplierItem.item_id == listed.c.item_id,
                SupplierItem.supplier_id == effective_supplier,
            ),
        )
        .order_by(
            _in_code_point_order(postgresql, place.code),
            _in_code_point_order(postgresql, Item.name),
            Item.id,
        )
    )
    if subtree is not None:
        stmt = stmt.join(subtree, subtree.c.root_id == listed.c.location_id)
    return stmt


# --- crossings of the reorder point (services/reorder_watch.py) ------------------------------


async def par_levels_counting(
    session: AsyncSession, touched: Mapping[int, Iterable[str]]
) -> list[int]:
    """Ids of the par levels whose numbers a change of these items at these locations (by
    code) can move: a par level counts its own location and every location below it, so
    those at each touched location and at the locations above it."""
    codes = sorted({code for places in touched.values() for code in places})
    if not codes:
        return []
    start = (
        select(Location.id.label("touched_id"), Location.id.label("id"), Location.parent_id)
        .where(Location.code.in_(codes), Location.is_virtual.is_(False))
        .cte("above", recursive=True)
    )
    parent = aliased(Location)
    above = start.union_all(
        select(start.c.touched_id, parent.id, parent.parent_id).where(
            parent.id == start.c.parent_id
        )
    )
    touched_place = aliased(Location)
    stmt = (
        select(ParLevel.id, ParLevel.item_id, touched_place.code)
        .join(above, above.c.id == ParLevel.location_id)
        .join(touched_place, touched_place.id == above.c.touched_id)
        .where(ParLevel.item_id.in_(sorted(touched)))
    )
    wanted = {(item, code) for item, places in touched.items() for code in places}
    return sorted(
        {par_id for par_id, item, code in await session.execute(stmt) if (item, code) in wanted}
    )


async def mark_below(session: AsyncSession, par_ids: Sequence[int], now: datetime) -> set[int]:
    """Marks these par levels below their reorder point; returns those that were not yet
    (each a new crossing). Conditional, so two watchers cannot both flip one."""
    if not par_ids:
        return set()
    stmt = (
        update(ParLevel)
        .where(ParLevel.id.in_(list(par_ids)), ParLevel.below_since.is_(None))
        .values(below_since=now)
        .returning(ParLevel.id)
    )
    return set((await session.execute(stmt)).scalars())


async def clear_below(session: AsyncSession, par_ids: Sequence[int]) -> set[int]:
    """These par levels are back above their reorder point; returns those that were below."""
    if not par_ids:
        return set()
    stmt = (
        update(ParLevel)
        .where(ParLevel.id.in_(list(par_ids)), ParLevel.below_since.is_not(None))
        .values(below_since=None)
        .returning(ParLevel.id)
    )
    return set((await session.execute(stmt)).scalars())


# --- usage day by day (the reorder page's sparklines) ---------------------------------------


async def usage_moves(
    session: AsyncSession,
    pairs: Collection[tuple[str, int]],
    window_start: datetime,
    window_end: datetime,
) -> list[tuple[str, int, datetime, int]]:
    """(location code, item id, occurred_at, quantity) of every movement that counts as
    usage for these (par location code, item) lines within the window: the same movements
    reorder_sums sums as `used` (out of the location or below it to @consumed/@waste, or to
    a location this one feeds), one row each so the caller can bucket them by site day."""
    if not pairs:
        return []
    codes = sorted({code for code, _ in pairs})
    items = sorted({item for _, item in pairs})
    root = aliased(Location)
    anchor = (
        select(Location.id.label("root_id"), Location.id.label("id"))
        .where(Location.code.in_(codes), Location.is_virtual.is_(False))
        .cte("usage_tree", recursive=True)
    )
    child = aliased(Location)
    tree = anchor.union_all(
        select(anchor.c.root_id, child.id).where(child.parent_id == anchor.c.id)
    )
    destination = aliased(Location)
    stmt = (
        select(root.code, Movement.item_id, Movement.occurred_at, Movement.quantity)
        .select_from(tree)
        .join(root, root.id == tree.c.root_id)
        .join(Movement, Movement.from_location_id == tree.c.id)
        .join(destination, destination.id == Movement.to_location_id)
        .where(
            Movement.item_id.in_(items),
            Movement.occurred_at >= window_start,
            Movement.occurred_at <= window_end,
            _is_usage(destination, Movement.item_id, tree.c.root_id),
        )
    )
    wanted = set(pairs)
    return [
        (code, item_id, at, quantity)
        for code, item_id, at, quantity in await session.execute(stmt)
        if (code, item_id) in wanted
    ]
