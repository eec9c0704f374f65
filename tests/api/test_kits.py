"""Kits through the API on both databases: templates and versions, restock by scans, seals,
overrides, opening, checks, the charge sheet, the restock plan and labels."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import PIL.Image
import pytest
import zxingcpp
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.db.models import Lot
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
EPI_OTHER_GTIN = gtin_from_ndc("76329-3316-01")
ATROPINE_GTIN = gtin_from_ndc("0517-0401-25")


def epi(lot: str, days: int, gtin: str = EPINEPHRINE_GTIN) -> str:
    return gs1(gtin, lot=lot, expiry=TODAY + timedelta(days=days))


def amio(lot: str, days: int) -> str:
    return gs1(AMIODARONE_GTIN, lot=lot, expiry=TODAY + timedelta(days=days))


async def _setup(client: Client, admin: dict[str, str]) -> dict[str, int]:
    """Epinephrine from two makers (interchangeable in one slot), amiodarone, atropine (in
    no template); a pharmacy shelf stocked with good and short-dated lots; a crash-cart
    template and one cart at the ICU."""
    epinephrine = await make_item(client, admin)
    other = await make_item(
        client, admin, "Epinephrine (other maker)", [{"kind": "gtin", "value": EPI_OTHER_GTIN}]
    )
    amiodarone = await make_item(
        client, admin, "Amiodarone", [{"kind": "gtin", "value": AMIODARONE_GTIN}]
    )
    atropine = await make_item(
        client, admin, "Atropine", [{"kind": "gtin", "value": ATROPINE_GTIN}]
    )
    await make_location(client, admin, "MAIN", "storeroom")
    await make_location(client, admin, "PHARM", "shelf", parent="MAIN")
    await make_location(client, admin, "QUAR", "quarantine", parent="MAIN")
    await make_location(client, admin, "ICU", "satellite")
    for code, quantity in (
        (epi("E1", 400), 10),
        (epi("SHORT", 10), 5),
        (epi("O1", 300, EPI_OTHER_GTIN), 4),
        (amio("A1", 500), 5),
        (gs1(ATROPINE_GTIN, lot="T1", expiry=TODAY + timedelta(days=400)), 3),
    ):
        response = await scan(client, admin, code, "receive", "PHARM", quantity=quantity)
        assert response.status_code == 201, response.text
    template = await client.post(
        "/api/v1/kit-templates",
        json={
            "code": "ADULT-CART",
            "name": "Adult crash cart",
            "kind": "crash_cart",
            "lines": [
                {
                    "slot": "Drawer 1: Epinephrine 1 mg",
                    "items": [epinephrine["id"], EPI_OTHER_GTIN],
                    "quantity": 4,
                    "min_days_to_expiry": 30,
                },
                {
                    "slot": "Drawer 1: Amiodarone 150 mg",
                    "items": [amiodarone["id"]],
                    "quantity": 2,
                    "min_days_to_expiry": 60,
                },
            ],
        },
        headers=admin,
    )
    assert template.status_code == 201, template.text
    assert template.json()["lines"][0]["items"] == [epinephrine["id"], other["id"]]
    kit = await client.post(
        "/api/v1/kits",
        json={"code": "CART-1", "template": "ADULT-CART", "home_location": "ICU"},
        headers=admin,
    )
    assert kit.status_code == 201, kit.text
    assert kit.json()["status"] == "unsealed" and kit.json()["ready"] is False
    return {
        "epinephrine": epinephrine["id"],
        "other": other["id"],
        "amiodarone": amiodarone["id"],
        "atropine": atropine["id"],
    }


async def restock(
    client: Client, headers: dict[str, str], code: str, quantity: int = 1, **extra: Any
) -> Any:
    return await scan(
        client, headers, code, "restock", "PHARM", to_location="CART-1", quantity=quantity, **extra
    )


async def _fill(client: Client, headers: dict[str, str]) -> None:
    for code, quantity in (
        (epi("E1", 400), 3),
        (epi("O1", 300, EPI_OTHER_GTIN), 1),
        (amio("A1", 500), 2),
    ):
        response = await restock(client, headers, code, quantity)
        assert response.status_code == 201, response.text


async def _kit(client: Client, headers: dict[str, str], code: str = "CART-1") -> dict[str, Any]:
    response = await client.get(f"/api/v1/kits/{code}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_scanner_restocks_and_seals_a_cart_with_scans_alone(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    scanner = await keys.header(Role.SCANNER)

    first = await restock(client, scanner, epi("E1", 400), 3)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["kit"]["code"] == "CART-1" and body["kit"]["status"] == "restocking"
    assert body["kit"]["short"] == [
        {"slot": "Drawer 1: Epinephrine 1 mg", "missing": 1, "to_pull": 0},
        {"slot": "Drawer 1: Amiodarone 150 mg", "missing": 2, "to_pull": 0},
    ]
    session_id = body["kit"]["restock_session"]
    assert isinstance(session_id, int)
    assert body["movements"][0]["kind"] == "restock"

    # the other maker's epinephrine fills the same slot; amiodarone its own
    other = await restock(client, scanner, epi("O1", 300, EPI_OTHER_GTIN))
    assert other.status_code == 201, other.text
    assert other.json()["kit"]["restock_session"] == session_id
    done = await restock(client, scanner, amio("A1", 500), 2)
    assert done.json()["kit"]["short"] == []

    sealed = await scan(client, scanner, "SEAL-0042", "seal", "CART-1")
    assert sealed.status_code == 201, sealed.text
    assert sealed.json()["item"] is None
    assert sealed.json()["barcode"]["kind"] == "seal"
    assert sealed.json()["kit"]["status"] == "ready" and sealed.json()["kit"]["ready"] is True

    kit = await _kit(client, admin)
    assert kit["status"] == "ready" and kit["ready"] is True
    assert kit["seal_number"] == "SEAL-0042"
    assert kit["expiry"] == (TODAY + timedelta(days=300)).isoformat()  # the other maker's lot
    epi_slot = kit["slots"][0]
    assert (epi_slot["required"], epi_slot["present"], epi_slot["missing"]) == (4, 4, 0)
    assert await on_hand(client, admin, "PHARM") == {"E1": 7, "SHORT": 5, "O1": 3, "A1": 3, "T1": 3}

    session = (await client.get(f"/api/v1/restock-sessions/{session_id}", headers=admin)).json()
    assert session["status"] == "completed" and session["seal_number"] == "SEAL-0042"
    assert sum(line["quantity"] for line in session["moved_in"]) == 6
    assert session["moved_out"] == []

    events = (await client.get("/api/v1/events", params={"type": "kit.*"}, headers=admin)).json()
    assert [e["type"] for e in events] == ["kit.restocked"]
    assert events[0]["data"]["override"] is False


async def test_restock_scans_are_refused_in_the_contract_order_and_change_no_stock(
    client: Client, keys: Keys, engine: AsyncEngine
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    before = await on_hand(client, admin, "PHARM")

    # shelf life: 10 days left, the slot needs 30
    problem = assert_problem(
        await restock(client, admin, epi("SHORT", 10)), 422, "below_min_shelf_life"
    )
    assert problem["slot"] == "Drawer 1: Epinephrine 1 mg"
    # an item no slot takes
    atropine = gs1(ATROPINE_GTIN, lot="T1", expiry=TODAY + timedelta(days=400))
    assert_problem(await restock(client, admin, atropine), 422, "not_in_template")
    # a recalled lot, before anything about the template
    async with engine.begin() as conn:
        await conn.execute(update(Lot).where(Lot.lot_number == "A1").values(recalled=True))
    assert_problem(await restock(client, admin, amio("A1", 500)), 422, "recalled_lot")
    # the slot's capacity, exactly
    assert (await restock(client, admin, epi("E1", 400), 3)).status_code == 201
    full = assert_problem(await restock(client, admin, epi("E1", 400), 2), 409, "slot_full")
    assert (full["required"], full["present"]) == (4, 3)
    # stock: a lot the shelf does not hold
    assert_problem(await restock(client, admin, epi("NOPE", 400)), 409, "insufficient_stock")
    # a transfer, receive or return into a kit, or a transfer out of it
    assert_problem(
        await scan(client, admin, epi("E1", 400), "transfer", "PHARM", to_location="CART-1"),
        422,
        "invalid_movement",
    )
    assert_problem(
        await scan(client, admin, epi("E9", 400), "receive", "CART-1"), 422, "invalid_movement"
    )
    assert_problem(
        await scan(client, admin, epi("E1", 400), "transfer", "CART-1", to_location="PHARM"),
        422,
        "invalid_movement",
    )
    after = await on_hand(client, admin, "PHARM")
    assert after == {**before, "E1": before["E1"] - 3}
    assert await on_hand(client, admin, "CART-1") == {"E1": 3}


async def test_fefo_restock_skips_lots_under_the_minimum_shelf_life(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    # no lot on the barcode: earliest expiry first among lots that meet the slot's 30 days
    response = await restock(client, admin, EPINEPHRINE_GTIN, 2)
    assert response.status_code == 201, response.text
    assert [(m["lot"], m["quantity"]) for m in response.json()["movements"]] == [("E1", 2)]


async def test_a_short_kit_is_sealed_only_by_a_manager_with_a_reason(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    specialist = await keys.header(Role.SPECIALIST)
    manager = await keys.header(Role.MANAGER)
    started = await client.post(
        "/api/v1/kits/CART-1/restock", json={"source_location": "PHARM"}, headers=specialist
    )
    assert started.status_code == 200, started.text
    session_id = started.json()["id"]
    again = await client.post(
        "/api/v1/kits/CART-1/restock", json={"source_location": "PHARM"}, headers=specialist
    )
    assert again.json()["id"] == session_id  # starting twice is not an error
    assert (await restock(client, specialist, epi("E1", 400), 4)).status_code == 201

    complete = f"/api/v1/restock-sessions/{session_id}/complete"
    short = assert_problem(
        await client.post(complete, json={"seal_number": "S-1"}, headers=specialist),
        409,
        "kit_incomplete",
    )
    assert short["slots"] == [
        {
            "slot": "Drawer 1: Amiodarone 150 mg",
            "required": 2,
            "present": 0,
            "missing": 2,
            "expired": 0,
            "short_dated": 0,
        }
    ]
    # a scanner's seal cannot override either
    assert_problem(await scan(client, specialist, "S-1", "seal", "CART-1"), 409, "kit_incomplete")
    assert_problem(
        await client.post(
            complete,
            json={"seal_number": "S-1", "override_reason": "code blue"},
            headers=specialist,
        ),
        403,
        "forbidden",
    )
    overridden = await client.post(
        complete,
        json={"seal_number": "S-1", "override_reason": "amiodarone on backorder"},
        headers=manager,
    )
    assert overridden.status_code == 200, overridden.text
    assert overridden.json()["override_reason"] == "amiodarone on backorder"
    assert overridden.json()["override_by"]
    kit = await _kit(client, admin)
    assert kit["status"] == "ready" and kit["ready"] is False  # sealed, but not complete
    types = [
        e["type"]
        for e in (
            await client.get("/api/v1/events", params={"type": "kit.*"}, headers=admin)
        ).json()
    ]
    assert types == ["kit.restocked", "kit.override"]
    # a completed session takes no more scans, nor a second completion
    assert_problem(
        await restock(client, specialist, amio("A1", 500), 1, restock_session=session_id),
        409,
        "session_closed",
    )
    assert_problem(
        await client.post(complete, json={"seal_number": "S-2"}, headers=manager),
        409,
        "session_closed",
    )


async def test_a_code_blue_opens_the_cart_and_the_charge_sheet_lists_what_was_used(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    await _fill(client, admin)
    assert (await scan(client, admin, "SEAL-1", "seal", "CART-1")).status_code == 201

    opened = await client.post(
        "/api/v1/kits/CART-1/open",
        json={"reason": "code blue", "seal_number": "SEAL-1", "reference": "CB-2026-117"},
        headers=admin,
    )
    assert opened.status_code == 200, opened.text
    assert opened.json()["status"] == "open" and opened.json()["ready"] is False
    assert_problem(
        await client.post("/api/v1/kits/CART-1/open", headers=admin), 409, "invalid_transition"
    )
    issued = await scan(client, admin, epi("E1", 400), "issue", "CART-1", quantity=2)
    assert issued.status_code == 201, issued.text
    usage = (await client.get("/api/v1/kits/CART-1/usage", headers=admin)).json()
    assert [(t["item_name"], t["quantity"]) for t in usage["totals"]] == [("Epinephrine", 2)]
    assert usage["lines"][0]["reference"] == "CB-2026-117"
    assert usage["openings"][0]["reference"] == "CB-2026-117"
    kit = await _kit(client, admin)
    assert kit["slots"][0]["missing"] == 2


async def test_an_issue_from_a_sealed_kit_breaks_its_seal(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    await _fill(client, admin)
    assert (await scan(client, admin, "SEAL-7", "seal", "CART-1")).status_code == 201
    scanner = await keys.header(Role.SCANNER)
    assert (await scan(client, scanner, amio("A1", 500), "issue", "CART-1")).status_code == 201
    kit = await _kit(client, admin)
    assert kit["status"] == "open" and kit["seal_number"] is None
    events = (
        await client.get("/api/v1/events", params={"type": "kit.opened"}, headers=admin)
    ).json()
    assert len(events) == 1 and events[0]["data"]["recorded_seal"] == "SEAL-7"


async def test_checks_flag_a_kit_whose_seal_is_not_the_recorded_one(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    await _fill(client, admin)
    assert (await scan(client, admin, "SEAL-9", "seal", "CART-1")).status_code == 201
    ok = await client.post(
        "/api/v1/kits/CART-1/checks", json={"seal_number": "SEAL-9", "intact": True}, headers=admin
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["flagged"] is False and ok.json()["kit_status"] == "ready"
    bad = await client.post(
        "/api/v1/kits/CART-1/checks", json={"seal_number": "SEAL-8", "intact": True}, headers=admin
    )
    assert bad.json()["flagged"] is True and bad.json()["kit_status"] == "quarantined"
    kit = await _kit(client, admin)
    assert kit["status"] == "quarantined" and kit["ready"] is False
    assert "SEAL-8" in kit["flag_reason"]
    flagged = (
        await client.get("/api/v1/events", params={"type": "kit.flagged"}, headers=admin)
    ).json()
    assert len(flagged) == 1
    board = (
        await client.get("/api/v1/kits", params={"status": "quarantined"}, headers=admin)
    ).json()
    assert [row["code"] for row in board] == ["CART-1"]


async def test_remove_and_waste_pull_stock_out_of_a_kit(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    await _fill(client, admin)
    # remove goes back to the session's source unless told otherwise
    removed = await scan(client, admin, amio("A1", 500), "remove", "CART-1")
    assert removed.status_code == 201, removed.text
    assert removed.json()["movements"][0]["to_location"] == "PHARM"
    assert removed.json()["kit"]["short"] == [
        {"slot": "Drawer 1: Amiodarone 150 mg", "missing": 1, "to_pull": 0}
    ]
    to_quarantine = await scan(
        client, admin, epi("E1", 400), "remove", "CART-1", to_location="QUAR"
    )
    assert to_quarantine.status_code == 201, to_quarantine.text
    assert await on_hand(client, admin, "CART-1") == {"E1": 2, "O1": 1, "A1": 1}


async def test_template_versions_bind_at_the_next_restock(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    ids = await _setup(client, admin)
    await _fill(client, admin)
    assert (await scan(client, admin, "SEAL-1", "seal", "CART-1")).status_code == 201
    v2 = await client.post(
        "/api/v1/kit-templates",
        json={
            "code": "ADULT-CART",
            "name": "Adult crash cart",
            "kind": "crash_cart",
            "lines": [
                {
                    "slot": "Drawer 1: Epinephrine 1 mg",
                    "items": [ids["epinephrine"]],
                    "quantity": 4,
                    "min_days_to_expiry": 30,
                },
                {"slot": "Drawer 2: Atropine", "items": [ids["atropine"]], "quantity": 1},
            ],
        },
        headers=admin,
    )
    assert v2.status_code == 201, v2.text
    assert v2.json()["version"] == 2
    kit = await _kit(client, admin)
    assert kit["template_version"] == 1 and kit["ready"] is True  # until its next restock
    started = await client.post(
        "/api/v1/kits/CART-1/restock", json={"source_location": "PHARM"}, headers=admin
    )
    session_id = started.json()["id"]
    kit = await _kit(client, admin)
    assert kit["template_version"] == 2 and kit["status"] == "restocking"
    # amiodarone and the other maker's epinephrine are no slot's now: out before sealing
    assert {lot["item_name"] for lot in kit["off_template"]} == {
        "Amiodarone",
        "Epinephrine (other maker)",
    }
    atropine = gs1(ATROPINE_GTIN, lot="T1", expiry=TODAY + timedelta(days=400))
    assert (await restock(client, admin, atropine)).status_code == 201
    refused = assert_problem(
        await client.post(
            f"/api/v1/restock-sessions/{session_id}/complete",
            json={"seal_number": "SEAL-2"},
            headers=admin,
        ),
        409,
        "kit_incomplete",
    )
    assert len(refused["off_template"]) == 2
    for code, quantity in ((amio("A1", 500), 2), (epi("O1", 300, EPI_OTHER_GTIN), 1)):
        response = await scan(client, admin, code, "remove", "CART-1", quantity=quantity)
        assert response.status_code == 201, response.text
    assert (await restock(client, admin, epi("E1", 400))).status_code == 201
    assert (await scan(client, admin, "SEAL-2", "seal", "CART-1")).status_code == 201
    assert (await _kit(client, admin))["ready"] is True


async def test_templates_refuse_an_item_in_two_slots_and_unknown_items(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    ids = await _setup(client, admin)
    body = {
        "code": "TRAY",
        "name": "General anesthesia tray",
        "kind": "anesthesia_tray",
        "lines": [
            {"slot": "A", "items": [ids["epinephrine"]], "quantity": 1},
            {"slot": "B", "items": [EPINEPHRINE_GTIN], "quantity": 1},
        ],
    }
    assert_problem(
        await client.post("/api/v1/kit-templates", json=body, headers=admin),
        400,
        "validation_error",
    )
    body["lines"] = [{"slot": "A", "items": [999999], "quantity": 1}]
    assert_problem(
        await client.post("/api/v1/kit-templates", json=body, headers=admin), 422, "unknown_item"
    )
    body["lines"] = [{"slot": "A", "items": ["00000000000017"], "quantity": 1}]
    assert_problem(
        await client.post("/api/v1/kit-templates", json=body, headers=admin), 422, "unknown_item"
    )
    body["kind"] = "shelf"
    body["lines"] = [{"slot": "A", "items": [ids["epinephrine"]], "quantity": 1}]
    assert_problem(
        await client.post("/api/v1/kit-templates", json=body, headers=admin),
        400,
        "validation_error",
    )
    # a kit kind is not a plain location
    response = await client.post(
        "/api/v1/locations",
        json={"code": "CART-X", "name": "x", "kind": "crash_cart", "parent": "ICU"},
        headers=admin,
    )
    assert_problem(response, 400, "validation_error")
    listed = (await client.get("/api/v1/kit-templates", headers=admin)).json()
    assert [t["code"] for t in listed] == ["ADULT-CART"]
    assert_problem(await client.get("/api/v1/kit-templates/NOPE", headers=admin), 404, "not_found")


async def test_restock_plan_and_label(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    assert (await restock(client, admin, epi("E1", 400), 2)).status_code == 201
    plan = await client.get(
        "/api/v1/kits/CART-1/restock-plan", params={"source": "PHARM"}, headers=admin
    )
    assert plan.status_code == 200, plan.text
    slots = plan.json()["slots"]
    assert slots[0]["bring"] == 2
    # the other maker's lot outlasts the next check too and expires first: FEFO
    assert [(s["lot"], s["quantity"]) for s in slots[0]["suggested"]] == [("O1", 2)]
    assert [(s["lot"], s["quantity"]) for s in slots[1]["suggested"]] == [("A1", 2)]
    sheet = await client.get(
        "/api/v1/kits/CART-1/restock-plan",
        params={"source": "PHARM"},
        headers={**admin, "Accept": "text/html"},
    )
    assert sheet.headers["content-type"].startswith("text/html")
    assert "Drawer 1: Amiodarone 150 mg" in sheet.text

    png = await client.get("/api/v1/kits/CART-1/label.png", headers=admin)
    assert png.status_code == 200
    decoded = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(png.content)))
    assert [(d.format, d.text) for d in decoded] == [(zxingcpp.BarcodeFormat.Code128, "KIT:CART-1")]
    svg = await client.get("/api/v1/kits/CART-1/label.svg", headers=admin)
    assert svg.status_code == 200 and b"Adult crash cart" in svg.content
    assert_problem(await client.get("/api/v1/kits/NOPE/label.svg", headers=admin), 404, "not_found")


@pytest.mark.parametrize("code", ["", "LOC:PHARM", "x" * 65, "SEAL\x1d1"])
async def test_bad_seal_codes_are_refused(client: Client, keys: Keys, code: str) -> None:
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    assert_problem(await scan(client, admin, code, "seal", "CART-1"), 422, "bad_barcode")
