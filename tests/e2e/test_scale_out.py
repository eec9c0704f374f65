"""Two worker processes on one database: the concurrent-issue storm is still exact, because
correctness lives in the database (conditional updates, the unique Idempotency-Key), not in
any one process."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.helpers import EPINEPHRINE_GTIN, gs1
from tests.live import live_server, run_cli

pytestmark = pytest.mark.e2e

CODE = gs1(EPINEPHRINE_GTIN, lot="W1", expiry=datetime.now(UTC).date() + timedelta(days=400))


async def _storm(base: str, headers: dict[str, str]) -> tuple[Counter[tuple[int, str]], int, int]:
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        item = {"name": "Epinephrine", "identifiers": [{"kind": "gtin", "value": EPINEPHRINE_GTIN}]}
        assert (await client.post("/api/v1/items", json=item)).status_code == 201
        shelf = {"code": "SAT-ICU", "name": "ICU satellite", "kind": "satellite"}
        assert (await client.post("/api/v1/locations", json=shelf)).status_code == 201
        receive = {"code": CODE, "action": "receive", "location": "SAT-ICU", "quantity": 40}
        first = await client.post("/api/v1/scans", json=receive, headers={"Idempotency-Key": "r1"})
        assert first.status_code == 201

        async def issue(i: int) -> httpx.Response:
            body = {"code": EPINEPHRINE_GTIN, "action": "issue", "location": "SAT-ICU"}
            return await client.post(
                "/api/v1/scans",
                json={**body, "device": f"cart-{i % 5}"},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )

        responses = await asyncio.gather(*(issue(i) for i in range(60)))
        # The same retry arriving at both workers at once still counts once.
        replay_key = str(uuid.uuid4())
        body = {"code": CODE, "action": "receive", "location": "SAT-ICU", "quantity": 5}
        replays = await asyncio.gather(
            *(
                client.post("/api/v1/scans", json=body, headers={"Idempotency-Key": replay_key})
                for _ in range(10)
            )
        )
        stock = (await client.get("/api/v1/stock", params={"location": "SAT-ICU"})).json()
    outcomes = Counter((r.status_code, r.json().get("code", "applied")) for r in responses)
    created = sum(1 for r in replays if r.status_code == 201)
    return outcomes, created, sum(row["quantity"] for row in stock)


def test_two_workers_apply_exactly_forty_of_sixty_issues(database_url: str) -> None:
    key = run_cli(database_url, "keys", "create", "--role", "admin", "--name", "w").stdout.split()[
        -1
    ]
    with live_server(database_url, workers=2) as base:
        outcomes, created, on_hand = asyncio.run(_storm(base, {"Authorization": f"Bearer {key}"}))
    assert outcomes == {(201, "applied"): 40, (409, "insufficient_stock"): 20}
    assert created == 1
    assert on_hand == 5
