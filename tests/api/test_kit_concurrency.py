"""Two (or twenty) technicians scanning into one kit slot at once never overfill it: a live
server, so that the scans really overlap, on both databases."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import Keys
from tests.helpers import EPINEPHRINE_GTIN, gs1, make_location, on_hand, scan, stocked_shelf

NEXT_YEAR = datetime.now(UTC).date() + timedelta(days=365)


async def test_concurrent_restock_scans_fill_a_slot_exactly(
    live_client: httpx.AsyncClient, keys: Keys
) -> None:
    admin = await keys.header()
    code = await stocked_shelf(live_client, admin, "PHARM", lot="K1", expiry=NEXT_YEAR, quantity=50)
    await make_location(live_client, admin, "ICU", "satellite")
    template = await live_client.post(
        "/api/v1/kit-templates",
        json={
            "code": "CART",
            "name": "Crash cart",
            "kind": "crash_cart",
            "lines": [{"slot": "Epinephrine", "items": [EPINEPHRINE_GTIN], "quantity": 5}],
        },
        headers=admin,
    )
    assert template.status_code == 201, template.text
    for kit in ("CART-1", "CART-2"):
        created = await live_client.post(
            "/api/v1/kits",
            json={"code": kit, "template": "CART", "home_location": "ICU"},
            headers=admin,
        )
        assert created.status_code == 201, created.text
    scanner = await keys.header("scanner")

    responses = await asyncio.gather(
        *(
            scan(
                live_client,
                scanner,
                code,
                "restock",
                "PHARM",
                to_location=f"CART-{1 + i % 2}",
                device=f"tech-{i % 4}",
            )
            for i in range(24)
        )
    )

    outcome = Counter((r.status_code, r.json().get("code")) for r in responses)
    assert outcome == {(201, None): 10, (409, "slot_full"): 14}, outcome
    assert await on_hand(live_client, admin, "CART-1") == {"K1": 5}
    assert await on_hand(live_client, admin, "CART-2") == {"K1": 5}
    assert await on_hand(live_client, admin, "PHARM") == {"K1": 40}
    # every applied scan joined the one session of its kit
    sessions = {r.json()["kit"]["restock_session"] for r in responses if r.status_code == 201}
    assert len(sessions) == 2
    # and the lot-less code (FEFO) fills nothing more
    extra = await scan(
        live_client, scanner, gs1(EPINEPHRINE_GTIN), "restock", "PHARM", to_location="CART-1"
    )
    assert extra.status_code == 409 and extra.json()["code"] == "slot_full"
