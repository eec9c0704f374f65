"""Reversing a wrong scan on both databases: the opposite movements as a new scan row, both
in the scan log, nothing edited; refused when the stock has moved on or already reversed."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from inventory_svc.domain.roles import Role
from tests.conftest import Keys
from tests.helpers import assert_problem, make_location, on_hand, scan, stocked_shelf

Client = AsyncTestClient[Any]


async def _reverse(client: Client, headers: dict[str, str], scan_id: int, reason: str) -> Any:
    return await client.post(
        f"/api/v1/scans/{scan_id}/reverse", json={"reason": reason}, headers=headers
    )


async def test_a_wrong_transfer_is_reversed_once_with_a_trail(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    code = await stocked_shelf(client, admin, quantity=10)
    await make_location(client, admin, "ICU")
    wrong = await scan(client, admin, code, "transfer", "SHELF", to_location="ICU", quantity=4)
    assert wrong.status_code == 201, wrong.text
    manager = await keys.header(Role.MANAGER)
    movements_before = (await client.get("/api/v1/movements", headers=admin)).json()

    reversed_ = await _reverse(client, manager, wrong.json()["id"], "went to the wrong ward")

    assert reversed_.status_code == 201, reversed_.text
    body = reversed_.json()
    assert body["reverses"] == wrong.json()["id"] and body["action"] == "reverse"
    assert [(m["from_location"], m["to_location"], m["quantity"]) for m in body["movements"]] == [
        ("ICU", "SHELF", 4)
    ]
    assert sorted((b["location"], b["quantity"]) for b in body["balances"]) == [
        ("ICU", 0),
        ("SHELF", 10),
    ]
    assert await on_hand(client, admin, "SHELF") == {"S1": 10}
    assert await on_hand(client, admin, "ICU") == {}
    # Nothing was edited: the original movements are there as they were, one more on top.
    movements_after = (await client.get("/api/v1/movements", headers=admin)).json()
    assert movements_after[: len(movements_before)] == movements_before
    assert len(movements_after) == len(movements_before) + 1
    log = (await client.get("/api/v1/scans", headers=admin)).json()
    assert [(s["id"], s["action"], s["status"]) for s in log][-2:] == [
        (wrong.json()["id"], "transfer", "applied"),
        (body["id"], "reverse", "applied"),
    ]
    changed = (
        await client.get("/api/v1/events", params={"type": "stock.changed"}, headers=admin)
    ).json()
    assert changed[-1]["data"]["reverses"] == wrong.json()["id"]

    again = await _reverse(client, manager, wrong.json()["id"], "twice")
    assert_problem(again, 409, "invalid_transition")
    of_reversal = await _reverse(client, manager, body["id"], "undo the undo")
    assert_problem(of_reversal, 409, "invalid_transition")
    assert await on_hand(client, admin, "SHELF") == {"S1": 10}


async def test_a_reversal_is_refused_when_the_stock_has_moved_on(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    code = await stocked_shelf(client, admin, quantity=5)
    receipt = (await client.get("/api/v1/scans", headers=admin)).json()[0]
    assert (await scan(client, admin, code, "issue", "SHELF", quantity=2)).status_code == 201

    refused = await _reverse(client, admin, receipt["id"], "received twice")

    assert_problem(refused, 409, "insufficient_stock")
    assert await on_hand(client, admin, "SHELF") == {"S1": 3}
    assert [s["action"] for s in (await client.get("/api/v1/scans", headers=admin)).json()] == [
        "receive",
        "issue",
    ]


async def test_only_an_applied_scan_that_moved_stock_is_reversed(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    code = await stocked_shelf(client, admin, quantity=1)
    rejected = await scan(client, admin, code, "issue", "SHELF", quantity=5)
    assert_problem(rejected, 409, "insufficient_stock")
    lookup = await scan(client, admin, code, "lookup", "SHELF")
    assert lookup.status_code == 201
    log = (await client.get("/api/v1/scans", headers=admin)).json()

    assert_problem(await _reverse(client, admin, log[1]["id"], "x"), 409, "invalid_transition")
    assert_problem(await _reverse(client, admin, log[2]["id"], "x"), 409, "invalid_transition")
    assert_problem(await _reverse(client, admin, 999_999, "x"), 404, "not_found")
    missing_reason = await client.post(
        f"/api/v1/scans/{log[0]['id']}/reverse", json={}, headers=admin
    )
    assert_problem(missing_reason, 400, "validation_error")
    assert await on_hand(client, admin, "SHELF") == {"S1": 1}
