"""Cycle counts through the API on both databases: the arithmetic while the shelf is in use,
blind counts, barcodes without a lot, the commit's adjustments and its second commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from inventory_svc.domain.barcodes import gtin_from_ndc
from inventory_svc.domain.roles import Role
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

TODAY = datetime.now(UTC).date()
Client = AsyncTestClient[Any]
AMIODARONE_GTIN = gtin_from_ndc("0143-9875-10")
MORPHINE_GTIN = gtin_from_ndc("0641-6125-25")


def epi(lot: str, days: int) -> str:
    return gs1(EPINEPHRINE_GTIN, lot=lot, expiry=TODAY + timedelta(days=days))


async def _shelf(client: Client, admin: dict[str, str]) -> None:
    """Epinephrine lots A (10, expiring first) and B (5) and amiodarone (3) on SHELF."""
    await make_item(client, admin)
    await make_item(client, admin, "Amiodarone", [{"kind": "gtin", "value": AMIODARONE_GTIN}])
    await make_location(client, admin, "SHELF")
    await make_location(client, admin, "OTHER")
    for code, quantity in (
        (epi("A", 200), 10),
        (epi("B", 400), 5),
        (gs1(AMIODARONE_GTIN, lot="M1", expiry=TODAY + timedelta(days=300)), 3),
    ):
        response = await scan(client, admin, code, "receive", "SHELF", quantity=quantity)
        assert response.status_code == 201, response.text


async def _open(client: Client, headers: dict[str, str], location: str, **extra: Any) -> int:
    response = await client.post(
        "/api/v1/counts", json={"location": location, **extra}, headers=headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "open" and body["location"] == location
    return int(body["id"])


async def _count(
    client: Client, headers: dict[str, str], count: int, code: str, quantity: int = 1
) -> Any:
    return await scan(
        client, headers, code, "count", "SHELF", count_session=count, quantity=quantity
    )


async def _events(client: Client, admin: dict[str, str], type_: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/events", params={"type": type_}, headers=admin)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()
    return events


async def _ledger_sums_to_zero(client: Client, admin: dict[str, str]) -> None:
    """Per lot, all movements over all locations (virtual ones included) sum to zero, and
    every real balance is its net movements."""
    movements = (await client.get("/api/v1/movements?limit=1000", headers=admin)).json()
    net: dict[tuple[str, str], int] = {}
    for m in movements:
        net[(m["to_location"], m["lot"])] = net.get((m["to_location"], m["lot"]), 0) + m["quantity"]
        net[(m["from_location"], m["lot"])] = (
            net.get((m["from_location"], m["lot"]), 0) - m["quantity"]
        )
    per_lot: dict[str, int] = {}
    for (_, lot), value in net.items():
        per_lot[lot] = per_lot.get(lot, 0) + value
    assert all(value == 0 for value in per_lot.values()), per_lot
    stock = (await client.get("/api/v1/stock", headers=admin)).json()
    assert {(r["location"], r["lot"]): r["quantity"] for r in stock} == {
        key: value for key, value in net.items() if value and not key[0].startswith("@")
    }


async def test_a_count_taken_while_the_shelf_is_in_use_is_exact(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    await _shelf(client, admin)
    specialist, scanner = await keys.header(Role.SPECIALIST), await keys.header(Role.SCANNER)
    manager = await keys.header(Role.MANAGER)
    count = await _open(client, specialist, "SHELF")
    changed_before = len(await _events(client, admin, "stock.changed"))

    # Lot A: 8 counted, then 2 issued while the count goes on, then 1 more found: the shelf
    # held 9 of A at the first count scan (1 missing), and the 2 issued come on top.
    assert (await _count(client, scanner, count, epi("A", 200), 8)).status_code == 201
    issued = await scan(client, scanner, epi("A", 200), "issue", "SHELF", quantity=2)
    assert issued.status_code == 201, issued.text
    assert (await _count(client, scanner, count, epi("A", 200))).status_code == 201
    # Lot B: 4 more received before anyone counted it: its first count scan sees 9.
    received = await scan(client, scanner, epi("B", 400), "receive", "SHELF", quantity=4)
    assert received.status_code == 201, received.text
    assert (await _count(client, scanner, count, epi("B", 400), 9)).status_code == 201
    # A count scan moves nothing: no stock.changed, the balances as they were.
    assert len(await _events(client, admin, "stock.changed")) == changed_before + 2
    assert await on_hand(client, admin, "SHELF") == {"A": 8, "B": 9, "M1": 3}
    # Amiodarone is not counted: it counts as zero.

    view = (await client.get(f"/api/v1/counts/{count}", headers=manager)).json()
    lines = {(line["lot"], line["counted"], line["expected"]) for line in view["lines"]}
    assert lines == {("A", 9, 10), ("B", 9, 9), ("M1", 0, 3)}

    committed = await client.post(f"/api/v1/counts/{count}/commit", headers=manager)

    assert committed.status_code == 200, committed.text
    body = committed.json()
    assert body["status"] == "committed" and body["committed_by"] == "test manager"
    assert sorted((a["lot"], a["quantity"]) for a in body["adjustments"]) == [("A", -1), ("M1", -3)]
    assert await on_hand(client, admin, "SHELF") == {"A": 7, "B": 9}
    # The committed count stays as committed, whatever arrives later.
    assert (await scan(client, admin, epi("C", 500), "receive", "SHELF")).status_code == 201
    view = (await client.get(f"/api/v1/counts/{count}", headers=scanner)).json()
    assert {(line["lot"], line["counted"], line["expected"]) for line in view["lines"]} == lines
    moved = (await client.get("/api/v1/movements", params={"lot": "A"}, headers=admin)).json()
    adjust = [m for m in moved if m["kind"] == "count_adjust"]
    assert [(m["from_location"], m["to_location"], m["quantity"]) for m in adjust] == [
        ("SHELF", "@adjustment", 1)
    ]
    (event,) = await _events(client, admin, "count.committed")
    assert event["data"]["count"] == count
    assert sorted(
        (a["lot"], a["quantity"], a["balance"]) for a in event["data"]["adjustments"]
    ) == [
        ("A", -1, 7),
        ("M1", -3, 0),
    ]
    await _ledger_sums_to_zero(client, admin)


async def test_a_surplus_comes_in_from_adjustment_and_a_committed_count_stays_committed(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _shelf(client, admin)
    count = await _open(client, admin, "SHELF")
    for code, quantity in ((epi("A", 200), 12), (epi("B", 400), 5)):
        assert (await _count(client, admin, count, code, quantity)).status_code == 201
    assert (
        await _count(
            client, admin, count, gs1(AMIODARONE_GTIN, lot="M1", expiry=TODAY + timedelta(300)), 3
        )
    ).status_code == 201

    first = await client.post(f"/api/v1/counts/{count}/commit", headers=admin)
    assert first.status_code == 200, first.text
    assert [(a["lot"], a["quantity"]) for a in first.json()["adjustments"]] == [("A", 2)]
    assert await on_hand(client, admin, "SHELF") == {"A": 12, "B": 5, "M1": 3}

    again = await client.post(f"/api/v1/counts/{count}/commit", headers=admin)
    assert_problem(again, 409, "invalid_transition")
    late = await _count(client, admin, count, epi("A", 200))
    assert_problem(late, 409, "session_closed")
    assert await on_hand(client, admin, "SHELF") == {"A": 12, "B": 5, "M1": 3}
    # The location may be counted again now.
    assert await _open(client, admin, "SHELF") > count


async def test_blind_counts_hide_the_expected_quantities_from_the_counter(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _shelf(client, admin)
    scanner, manager = await keys.header(Role.SCANNER), await keys.header(Role.MANAGER)
    count = await _open(client, await keys.header(Role.SPECIALIST), "SHELF", blind=True)
    assert (await _count(client, scanner, count, epi("A", 200), 4)).status_code == 201

    hidden = (await client.get(f"/api/v1/counts/{count}", headers=scanner)).json()
    assert hidden["blind"] is True and hidden["expected_visible"] is False
    assert hidden["adjustments"] is None
    assert [(line["lot"], line["counted"], line["expected"]) for line in hidden["lines"]] == [
        ("A", 4, None)
    ]  # neither what is expected nor what was not counted yet
    shown = (await client.get(f"/api/v1/counts/{count}", headers=manager)).json()
    assert shown["expected_visible"] is True
    assert {(line["lot"], line["expected"], line["difference"]) for line in shown["lines"]} == {
        ("A", 10, -6),
        ("B", 5, -5),
        ("M1", 3, -3),
    }


async def test_a_barcode_without_lot_counts_the_item_and_settles_latest_expiry_first(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _shelf(client, admin)
    count = await _open(client, admin, "SHELF")
    # 12 epinephrine counted from the plain GTIN (no lot): 3 short of A 10 + B 5.
    assert (await _count(client, admin, count, EPINEPHRINE_GTIN, 12)).status_code == 201
    assert (
        await _count(
            client, admin, count, gs1(AMIODARONE_GTIN, lot="M1", expiry=TODAY + timedelta(300)), 3
        )
    ).status_code == 201
    view = (await client.get(f"/api/v1/counts/{count}", headers=admin)).json()
    assert {(line["lot"], line["counted"], line["expected"]) for line in view["lines"]} == {
        (None, 12, 15),
        ("M1", 3, 3),
    }

    committed = await client.post(f"/api/v1/counts/{count}/commit", headers=admin)

    assert committed.status_code == 200, committed.text
    # The shortage comes off the latest-expiring lot (B) first; no lot is invented.
    assert await on_hand(client, admin, "SHELF") == {"A": 10, "B": 2, "M1": 3}


async def test_a_surplus_counted_without_lot_goes_to_the_latest_expiring_lot(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _shelf(client, admin)
    count = await _open(client, admin, "SHELF")
    assert (await _count(client, admin, count, EPINEPHRINE_GTIN, 10)).status_code == 201
    # A carton (10 units) counted without lot too: 20 in all, 5 more than A 10 + B 5.
    carton = gtin_from_ndc("0409-4921-34", indicator=5)
    assert (await _count(client, admin, count, carton, 1)).status_code == 201
    assert (
        await _count(
            client, admin, count, gs1(AMIODARONE_GTIN, lot="M1", expiry=TODAY + timedelta(300)), 3
        )
    ).status_code == 201
    committed = await client.post(f"/api/v1/counts/{count}/commit", headers=admin)
    assert committed.status_code == 200, committed.text
    assert await on_hand(client, admin, "SHELF") == {"A": 10, "B": 10, "M1": 3}
    lots = {row["lot"] for row in (await client.get("/api/v1/stock", headers=admin)).json()}
    assert lots == {"A", "B", "M1"}
    await _ledger_sums_to_zero(client, admin)


async def test_count_scans_are_checked_against_their_count(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    await _shelf(client, admin)
    count = await _open(client, admin, "SHELF")
    assert_problem(
        await client.post("/api/v1/counts", json={"location": "SHELF"}, headers=admin),
        409,
        "invalid_transition",
    )
    assert_problem(
        await client.post("/api/v1/counts", json={"location": "NOWHERE"}, headers=admin),
        422,
        "unknown_location",
    )
    elsewhere = await scan(client, admin, epi("A", 200), "count", "OTHER", count_session=count)
    assert_problem(elsewhere, 422, "invalid_movement")
    missing = await scan(client, admin, epi("A", 200), "count", "SHELF")
    assert_problem(missing, 400, "validation_error")
    unknown = await scan(client, admin, epi("A", 200), "count", "SHELF", count_session=999)
    assert_problem(unknown, 404, "not_found")
    assert_problem(await client.get("/api/v1/counts/999", headers=admin), 404, "not_found")
    assert_problem(await client.post("/api/v1/counts/999/commit", headers=admin), 404, "not_found")
    rejected = (
        await client.get("/api/v1/scans", params={"status": "rejected"}, headers=admin)
    ).json()
    assert [r["error_code"] for r in rejected if r["action"] == "count"] == [
        "invalid_movement",
        "validation_error",
        "not_found",
    ]
    assert await on_hand(client, admin, "SHELF") == {"A": 10, "B": 5, "M1": 3}


async def test_a_controlled_substance_variance_needs_a_managers_reason(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _shelf(client, admin)
    response = await client.post(
        "/api/v1/items",
        json={
            "name": "Morphine 10 mg/mL",
            "schedule": "CII",
            "identifiers": [{"kind": "gtin", "value": MORPHINE_GTIN}],
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    morphine = gs1(MORPHINE_GTIN, lot="MS1", expiry=TODAY + timedelta(days=300))
    assert (await scan(client, admin, morphine, "receive", "SHELF", quantity=5)).status_code == 201
    count = await _open(client, admin, "SHELF")
    for code, quantity in ((epi("A", 200), 10), (epi("B", 400), 5), (morphine, 4)):
        assert (await _count(client, admin, count, code, quantity)).status_code == 201
    assert (
        await _count(
            client, admin, count, gs1(AMIODARONE_GTIN, lot="M1", expiry=TODAY + timedelta(300)), 3
        )
    ).status_code == 201
    manager = await keys.header(Role.MANAGER)

    refused = await client.post(f"/api/v1/counts/{count}/commit", headers=manager)

    problem = assert_problem(refused, 422, "count_reason_required")
    assert len(problem["items"]) == 1
    assert await on_hand(client, admin, "SHELF") == {"A": 10, "B": 5, "M1": 3, "MS1": 5}
    signed = await client.post(
        f"/api/v1/counts/{count}/commit",
        json={"reason": "1 vial broken, reported to pharmacy lead"},
        headers=manager,
    )
    assert signed.status_code == 200, signed.text
    assert signed.json()["reason"] == "1 vial broken, reported to pharmacy lead"
    assert await on_hand(client, admin, "SHELF") == {"A": 10, "B": 5, "M1": 3, "MS1": 4}


async def test_a_kit_is_not_counted_in(client: Client, keys: Keys) -> None:
    """Stock enters a kit only through restock scans: no count adjusts a kit."""
    admin = await keys.header(Role.ADMIN)
    item = await make_item(client, admin)
    await make_location(client, admin, "MAIN", "storeroom")
    template = await client.post(
        "/api/v1/kit-templates",
        json={
            "code": "KT",
            "name": "Kit",
            "kind": "kit",
            "lines": [{"slot": "Epinephrine", "items": [item["id"]], "quantity": 1}],
        },
        headers=admin,
    )
    assert template.status_code == 201, template.text
    kit = await client.post(
        "/api/v1/kits",
        json={"code": "KIT-A", "template": "KT", "home_location": "MAIN"},
        headers=admin,
    )
    assert kit.status_code == 201, kit.text

    refused = await client.post("/api/v1/counts", json={"location": "KIT-A"}, headers=admin)

    assert_problem(refused, 422, "invalid_movement")
