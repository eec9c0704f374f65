"""API keys are authenticated from an in-process cache, and a revoked key still stops
quickly: within 1 second on PostgreSQL (LISTEN/NOTIFY, on every worker, even while the
listener is reconnecting) and within 5 seconds on SQLite; at once in the revoking process.

The cache itself (TTLs, bound, the listener's say) is checked with a fake clock; the rest
runs on both databases against the app, a second process (the CLI) or a live server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from inventory_svc.app import create_app
from inventory_svc.config import Settings
from inventory_svc.db import keys as keys_db
from inventory_svc.db.engine import create_sessionmaker
from inventory_svc.db.notify import LISTENER_APPLICATION_NAME
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.roles import Role
from inventory_svc.services.actors import SYSTEM, Actor
from inventory_svc.services.key_cache import KeyCache
from inventory_svc.services.keys import create_key, revoke_key
from inventory_svc.services.uow import Transactions
from tests.conftest import _reset_pg
from tests.live import live_server, run_cli

ITEMS = "/api/v1/items"


def bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def promise(database_url: str) -> float:
    """Seconds within which a key revoked by another process stops working."""
    return 5.0 if database_url.startswith("sqlite") else 1.0


@contextmanager
def key_reads(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every statement the engine sends that reads the API key table."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "api_keys" in statement:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def new_key(engine: AsyncEngine, name: str = "ward 7") -> tuple[int, str]:
    transactions = Transactions(create_sessionmaker(engine), SiteClock())
    return await transactions.run(SYSTEM, create_key, Role.SCANNER, name)


async def seconds_until_refused(
    client: httpx.AsyncClient, plain: str, since: float, limit: float
) -> float:
    """Polls until the key is refused; the time (from `since`) of the refused request."""
    while True:
        sent = time.monotonic()
        response = await client.get(ITEMS, headers=bearer(plain))
        if response.status_code == 401:
            assert response.json()["code"] == "unauthorized"
            return sent - since
        assert response.status_code == 200, response.text
        assert sent - since <= limit + 1, f"still accepted {sent - since:.2f} s after revoking"
        await asyncio.sleep(0.02)


# The cache itself, with a fake clock.


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


ACTOR = Actor(key_id=1, name="ward 7", role=Role.SCANNER)


def test_sqlite_entries_live_five_seconds() -> None:
    clock = FakeClock()
    cache = KeyCache(ttl=5.0, clock=clock)
    cache.put("h", ACTOR, read_at=clock.now)
    clock.now += 4.9
    assert cache.get("h") == ACTOR
    clock.now += 0.2
    assert cache.get("h") is None
    assert len(cache) == 0


def test_postgres_entries_live_long_only_while_the_listener_vouches_for_them() -> None:
    clock = FakeClock()
    cache = KeyCache(ttl=1.0, watched_ttl=60.0, clock=clock)
    cache.put("before", ACTOR, read_at=clock.now)  # read before LISTEN: nobody watched it
    clock.now += 0.1
    cache.listening(clock.now)
    cache.alive(clock.now)
    clock.now += 0.1
    cache.put("after", ACTOR, read_at=clock.now)
    for _ in range(30):  # heartbeats keep coming: 30 s
        clock.now += 1.0
        cache.alive(clock.now - 0.5)
        assert cache.get("after") == ACTOR
    assert cache.get("before") is None

    clock.now += 0.9  # no heartbeat back for 1.4 s: the listener cannot vouch any more
    assert cache.get("after") is None

    cache.put("fresh", ACTOR, read_at=clock.now)
    cache.deaf()
    clock.now += 0.99
    assert cache.get("fresh") == ACTOR  # the 1 s fallback still holds
    clock.now += 0.02
    assert cache.get("fresh") is None


def test_reconnecting_does_not_vouch_for_entries_read_while_deaf() -> None:
    clock = FakeClock()
    cache = KeyCache(ttl=1.0, watched_ttl=60.0, clock=clock)
    cache.listening(clock.now)
    cache.put("k", ACTOR, read_at=clock.now + 0.1)
    cache.deaf()  # a revoke now would be missed
    clock.now += 0.5
    cache.listening(clock.now)
    cache.alive(clock.now)
    clock.now += 0.7
    cache.alive(clock.now)
    assert cache.get("k") is None


def test_a_notification_drops_the_key_and_a_racing_read_is_not_cached() -> None:
    clock = FakeClock()
    cache = KeyCache(ttl=1.0, watched_ttl=60.0, clock=clock)
    cache.listening(clock.now)
    cache.alive(clock.now)
    cache.put("k", ACTOR, read_at=clock.now)
    racing_read = clock.now + 0.01  # began before the revoke was heard
    clock.now += 0.05
    cache.notified("k")
    assert cache.get("k") is None
    cache.put("k", ACTOR, read_at=racing_read)
    assert cache.get("k") is None
    cache.put("k", ACTOR, read_at=clock.now + 0.01)  # a later read found it active again
    assert cache.get("k") == ACTOR


def test_the_cache_is_bounded_least_recently_used_first() -> None:
    clock = FakeClock()
    cache = KeyCache(ttl=5.0, max_entries=3, clock=clock)
    for name in "abc":
        cache.put(name, ACTOR, read_at=clock.now)
    assert cache.get("a") == ACTOR  # a is now the most recently used
    cache.put("d", ACTOR, read_at=clock.now)
    assert len(cache) == 3
    assert cache.get("b") is None
    assert [cache.get(name) for name in "acd"] == [ACTOR] * 3


# The app, on both databases.


async def test_a_cached_key_needs_no_database_read(
    client: AsyncTestClient[Any], engine: AsyncEngine
) -> None:
    _, plain = await new_key(engine)
    app_engine: AsyncEngine = client.app.state.engine
    with key_reads(app_engine) as reads:
        for _ in range(20):
            response = await client.get(ITEMS, headers=bearer(plain))
            assert response.status_code == 200, response.text
        assert len(reads) == 1  # the first request; the other 19 came from the cache
        for _ in range(3):  # unknown keys are never cached: each one asks the database
            assert (await client.get(ITEMS, headers=bearer("inv_unknown"))).status_code == 401
        assert len(reads) == 4
    cache: KeyCache = client.app.state.key_cache
    assert len(cache) == 1
    assert all(plain not in key_hash for key_hash in cache._entries)  # hashes, not keys


async def test_a_key_revoked_in_this_process_stops_at_once(
    client: AsyncTestClient[Any], engine: AsyncEngine
) -> None:
    key_id, plain = await new_key(engine)
    with key_reads(client.app.state.engine) as reads:
        assert (await client.get(ITEMS, headers=bearer(plain))).status_code == 200
        assert (await client.get(ITEMS, headers=bearer(plain))).status_code == 200
        assert len(reads) == 1  # cached
    transactions = Transactions(create_sessionmaker(engine), SiteClock())
    await transactions.run(SYSTEM, revoke_key, key_id)
    response = await client.get(ITEMS, headers=bearer(plain))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


async def test_a_key_revoked_by_another_process_stops_within_the_promise(
    client: AsyncTestClient[Any], engine: AsyncEngine, database_url: str
) -> None:
    """`inventory-svc keys revoke` in a process of its own: PostgreSQL's NOTIFY reaches this
    one within 1 s; on SQLite the entry expires within 5 s."""
    key_id, plain = await new_key(engine)
    with key_reads(client.app.state.engine) as reads:
        assert (await client.get(ITEMS, headers=bearer(plain))).status_code == 200
        assert (await client.get(ITEMS, headers=bearer(plain))).status_code == 200
        assert len(reads) == 1
    if not database_url.startswith("sqlite"):
        await asyncio.wait_for(client.app.state.key_watch.connected.wait(), 10)
    await asyncio.to_thread(run_cli, database_url, "keys", "revoke", str(key_id))
    revoked_at = time.monotonic()
    refused_after = await seconds_until_refused(client, plain, revoked_at, promise(database_url))
    assert refused_after <= promise(database_url)


# PostgreSQL: LISTEN/NOTIFY.


@pytest.fixture
def pg_url(pg_database_url: str) -> str:
    asyncio.run(_reset_pg(pg_database_url))
    return pg_database_url


@pytest.fixture
async def pg_engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(pg_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def pg_client(pg_url: str) -> AsyncIterator[AsyncTestClient[Any]]:
    settings = Settings(database_url=pg_url, log_level="WARNING", timezone="UTC")
    async with AsyncTestClient(app=create_app(settings), timeout=60) as test_client:
        yield test_client


async def listener_pids(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": LISTENER_APPLICATION_NAME},
        )
        return sorted(row.pid for row in rows)


async def revoke_in_another_session(engine: AsyncEngine, key_id: int) -> None:
    """The revoke's SQL (UPDATE + NOTIFY) without this process's own cache drop."""
    async with create_sessionmaker(engine)() as session, session.begin():
        assert await keys_db.revoke(session, key_id, SiteClock().now()) is not None


@pytest.mark.pg
async def test_postgres_keeps_a_key_past_one_second_and_drops_it_on_notify(
    pg_client: AsyncTestClient[Any], pg_engine: AsyncEngine
) -> None:
    watch = pg_client.app.state.key_watch
    await asyncio.wait_for(watch.connected.wait(), 10)
    assert watch.backend_pid in await listener_pids(pg_engine)
    key_id, plain = await new_key(pg_engine)
    with key_reads(pg_client.app.state.engine) as reads:
        assert (await pg_client.get(ITEMS, headers=bearer(plain))).status_code == 200
        await asyncio.sleep(1.3)  # past the 1 s fallback: the listener vouches for it
        assert (await pg_client.get(ITEMS, headers=bearer(plain))).status_code == 200
        assert len(reads) == 1
    await revoke_in_another_session(pg_engine, key_id)
    refused_after = await seconds_until_refused(pg_client, plain, time.monotonic(), 1.0)
    assert refused_after <= 1.0


@pytest.mark.pg
async def test_a_lost_listener_falls_back_to_one_second_and_reconnects(
    pg_client: AsyncTestClient[Any], pg_engine: AsyncEngine
) -> None:
    watch = pg_client.app.state.key_watch
    await asyncio.wait_for(watch.connected.wait(), 10)
    old_pid = watch.backend_pid
    assert await listener_pids(pg_engine) == [old_pid]
    key_id, plain = await new_key(pg_engine)
    assert (await pg_client.get(ITEMS, headers=bearer(plain))).status_code == 200  # cached

    async with pg_engine.connect() as conn:
        killed = await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": LISTENER_APPLICATION_NAME},
        )
        assert killed.scalars().all() == [True]
        # Revoked while nobody listens: no notification will ever tell this process.
        await conn.execute(
            text("UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE id = :id"),
            {"id": key_id},
        )
        await conn.commit()
    revoked_at = time.monotonic()
    refused_after = await seconds_until_refused(pg_client, plain, revoked_at, 1.0)
    assert refused_after <= 1.0

    deadline = time.monotonic() + 10
    while not (watch.connected.is_set() and watch.backend_pid not in (None, old_pid)):
        assert time.monotonic() < deadline, "the listener did not reconnect"
        await asyncio.sleep(0.05)
    assert await listener_pids(pg_engine) == [watch.backend_pid]
    assert watch.connections >= 2

    # Listening again: a key cached from now on is dropped by the next NOTIFY.
    key_id, plain = await new_key(pg_engine, "ward 8")
    assert (await pg_client.get(ITEMS, headers=bearer(plain))).status_code == 200
    await asyncio.sleep(1.2)
    assert (await pg_client.get(ITEMS, headers=bearer(plain))).status_code == 200
    await revoke_in_another_session(pg_engine, key_id)
    assert await seconds_until_refused(pg_client, plain, time.monotonic(), 1.0) <= 1.0


@pytest.mark.pg
async def test_a_revoked_key_stops_on_every_worker_within_one_second(
    pg_url: str, pg_engine: AsyncEngine
) -> None:
    key_id, plain = await new_key(pg_engine)
    with live_server(pg_url, workers=2) as base:
        deadline = time.monotonic() + 15
        while len(await listener_pids(pg_engine)) != 2:  # one listener per worker
            assert time.monotonic() < deadline, await listener_pids(pg_engine)
            await asyncio.sleep(0.1)
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:

            async def burst(since: float) -> list[tuple[float, int]]:
                async def one() -> tuple[float, int]:
                    sent = time.monotonic() - since
                    return sent, (await http.get(ITEMS, headers=bearer(plain))).status_code

                return list(await asyncio.gather(*(one() for _ in range(16))))

            for _ in range(4):  # warm both workers' caches
                assert {status for _, status in await burst(time.monotonic())} == {200}
            await asyncio.sleep(1.2)  # past the 1 s fallback: only NOTIFY can drop them now
            assert {status for _, status in await burst(time.monotonic())} == {200}

            transactions = Transactions(create_sessionmaker(pg_engine), SiteClock())
            await transactions.run(SYSTEM, revoke_key, key_id)  # this process: the test's
            revoked_at = time.monotonic()
            answers: list[tuple[float, int]] = []
            while time.monotonic() - revoked_at < 2.0:
                answers += await burst(revoked_at)
    late = [status for sent, status in answers if sent >= 1.0]
    assert len(late) >= 32
    assert set(late) == {401}, [(round(s, 2), c) for s, c in answers if c != 401]
