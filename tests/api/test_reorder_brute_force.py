"""The reorder list's SQL equals a brute-force computation from the raw ledger rows, on random
data (hypothesis), on both databases.

Each example writes a fresh little world straight into the tables (locations in a tree with a
quarantine area, lots expired, expiring, recalled or fine, balances, movements in and out of
the usage window, par levels with every kind of source, supplier terms, purchase orders in
every status) and compares `services.reorders.reorder_lines` with the rules in plain Python.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

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
)
from inventory_svc.domain import reorder
from inventory_svc.domain.purchasing import ON_ORDER_STATUSES, expected_quantity
from inventory_svc.domain.vocabulary import PurchaseOrderStatus
from inventory_svc.services import reorders

ZONE = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 29, 3, 30, tzinfo=UTC)  # still the 28th in Chicago
TODAY = NOW.astimezone(ZONE).date()

# Location index -> (kind, parent index): a storeroom with a shelf, a bin and a quarantine
# area, and a satellite outside it.
PLACES = [("storeroom", None), ("shelf", 0), ("bin", 1), ("quarantine", 0), ("satellite", None)]
OUTSIDE = ["@consumed", "@waste", "@supplier", "@adjustment"]


@dataclass
class World:
    items: int
    lots: list[tuple[int, int | None, bool]]  # item, expiry offset (days), recalled
    balances: dict[tuple[int, int], int]  # (place, lot) -> quantity
    movements: list[tuple[int, int, int | str, int, int]]  # lot, from, to, qty, minutes ago
    terms: dict[tuple[int, int], tuple[int, int, int, int | None]]  # (supplier, item) -> terms
    preferred: list[int | None]  # per item: supplier index
    pars: dict[tuple[int, int], tuple[int, int, tuple[str, int] | None]]  # (item, place)
    orders: list[tuple[PurchaseOrderStatus, int, list[tuple[int, int, int | None, int, int]]]]
    usage_days: int


@st.composite
def worlds(draw: st.DrawFn) -> World:
    items = draw(st.integers(1, 3))
    lots = draw(
        st.lists(
            st.tuples(
                st.integers(0, items - 1),
                st.none() | st.integers(-3, 15),
                st.sampled_from([False, False, False, True]),
            ),
            min_size=1,
            max_size=6,
        )
    )
    balances = draw(
        st.dictionaries(
            st.tuples(st.integers(0, len(PLACES) - 1), st.integers(0, len(lots) - 1)),
            st.integers(0, 40),
            max_size=10,
        )
    )
    destination = st.integers(0, len(PLACES) - 1) | st.sampled_from(OUTSIDE)
    usage_days = draw(st.integers(1, 40))
    movements = draw(
        st.lists(
            st.tuples(
                st.integers(0, len(lots) - 1),
                st.integers(0, len(PLACES) - 1),
                destination,
                st.integers(1, 20),
                st.integers(0, 45 * 24 * 60),
            ).filter(lambda m: m[1] != m[2]),
            max_size=15,
        )
    )
    terms = draw(
        st.dictionaries(
            st.tuples(st.integers(0, 1), st.integers(0, items - 1)),
            st.tuples(
                st.integers(1, 12),
                st.integers(1, 30),
                st.integers(0, 10),
                st.none() | st.integers(0, 500),
            ),
            max_size=6,
        )
    )
    preferred = draw(st.lists(st.none() | st.integers(0, 1), min_size=items, max_size=items))
    source = (
        st.none()
        | st.tuples(st.just("supplier"), st.integers(0, 1))
        | st.tuples(st.just("location"), st.integers(0, len(PLACES) - 1))
    )
    pars: dict[tuple[int, int], tuple[int, int, tuple[str, int] | None]] = {}
    for key in draw(
        st.lists(
            st.tuples(st.integers(0, items - 1), st.integers(0, len(PLACES) - 1)),
            unique=True,
            min_size=1,
            max_size=8,
        )
    ):
        par = draw(st.integers(0, 60))
        chosen = draw(source)
        if chosen == ("location", key[1]):
            chosen = None
        pars[key] = (par, draw(st.integers(0, par)), chosen)
    orders = draw(
        st.lists(
            st.tuples(
                st.sampled_from(list(PurchaseOrderStatus)),
                st.integers(0, len(PLACES) - 1),
                st.lists(
                    st.tuples(
                        st.integers(0, items - 1),
                        st.integers(1, 50),
                        st.none() | st.integers(0, 50),
                        st.integers(0, 10),
                        st.integers(0, 60),
                    ),
                    min_size=1,
                    max_size=3,
                ),
            ),
            min_size=1,
            max_size=4,
        )
    )
    return World(items, lots, balances, movements, terms, preferred, pars, orders, usage_days)


async def _ids(session: AsyncSession, stmt: Any, rows: list[dict[str, Any]]) -> list[int]:
    return [
        (await session.execute(stmt.returning(stmt.table.c.id), row)).scalar_one() for row in rows
    ]


async def _write(session: AsyncSession, world: World) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    suppliers = await _ids(
        session,
        insert(Supplier),
        [{"code": f"S{n}-{tag}", "name": f"S{n}"} for n in range(2)],
    )
    places: list[int] = []
    for n, (kind, parent) in enumerate(PLACES):
        (place,) = await _ids(
            session,
            insert(Location),
            [
                {
                    "code": f"L{n}-{tag}",
                    "name": f"L{n}",
                    "kind": kind,
                    "parent_id": None if parent is None else places[parent],
                    "is_virtual": False,
                }
            ],
        )
        places.append(place)
    virtual = dict(
        (await session.execute(select(Location.code, Location.id).where(Location.is_virtual))).all()
    )
    items = await _ids(
        session,
        insert(Item),
        [
            {
                "name": f"Item {n}",
                "base_unit": "each",
                "preferred_supplier_id": None if p is None else suppliers[p],
            }
            for n, p in enumerate(world.preferred)
        ],
    )
    lots = await _ids(
        session,
        insert(Lot),
        [
            {
                "item_id": items[item],
                "lot_number": f"LOT{n}",
                "expiry": None if offset is None else TODAY + timedelta(days=offset),
                "lot_key": f"LOT{n}",
                "recalled": recalled,
            }
            for n, (item, offset, recalled) in enumerate(world.lots)
        ],
    )
    for (place, lot), quantity in world.balances.items():
        await session.execute(
            insert(Balance).values(
                item_id=items[world.lots[lot][0]],
                location_id=places[place],
                lot_id=lots[lot],
                quantity=quantity,
            )
        )
    for lot, source, to, quantity, minutes in world.movements:
        await session.execute(
            insert(Movement).values(
                kind="transfer",
                item_id=items[world.lots[lot][0]],
                lot_id=lots[lot],
                from_location_id=places[source],
                to_location_id=virtual[to] if isinstance(to, str) else places[to],
                quantity=quantity,
                occurred_at=NOW - timedelta(minutes=minutes),
                recorded_at=NOW,
            )
        )
    for (supplier, item), (pack, moq, lead, cost) in world.terms.items():
        await session.execute(
            insert(SupplierItem).values(
                supplier_id=suppliers[supplier],
                item_id=items[item],
                pack_size=pack,
                min_order_quantity=moq,
                lead_time_days=lead,
                unit_cost_cents=cost,
            )
        )
    for (item, place), (par, point, par_source) in world.pars.items():
        await session.execute(
            insert(ParLevel).values(
                item_id=items[item],
                location_id=places[place],
                par=par,
                reorder_point=point,
                source_supplier_id=suppliers[par_source[1]]
                if par_source and par_source[0] == "supplier"
                else None,
                source_location_id=places[par_source[1]]
                if par_source and par_source[0] == "location"
                else None,
            )
        )
    for n, (status, place, lines) in enumerate(world.orders):
        (po,) = await _ids(
            session,
            insert(PurchaseOrder),
            [
                {
                    "number": f"T{n}-{tag}",
                    "supplier_id": suppliers[0],
                    "location_id": places[place],
                    "status": status.value,
                }
            ],
        )
        for line, (item, ordered, confirmed, backordered, received) in enumerate(lines, 1):
            await session.execute(
                insert(PurchaseOrderLine).values(
                    purchase_order_id=po,
                    line=line,
                    item_id=items[item],
                    ordered=ordered,
                    confirmed=confirmed,
                    backordered=backordered,
                    received=received,
                )
            )
    return {"places": places, "items": items, "suppliers": suppliers, "tag": tag}


def _expiry(offset: int | None) -> date | None:
    return None if offset is None else TODAY + timedelta(days=offset)


def _brute_force(world: World, ids: dict[str, Any], root: int | None) -> list[tuple[Any, ...]]:
    """The reorder list from the raw rows, by the rules in the README, no SQL."""

    def subtree(place: int) -> set[int]:
        found, grew = {place}, True
        while grew:
            grew = False
            for n, (_, parent) in enumerate(PLACES):
                if parent in found and n not in found:
                    found.add(n)
                    grew = True
        return found

    window_start = reorder.usage_window_start(TODAY, world.usage_days, ZONE)
    lines = []
    for (item, place), (par, point, source) in world.pars.items():
        if root is not None and place not in subtree(root):
            continue
        if source and source[0] == "supplier":
            supplier: int | None = source[1]
        elif source and source[0] == "location":
            supplier = None
        else:
            supplier = world.preferred[item]
        pack, moq, lead, cost = (
            world.terms.get((supplier, item), (1, 1, 0, None))
            if supplier is not None
            else (1, 1, 0, None)
        )
        below = subtree(place)
        usable = sum(
            quantity
            for (at, lot), quantity in world.balances.items()
            if at in below
            and world.lots[lot][0] == item
            and PLACES[at][0] != "quarantine"
            and reorder.is_usable(
                _expiry(world.lots[lot][1]),
                world.lots[lot][2],
                False,
                TODAY,
                lead,
            )
        )
        fed = {
            other
            for (other_item, other), (_, _, other_source) in world.pars.items()
            if other_item == item and other_source == ("location", place)
        }
        used = sum(
            quantity
            for lot, source_place, to, quantity, minutes in world.movements
            if world.lots[lot][0] == item
            and source_place in below
            and window_start <= NOW - timedelta(minutes=minutes) <= NOW
            and (to in ("@consumed", "@waste") or to in fed)
        )
        on_order = sum(
            max(expected_quantity(ordered, confirmed, backordered) - received, 0)
            for status, at, order_lines in world.orders
            if status in ON_ORDER_STATUSES and at == place
            for line_item, ordered, confirmed, backordered, received in order_lines
            if line_item == item
        )
        if not reorder.needs_reorder(usable, on_order, point):
            continue
        numbers = reorder.figures(
            par=par,
            usable=usable,
            on_order=on_order,
            used=used,
            usage_days=world.usage_days,
            pack_size=pack,
            min_order=moq,
            unit_cost_cents=cost,
        )
        lines.append(
            (
                ids["items"][item],
                f"L{place}-{ids['tag']}",
                usable,
                on_order,
                used,
                numbers.suggested_quantity,
                numbers.daily_usage,
                numbers.days_of_supply,
                None if supplier is None else f"S{supplier}-{ids['tag']}",
                f"L{source[1]}-{ids['tag']}" if source and source[0] == "location" else None,
                lead,
                pack,
                numbers.line_cost_cents,
            )
        )
    return sorted(lines, key=lambda line: (line[1], line[0]))


async def _check(url: str, world: World) -> None:
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session, session.begin():
            ids = await _write(session, world)
        async with AsyncSession(engine) as session:
            for root in (None, 0):
                listed = await reorders.reorder_lines(
                    session,
                    now=NOW,
                    today=TODAY,
                    zone=ZONE,
                    location=None if root is None else f"L{root}-{ids['tag']}",
                    include_sublocations=True,
                    usage_days=world.usage_days,
                )
                got = sorted(
                    (
                        (
                            line.item.id,
                            line.location,
                            line.on_hand,
                            line.on_order,
                            line.used_in_window,
                            line.suggested_quantity,
                            line.daily_usage,
                            line.days_of_supply,
                            line.supplier,
                            line.source_location,
                            line.lead_time_days,
                            line.pack_size,
                            line.line_cost_cents,
                        )
                        for line in listed
                        if line.item.id in ids["items"]
                    ),
                    key=lambda line: (line[1], line[0]),
                )
                assert got == _brute_force(world, ids, root)
    finally:
        await engine.dispose()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_the_reorder_list_is_what_the_ledger_says(database_url: str, world: World) -> None:
    asyncio.run(_check(database_url, world))


def test_the_window_and_today_are_the_sites() -> None:
    assert date(2026, 11, 28) == TODAY
