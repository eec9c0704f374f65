"""`stock.below_reorder_point` once per crossing, raised by the reorder watcher (a background
job, services/reorder_watch.py), on both databases. The tests run its rounds themselves
(`run_once`), so what it sees is deterministic; the test apps run no background jobs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.config import Settings
from inventory_svc.db.engine import create_engine, create_sessionmaker
from inventory_svc.db.jobs import FeedEvent
from inventory_svc.db.models import JobCursor, ParLevel
from inventory_svc.domain.roles import Role
from inventory_svc.services import reorder_watch
from inventory_svc.services.reorder_watch import touched_by
from tests.conftest import Keys
from tests.helpers import EPINEPHRINE_GTIN, gs1, make_item, make_location, scan

TODAY = datetime.now(UTC).date()
Client = AsyncTestClient[Any]
BELOW = "stock.below_reorder_point"


async def _setup(client: Client, admin: dict[str, str]) -> int:
    """A storeroom with a bin below it; epinephrine bought from CARD in packs of 10; a par
    level at the storeroom: par 50, reorder point 20."""
    assert (
        await client.post("/api/v1/suppliers", json={"code": "CARD", "name": "C"}, headers=admin)
    ).status_code == 201
    item: int = (await make_item(client, admin))["id"]
    await make_location(client, admin, "MAIN", "storeroom")
    await make_location(client, admin, "MAIN-B1", "bin", parent="MAIN")
    put = await client.put(
        "/api/v1/supplier-items",
        json={"supplier": "CARD", "item": item, "pack_size": 10, "preferred": True},
        headers=admin,
    )
    assert put.status_code == 200, put.text
    par = await client.put(
        "/api/v1/par-levels",
        json={"item": item, "location": "MAIN", "par": 50, "reorder_point": 20},
        headers=admin,
    )
    assert par.status_code == 200, par.text
    return item


CODE = gs1(EPINEPHRINE_GTIN, lot="L1", expiry=TODAY + timedelta(days=400))


async def _move(
    client: Client, admin: dict[str, str], action: str, location: str, quantity: int
) -> None:
    response = await scan(client, admin, CODE, action, location, quantity=quantity)
    assert response.status_code == 201, response.text


async def _crossings(client: Client, admin: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/events", params={"type": BELOW}, headers=admin)
    assert response.status_code == 200, response.text
    return [event["data"] for event in response.json()]


async def _below_since(engine: AsyncEngine) -> datetime | None:
    async with engine.connect() as conn:
        return (await conn.execute(select(ParLevel.below_since))).scalar_one()


async def _round(engine: AsyncEngine, settings: Settings) -> int:
    """Rounds until the watcher is idle; the work they did."""
    sessions = create_sessionmaker(engine)
    done = 0
    while work := await reorder_watch.run_once(sessions, settings.clock):
        done += work
    return done


async def test_one_event_per_crossing_however_many_scans_follow_below(
    client: Client, keys: Keys, engine: AsyncEngine, settings: Settings
) -> None:
    admin = await keys.header(Role.ADMIN)
    item = await _setup(client, admin)
    await _move(client, admin, "receive", "MAIN-B1", 30)
    await _move(client, admin, "issue", "MAIN-B1", 5)
    assert await _round(engine, settings) > 0
    assert await _crossings(client, admin) == []  # 25 > 20
    assert await _below_since(engine) is None

    for quantity in (5, 3, 2):  # 20 (at the point: listed), 17, 15
        await _move(client, admin, "issue", "MAIN-B1", quantity)
        await _round(engine, settings)
    crossings = await _crossings(client, admin)
    assert crossings == [
        {
            "item": {"id": item, "name": "Epinephrine"},
            "location": "MAIN",
            "on_hand": 20,
            "on_order": 0,
            "reorder_point": 20,
            "par": 50,
            "suggested_quantity": 30,
            "supplier": "CARD",
            "source_location": None,
        }
    ]
    assert await _below_since(engine) is not None
    assert await _round(engine, settings) == 0  # idle: nothing new

    await _move(client, admin, "receive", "MAIN", 10)  # 25: above again, quietly
    await _round(engine, settings)
    assert await _below_since(engine) is None
    assert len(await _crossings(client, admin)) == 1

    await _move(client, admin, "issue", "MAIN-B1", 6)  # 19: a second crossing
    await _round(engine, settings)
    crossings = await _crossings(client, admin)
    assert [c["on_hand"] for c in crossings] == [20, 19]
    assert crossings[1]["suggested_quantity"] == 40  # 31 missing, in packs of 10


async def test_a_submitted_po_lifts_the_line_above_its_reorder_point(
    client: Client, keys: Keys, engine: AsyncEngine, settings: Settings
) -> None:
    admin = await keys.header(Role.ADMIN)
    item = await _setup(client, admin)
    await _move(client, admin, "receive", "MAIN", 10)
    await _round(engine, settings)
    assert [c["on_hand"] for c in await _crossings(client, admin)] == [10]
    created = await client.post(
        "/api/v1/purchase-orders",
        json={"supplier": "CARD", "location": "MAIN", "lines": [{"item": item, "ordered": 40}]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    await _round(engine, settings)  # a draft is not on order
    assert await _below_since(engine) is not None
    submitted = await client.post(f"/api/v1/purchase-orders/{number}/submit", headers=admin)
    assert submitted.status_code == 200, submitted.text
    await _round(engine, settings)
    assert await _below_since(engine) is None  # 10 + 40 on order > 20
    cancelled = await client.post(f"/api/v1/purchase-orders/{number}/cancel", headers=admin)
    assert cancelled.status_code == 200, cancelled.text
    await _round(engine, settings)
    crossings = await _crossings(client, admin)
    assert [(c["on_hand"], c["on_order"]) for c in crossings] == [(10, 0), (10, 0)]


async def test_changes_elsewhere_touch_nothing_and_the_cursor_follows_the_feed(
    client: Client, keys: Keys, engine: AsyncEngine, settings: Settings
) -> None:
    """Stock of the item at a location the par level does not count, or stock of another
    item, raise nothing; the cursor ends at the feed's last event."""
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    await make_location(client, admin, "SAT-ICU", "satellite")
    await _move(client, admin, "receive", "SAT-ICU", 5)
    await _round(engine, settings)
    assert await _crossings(client, admin) == []
    feed = (await client.get("/api/v1/events", headers=admin)).json()
    async with engine.connect() as conn:
        cursor = (await conn.execute(select(JobCursor.last_event_id))).scalar_one()
    assert cursor == feed[-1]["id"]


