"""DSCSA serial numbers on both databases: a pack arrives once, moves as itself, and can be
traced; two scanners receiving the same pack at once get one receipt."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Keys
from tests.helpers import (
    EPINEPHRINE_GTIN,
    assert_problem,
    gs1,
    make_item,
    make_location,
    on_hand,
    scan,
)

NEXT_YEAR = datetime.now(UTC).date() + timedelta(days=365)


def pack(serial: str, lot: str = "S1") -> str:
    return gs1(EPINEPHRINE_GTIN, lot=lot, expiry=NEXT_YEAR, serial=serial)


async def _places(client: Any, admin: dict[str, str]) -> None:
    await make_item(client, admin)
    await make_location(client, admin, "MAIN", "storeroom")
    await make_location(client, admin, "SAT", "satellite")


async def test_a_pack_arrives_once_moves_as_itself_and_is_traced(client: Any, keys: Keys) -> None:
    admin = await keys.header()
    await _places(client, admin)
    assert (await scan(client, admin, pack("P-001"), "receive", "MAIN")).status_code == 201
    assert (await scan(client, admin, pack("P-002"), "receive", "MAIN")).status_code == 201
    twice = assert_problem(
        await scan(client, admin, pack("P-001"), "receive", "SAT"), 409, "duplicate_serial"
    )
    assert twice["location"] == "MAIN"
    assert await on_hand(client, admin, "MAIN") == {"S1": 2}
    assert await on_hand(client, admin, "SAT") == {}

    moved = await scan(client, admin, pack("P-001"), "transfer", "MAIN", to_location="SAT")
    assert moved.status_code == 201, moved.text
    # the pack is at SAT now: it cannot be issued from MAIN, only from where it is
    assert_problem(
        await scan(client, admin, pack("P-001"), "issue", "MAIN"), 422, "invalid_movement"
    )
    assert (await scan(client, admin, pack("P-001"), "issue", "SAT")).status_code == 201
    assert_problem(
        await scan(client, admin, pack("P-001"), "issue", "SAT"), 409, "duplicate_serial"
    )
    # back from the ward, back to the supplier, and delivered again
    assert (await scan(client, admin, pack("P-001"), "return", "SAT")).status_code == 201
    assert (
        await scan(client, admin, pack("P-001"), "return_to_supplier", "SAT", reference="RA-9")
    ).status_code == 201
    assert (await scan(client, admin, pack("P-001"), "receive", "MAIN")).status_code == 201
    # a serialised pack is one pack
    assert_problem(
        await scan(client, admin, pack("P-003"), "receive", "MAIN", quantity=2),
        400,
        "validation_error",
    )
    traced = await client.get(f"/api/v1/serials/{EPINEPHRINE_GTIN}/P-001", headers=admin)
    assert traced.status_code == 200, traced.text
    body = traced.json()
    assert (body["location"], body["in_stock"], body["lot"]) == ("MAIN", True, "S1")
    assert [m["kind"] for m in body["history"]] == [
        "receive",
        "transfer",
        "issue",
        "return",
        "return_to_supplier",
        "receive",
    ]
    # an issue without a serial takes any pack of the lot; packs never scanned are unknown
    assert (await scan(client, admin, EPINEPHRINE_GTIN, "issue", "MAIN")).status_code == 201
    assert_problem(
        await client.get(f"/api/v1/serials/{EPINEPHRINE_GTIN}/NOPE", headers=admin),
        404,
        "not_found",
    )
    assert_problem(
        await client.get("/api/v1/serials/123/NOPE", headers=admin), 400, "validation_error"
    )


async def test_two_scanners_receiving_the_same_pack_at_once_get_one_receipt(
    live_client: httpx.AsyncClient, keys: Keys
) -> None:
    admin = await keys.header()
    await _places(live_client, admin)
    responses = await asyncio.gather(
        *(
            scan(live_client, admin, pack(f"C-{i // 4}"), "receive", "MAIN", device=f"d{i}")
            for i in range(16)
        )
    )
    outcome = Counter((r.status_code, r.json().get("code")) for r in responses)
    assert outcome == {(201, None): 4, (409, "duplicate_serial"): 12}, outcome
    assert await on_hand(live_client, admin, "MAIN") == {"S1": 4}
