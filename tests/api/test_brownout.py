"""A bad day for the database: a held lock, a saturated pool, a database that is gone. The
answer is 503 with Retry-After (never 500), reads keep working where they can, one log line
says the database went away, and the service recovers by itself."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from inventory_svc.app import create_app
from inventory_svc.config import Settings
from tests.conftest import Keys
from tests.helpers import assert_problem, on_hand, scan, stocked_shelf
from tests.live import live_server


@pytest.fixture
async def impatient(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    """The app with short waits, so the test does not wait as long as production would."""
    fast = Settings(
        database_url=settings.database_url,
        log_level="WARNING",
        timezone="UTC",
        db_pool_size=1,
        db_pool_timeout=0.5,
        db_lock_timeout_ms=200,
    )
    async with AsyncTestClient(app=create_app(fast), timeout=60) as client:
        yield client


@pytest.mark.pg
async def test_a_held_balance_lock_answers_503_and_the_scan_goes_through_after(
    impatient: AsyncTestClient[Any], keys: Keys, settings: Settings
) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("row locks held by another session: PostgreSQL")
    client = impatient
    admin = await keys.header()
    code = await stocked_shelf(client, admin, quantity=5)
    holder = create_async_engine(settings.database_url)
    key = str(uuid.uuid4())
    try:
        async with holder.connect() as conn:
            await conn.execute(text("BEGIN"))
            await conn.execute(text("SELECT id FROM balances WHERE quantity > 0 FOR UPDATE"))
            response = await scan(client, admin, code, "issue", "SHELF", key=key)
            problem = assert_problem(response, 503, "service_unavailable")
            assert int(response.headers["retry-after"]) > 0
            assert "Idempotency-Key" in problem["detail"]
            # Reads do not wait for the lock.
            assert (await client.get("/api/v1/stock", headers=admin)).status_code == 200
            await conn.execute(text("ROLLBACK"))
        retried = await scan(client, admin, code, "issue", "SHELF", key=key)
        assert retried.status_code == 201, retried.text
    finally:
        await holder.dispose()
    assert await on_hand(client, admin, "SHELF") == {"S1": 4}


@pytest.mark.pg
async def test_a_saturated_pool_answers_503_and_recovers(keys: Keys, settings: Settings) -> None:
    """Two connections, both waiting on a held lock; a third request cannot get one within
    the pool timeout and is told to come back, and the two go through once the lock goes."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("a pool of connections: PostgreSQL")
    admin = await keys.header()
    small_pool = {
        "INVENTORY_DB_POOL_SIZE": "1",
        "INVENTORY_DB_POOL_TIMEOUT": "0.5",
        "INVENTORY_DB_LOCK_TIMEOUT_MS": "4000",
    }
    holder = create_async_engine(settings.database_url)
    try:
        with live_server(settings.database_url, env=small_pool) as base:
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                code = await stocked_shelf(client, admin, quantity=5)
                async with holder.connect() as conn:
                    await conn.execute(text("BEGIN"))
                    await conn.execute(text("SELECT id FROM balances FOR UPDATE"))
                    waiting = [
                        asyncio.create_task(scan(client, admin, code, "issue", "SHELF"))
                        for _ in range(2)
                    ]
                    await asyncio.sleep(1.0)  # both hold a connection, waiting for the lock
                    third = await client.get("/api/v1/stock", headers=admin)
                    assert_problem(third, 503, "service_unavailable")
                    assert third.headers["retry-after"]
                    await conn.execute(text("ROLLBACK"))
                assert [r.status_code for r in await asyncio.gather(*waiting)] == [201, 201]
                assert await on_hand(client, admin, "SHELF") == {"S1": 3}
    finally:
        await holder.dispose()


async def test_a_database_that_is_gone_is_503_with_one_log_line_not_a_traceback_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gone = Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        log_level="WARNING",
        db_pool_timeout=1,
    )
    caplog.set_level(logging.INFO)
    async with AsyncTestClient(app=create_app(gone), timeout=30) as client:
        headers = {"Authorization": "Bearer inv_whatever"}
        answers = await asyncio.gather(
            *(client.get("/api/v1/items", headers=headers) for _ in range(5))
        )
        for response in answers:
            assert_problem(response, 503, "service_unavailable")
            assert response.headers["retry-after"]
        body = {"code": "00304094921341", "action": "issue", "location": "SHELF"}
        posted = await client.post(
            "/api/v1/scans", json=body, headers={**headers, "Idempotency-Key": "k-1"}
        )
        assert_problem(posted, 503, "service_unavailable")
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/ready")).status_code == 503
    went_away = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(went_away) == 1
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]
