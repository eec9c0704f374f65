"""Shipment notices (ASN) through the API, and receiving scans checked against them, on both
databases: every warning path (lot not shipped, expiry conflict, over shipment, duplicate
SSCC), a clean receipt without any, roles and hostile notices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from inventory_svc.domain import limits
from inventory_svc.domain.roles import Role
from tests.api.purchasing_setup import (
    ATROPINE_GTIN,
    SSCC_1,
    SSCC_2,
    TODAY,
    Client,
    case_label,
    purchase_order,
)
from tests.conftest import Keys
from tests.helpers import EPINEPHRINE_GTIN, assert_problem, gs1, scan

EXPIRY = TODAY + timedelta(days=400)


def _line(**given: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "gtin": EPINEPHRINE_GTIN,
        "lot": "A1",
        "expiry": EXPIRY.isoformat(),
        "quantity": 60,
    }
    return {**line, **given}


async def _ship(
    client: Client, headers: dict[str, str], number: str, lines: list[dict[str, Any]], **extra: Any
) -> Any:
    return await client.post(
        f"/api/v1/purchase-orders/{number}/shipments",
        json={"lines": lines, **extra},
        headers=headers,
    )


def _codes(response: Any) -> list[str]:
    assert response.status_code == 201, response.text
    return [warning["code"] for warning in response.json()["warnings"]]


async def test_a_notice_is_kept_listed_and_warns_of_gtins_not_on_the_order(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    po = await purchase_order(client, admin)
    number = po["number"]
    integration = await keys.header(Role.INTEGRATION)
    posted = await _ship(
        client,
        integration,
        number,
        [
            _line(serials=["S1", "S2"], sscc=SSCC_1),
            _line(gtin=ATROPINE_GTIN, lot="X9", quantity=5),
            _line(gtin="00312345678906", lot="Z1", quantity=1),
        ],
        reference="ASN-77",
    )
    assert posted.status_code == 201, posted.text
    body = posted.json()
    assert (body["purchase_order"], body["reference"]) == (number, "ASN-77")
    assert body["created_by"] == "test integration"
    first, atropine, unknown = body["lines"]
    assert (first["item"]["id"], first["lot"], first["expiry"], first["quantity"]) == (
        po["epinephrine"],
        "A1",
        EXPIRY.isoformat(),
        60,
    )
    assert (first["serials"], first["sscc"]) == (["S1", "S2"], SSCC_1)
    assert atropine["item"]["id"] == po["atropine"]
    assert unknown["item"] is None and unknown["gtin"] == "00312345678906"
    # Not refused: the truck comes anyway; the lines not on the order are warnings, kept on
    # the PO for the buyer.
    assert [w["code"] for w in body["warnings"]] == ["not_on_order", "not_on_order"]
    assert "line 2" in body["warnings"][0]["detail"].lower()
    order = (await client.get(f"/api/v1/purchase-orders/{number}", headers=admin)).json()
    assert [(w["code"], w["item"]) for w in order["warnings"]] == [
        ("not_on_order", {"id": po["atropine"], "name": "Atropine"}),
        ("not_on_order", None),
    ]

    listed = await client.get(f"/api/v1/purchase-orders/{number}/shipments", headers=admin)
    assert listed.status_code == 200, listed.text
    assert [s["id"] for s in listed.json()] == [body["id"]]
    assert listed.json()[0]["lines"] == body["lines"]
    page = await client.get(
        f"/api/v1/purchase-orders/{number}/shipments", params={"after": body["id"]}, headers=admin
    )
    assert page.json() == []
    missing = await client.get("/api/v1/purchase-orders/PO-999999/shipments", headers=admin)
    assert_problem(missing, 404, "not_found")


async def test_only_a_po_that_may_still_be_received_takes_a_notice(
    client: Client, keys: Keys
) -> None:
    """Draft, cancelled and received POs refuse a notice (409 invalid_transition); an
    unknown PO is 404; nothing is kept."""
    admin = await keys.header(Role.ADMIN)
    po = await purchase_order(client, admin, ordered=10, submit=False)
    number = po["number"]
    assert_problem(await _ship(client, admin, number, [_line()]), 409, "invalid_transition")
    assert_problem(await _ship(client, admin, "PO-999999", [_line()]), 404, "not_found")
    await client.post(f"/api/v1/purchase-orders/{number}/submit", headers=admin)
    received = await scan(
        client,
        admin,
        gs1(EPINEPHRINE_GTIN, lot="A1", expiry=EXPIRY),
        "receive",
        "MAIN",
        quantity=10,
        purchase_order=number,
    )
    assert received.status_code == 201, received.text
    assert_problem(await _ship(client, admin, number, [_line()]), 409, "invalid_transition")
    other = await client.post(
        "/api/v1/purchase-orders",
        json={"supplier": "CARD", "location": "MAIN", "lines": [{"item": 1, "ordered": 5}]},
        headers=admin,
    )
    cancelled = other.json()["number"]
    await client.post(f"/api/v1/purchase-orders/{cancelled}/cancel", headers=admin)
    assert_problem(await _ship(client, admin, cancelled, [_line()]), 409, "invalid_transition")
    for each in (number, cancelled):
        listed = await client.get(f"/api/v1/purchase-orders/{each}/shipments", headers=admin)
        assert listed.json() == []


async def test_receipts_are_checked_against_the_shipment_notice(client: Client, keys: Keys) -> None:
    """A1 (60, one case SSCC_1) and B2 (20) shipped. Receiving: A1 as shipped is clean; a
    lot not shipped, A1 with another expiry, more A1 than shipped and the same case label
    twice each warn, on the scan and on the PO. Every unit is booked all the same."""
    admin = await keys.header(Role.ADMIN)
    po = await purchase_order(client, admin, ordered=200)
    number = po["number"]
    posted = await _ship(
        client,
        await keys.header(Role.INTEGRATION),
        number,
        [_line(sscc=SSCC_1), _line(lot="B2", quantity=20)],
    )
    assert posted.status_code == 201, posted.text
    scanner = await keys.header(Role.SCANNER)

    async def receive(code: str, quantity: int = 1) -> Any:
        return await scan(
            client, scanner, code, "receive", "MAIN", quantity=quantity, purchase_order=number
        )

    clean = await receive(case_label(EPINEPHRINE_GTIN, 30, SSCC_1, lot="A1", expiry=EXPIRY))
    assert _codes(clean) == []
    assert clean.json()["movements"][0]["quantity"] == 30
    assert _codes(await receive(gs1(EPINEPHRINE_GTIN, lot="A1", expiry=EXPIRY), 30)) == []

    stray = await receive(gs1(EPINEPHRINE_GTIN, lot="C3", expiry=EXPIRY), 2)
    assert _codes(stray) == ["lot_not_shipped"]
    other_expiry = EXPIRY + timedelta(days=31)
    conflict = await receive(gs1(EPINEPHRINE_GTIN, lot="B2", expiry=other_expiry), 5)
    assert _codes(conflict) == ["expiry_conflict"]
    assert EXPIRY.isoformat() in conflict.json()["warnings"][0]["detail"]
    over = await receive(gs1(EPINEPHRINE_GTIN, lot="A1", expiry=EXPIRY), 1)
    assert _codes(over) == ["over_shipment"]
    assert "61 units received, 60 shipped" in over.json()["warnings"][0]["detail"]
    twice = await receive(case_label(EPINEPHRINE_GTIN, 1, SSCC_1, lot="B2", expiry=EXPIRY))
    assert _codes(twice) == ["duplicate_sscc"]
    fresh_case = await receive(case_label(EPINEPHRINE_GTIN, 1, SSCC_2, lot="B2", expiry=EXPIRY))
    assert _codes(fresh_case) == []

    order = (await client.get(f"/api/v1/purchase-orders/{number}", headers=admin)).json()
    assert [(w["code"], w["scan"]) for w in order["warnings"]] == [
        ("lot_not_shipped", stray.json()["id"]),
        ("expiry_conflict", conflict.json()["id"]),
        ("over_shipment", over.json()["id"]),
        ("duplicate_sscc", twice.json()["id"]),
    ]
    assert order["lines"][0]["received"] == 30 + 30 + 2 + 5 + 1 + 1 + 1
    stock = (await client.get("/api/v1/stock", params={"location": "MAIN"}, headers=admin)).json()
    # B2 with the conflicting expiry is a lot of its own: the shipped expiry is not changed.
    assert sorted((row["lot"], row["expiry"], row["quantity"]) for row in stock) == [
        ("A1", EXPIRY.isoformat(), 61),
        ("B2", EXPIRY.isoformat(), 2),
        ("B2", other_expiry.isoformat(), 5),
        ("C3", EXPIRY.isoformat(), 2),
    ]


async def test_a_known_lot_received_with_another_expiry_warns_and_stays_apart(
    client: Client, keys: Keys
) -> None:
    """Without a notice, the lot's stored expiry is what the receipt is checked with: the
    new expiry makes a lot of its own (never overwritten) and an `expiry_conflict`."""
    admin = await keys.header(Role.ADMIN)
    po = await purchase_order(client, admin)
    number = po["number"]
    first = await scan(
        client, admin, gs1(EPINEPHRINE_GTIN, lot="K1", expiry=EXPIRY), "receive", "MAIN"
    )
    assert first.status_code == 201, first.text
    later = EXPIRY + timedelta(days=90)
    again = await scan(
        client,
        admin,
        gs1(EPINEPHRINE_GTIN, lot="K1", expiry=later),
        "receive",
        "MAIN",
        purchase_order=number,
    )
    assert _codes(again) == ["expiry_conflict"]
    stock = (await client.get("/api/v1/stock", params={"location": "MAIN"}, headers=admin)).json()
    assert sorted((row["lot"], row["expiry"]) for row in stock) == [
        ("K1", EXPIRY.isoformat()),
        ("K1", later.isoformat()),
    ]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.SCANNER, False),
        (Role.SPECIALIST, False),
        (Role.MANAGER, True),
        (Role.INTEGRATION, True),
        (Role.ADMIN, True),
    ],
)
async def test_who_may_post_a_notice(client: Client, keys: Keys, role: Role, allowed: bool) -> None:
    admin = await keys.header(Role.ADMIN)
    number = (await purchase_order(client, admin))["number"]
    headers = await keys.header(role)
    posted = await _ship(client, headers, number, [_line()])
    if allowed:
        assert posted.status_code == 201, posted.text
    else:
        assert_problem(posted, 403, "forbidden")
    listed = await client.get(f"/api/v1/purchase-orders/{number}/shipments", headers=headers)
    assert listed.status_code == 200 and len(listed.json()) == int(allowed)
    no_key = await client.post(
        f"/api/v1/purchase-orders/{number}/shipments", json={"lines": [_line()]}
    )
    assert_problem(no_key, 401, "unauthorized")


@pytest.mark.parametrize(
    ("lines", "status", "code"),
    [
        ([], 400, "validation_error"),
        ([_line(gtin="00304094921342")], 422, "bad_barcode"),  # check digit off by one
        ([_line(gtin="0030409492134")], 422, "bad_barcode"),
        ([_line(gtin="00000000000000")], 422, "bad_barcode"),
        ([_line(gtin="٠٠٣٠٤٠٩٤٩٢١٣٤٦")], 400, "validation_error"),  # Arabic-Indic digits
        ([_line(gtin="0030409492134x")], 400, "validation_error"),
        ([_line(sscc="106141411234567890")], 422, "bad_barcode"),
        ([_line(sscc="10614141123456789")], 400, "validation_error"),
        ([_line(lot="L" * (limits.LOT_NUMBER.max_length + 1))], 400, "validation_error"),
        ([_line(lot="A\x00B")], 400, "validation_error"),
        ([_line(lot="A\u200fB\x1d")], 400, "validation_error"),
        ([_line(quantity=0)], 400, "validation_error"),
        ([_line(quantity=-1)], 400, "validation_error"),
        ([_line(quantity=limits.SHIPPED_QUANTITY.le + 1)], 400, "validation_error"),
        ([_line(quantity=2**63)], 400, "validation_error"),
        ([_line(quantity=1.5)], 400, "validation_error"),
        ([_line(expiry="10000-01-01")], 400, "validation_error"),
        ([_line(expiry="2031-02-30")], 400, "validation_error"),
        ([_line(expiry="31/01/2031")], 400, "validation_error"),
        ([_line(serials=["S1", "S2"], quantity=1)], 400, "validation_error"),
        ([_line(serials=["S1", "S1"])], 400, "validation_error"),
        ([_line(serials=["S" * 21])], 400, "validation_error"),
        ([_line(serials=["\x00"])], 400, "validation_error"),
        ([_line(color="red")], 400, "validation_error"),
        ([_line()] * (limits.MAX_SHIPMENT_LINES + 1), 400, "validation_error"),
    ],
)
async def test_hostile_notices_are_refused_cleanly(
    client: Client, keys: Keys, lines: list[dict[str, Any]], status: int, code: str
) -> None:
    admin = await keys.header(Role.ADMIN)
    number = (await purchase_order(client, admin))["number"]
    assert_problem(await _ship(client, admin, number, lines), status, code)
    listed = await client.get(f"/api/v1/purchase-orders/{number}/shipments", headers=admin)
    assert listed.json() == []


async def test_extreme_but_valid_notices_are_kept_exactly(client: Client, keys: Keys) -> None:
    """Year 1 and year 9999 expiries, the largest quantity, the most lines, a lot of 20
    characters in unicode, a reference of 200: stored and read back unchanged."""
    admin = await keys.header(Role.ADMIN)
    number = (await purchase_order(client, admin))["number"]
    lines = [
        _line(expiry="0001-01-01", lot="é" * limits.LOT_NUMBER.max_length),
        _line(expiry="9999-12-31", quantity=limits.SHIPPED_QUANTITY.le, lot=""),
        _line(expiry=None, lot="NOEXP"),
    ] + [_line(lot=f"L{n}", quantity=1) for n in range(limits.MAX_SHIPMENT_LINES - 3)]
    reference = "R" * limits.SHIPMENT_REFERENCE.max_length
    posted = await _ship(client, admin, number, lines, reference=reference)
    assert posted.status_code == 201, posted.text
    stored = (
        await client.get(f"/api/v1/purchase-orders/{number}/shipments", headers=admin)
    ).json()[0]
    assert stored["reference"] == reference
    assert len(stored["lines"]) == limits.MAX_SHIPMENT_LINES
    assert [(line["lot"], line["expiry"], line["quantity"]) for line in stored["lines"][:3]] == [
        ("é" * limits.LOT_NUMBER.max_length, "0001-01-01", 60),
        ("", "9999-12-31", limits.SHIPPED_QUANTITY.le),
        ("NOEXP", None, 60),
    ]
    too_long = await _ship(client, admin, number, [_line()], reference=reference + "R")
    assert_problem(too_long, 400, "validation_error")
