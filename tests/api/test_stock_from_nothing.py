"""No stock from nothing: returns are bounded by what was issued, scans never name the outside
world, quantities are capped, and a scan without an Idempotency-Key is refused. Each refusal
changes no stock and is recorded in the scan log. Both databases, through HTTP."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from inventory_svc.domain.barcodes import gtin_from_ndc
from inventory_svc.domain.ledger import MAX_BASE_UNITS_PER_SCAN, VIRTUAL_LOCATIONS
from tests.conftest import Keys
from tests.helpers import (
    EPINEPHRINE_CARTON_GTIN,
    EPINEPHRINE_GTIN,
    GS,
    gs1,
    make_item,
    make_location,
    on_hand,
    scan,
)

NEXT_YEAR = datetime.now(UTC).date() + timedelta(days=365)
LOT_R1 = gs1(EPINEPHRINE_GTIN, lot="R1", expiry=NEXT_YEAR)


async def _two_shelves(client: httpx.AsyncClient, keys: Keys) -> dict[str, str]:
    """Lot R1: 20 received on each of A1 and A2."""
    admin = await keys.header()
    await make_item(client, admin)
    for code in ("A1", "A2"):
        await make_location(client, admin, code)
        assert (await scan(client, admin, LOT_R1, "receive", code, quantity=20)).status_code == 201
    return admin


async def _rejected(client: httpx.AsyncClient, admin: dict[str, str]) -> list[tuple[str, str]]:
    log = (await client.get("/api/v1/scans", params={"status": "rejected"}, headers=admin)).json()
    return [(row["action"], row["error_code"]) for row in log]


async def _virtual_balances(client: httpx.AsyncClient, admin: dict[str, str]) -> Counter[str]:
    """Net units moved into each virtual location, from the ledger."""
    moves = (await client.get("/api/v1/movements", params={"limit": 5000}, headers=admin)).json()
    net: Counter[str] = Counter()
    for move in moves:
        net[move["to_location"]] += move["quantity"]
        net[move["from_location"]] -= move["quantity"]
    return Counter({code: net[code] for code in VIRTUAL_LOCATIONS})


async def test_a_lot_never_issued_cannot_be_returned(client: httpx.AsyncClient, keys: Keys) -> None:
    admin = await _two_shelves(client, keys)
    never_received = gs1(EPINEPHRINE_GTIN, lot="NEVER", expiry=NEXT_YEAR)
    for code in (LOT_R1, never_received, EPINEPHRINE_GTIN):
        response = await scan(client, admin, code, "return", "A1")
        assert response.status_code == 409, response.text
        problem = response.json()
        assert problem["code"] == "return_exceeds_issued"
        assert problem["returnable"] == 0
    assert await on_hand(client, admin, "A1") == {"R1": 20}
    assert await _rejected(client, admin) == [("return", "return_exceeds_issued")] * 3
    assert (await _virtual_balances(client, admin))["@consumed"] == 0


async def test_returns_are_bounded_by_issues_over_all_locations_net_of_returns(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    admin = await _two_shelves(client, keys)
    assert (await scan(client, admin, LOT_R1, "issue", "A1", quantity=3)).status_code == 201
    assert (await scan(client, admin, LOT_R1, "issue", "A2", quantity=2)).status_code == 201
    # Issued from two shelves, all five may come back to either one.
    assert (await scan(client, admin, LOT_R1, "return", "A2", quantity=4)).status_code == 201
    over = await scan(client, admin, LOT_R1, "return", "A1", quantity=2)
    assert over.status_code == 409
    assert over.json()["code"] == "return_exceeds_issued"
    assert over.json()["returnable"] == 1
    assert (await scan(client, admin, LOT_R1, "return", "A1")).status_code == 201
    assert (await scan(client, admin, LOT_R1, "return", "A1")).json()["code"] == (
        "return_exceeds_issued"
    )
    assert await on_hand(client, admin, "A1") == {"R1": 18}
    assert await on_hand(client, admin, "A2") == {"R1": 22}
    assert (await _virtual_balances(client, admin))["@consumed"] == 0


async def test_units_issued_by_carton_come_back_by_unit(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    """The bound is in base units, whichever identifier was scanned."""
    admin = await _two_shelves(client, keys)
    carton = gs1(EPINEPHRINE_CARTON_GTIN, lot="R1", expiry=NEXT_YEAR)  # units: 10
    assert (await scan(client, admin, carton, "issue", "A1")).status_code == 201
    assert (await scan(client, admin, LOT_R1, "return", "A1", quantity=10)).status_code == 201
    assert (await scan(client, admin, LOT_R1, "return", "A1")).status_code == 409


async def test_concurrent_returns_of_one_lot_cannot_both_pass(
    live_client: httpx.AsyncClient, keys: Keys
) -> None:
    client = live_client  # real HTTP: the returns overlap in the server
    admin = await _two_shelves(client, keys)
    assert (await scan(client, admin, LOT_R1, "issue", "A1", quantity=6)).status_code == 201
    assert (await scan(client, admin, LOT_R1, "issue", "A2", quantity=4)).status_code == 201
    responses = await asyncio.gather(
        *(scan(client, admin, LOT_R1, "return", ("A1", "A2")[i % 2]) for i in range(30))
    )
    outcomes = Counter((r.status_code, r.json().get("code", "applied")) for r in responses)
    assert outcomes == {(201, "applied"): 10, (409, "return_exceeds_issued"): 20}
    shelves = (await on_hand(client, admin, "A1"))["R1"] + (await on_hand(client, admin, "A2"))[
        "R1"
    ]
    assert shelves == 40
    assert (await _virtual_balances(client, admin))["@consumed"] == 0


@pytest.mark.parametrize("virtual", [*VIRTUAL_LOCATIONS, "@elsewhere"])
async def test_no_scan_names_a_virtual_location(
    client: httpx.AsyncClient, keys: Keys, virtual: str
) -> None:
    admin = await _two_shelves(client, keys)
    attempts = [
        ("transfer", "A1", virtual),  # stock out to the outside world
        ("transfer", virtual, "A1"),  # stock in from it
        ("receive", virtual, None),
        ("issue", virtual, None),
        ("return", virtual, None),
        ("waste", virtual, None),
        ("lookup", virtual, None),
    ]
    for action, here, there in attempts:
        extra = {"to_location": there} if there else {}
        response = await scan(client, admin, LOT_R1, action, here, **extra)
        assert response.status_code == 422, (action, here, there, response.text)
        assert response.json()["code"] == "invalid_movement"
    assert await on_hand(client, admin, "A1") == {"R1": 20}
    assert await _rejected(client, admin) == [
        (action, "invalid_movement") for action, _, _ in attempts
    ]
    assert await _virtual_balances(client, admin) == Counter({"@supplier": -40, "@consumed": 0})


async def test_base_units_per_scan_are_capped_and_balances_stay_integers(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    admin = await keys.header()
    pallet_gtin = gtin_from_ndc("0409-4921-34", indicator=6)
    await make_item(
        client,
        admin,
        identifiers=[
            {"kind": "gtin", "value": EPINEPHRINE_GTIN, "units": 1},
            {"kind": "gtin", "value": pallet_gtin, "units": 100_000},
        ],
    )
    await make_location(client, admin, "DOCK", "storeroom")
    lot = f"10P1{GS}"
    expiry = f"17{NEXT_YEAR:%y%m%d}"
    largest = MAX_BASE_UNITS_PER_SCAN // 100_000
    # A real pallet fits: 100 packs of 100,000 units.
    fits = await scan(
        client, admin, f"]C101{pallet_gtin}{expiry}{lot}30{largest}", "receive", "DOCK"
    )
    assert fits.status_code == 201, fits.text
    too_large = [
        f"]C101{pallet_gtin}{expiry}{lot}30{largest + 1}",
        f"]C101{pallet_gtin}{expiry}{lot}3099999999",
    ]
    for code in too_large:
        response = await scan(client, admin, code, "receive", "DOCK", quantity=100_000)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "quantity_too_large"
    response = await scan(client, admin, EPINEPHRINE_GTIN, "receive", "DOCK", quantity=100_000)
    assert response.status_code == 201  # 100,000 single units are fine
    stock = (await client.get("/api/v1/stock", params={"location": "DOCK"}, headers=admin)).json()
    quantities = sorted(row["quantity"] for row in stock)
    assert quantities == [100_000, MAX_BASE_UNITS_PER_SCAN]
    assert all(type(q) is int for q in quantities)
    assert await _rejected(client, admin) == [("receive", "quantity_too_large")] * 2


async def test_a_scan_without_idempotency_key_is_refused_and_recorded(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    admin = await _two_shelves(client, keys)
    body = {"code": LOT_R1, "action": "issue", "location": "A1"}
    for headers in (admin, {**admin, "Idempotency-Key": ""}):
        for _retry in range(2):
            response = await client.post("/api/v1/scans", json=body, headers=headers)
            assert response.status_code == 400, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "idempotency_key_required"
    bad_body = await client.post("/api/v1/scans", json={"code": LOT_R1}, headers=admin)
    assert bad_body.json()["code"] == "idempotency_key_required"
    assert await on_hand(client, admin, "A1") == {"R1": 20}
    assert await _rejected(client, admin) == [("issue", "idempotency_key_required")] * 4 + [
        ("", "idempotency_key_required")
    ]


async def test_a_keyed_retry_is_counted_once(client: httpx.AsyncClient, keys: Keys) -> None:
    admin = await _two_shelves(client, keys)
    key = str(uuid.uuid4())
    first = await scan(client, admin, LOT_R1, "issue", "A1", key=key, quantity=2)
    again = await scan(client, admin, LOT_R1, "issue", "A1", key=key, quantity=2)
    assert (first.status_code, again.status_code) == (201, 200)
    assert await on_hand(client, admin, "A1") == {"R1": 18}
