"""Many scanners on one balance: no lost update, no oversell, no double-count. A live server,
so that the scans really overlap (the in-process test client runs one request at a time)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import Keys
from tests.helpers import (
    EPINEPHRINE_GTIN,
    gs1,
    make_location,
    on_hand,
    scan,
    stocked_shelf,
)

NEXT_YEAR = datetime.now(UTC).date() + timedelta(days=365)


async def _stocked_shelf(
    live_client: httpx.AsyncClient, keys: Keys, quantity: int
) -> dict[str, str]:
    admin = await keys.header()
    await stocked_shelf(
        live_client,
        admin,
        "SAT-ICU",
        lot="C1",
        expiry=NEXT_YEAR,
        quantity=quantity,
        kind="satellite",
    )
    return admin


async def test_sixty_concurrent_issues_against_forty_apply_exactly_forty(
    live_client: httpx.AsyncClient, keys: Keys
) -> None:
    admin = await _stocked_shelf(live_client, keys, 40)
    scanner = await keys.header("scanner")
    responses = await asyncio.gather(
        *(
            scan(live_client, scanner, EPINEPHRINE_GTIN, "issue", "SAT-ICU", device=f"ipad-{i % 6}")
            for i in range(60)
        )
    )
    outcomes = Counter((r.status_code, r.json().get("code", "applied")) for r in responses)
    assert outcomes == {(201, "applied"): 40, (409, "insufficient_stock"): 20}
    assert await on_hand(live_client, admin, "SAT-ICU") == {}
    issued = (
        await live_client.get(
            "/api/v1/movements", params={"location": "SAT-ICU", "limit": 500}, headers=admin
        )
    ).json()
    assert sum(m["quantity"] for m in issued if m["kind"] == "issue") == 40
    rejected = (
        await live_client.get("/api/v1/scans", params={"status": "rejected"}, headers=admin)
    ).json()
    assert len(rejected) == 20


async def test_concurrent_retries_with_one_key_count_once(
    live_client: httpx.AsyncClient, keys: Keys
) -> None:
    admin = await _stocked_shelf(live_client, keys, 10)
    key = str(uuid.uuid4())
    responses = await asyncio.gather(
        *(
            scan(live_client, admin, EPINEPHRINE_GTIN, "issue", "SAT-ICU", key=key, quantity=3)
            for _ in range(8)
        )
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses[201] == 1 and statuses[200] == 7, statuses
    assert all(
        r.headers.get("Idempotent-Replayed") == "true" for r in responses if r.status_code == 200
    )
    bodies = {r.json()["id"] for r in responses}
    assert len(bodies) == 1
    assert await on_hand(live_client, admin, "SAT-ICU") == {"C1": 7}


async def test_concurrent_receives_and_issues_keep_the_balance_exact(
    live_client: httpx.AsyncClient, keys: Keys
) -> None:
    admin = await _stocked_shelf(live_client, keys, 30)  # enough that any interleaving is valid
    code = gs1(EPINEPHRINE_GTIN, lot="C1", expiry=NEXT_YEAR)
    work = [scan(live_client, admin, code, "receive", "SAT-ICU", quantity=2) for _ in range(15)]
    work += [scan(live_client, admin, code, "issue", "SAT-ICU") for _ in range(25)]
    responses = await asyncio.gather(*work)
    assert all(r.status_code == 201 for r in responses), [
        r.text for r in responses if r.status_code != 201
    ]
    assert await on_hand(live_client, admin, "SAT-ICU") == {"C1": 30 + 30 - 25}


async def test_opposite_transfers_at_once_neither_deadlock_nor_lose_stock(
    live_client: httpx.AsyncClient, keys: Keys
) -> None:
    admin = await _stocked_shelf(live_client, keys, 50)
    await make_location(live_client, admin, "SAT-OR", "satellite")
    code = gs1(EPINEPHRINE_GTIN, lot="C1", expiry=NEXT_YEAR)
    assert (
        await scan(live_client, admin, code, "receive", "SAT-OR", quantity=50)
    ).status_code == 201
    work = [
        scan(live_client, admin, code, "transfer", here, to_location=there)
        for _ in range(20)
        for here, there in (("SAT-ICU", "SAT-OR"), ("SAT-OR", "SAT-ICU"))
    ]
    responses = await asyncio.gather(*work)
    assert [r.status_code for r in responses] == [201] * 40, [
        r.text for r in responses if r.status_code != 201
    ]
    assert await on_hand(live_client, admin, "SAT-ICU") == {"C1": 50}
    assert await on_hand(live_client, admin, "SAT-OR") == {"C1": 50}