@pytest.mark.pg
async def test_concurrent_rounds_raise_one_event_per_crossing(
    client: Client, keys: Keys, engine: AsyncEngine, settings: Settings
) -> None:
    """Several processes run the job: each round claims the cursor row (SKIP LOCKED), so
    concurrent rounds never raise a crossing twice. Separate engines: separate processes."""
    if settings.is_sqlite:
        pytest.skip("SQLite has one writer; the claim is PostgreSQL's row lock")
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    engines = [create_engine(settings) for _ in range(4)]
    try:
        for quantity in (30, 25):  # above, then 5 left: one crossing
            action = "receive" if quantity == 30 else "issue"
            await _move(client, admin, action, "MAIN", quantity)
            await _crossings(client, admin)  # positions the feed: every round sees news at once
            await asyncio.gather(
                *(
                    reorder_watch.run_once(create_sessionmaker(e), settings.clock)
                    for e in engines
                    for _ in range(3)
                )
            )
        await _round(engine, settings)
    finally:
        for e in engines:
            await e.dispose()
    assert [c["on_hand"] for c in await _crossings(client, admin)] == [5]


def test_what_an_event_touched_and_odd_data_never_stalls_the_feed() -> None:
    """Item ids and location codes from a scan's movements and a PO's lines; an event whose
    data is not what the watcher expects is skipped (its cursor still moves past it)."""
    events = [
        FeedEvent(
            1,
            "stock.changed",
            {
                "item": {"id": 7, "name": "x"},
                "movements": [{"from_location": "MAIN", "to_location": "@consumed", "quantity": 1}],
            },
        ),
        FeedEvent(
            2,
            "purchase_order.submitted",
            {
                "purchase_order": {
                    "location": "SAT",
                    "lines": [{"item": {"id": 8}}, {"item": {"id": 7}}],
                }
            },
        ),
        FeedEvent(3, "stock.changed", {"item": {"id": "not a number"}}),
    ]
    assert reorder_watch.touched_by(events) == {7: {"MAIN", "@consumed", "SAT"}, 8: {"SAT"}}


def test_the_watcher_reads_counts_and_recalls_too() -> None:
    """A count's adjustments are booked at its location; a recall makes its lots unusable
    where they are held; both name items as `{id, name}`, as scans do."""
    events = [
        FeedEvent(
            1,
            "count.committed",
            {
                "location": "SHELF",
                "adjustments": [{"item": {"id": 5, "name": "x"}, "lot": "A", "quantity": -2}],
            },
        ),
        FeedEvent(
            2,
            "recall.created",
            {"item": {"id": 6, "name": "y"}, "lots": ["BAD"], "locations": ["MAIN", "SAT"]},
        ),
        FeedEvent(3, "count.committed", {"location": "SHELF", "adjustments": [{"item": 9}]}),
    ]
    assert touched_by(events) == {5: {"SHELF"}, 6: {"MAIN", "SAT"}}


async def test_a_count_or_a_recall_crosses_the_reorder_point_too(
    client: Client, keys: Keys, engine: AsyncEngine, settings: Settings
) -> None:
    """Stock that a count finds missing, or that a recall makes unusable, is below the
    reorder point as surely as stock issued: the watcher raises the crossing."""
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    await _move(client, admin, "receive", "MAIN", 30)
    await _round(engine, settings)
    count = await client.post("/api/v1/counts", json={"location": "MAIN"}, headers=admin)
    assert count.status_code == 201, count.text
    counted = await scan(
        client, admin, CODE, "count", "MAIN", count_session=count.json()["id"], quantity=18
    )
    assert counted.status_code == 201, counted.text
    committed = await client.post(f"/api/v1/counts/{count.json()['id']}/commit", headers=admin)
    assert committed.status_code == 200, committed.text
    await _round(engine, settings)
    assert [c["on_hand"] for c in await _crossings(client, admin)] == [18]

    await _move(client, admin, "receive", "MAIN", 20)  # 38 usable: above again
    other_lot = gs1(EPINEPHRINE_GTIN, lot="L2", expiry=TODAY + timedelta(days=500))
    received = await scan(client, admin, other_lot, "receive", "MAIN", quantity=5)
    assert received.status_code == 201, received.text
    await _round(engine, settings)
    recall = await client.post(
        "/api/v1/recalls",
        json={"gtin": EPINEPHRINE_GTIN, "lots": ["L1"], "reason": "particulate matter"},
        headers=admin,
    )
    assert recall.status_code == 201, recall.text
    await _round(engine, settings)
    assert [c["on_hand"] for c in await _crossings(client, admin)] == [18, 5]
