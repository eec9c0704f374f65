"""Supplier items, par levels, the reorder list and purchase orders through the API, on both
databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.db.models import Lot, PurchaseOrder
from inventory_svc.domain.purchasing import ALLOWED, PoAction
from inventory_svc.domain.roles import Role
from inventory_svc.domain.vocabulary import PurchaseOrderStatus
from tests.conftest import Keys
from tests.helpers import (
    EPINEPHRINE_GTIN,
    assert_problem,
    gs1,
    make_item,
    make_location,
    scan,
)

TODAY = datetime.now(UTC).date()
Client = AsyncTestClient[Any]


async def _setup(client: Client, admin: dict[str, str]) -> dict[str, Any]:
    """A storeroom with a bin and a quarantine area, an ICU satellite refilled from it, one
    item (epinephrine) bought from CARD in packs of 10, lead time 5 days."""
    for code in ("CARD", "MCK"):
        response = await client.post(
            "/api/v1/suppliers", json={"code": code, "name": code}, headers=admin
        )
        assert response.status_code == 201, response.text
    item = await make_item(client, admin)
    await make_location(client, admin, "MAIN", "storeroom")
    await make_location(client, admin, "MAIN-B1", "bin", parent="MAIN")
    await make_location(client, admin, "QUAR", "quarantine", parent="MAIN")
    await make_location(client, admin, "SAT-ICU", "satellite")
    response = await client.put(
        "/api/v1/supplier-items",
        json={
            "supplier": "CARD",
            "item": item["id"],
            "supplier_item_code": "CAH-123",
            "pack_size": 10,
            "min_order_quantity": 20,
            "lead_time_days": 5,
            "unit_cost_cents": 250,
            "preferred": True,
        },
        headers=admin,
    )
    assert response.status_code == 200, response.text
    return {"item": item["id"]}


async def _receive(
    client: Client, headers: dict[str, str], location: str, lot: str, days: int, quantity: int
) -> None:
    code = gs1(EPINEPHRINE_GTIN, lot=lot, expiry=TODAY + timedelta(days=days))
    response = await scan(client, headers, code, "receive", location, quantity=quantity)
    assert response.status_code == 201, response.text


async def test_supplier_items_set_the_preferred_supplier_and_list(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    item = (await _setup(client, admin))["item"]
    listed = (await client.get("/api/v1/supplier-items", headers=admin)).json()
    assert listed == [
        {
            "supplier": "CARD",
            "item": {"id": item, "name": "Epinephrine"},
            "supplier_item_code": "CAH-123",
            "pack_size": 10,
            "min_order_quantity": 20,
            "lead_time_days": 5,
            "unit_cost_cents": 250,
            "preferred": True,
        }
    ]
    moved = await client.put(
        "/api/v1/supplier-items",
        json={"supplier": "MCK", "item": item, "pack_size": 5, "preferred": True},
        headers=admin,
    )
    assert moved.json()["preferred"] is True
    rows = (await client.get("/api/v1/supplier-items", params={"item": item}, headers=admin)).json()
    assert [(r["supplier"], r["preferred"]) for r in rows] == [("CARD", False), ("MCK", True)]
    only = await client.get("/api/v1/supplier-items", params={"supplier": "MCK"}, headers=admin)
    assert [r["supplier"] for r in only.json()] == ["MCK"]

    unknown = await client.put(
        "/api/v1/supplier-items", json={"supplier": "NOPE", "item": item}, headers=admin
    )
    assert_problem(unknown, 422, "unknown_supplier")
    no_item = await client.put(
        "/api/v1/supplier-items", json={"supplier": "MCK", "item": 999}, headers=admin
    )
    assert_problem(no_item, 422, "unknown_item")
    bad = await client.put(
        "/api/v1/supplier-items",
        json={"supplier": "MCK", "item": item, "pack_size": 0},
        headers=admin,
    )
    assert_problem(bad, 400, "validation_error")


async def test_par_levels_by_json_and_csv_round_trip(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    item = (await _setup(client, admin))["item"]
    one = await client.put(
        "/api/v1/par-levels",
        json={"item": item, "location": "MAIN", "par": 60, "reorder_point": 30, "max": 80},
        headers=admin,
    )
    assert one.status_code == 200, one.text
    assert one.json() == [
        {
            "item": {"id": item, "name": "Epinephrine"},
            "location": "MAIN",
            "par": 60,
            "reorder_point": 30,
            "max": 80,
            "source": None,
        }
    ]
    csv_body = (
        "item,location,par,reorder_point,max,source_supplier,source_location\r\n"
        f"{item},SAT-ICU,10,4,,,MAIN\r\n"
        f"{item},MAIN-B1,20,5,25,MCK,\r\n"
    )
    many = await client.put(
        "/api/v1/par-levels",
        content=csv_body.encode(),
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert many.status_code == 200, many.text
    listed = (await client.get("/api/v1/par-levels", headers=admin)).json()
    assert [
        (p["location"], p["par"], p["reorder_point"], p["max"], p["source"]) for p in listed
    ] == [
        ("MAIN", 60, 30, 80, None),
        ("MAIN-B1", 20, 5, 25, {"supplier": "MCK"}),
        ("SAT-ICU", 10, 4, None, {"location": "MAIN"}),
    ]
    at = await client.get("/api/v1/par-levels", params={"location": "SAT-ICU"}, headers=admin)
    assert [p["location"] for p in at.json()] == ["SAT-ICU"]
    # Setting again replaces.
    again = await client.put(
        "/api/v1/par-levels",
        json=[{"item": item, "location": "SAT-ICU", "par": 12, "reorder_point": 6}],
        headers=admin,
    )
    assert [(p["par"], p["source"]) for p in again.json()] == [(12, None)]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"location": "MAIN", "par": 5, "reorder_point": 6}, 400, "validation_error"),
        ({"location": "MAIN", "par": 5, "reorder_point": 1, "max": 4}, 400, "validation_error"),
        ({"location": "NOWHERE", "par": 5, "reorder_point": 1}, 422, "unknown_location"),
        ({"location": "@consumed", "par": 5, "reorder_point": 1}, 422, "unknown_location"),
        (
            {"location": "MAIN", "par": 5, "reorder_point": 1, "source": {"supplier": "NOPE"}},
            422,
            "unknown_supplier",
        ),
        (
            {"location": "MAIN", "par": 5, "reorder_point": 1, "source": {"location": "X"}},
            422,
            "unknown_location",
        ),
        (
            {"location": "MAIN", "par": 5, "reorder_point": 1, "source": {"location": "MAIN"}},
            400,
            "validation_error",
        ),
        (
            {
                "location": "MAIN",
                "par": 5,
                "reorder_point": 1,
                "source": {"location": "SAT-ICU", "supplier": "CARD"},
            },
            400,
            "validation_error",
        ),
        ({"location": "MAIN", "par": -1, "reorder_point": 0}, 400, "validation_error"),
        ({"item": 999, "location": "MAIN", "par": 5, "reorder_point": 1}, 422, "unknown_item"),
    ],
)
async def test_a_par_level_that_cannot_be_is_refused(
    client: Client, keys: Keys, body: dict[str, Any], status: int, code: str
) -> None:
    admin = await keys.header(Role.ADMIN)
    item = (await _setup(client, admin))["item"]
    response = await client.put("/api/v1/par-levels", json={"item": item, **body}, headers=admin)
    assert_problem(response, status, code)
    assert (await client.get("/api/v1/par-levels", headers=admin)).json() == []


@pytest.mark.parametrize(
    "csv_body",
    [
        "item,location,par\r\n1,MAIN,5\r\n",  # no reorder_point column
        "item,location,par,reorder_point,colour\r\n1,MAIN,5,1,red\r\n",
        "item,location,par,reorder_point\r\n1,MAIN,five,1\r\n",
        "item,location,par,reorder_point\r\n1,MAIN,5,1,9\r\n",
        "item,location,par,reorder_point\r\n1,MA/IN,5,1\r\n",
    ],
)
async def test_a_bad_csv_is_a_validation_error(client: Client, keys: Keys, csv_body: str) -> None:
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    response = await client.put(
        "/api/v1/par-levels",
        content=csv_body.encode(),
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert_problem(response, 400, "validation_error")


async def test_the_reorder_list_counts_usable_stock_usage_and_orders(
    client: Client, keys: Keys, engine: AsyncEngine
) -> None:
    admin = await keys.header(Role.ADMIN)
    item = (await _setup(client, admin))["item"]
    # MAIN (and its bin): 30 good units, 8 expiring within the 5-day lead time, 4 expired in
    # quarantine, 6 of a lot recalled later.
    await _receive(client, admin, "MAIN-B1", "GOOD", 300, 30)
    await _receive(client, admin, "MAIN", "SOON", 3, 8)
    await _receive(client, admin, "QUAR", "OLD", 100, 4)
    await _receive(client, admin, "MAIN", "BAD", 300, 6)
    async with engine.begin() as conn:
        await conn.execute(update(Lot).where(Lot.lot_number == "BAD").values(recalled=True))
    # Usage from MAIN's subtree: 3 issued, 2 wasted, 5 transferred to the satellite it feeds.
    code = gs1(EPINEPHRINE_GTIN, lot="GOOD", expiry=TODAY + timedelta(days=300))
    assert (await scan(client, admin, code, "issue", "MAIN-B1", quantity=3)).status_code == 201
    assert (await scan(client, admin, code, "waste", "MAIN-B1", quantity=2)).status_code == 201
    response = await scan(
        client, admin, code, "transfer", "MAIN-B1", to_location="SAT-ICU", quantity=5
    )
    assert response.status_code == 201, response.text
    put = await client.put(
        "/api/v1/par-levels",
        json=[
            {"item": item, "location": "MAIN", "par": 100, "reorder_point": 40},
            {
                "item": item,
                "location": "SAT-ICU",
                "par": 10,
                "reorder_point": 5,
                "source": {"location": "MAIN"},
            },
        ],
        headers=admin,
    )
    assert put.status_code == 200, put.text

    lines = (await client.get("/api/v1/reorder-list", headers=admin)).json()
    main = {line["location"]: line for line in lines}["MAIN"]
    # 30 received - 10 out = 20 usable (SOON expires inside the lead time, OLD is quarantined,
    # BAD is recalled); 10 used over 30 days.
    assert (main["on_hand"], main["on_order"], main["used_in_window"]) == (20, 0, 10)
    assert main["daily_usage"] == pytest.approx(10 / 30, abs=0.001)
    assert main["days_of_supply"] == 60.0
    # 100 - 20 = 80, in packs of 10, at least 20.
    assert (main["suggested_quantity"], main["supplier"], main["pack_size"]) == (80, "CARD", 10)
    assert (main["unit_cost_cents"], main["line_cost_cents"]) == (250, 80 * 250)
    # The satellite has 5 (>= its reorder point 5 is still listed: on hand + on order <= 5).
    sat = {line["location"]: line for line in lines}["SAT-ICU"]
    assert (sat["on_hand"], sat["suggested_quantity"], sat["supplier"]) == (5, 5, None)
    assert sat["source_location"] == "MAIN"

    # A submitted PO for MAIN counts as on order; an acknowledged one counts what was confirmed
    # plus backordered.
    po = await client.post(
        "/api/v1/purchase-orders",
        json={"supplier": "CARD", "location": "MAIN", "lines": [{"item": item, "ordered": 50}]},
        headers=admin,
    )
    assert po.status_code == 201, po.text
    number = po.json()["number"]
    assert (
        await client.post(f"/api/v1/purchase-orders/{number}/submit", headers=admin)
    ).status_code == 200
    main = (
        await client.get("/api/v1/reorder-list", params={"location": "MAIN"}, headers=admin)
    ).json()
    assert main == []  # 20 + 50 > 40
    ack = await client.post(
        f"/api/v1/purchase-orders/{number}/acknowledge",
        json={
            "supplier_reference": "SO-1",
            "lines": [{"line": 1, "confirmed": 10, "backordered": 5}],
        },
        headers=await keys.header(Role.INTEGRATION),
    )
    assert ack.status_code == 200, ack.text
    (main_line,) = (
        await client.get("/api/v1/reorder-list", params={"location": "MAIN"}, headers=admin)
    ).json()
    assert (main_line["on_order"], main_line["suggested_quantity"]) == (15, 70)

    # Filters: by supplier, by location with its sublocations.
    by_supplier = await client.get(
        "/api/v1/reorder-list", params={"supplier": "CARD"}, headers=admin
    )
    assert [line["location"] for line in by_supplier.json()] == ["MAIN"]
    tree = await client.get(
        "/api/v1/reorder-list",
        params={"location": "HOSP"}
        if False
        else {"location": "MAIN", "include_sublocations": "true"},
        headers=admin,
    )
    assert [line["location"] for line in tree.json()] == ["MAIN"]
    wider = await client.get("/api/v1/reorder-list", params={"usage_days": 10}, headers=admin)
    assert {line["location"]: line["usage_days"] for line in wider.json()}["MAIN"] == 10
    unknown = await client.get("/api/v1/reorder-list", params={"location": "NOPE"}, headers=admin)
    assert_problem(unknown, 422, "unknown_location")

    as_csv = await client.get("/api/v1/reorder-list", headers={**admin, "Accept": "text/csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = as_csv.text.splitlines()
    assert rows[0].startswith("item_id,item_name,location,on_hand,on_order,reorder_point,par")
    assert rows[1].split(",")[:5] == [str(item), "Epinephrine", "MAIN", "20", "15"]
    assert len(rows) == 3


async def test_a_po_from_the_reorder_list_takes_the_suppliers_lines(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    item = (await _setup(client, admin))["item"]
    await _receive(client, admin, "MAIN", "GOOD", 300, 7)
    await client.put(
        "/api/v1/par-levels",
        json={"item": item, "location": "MAIN", "par": 50, "reorder_point": 20},
        headers=admin,
    )
    created = await client.post(
        "/api/v1/purchase-orders",
        json={"supplier": "CARD", "from_reorder_list": {"location": "MAIN"}},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    po = created.json()
    assert (po["status"], po["supplier"], po["location"]) == ("draft", "CARD", "MAIN")
    assert [(line["line"], line["item"]["id"], line["ordered"]) for line in po["lines"]] == [
        (1, item, 50)  # 43 missing, in packs of 10
    ]
    assert po["lines"][0]["supplier_item_code"] == "CAH-123"
    assert po["total_cost_cents"] == 50 * 250
    # Another supplier supplies nothing on this list.
    other = await client.post(
        "/api/v1/purchase-orders",
        json={"supplier": "MCK", "from_reorder_list": {"location": "MAIN"}},
        headers=admin,
    )
    assert other.json()["lines"] == []
    # A draft is not on order: the list is unchanged.
    (line,) = (await client.get("/api/v1/reorder-list", headers=admin)).json()
    assert line["on_order"] == 0
    neither = await client.post("/api/v1/purchase-orders", json={"supplier": "CARD"}, headers=admin)
    assert_problem(neither, 400, "validation_error")


async def test_a_purchase_order_through_its_lifecycle_with_events(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    item = (await _setup(client, admin))["item"]
    other = await make_item(
        client, admin, "Atropine", [{"kind": "internal", "value": "ATRO-1", "units": 1}]
    )
    created = await client.post(
        "/api/v1/purchase-orders",
        json={"supplier": "CARD", "location": "MAIN", "lines": [{"item": item, "ordered": 30}]},
        headers=admin,
    )
    number = created.json()["number"]
    assert number.startswith("PO-")
    edited = await client.patch(
        f"/api/v1/purchase-orders/{number}",
        json={"lines": [{"item": item, "ordered": 40}, {"item": other["id"], "ordered": 5}]},
        headers=admin,
    )
    assert edited.status_code == 200, edited.text
    assert [(x["line"], x["ordered"]) for x in edited.json()["lines"]] == [(1, 40), (2, 5)]
    dropped = await client.patch(
        f"/api/v1/purchase-orders/{number}",
        json={"lines": [{"item": other["id"], "ordered": 0}]},
        headers=admin,
    )
    assert [x["item"]["id"] for x in dropped.json()["lines"]] == [item]

    submitted = await client.post(f"/api/v1/purchase-orders/{number}/submit", headers=admin)
    assert (submitted.json()["status"], submitted.json()["submitted_at"] is not None) == (
        "submitted",
        True,
    )
    late_edit = await client.patch(
        f"/api/v1/purchase-orders/{number}", json={"lines": []}, headers=admin
    )
    assert_problem(late_edit, 409, "invalid_transition")
    acknowledged = await client.post(
        f"/api/v1/purchase-orders/{number}/acknowledge",
        json={"supplier_reference": "CAH-SO-77"},
        headers=await keys.header(Role.INTEGRATION),
    )
    body = acknowledged.json()
    assert (body["status"], body["supplier_reference"]) == ("acknowledged", "CAH-SO-77")
    assert [(x["confirmed"], x["backordered"], x["outstanding"]) for x in body["lines"]] == [
        (40, 0, 40)
    ]
    cancelled = await client.post(f"/api/v1/purchase-orders/{number}/cancel", headers=admin)
    assert cancelled.json()["status"] == "cancelled"

    listed = await client.get(
        "/api/v1/purchase-orders",
        params={"status": "cancelled", "supplier": "CARD", "location": "MAIN"},
        headers=admin,
    )
    assert [po["number"] for po in listed.json()] == [number]
    assert (
        await client.get("/api/v1/purchase-orders", params={"status": "draft"}, headers=admin)
    ).json() == []
    assert_problem(
        await client.get("/api/v1/purchase-orders/PO-999999", headers=admin), 404, "not_found"
    )
    events = (
        await client.get("/api/v1/events", params={"type": "purchase_order.*"}, headers=admin)
    ).json()
    assert [e["type"] for e in events] == [
        "purchase_order.submitted",
        "purchase_order.acknowledged",
        "purchase_order.cancelled",
    ]
    assert events[1]["data"]["purchase_order"]["number"] == number
    assert events[1]["actor"] == "test integration"


async def test_acknowledging_more_than_was_ordered_or_an_unknown_line_is_refused(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    item = (await _setup(client, admin))["item"]
    created = await client.post(
        "/api/v1/purchase-orders",
        json={"supplier": "CARD", "location": "MAIN", "lines": [{"item": item, "ordered": 30}]},
        headers=admin,
    )
    number = created.json()["number"]
    empty = await client.post(
        "/api/v1/purchase-orders",
        json={"supplier": "CARD", "location": "MAIN", "lines": []},
        headers=admin,
    )
    assert_problem(
        await client.post(
            f"/api/v1/purchase-orders/{empty.json()['number']}/submit", headers=admin
        ),
        409,
        "invalid_transition",
    )
    await client.post(f"/api/v1/purchase-orders/{number}/submit", headers=admin)
    for lines in ([{"line": 1, "confirmed": 25, "backordered": 6}], [{"line": 2, "confirmed": 1}]):
        refused = await client.post(
            f"/api/v1/purchase-orders/{number}/acknowledge",
            json={"supplier_reference": "X", "lines": lines},
            headers=admin,
        )
        assert_problem(refused, 400, "validation_error")
    still = await client.get(f"/api/v1/purchase-orders/{number}", headers=admin)
    assert still.json()["status"] == "submitted"


ALL_ACTIONS: dict[PoAction, tuple[str, str, dict[str, Any] | None]] = {
    PoAction.EDIT: ("PATCH", "", {"lines": []}),
    PoAction.SUBMIT: ("POST", "/submit", None),
    PoAction.ACKNOWLEDGE: ("POST", "/acknowledge", {"supplier_reference": "R"}),
    PoAction.CANCEL: ("POST", "/cancel", None),
}
ILLEGAL = [
    (status, action)
    for status in PurchaseOrderStatus
    for action in ALL_ACTIONS
    if status not in ALLOWED[action]
]


@pytest.mark.parametrize(
    ("status", "action"), ILLEGAL, ids=[f"{s.value}-{a.value}" for s, a in ILLEGAL]
)
async def test_every_illegal_transition_is_409_invalid_transition(
    client: Client,
    keys: Keys,
    engine: AsyncEngine,
    status: PurchaseOrderStatus,
    action: PoAction,
) -> None:
    admin = await keys.header(Role.ADMIN)
    item = (await _setup(client, admin))["item"]
    created = await client.post(
        "/api/v1/purchase-orders",
        json={"supplier": "CARD", "location": "MAIN", "lines": [{"item": item, "ordered": 30}]},
        headers=admin,
    )
    number = created.json()["number"]
    async with engine.begin() as conn:  # receipts (partially_received, received) come by scan
        await conn.execute(
            update(PurchaseOrder).where(PurchaseOrder.number == number).values(status=status.value)
        )
    method, suffix, body = ALL_ACTIONS[action]
    response = await client.request(
        method, f"/api/v1/purchase-orders/{number}{suffix}", json=body, headers=admin
    )
    problem = assert_problem(response, 409, "invalid_transition")
    assert problem["status"] == 409
    after = await client.get(f"/api/v1/purchase-orders/{number}", headers=admin)
    assert after.json()["status"] == status.value


async def test_a_pick_list_suggests_fefo_lots_from_the_source_in_bin_order(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    item = (await _setup(client, admin))["item"]
    await _receive(client, admin, "MAIN-B1", "EARLY", 20, 5)
    await _receive(client, admin, "MAIN", "LATE", 300, 30)
    await _receive(client, admin, "QUAR", "QQ", 100, 4)  # quarantined: never suggested
    await _receive(client, admin, "SAT-ICU", "LATE", 300, 2)
    await client.put(
        "/api/v1/par-levels",
        json={
            "item": item,
            "location": "SAT-ICU",
            "par": 50,
            "reorder_point": 5,
            "source": {"location": "MAIN"},
        },
        headers=admin,
    )
    created = await client.post(
        "/api/v1/pick-lists",
        json={"from_reorder_list": {"location": "SAT-ICU"}},
        headers=await keys.header(Role.SPECIALIST),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["location"], body["status"]) == ("SAT-ICU", "open")
    (line,) = body["lines"]
    assert (line["item"]["id"], line["source_location"]) == (item, "MAIN")
    assert (line["requested"], line["picked"], line["remaining"], line["short"]) == (48, 0, 48, 13)
    # Earliest expiry first (all of EARLY, then LATE), listed in walking order by bin.
    assert [(s["location"], s["lot"], s["quantity"]) for s in line["suggestions"]] == [
        ("MAIN", "LATE", 30),
        ("MAIN-B1", "EARLY", 5),
    ]
    again = await client.get(f"/api/v1/pick-lists/{body['id']}", headers=admin)
    assert again.json() == body
    sheet = await client.get(
        f"/api/v1/pick-lists/{body['id']}", headers={**admin, "Accept": "text/html"}
    )
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/html")
    page = sheet.text
    assert f"Pick list {body['id']}: refill SAT-ICU" in page
    # Walking order on paper too: the storeroom's own shelf, then bin B1; 13 short shown.
    assert page.index("<td>MAIN</td><td>LATE</td>") < page.index("<td>MAIN-B1</td><td>EARLY</td>")
    assert "(13 short)" in page
    assert_problem(await client.get("/api/v1/pick-lists/999", headers=admin), 404, "not_found")
    unknown = await client.post(
        "/api/v1/pick-lists", json={"from_reorder_list": {"location": "NOPE"}}, headers=admin
    )
    assert_problem(unknown, 422, "unknown_location")


async def test_receive_scans_naming_a_po_fill_its_lines_and_finish_it(
    client: Client, keys: Keys
) -> None:
    """Partial, then complete; an item not on the PO and an over-receipt are warnings on the
    scan and on the PO (stock is still booked); a draft PO and an unknown one refuse the
    scan unbooked."""
    admin = await keys.header(Role.ADMIN)
    item = (await _setup(client, admin))["item"]
    other = await make_item(
        client, admin, "Atropine", [{"kind": "gtin", "value": "00300000000018", "units": 1}]
    )
    created = await client.post(
        "/api/v1/purchase-orders",
        json={"supplier": "CARD", "location": "MAIN", "lines": [{"item": item, "ordered": 30}]},
        headers=admin,
    )
    number = created.json()["number"]
    code = gs1(EPINEPHRINE_GTIN, lot="PO1", expiry=TODAY + timedelta(days=300))

    draft = await scan(client, admin, code, "receive", "MAIN", quantity=5, purchase_order=number)
    assert_problem(draft, 409, "invalid_transition")
    unknown = await scan(
        client, admin, code, "receive", "MAIN", quantity=5, purchase_order="PO-999999"
    )
    assert_problem(unknown, 404, "not_found")
    assert (
        await client.get("/api/v1/stock", params={"location": "MAIN"}, headers=admin)
    ).json() == []

    assert (
        await client.post(f"/api/v1/purchase-orders/{number}/submit", headers=admin)
    ).status_code == 200
    first = await scan(client, admin, code, "receive", "MAIN", quantity=20, purchase_order=number)
    assert first.status_code == 201, first.text
    assert first.json()["warnings"] == []
    po = (await client.get(f"/api/v1/purchase-orders/{number}", headers=admin)).json()
    assert (po["status"], po["lines"][0]["received"], po["lines"][0]["outstanding"]) == (
        "partially_received",
        20,
        10,
    )
    stray = await scan(
        client,
        admin,
        gs1("00300000000018", lot="X1", expiry=TODAY + timedelta(days=300)),
        "receive",
        "MAIN",
        purchase_order=number,
    )
    assert stray.status_code == 201, stray.text
    assert [w["code"] for w in stray.json()["warnings"]] == ["not_on_order"]
    last = await scan(client, admin, code, "receive", "MAIN", quantity=12, purchase_order=number)
    assert last.status_code == 201, last.text
    assert [w["code"] for w in last.json()["warnings"]] == ["over_received"]
    po = (await client.get(f"/api/v1/purchase-orders/{number}", headers=admin)).json()
    assert (po["status"], po["lines"][0]["received"]) == ("received", 32)
    # The warnings are kept on the PO too, each naming its scan (GET /scans shows it).
    assert [(w["code"], w["scan"], w["item"]["id"]) for w in po["warnings"]] == [
        ("not_on_order", stray.json()["id"], other["id"]),
        ("over_received", last.json()["id"], item),
    ]
    assert po["warnings"][1]["detail"] == last.json()["warnings"][0]["detail"]
    assert all(datetime.fromisoformat(w["at"]) <= datetime.now(UTC) for w in po["warnings"])
    after = await scan(client, admin, code, "receive", "MAIN", purchase_order=number)
    assert_problem(after, 409, "invalid_transition")

    stock = (await client.get("/api/v1/stock", params={"location": "MAIN"}, headers=admin)).json()
    assert sorted((row["lot"], row["quantity"]) for row in stock) == [("PO1", 32), ("X1", 1)]
    events = (
        await client.get("/api/v1/events", params={"type": "purchase_order.*"}, headers=admin)
    ).json()
    assert [e["type"] for e in events] == [
        "purchase_order.submitted",
        "purchase_order.partially_received",
        "purchase_order.received",
    ]
    assert other["id"] != item


async def test_transfer_scans_naming_a_pick_list_fill_it_until_it_is_completed(
    client: Client, keys: Keys
) -> None:
    """The refill run: transfers from the source (a bin below it counts) to the list's
    location fill its line; one to elsewhere or of another item fills nothing and says so;
    the last pick completes the list (event), after which it takes no more."""
    admin = await keys.header(Role.ADMIN)
    item = (await _setup(client, admin))["item"]
    await _receive(client, admin, "MAIN-B1", "EARLY", 20, 10)
    await _receive(client, admin, "MAIN", "LATE", 300, 30)
    await make_location(client, admin, "SAT-OR", "satellite")
    await client.put(
        "/api/v1/par-levels",
        json={
            "item": item,
            "location": "SAT-ICU",
            "par": 12,
            "reorder_point": 5,
            "source": {"location": "MAIN"},
        },
        headers=admin,
    )
    specialist = await keys.header(Role.SPECIALIST)
    created = await client.post(
        "/api/v1/pick-lists",
        json={"from_reorder_list": {"location": "SAT-ICU"}},
        headers=specialist,
    )
    pick_list = created.json()["id"]
    assert created.json()["lines"][0]["requested"] == 12
    early = gs1(EPINEPHRINE_GTIN, lot="EARLY", expiry=TODAY + timedelta(days=20))
    late = gs1(EPINEPHRINE_GTIN, lot="LATE", expiry=TODAY + timedelta(days=300))

    first = await scan(
        client,
        specialist,
        early,
        "transfer",
        "MAIN-B1",
        to_location="SAT-ICU",
        quantity=10,
        pick_list=pick_list,
    )
    assert first.status_code == 201, first.text
    assert [w["code"] for w in first.json()["warnings"]] == ["expiring_soon"]  # the lot's
    elsewhere = await scan(
        client, specialist, late, "transfer", "MAIN", to_location="SAT-OR", pick_list=pick_list
    )
    assert [w["code"] for w in elsewhere.json()["warnings"]] == ["not_for_pick_list"]
    progress = (await client.get(f"/api/v1/pick-lists/{pick_list}", headers=admin)).json()
    assert (progress["status"], progress["lines"][0]["picked"]) == ("open", 10)

    last = await scan(
        client,
        specialist,
        late,
        "transfer",
        "MAIN",
        to_location="SAT-ICU",
        quantity=3,
        pick_list=pick_list,
    )
    assert last.status_code == 201, last.text
    assert [w["code"] for w in last.json()["warnings"]] == ["over_picked"]
    done = (await client.get(f"/api/v1/pick-lists/{pick_list}", headers=admin)).json()
    assert (done["status"], done["lines"][0]["picked"]) == ("completed", 12)
    assert done["completed_at"] is not None
    closed = await scan(
        client, specialist, late, "transfer", "MAIN", to_location="SAT-ICU", pick_list=pick_list
    )
    assert_problem(closed, 409, "invalid_transition")
    events = (
        await client.get("/api/v1/events", params={"type": "pick_list.*"}, headers=admin)
    ).json()
    assert [e["data"]["pick_list"]["id"] for e in events] == [pick_list]


async def test_returns_to_suppliers_are_listed_per_supplier_for_the_credit_claim(
    client: Client, keys: Keys
) -> None:
    """A lot received against MCK's purchase order goes back to MCK; a lot received without
    one, to the item's preferred supplier (CARD)."""
    admin = await keys.header(Role.ADMIN)
    item = (await _setup(client, admin))["item"]
    created = await client.post(
        "/api/v1/purchase-orders",
        json={"supplier": "MCK", "location": "MAIN", "lines": [{"item": item, "ordered": 10}]},
        headers=admin,
    )
    number = created.json()["number"]
    await client.post(f"/api/v1/purchase-orders/{number}/submit", headers=admin)
    from_mck = gs1(EPINEPHRINE_GTIN, lot="M1", expiry=TODAY + timedelta(days=200))
    received = await scan(
        client, admin, from_mck, "receive", "MAIN", quantity=10, purchase_order=number
    )
    assert received.status_code == 201, received.text
    await _receive(client, admin, "MAIN", "C1", 250, 5)
    from_card = gs1(EPINEPHRINE_GTIN, lot="C1", expiry=TODAY + timedelta(days=250))
    specialist = await keys.header(Role.SPECIALIST)
    for code, quantity, authorisation in ((from_mck, 4, "RA-M-1"), (from_card, 2, "RA-C-9")):
        sent = await scan(
            client,
            specialist,
            code,
            "return_to_supplier",
            "MAIN",
            quantity=quantity,
            reference=authorisation,
        )
        assert sent.status_code == 201, sent.text

    listed = (await client.get("/api/v1/supplier-returns", headers=admin)).json()
    assert [
        (r["supplier"], r["reference"], r["lot"], r["quantity"], r["from_location"]) for r in listed
    ] == [("MCK", "RA-M-1", "M1", 4, "MAIN"), ("CARD", "RA-C-9", "C1", 2, "MAIN")]
    only_card = (
        await client.get("/api/v1/supplier-returns", params={"supplier": "CARD"}, headers=admin)
    ).json()
    assert [r["lot"] for r in only_card] == ["C1"]
    after_first = (
        await client.get(
            "/api/v1/supplier-returns", params={"after": listed[0]["movement"]}, headers=admin
        )
    ).json()
    assert [r["lot"] for r in after_first] == ["C1"]
