"""Receive, issue, transfer, waste and return through POST /scans, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.db.models import Lot
from tests.conftest import Keys
from tests.helpers import (
    EPINEPHRINE_CARTON_GTIN,
    EPINEPHRINE_GTIN,
    gs1,
    make_item,
    make_location,
    on_hand,
    scan,
)

TODAY = datetime.now(UTC).date()
NEXT_YEAR = TODAY + timedelta(days=365)


async def _shelf_with_item(client: AsyncTestClient[Any], keys: Keys) -> dict[str, str]:
    admin = await keys.header()
    await make_item(client, admin)
    await make_location(client, admin, "MAIN", "storeroom")
    await make_location(client, admin, "MAIN-A1", "shelf", parent="MAIN")
    return admin


async def test_receiving_a_datamatrix_books_the_lot_with_its_expiry(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await _shelf_with_item(client, keys)
    response = await scan(
        client,
        admin,
        gs1(EPINEPHRINE_GTIN, lot="FA2311", expiry=NEXT_YEAR, serial="S1"),
        "receive",
        "MAIN-A1",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "applied"
    assert body["barcode"]["gtin"] == EPINEPHRINE_GTIN
    assert body["barcode"]["ndc"] == "0409-4921-34"
    assert body["barcode"]["lot"] == "FA2311"
    assert body["barcode"]["serial"] == "S1"
    assert body["item"]["name"] == "Epinephrine"
    assert body["movements"][0]["from_location"] == "@supplier"
    assert body["balances"] == [
        {"location": "MAIN-A1", "lot": "FA2311", "expiry": NEXT_YEAR.isoformat(), "quantity": 1}
    ]
    assert await on_hand(client, admin, "MAIN-A1") == {"FA2311": 1}


async def test_a_carton_gtin_counts_its_units(client: AsyncTestClient[Any], keys: Keys) -> None:
    admin = await _shelf_with_item(client, keys)
    response = await scan(
        client,
        admin,
        gs1(EPINEPHRINE_CARTON_GTIN, lot="C1", expiry=NEXT_YEAR),
        "receive",
        "MAIN-A1",
        quantity=2,
    )
    assert response.status_code == 201, response.text
    assert await on_hand(client, admin, "MAIN-A1") == {"C1": 20}


async def test_issue_without_lot_takes_the_earliest_expiry_first(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await _shelf_with_item(client, keys)
    later, sooner = TODAY + timedelta(days=400), TODAY + timedelta(days=90)
    await scan(
        client,
        admin,
        gs1(EPINEPHRINE_GTIN, lot="LATE", expiry=later),
        "receive",
        "MAIN-A1",
        quantity=3,
    )
    await scan(
        client,
        admin,
        gs1(EPINEPHRINE_GTIN, lot="SOON", expiry=sooner),
        "receive",
        "MAIN-A1",
        quantity=2,
    )
    response = await scan(client, admin, EPINEPHRINE_GTIN, "issue", "MAIN-A1", quantity=3)
    assert response.status_code == 201, response.text
    taken = {(m["lot"], m["quantity"]) for m in response.json()["movements"]}
    assert taken == {("SOON", 2), ("LATE", 1)}
    assert await on_hand(client, admin, "MAIN-A1") == {"LATE": 2}


async def test_an_expired_lot_cannot_be_received_and_changes_nothing(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await _shelf_with_item(client, keys)
    expired = TODAY - timedelta(days=1)
    response = await scan(
        client, admin, gs1(EPINEPHRINE_GTIN, lot="OLD", expiry=expired), "receive", "MAIN-A1"
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "expired_lot"
    assert await on_hand(client, admin, "MAIN-A1") == {}
    rejected = (
        await client.get("/api/v1/scans", params={"status": "rejected"}, headers=admin)
    ).json()
    assert [r["error_code"] for r in rejected] == ["expired_lot"]


async def test_issuing_more_than_on_hand_is_refused(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await _shelf_with_item(client, keys)
    await scan(
        client,
        admin,
        gs1(EPINEPHRINE_GTIN, lot="L1", expiry=NEXT_YEAR),
        "receive",
        "MAIN-A1",
        quantity=2,
    )
    response = await scan(
        client,
        admin,
        gs1(EPINEPHRINE_GTIN, lot="L1", expiry=NEXT_YEAR),
        "issue",
        "MAIN-A1",
        quantity=3,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_stock"
    assert await on_hand(client, admin, "MAIN-A1") == {"L1": 2}


async def test_transfer_moves_between_shelves_and_waste_takes_expired_stock(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await _shelf_with_item(client, keys)
    await make_location(client, admin, "SAT-ICU", "satellite")
    code = gs1(EPINEPHRINE_GTIN, lot="T1", expiry=NEXT_YEAR)
    await scan(client, admin, code, "receive", "MAIN-A1", quantity=5)
    response = await scan(
        client, admin, code, "transfer", "MAIN-A1", to_location="SAT-ICU", quantity=2
    )
    assert response.status_code == 201, response.text
    assert {b["location"]: b["quantity"] for b in response.json()["balances"]} == {
        "MAIN-A1": 3,
        "SAT-ICU": 2,
    }
    assert (await scan(client, admin, code, "waste", "SAT-ICU")).status_code == 201
    assert (await scan(client, admin, code, "issue", "SAT-ICU")).status_code == 201
    assert (await scan(client, admin, code, "return", "SAT-ICU")).status_code == 201
    assert await on_hand(client, admin, "SAT-ICU") == {"T1": 1}


async def test_rejections_name_their_cause(client: AsyncTestClient[Any], keys: Keys) -> None:
    admin = await _shelf_with_item(client, keys)
    unknown_gtin = "00312345678906"
    cases = [
        ("not a barcode", "receive", "MAIN-A1", "bad_barcode", 422),
        (gs1("00312345678905"), "receive", "MAIN-A1", "bad_barcode", 422),
        (gs1(unknown_gtin, lot="X", expiry=NEXT_YEAR), "receive", "MAIN-A1", "unknown_item", 422),
        (
            gs1(EPINEPHRINE_GTIN, lot="X", expiry=NEXT_YEAR),
            "receive",
            "NOWHERE",
            "unknown_location",
            422,
        ),
        ("LOC:MAIN-A1", "issue", "MAIN-A1", "bad_barcode", 422),
    ]
    for code, action, location, expected, status in cases:
        response = await scan(client, admin, code, action, location)
        assert response.status_code == status, (code, response.text)
        problem = response.json()
        assert problem["code"] == expected, (code, problem)
        assert {"type", "title", "status", "detail", "code"} <= problem.keys()
    transfer = await scan(
        client, admin, gs1(EPINEPHRINE_GTIN, lot="X", expiry=NEXT_YEAR), "transfer", "MAIN-A1"
    )
    assert transfer.json()["code"] == "validation_error"
    assert await on_hand(client, admin, "MAIN-A1") == {}
    movements = (await client.get("/api/v1/movements", headers=admin)).json()
    assert movements == []


async def test_lookup_reports_where_an_item_is(client: AsyncTestClient[Any], keys: Keys) -> None:
    admin = await _shelf_with_item(client, keys)
    await scan(
        client,
        admin,
        gs1(EPINEPHRINE_GTIN, lot="K1", expiry=NEXT_YEAR),
        "receive",
        "MAIN-A1",
        quantity=4,
    )
    response = await scan(client, admin, EPINEPHRINE_GTIN, "lookup", "MAIN-A1")
    assert response.status_code == 201
    assert response.json()["balances"][0]["quantity"] == 4
    assert response.json()["movements"] == []


def test_expiry_dates_used_here_are_in_the_future() -> None:
    assert NEXT_YEAR > TODAY > date(2020, 1, 1)


async def test_a_scan_refused_before_it_can_be_read_is_still_recorded(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await _shelf_with_item(client, keys)
    refused = [
        {"code": EPINEPHRINE_GTIN, "action": "receive", "location": "MAIN-A1", "quantity": 0},
        {"code": EPINEPHRINE_GTIN, "action": "juggle", "location": "MAIN-A1"},
        {"code": EPINEPHRINE_GTIN, "action": "issue"},
    ]
    for body in refused:
        response = await client.post(
            "/api/v1/scans", json=body, headers={**admin, "Idempotency-Key": str(uuid.uuid4())}
        )
        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"
    not_json = await client.post(
        "/api/v1/scans",
        content=b"{not json",
        headers={**admin, "content-type": "application/json", "Idempotency-Key": "nj-1"},
    )
    assert not_json.status_code == 400
    log = (await client.get("/api/v1/scans", params={"status": "rejected"}, headers=admin)).json()
    assert [(r["action"], r["error_code"]) for r in log] == [
        ("receive", "validation_error"),
        ("juggle", "validation_error"),
        ("issue", "validation_error"),
        ("", "validation_error"),
    ]
    assert log[0]["quantity"] == 0 and log[3]["code"] == "{not json"
    assert await on_hand(client, admin, "MAIN-A1") == {}


async def test_expired_and_recalled_stock_goes_back_to_the_supplier_with_its_authorisation(
    client: AsyncTestClient[Any], keys: Keys, engine: AsyncEngine
) -> None:
    """`return_to_supplier` (specialists and up) takes stock from a real location to
    `@supplier`, expired and recalled lots included (they may go nowhere else but waste and
    quarantine), FEFO without a lot on the barcode, and keeps the return authorisation."""
    admin = await _shelf_with_item(client, keys)
    stale = gs1(EPINEPHRINE_GTIN, lot="OLD", expiry=NEXT_YEAR)
    pulled = gs1(EPINEPHRINE_GTIN, lot="RCL", expiry=NEXT_YEAR + timedelta(days=30))
    for code in (stale, pulled):
        assert (
            await scan(client, admin, code, "receive", "MAIN-A1", quantity=4)
        ).status_code == 201
    async with engine.begin() as conn:
        await conn.execute(
            update(Lot).where(Lot.lot_number == "OLD").values(expiry=TODAY - timedelta(days=1))
        )
        await conn.execute(update(Lot).where(Lot.lot_number == "RCL").values(recalled=True))
    refused = await scan(client, admin, stale, "issue", "MAIN-A1")
    assert refused.status_code == 422 and refused.json()["code"] == "expired_lot"

    scanner = await keys.header("scanner")
    forbidden = await scan(client, scanner, stale, "return_to_supplier", "MAIN-A1")
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"

    specialist = await keys.header("specialist")
    sent = await scan(
        client,
        specialist,
        EPINEPHRINE_GTIN,  # no lot: FEFO, the expired lot first, then the recalled one
        "return_to_supplier",
        "MAIN-A1",
        quantity=6,
        reference="RA-2026-0042",
    )
    assert sent.status_code == 201, sent.text
    assert [(m["lot"], m["to_location"], m["quantity"]) for m in sent.json()["movements"]] == [
        ("OLD", "@supplier", 4),
        ("RCL", "@supplier", 2),
    ]
    assert await on_hand(client, admin, "MAIN-A1") == {"RCL": 2}
    movements = (
        await client.get("/api/v1/movements", params={"location": "MAIN-A1"}, headers=admin)
    ).json()
    returned = [m for m in movements if m["kind"] == "return_to_supplier"]
    assert len(returned) == 2
    async with engine.connect() as conn:
        references = await conn.execute(
            text("SELECT DISTINCT reference FROM movements WHERE kind = 'return_to_supplier'")
        )
        assert references.scalars().all() == ["RA-2026-0042"]
