"""PostgreSQL drops every connection of the service mid-load (as on a database restart or
failover). Scanners retry with the same Idempotency-Key; every scan ends up booked exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import _reset_pg
from tests.helpers import EPINEPHRINE_GTIN, gs1
from tests.live import live_server, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.pg]

SCANS = 120
RETRIES: list[int] = []  # 5xx answers (or 0 for no answer) that made a scanner resend
STOCK = 500
CODE = gs1(EPINEPHRINE_GTIN, lot="F1", expiry=datetime.now(UTC).date() + timedelta(days=400))


@pytest.fixture
def pg_url(pg_database_url: str) -> Iterator[str]:
    asyncio.run(_reset_pg(pg_database_url))
    yield pg_database_url


async def _post_until_answered(client: httpx.AsyncClient, key: str, body: dict[str, object]) -> int:
    """What the scanner client does: same key on every retry, until a definite answer."""
    for _ in range(60):
        try:
            response = await client.post(
                "/api/v1/scans", json=body, headers={"Idempotency-Key": key}
            )
        except httpx.TransportError:
            RETRIES.append(0)
            await asyncio.sleep(0.1)
            continue
        if response.status_code < 500:
            return response.status_code
        RETRIES.append(response.status_code)
        await asyncio.sleep(0.1)
    raise AssertionError(f"scan {key} never got an answer")


async def _kill_connections(url: str, database: str) -> int:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            killed = await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": database},
            )
            return len(killed.all())
    finally:
        await engine.dispose()


def test_scans_survive_the_database_dropping_all_connections(pg_url: str) -> None:
    key = run_cli(pg_url, "keys", "create", "--role", "admin", "--name", "fault").stdout.split()[-1]
    headers = {"Authorization": f"Bearer {key}"}
    database = pg_url.rsplit("/", 1)[1]

    async def scenario(base: str) -> tuple[list[int], int]:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
            created = await client.post(
                "/api/v1/items",
                json={
                    "name": "Epinephrine",
                    "identifiers": [{"kind": "gtin", "value": EPINEPHRINE_GTIN}],
                },
            )
            assert created.status_code == 201
            shelf = {"code": "SAT-ICU", "name": "ICU satellite", "kind": "satellite"}
            assert (await client.post("/api/v1/locations", json=shelf)).status_code == 201
            receive = {"code": CODE, "action": "receive", "location": "SAT-ICU", "quantity": STOCK}
            assert await _post_until_answered(client, str(uuid.uuid4()), receive) == 201

            gate = asyncio.Semaphore(8)

            async def one_issue() -> int:
                async with gate:
                    body = {
                        "code": CODE,
                        "action": "issue",
                        "location": "SAT-ICU",
                        "device": "cart",
                    }
                    return await _post_until_answered(client, str(uuid.uuid4()), body)

            async def saboteur() -> int:
                killed = 0
                for _ in range(3):
                    await asyncio.sleep(0.3)
                    killed += await _kill_connections(pg_url, database)
                return killed

            *statuses, killed = await asyncio.gather(
                *(one_issue() for _ in range(SCANS)), saboteur()
            )
            return statuses, killed

    with live_server(pg_url) as base:
        statuses, killed = asyncio.run(scenario(base))
        assert killed > 0, "the saboteur found no connection to drop"
        assert sorted(set(statuses)) in ([200, 201], [201])
        stock = httpx.get(
            f"{base}/api/v1/stock", params={"location": "SAT-ICU"}, headers=headers
        ).json()
        issued = httpx.get(
            f"{base}/api/v1/scans", params={"status": "applied", "limit": 1000}, headers=headers
        ).json()
    print(f"connections dropped: {killed}; resends after 5xx/no answer: {len(RETRIES)}")
    assert [row["quantity"] for row in stock] == [STOCK - SCANS]
    assert sum(1 for scan in issued if scan["action"] == "issue") == SCANS
