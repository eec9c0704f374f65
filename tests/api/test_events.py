"""The event feed: written with the change, served in order, exact under concurrent writers."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import date
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.db import events as events_db
from inventory_svc.db.engine import create_sessionmaker
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.events import DomainEvent, EventType
from inventory_svc.domain.roles import Role
from inventory_svc.services import events
from inventory_svc.services.actors import SYSTEM
from inventory_svc.services.uow import Transactions, UnitOfWork
from tests.conftest import Keys
from tests.helpers import EPINEPHRINE_GTIN, gs1, make_item, make_location, scan

LOT = gs1(EPINEPHRINE_GTIN, lot="EV1", expiry=date(2031, 1, 31))


async def _feed(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


async def test_each_applied_move_is_one_stock_changed_event_with_balances_after(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header()
    await make_item(client, admin)
    await make_location(client, admin, "A1")
    start = max((e["id"] for e in await _feed(client, admin)), default=0)
    assert (await scan(client, admin, LOT, "receive", "A1", quantity=5)).status_code == 201
    assert (await scan(client, admin, LOT, "issue", "A1", quantity=2)).status_code == 201
    assert (await scan(client, admin, LOT, "lookup", "A1")).status_code == 201
    refused = await scan(client, admin, LOT, "issue", "A1", quantity=50)
    assert refused.json()["code"] == "insufficient_stock"
    feed = await _feed(client, admin, after=start)
    assert [e["type"] for e in feed] == ["stock.changed", "stock.changed", "scan.rejected"]
    assert [e["id"] for e in feed] == sorted(e["id"] for e in feed)
    issue = feed[1]
    assert issue["actor"] == "test admin"
    assert issue["data"]["action"] == "issue"
    assert issue["data"]["balances"] == [
        {"location": "A1", "lot": "EV1", "expiry": "2031-01-31", "quantity": 3}
    ]
    assert feed[2]["data"]["error"]["code"] == "insufficient_stock"
    # A replay is the same scan: no second event.
    key = "replayed-1"
    await scan(client, admin, LOT, "issue", "A1", key=key)
    await scan(client, admin, LOT, "issue", "A1", key=key)
    assert len(await _feed(client, admin, after=feed[-1]["id"])) == 1


async def test_catalogue_changes_are_events_that_name_who_made_them(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    manager = await keys.header(Role.MANAGER)
    await make_item(client, manager)
    await make_location(client, manager, "A1")
    response = await client.post(
        "/api/v1/suppliers", json={"code": "MCK", "name": "McKesson"}, headers=manager
    )
    assert response.status_code == 201
    feed = await _feed(client, manager, type="*")
    changes = [(e["type"], e["actor"]) for e in feed if not e["type"].startswith("key.")]
    assert changes == [
        ("item.changed", "test manager"),
        ("location.changed", "test manager"),
        ("supplier.changed", "test manager"),
    ]
    item_changed = next(e for e in feed if e["type"] == "item.changed")
    assert item_changed["data"]["item"]["name"] == "Epinephrine"
    created = [e for e in feed if e["type"] == "key.created"]
    assert [e["data"]["key"]["role"] for e in created] == ["manager"]
    assert "key_hash" not in str(created) and "inv_" in created[0]["data"]["key"]["prefix"]


async def test_the_feed_pages_and_filters_by_type(client: AsyncTestClient[Any], keys: Keys) -> None:
    admin = await keys.header()
    await make_item(client, admin)
    await make_location(client, admin, "A1")
    for _ in range(5):
        assert (await scan(client, admin, LOT, "receive", "A1")).status_code == 201
    stock = await _feed(client, admin, type="stock.changed")
    assert len(stock) == 5
    assert await _feed(client, admin, type="stock.*") == stock
    first_two = await _feed(client, admin, type="stock.changed", limit=2)
    rest = await _feed(client, admin, type="stock.changed", after=first_two[-1]["id"])
    assert first_two + rest == stock
    assert await _feed(client, admin, type="kit.*") == []
    for bad in ("stock.", "x" * 65, "stock changed", "stock.changed\x00"):
        response = await client.get("/api/v1/events", params={"type": bad}, headers=admin)
        assert response.status_code == 400, bad
        assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.SCANNER, 403),
        (Role.SPECIALIST, 403),
        (Role.MANAGER, 200),
        (Role.INTEGRATION, 200),
        (Role.ADMIN, 200),
    ],
)
async def test_who_may_read_events(
    client: AsyncTestClient[Any], keys: Keys, role: Role, status: int
) -> None:
    response = await client.get("/api/v1/events", headers=await keys.header(role))
    assert response.status_code == status
    assert (await client.get("/api/v1/events")).status_code == 401


async def test_a_reader_following_after_sees_every_event_exactly_once_under_concurrency(
    engine: AsyncEngine,
) -> None:
    """Writers hold their transactions open for random times, so events commit out of the
    order they were written in: the trap where a reader that already moved past a later id
    never sees an earlier one. The reader follows `after` the whole time."""
    transactions = Transactions(create_sessionmaker(engine), SiteClock())
    readers = Transactions(create_sessionmaker(engine), SiteClock())
    read_sessions = create_sessionmaker(engine, read_only=True)
    rng = random.Random(7)
    writers_done = asyncio.Event()
    # Forced, not hoped for: writer 0 writes its event first and commits only after the reader
    # has already seen a later writer's (a later id), so the trap is there on every run.
    # SQLite has one writer at a time, so there nothing commits out of order at all.
    forced = engine.dialect.name == "postgresql"
    first_written = asyncio.Event()
    reader_saw_a_later_one = asyncio.Event()

    async def write(n: int) -> None:
        async def use_case(uow: UnitOfWork) -> None:
            if forced and n > 0:
                await first_written.wait()
            # The event row first, then a long transaction: it commits after later writers.
            event = DomainEvent(EventType.ITEM_CHANGED, {"n": n})
            await events_db.append(uow.session, [event], actor="test", at=uow.now)
            if forced and n == 0:
                first_written.set()
                await reader_saw_a_later_one.wait()
            await asyncio.sleep(rng.random() * 0.05)

        await transactions.run(SYSTEM, use_case)

    seen: list[tuple[int, int]] = []

    async def read() -> None:
        after = 0
        while True:
            done = writers_done.is_set()
            await readers.run(SYSTEM, events.position_pending)
            page = await events.read_feed(read_sessions, after=after, limit=7, type_pattern=None)
            seen.extend((event.id, event.data["n"]) for event in page)
            if any(event.data["n"] > 0 for event in page):
                reader_saw_a_later_one.set()
            after = page[-1].id if page else after
            if done and not page:
                return
            await asyncio.sleep(0.002)

    # SQLite writers take turns (at most the pool timeout in the queue): fewer of them.
    writers = 200 if engine.dialect.name == "postgresql" else 40

    async def all_writers() -> None:
        await asyncio.gather(*(write(n) for n in range(writers)))
        writers_done.set()

    await asyncio.wait_for(asyncio.gather(all_writers(), read()), timeout=120)
    ids = [event_id for event_id, _ in seen]
    assert ids == sorted(set(ids)), "feed ids strictly increase, none repeated"
    assert sorted(n for _, n in seen) == list(range(writers)), "every event exactly once"
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT seq, id FROM events ORDER BY seq"))).all()
    out_of_order = sum(1 for (_, a), (_, b) in itertools.pairwise(rows) if a > b)
    if forced:
        # The trap was really there: some events committed in another order than written.
        assert out_of_order > 0


async def test_the_logs_page_with_after_and_keep_after_id_as_an_alias(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header()
    await make_item(client, admin)
    await make_location(client, admin, "A1")
    for _ in range(3):
        assert (await scan(client, admin, LOT, "receive", "A1")).status_code == 201
    for path in ("/api/v1/scans", "/api/v1/movements"):
        rows = (await client.get(path, headers=admin)).json()
        first = rows[0]["id"]
        after = (await client.get(path, params={"after": first}, headers=admin)).json()
        alias = (await client.get(path, params={"after_id": first}, headers=admin)).json()
        assert after == alias == rows[1:]
