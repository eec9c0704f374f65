"""Reference data and read models through the API, on both databases: items and their
identifiers, the location tree, suppliers, stock and ledger filters, the scan log, labels."""

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
from inventory_svc.domain.roles import Role
from tests.conftest import Keys
from tests.helpers import (
    EPINEPHRINE_CARTON_GTIN,
    EPINEPHRINE_GTIN,
    EPINEPHRINE_NDC,
    assert_problem,
    gs1,
    make_item,
    make_location,
    scan,
)

TODAY = datetime.now(UTC).date()
NEXT_YEAR = TODAY + timedelta(days=365)
IN_TEN_DAYS = TODAY + timedelta(days=10)

UPC_12 = "036000291452"  # valid check digit
UPC_AS_GTIN = "00036000291452"
EAN_13 = "4006381333931"
EAN_AS_GTIN = "04006381333931"
VIRTUAL = {"@supplier", "@consumed", "@waste", "@adjustment"}


async def _search(client: AsyncTestClient[Any], headers: dict[str, str], q: str) -> list[str]:
    response = await client.get("/api/v1/items", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()]


# --- items ----------------------------------------------------------------------------------


async def test_an_item_keeps_each_kind_of_identifier_in_its_canonical_form(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header()
    item = await make_item(
        client,
        admin,
        "Epinephrine",
        [
            {"kind": "gtin", "value": EPINEPHRINE_GTIN},
            {"kind": "gtin", "value": EPINEPHRINE_CARTON_GTIN, "units": 10},
            {"kind": "upc", "value": UPC_12},
            {"kind": "ean", "value": EAN_13},
            {"kind": "ndc", "value": EPINEPHRINE_NDC},
            {"kind": "internal", "value": " PH-EPI-1 "},
        ],
    )

    assert item["identifiers"] == [
        {"kind": "gtin", "value": EPINEPHRINE_GTIN, "printed": EPINEPHRINE_GTIN, "units": 1},
        {
            "kind": "gtin",
            "value": EPINEPHRINE_CARTON_GTIN,
            "printed": EPINEPHRINE_CARTON_GTIN,
            "units": 10,
        },
        {"kind": "upc", "value": UPC_AS_GTIN, "printed": UPC_12, "units": 1},
        {"kind": "ean", "value": EAN_AS_GTIN, "printed": EAN_13, "units": 1},
        {"kind": "ndc", "value": "00409-4921-34", "printed": "0409-4921-34", "units": 1},
        {"kind": "internal", "value": "PH-EPI-1", "printed": "PH-EPI-1", "units": 1},
    ]
    fetched = await client.get(f"/api/v1/items/{item['id']}", headers=admin)
    assert fetched.status_code == 200
    assert fetched.json() == item
    assert item["name"] == "Epinephrine"
    assert item["strength"] == "1 mg/10 mL"
    assert item["base_unit"] == "each"


@pytest.mark.parametrize(
    ("printed", "stored"),
    [
        ("0409-4921-34", "00409-4921-34"),  # 4-4-2
        ("12345-678-90", "12345-0678-90"),  # 5-3-2
        ("12345-6789-1", "12345-6789-01"),  # 5-4-1
        ("00409-4921-34", "00409-4921-34"),  # already 5-4-2
        ("00409492134", "00409-4921-34"),  # 11 bare digits read as 5-4-2
    ],
)
async def test_an_ndc_is_stored_as_11_digits_5_4_2_and_keeps_its_printed_form(
    client: AsyncTestClient[Any], keys: Keys, printed: str, stored: str
) -> None:
    item = await make_item(client, await keys.header(), "Drug", [{"kind": "ndc", "value": printed}])
    assert item["identifiers"] == [{"kind": "ndc", "value": stored, "printed": printed, "units": 1}]


async def test_an_identifier_belongs_to_one_item_only(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header()
    await make_item(client, admin)  # Epinephrine: NDC 0409-4921-34 and its GTINs
    attempts = [
        [{"kind": "gtin", "value": EPINEPHRINE_GTIN}],
        [{"kind": "ndc", "value": "00409-4921-34"}],  # same NDC, printed as 5-4-2
        [{"kind": "internal", "value": "OK-1"}, {"kind": "ndc", "value": EPINEPHRINE_NDC}],
    ]
    for identifiers in attempts:
        response = await client.post(
            "/api/v1/items",
            json={"name": "Impostor", "identifiers": identifiers},
            headers=admin,
        )
        assert_problem(response, 409, "duplicate_identifier")
    assert await _search(client, admin, "Impostor") == []
    assert await _search(client, admin, "OK-1") == []


async def test_the_same_gtin_cannot_hide_under_another_gtin_kind(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    """UPC, EAN and GTIN are one number space (all stored as GTIN-14): a scan of it must
    resolve to one item, so registering it again under another kind is a duplicate."""
    admin = await keys.header()
    await make_item(client, admin, "Cola", [{"kind": "upc", "value": UPC_12}])
    response = await client.post(
        "/api/v1/items",
        json={"name": "Not cola", "identifiers": [{"kind": "gtin", "value": UPC_AS_GTIN}]},
        headers=admin,
    )
    assert_problem(response, 409, "duplicate_identifier")
    assert await _search(client, admin, UPC_12) == ["Cola"]
    twice = await client.post(
        "/api/v1/items",
        json={
            "name": "Twice",
            "identifiers": [
                {"kind": "ean", "value": EAN_13},
                {"kind": "gtin", "value": EAN_AS_GTIN},
            ],
        },
        headers=admin,
    )
    assert_problem(twice, 400, "validation_error")
    assert await _search(client, admin, "Twice") == []


@pytest.mark.parametrize(
    "identifier",
    [
        {"kind": "gtin", "value": "00312345678905"},  # check digit should be 6
        {"kind": "upc", "value": "036000291453"},  # check digit should be 2
        {"kind": "ean", "value": "4006381333932"},
        {"kind": "gtin", "value": "1234567"},  # not a GTIN length
        {"kind": "ndc", "value": "0409-4921"},  # two segments
        {"kind": "ndc", "value": "0409492134"},  # 10 bare digits: layout unknown
        {"kind": "gtin", "value": EPINEPHRINE_GTIN, "units": 0},
    ],
    ids=lambda i: f"{i['kind']}:{i['value']}:{i.get('units', 1)}",
)
async def test_a_malformed_identifier_is_a_validation_error(
    client: AsyncTestClient[Any], keys: Keys, identifier: dict[str, Any]
) -> None:
    admin = await keys.header()
    response = await client.post(
        "/api/v1/items", json={"name": "Bad", "identifiers": [identifier]}, headers=admin
    )
    assert_problem(response, 400, "validation_error")
    assert await _search(client, admin, "Bad") == []


async def test_items_are_found_by_name_identifier_or_scanned_code(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header()
    await make_item(client, admin)
    await make_item(client, admin, "Atropine", [{"kind": "upc", "value": UPC_12}])
    await make_item(client, admin, "Epinephrine auto-injector", [])

    assert await _search(client, admin, "EPINEPH") == ["Epinephrine", "Epinephrine auto-injector"]
    assert await _search(client, admin, "tropi") == ["Atropine"]
    assert await _search(client, admin, EPINEPHRINE_GTIN) == ["Epinephrine"]
    assert await _search(client, admin, EPINEPHRINE_CARTON_GTIN) == ["Epinephrine"]
    assert await _search(client, admin, EPINEPHRINE_NDC) == ["Epinephrine"]  # as printed
    assert await _search(client, admin, "00409-4921-34") == ["Epinephrine"]  # as stored
    assert await _search(client, admin, UPC_12) == ["Atropine"]
    assert await _search(client, admin, UPC_AS_GTIN) == ["Atropine"]
    datamatrix = gs1(EPINEPHRINE_GTIN, lot="FA2311", expiry=NEXT_YEAR, serial="S1")
    assert await _search(client, admin, datamatrix) == ["Epinephrine"]
    assert await _search(client, admin, "morphine") == []
    everything = await client.get("/api/v1/items", headers=admin)
    assert [i["name"] for i in everything.json()] == [
        "Atropine",
        "Epinephrine",
        "Epinephrine auto-injector",
    ]
    page = await client.get("/api/v1/items", params={"limit": 1, "offset": 1}, headers=admin)
    assert [i["name"] for i in page.json()] == ["Epinephrine"]


async def test_an_unknown_item_id_is_not_found(client: AsyncTestClient[Any], keys: Keys) -> None:
    response = await client.get("/api/v1/items/424242", headers=await keys.header())
    problem = assert_problem(response, 404, "not_found")
    assert "424242" in problem["detail"]


async def test_an_item_may_name_its_preferred_supplier(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header()
    supplier = await client.post(
        "/api/v1/suppliers", json={"code": "MCK", "name": "McKesson"}, headers=admin
    )
    assert supplier.status_code == 201
    response = await client.post(
        "/api/v1/items", json={"name": "Heparin", "preferred_supplier": "MCK"}, headers=admin
    )
    assert response.status_code == 201, response.text
    unknown = await client.post(
        "/api/v1/items", json={"name": "Insulin", "preferred_supplier": "NOPE"}, headers=admin
    )
    assert_problem(unknown, 422, "unknown_supplier")
    assert await _search(client, admin, "Insulin") == []


# --- locations and suppliers -----------------------------------------------------------------


async def test_locations_form_a_tree_and_virtual_ones_are_listed_last(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header()
    main = await make_location(client, admin, "MAIN", "storeroom")
    shelf = await make_location(client, admin, "MAIN-A1", "shelf", parent="MAIN")
    await make_location(client, admin, "CART-1", "adc", parent="MAIN")
    assert (main["parent"], main["virtual"]) == (None, False)
    assert (shelf["code"], shelf["kind"], shelf["parent"], shelf["virtual"]) == (
        "MAIN-A1",
        "shelf",
        "MAIN",
        False,
    )

    listed = (await client.get("/api/v1/locations", headers=admin)).json()
    real = [(loc["code"], loc["parent"]) for loc in listed if not loc["virtual"]]
    assert real == [("CART-1", "MAIN"), ("MAIN", None), ("MAIN-A1", "MAIN")]
    assert {loc["code"] for loc in listed if loc["virtual"]} == VIRTUAL
    assert [loc["virtual"] for loc in listed] == [False] * 3 + [True] * 4  # virtual last

    cabinets = await client.get("/api/v1/locations", params={"kind": "adc"}, headers=admin)
    assert [loc["code"] for loc in cabinets.json()] == ["CART-1"]


async def test_location_codes_are_unique_and_parents_must_exist(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header()
    await make_location(client, admin, "MAIN", "storeroom")

    async def create(code: str, parent: str | None = None) -> Any:
        body = {"code": code, "name": "X", "kind": "shelf", "parent": parent}
        return await client.post("/api/v1/locations", json=body, headers=admin)

    assert_problem(await create("MAIN"), 409, "duplicate_location")
    unknown_parent = assert_problem(await create("A1", parent="NOWHERE"), 422, "unknown_location")
    assert "NOWHERE" in unknown_parent["detail"]
    assert_problem(await create("A2", parent="@supplier"), 422, "unknown_location")
    for code in ("@pharmacy", "@supplier", "TWO WORDS"):
        assert_problem(await create(code), 400, "validation_error")
    codes = {loc["code"] for loc in (await client.get("/api/v1/locations", headers=admin)).json()}
    assert codes == {"MAIN"} | VIRTUAL


async def test_suppliers_are_listed_by_code_and_codes_are_unique(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header()
    for code, name, account in (("MCK", "McKesson", "A-17"), ("CAH", "Cardinal Health", None)):
        response = await client.post(
            "/api/v1/suppliers",
            json={"code": code, "name": name, "account_number": account},
            headers=admin,
        )
        assert response.status_code == 201, response.text
        assert response.json()["code"] == code
    again = await client.post(
        "/api/v1/suppliers", json={"code": "MCK", "name": "Other"}, headers=admin
    )
    assert_problem(again, 409, "duplicate_supplier")
    listed = (await client.get("/api/v1/suppliers", headers=admin)).json()
    assert [(s["code"], s["name"], s["account_number"]) for s in listed] == [
        ("CAH", "Cardinal Health", None),
        ("MCK", "McKesson", "A-17"),
    ]


# --- stock, movements, scans -----------------------------------------------------------------


async def _stocked_storeroom(client: AsyncTestClient[Any], keys: Keys) -> dict[str, Any]:
    """MAIN > MAIN-A1 > MAIN-A1-B1, and SAT. Epinephrine lot LONG (next year) x5 on MAIN-A1,
    lot SOON (10 days) x2 in MAIN-A1-B1; Atropine lot ATR x3 at SAT."""
    admin = await keys.header()
    epinephrine = await make_item(client, admin)
    atropine = await make_item(client, admin, "Atropine", [{"kind": "upc", "value": UPC_12}])
    await make_location(client, admin, "MAIN", "storeroom")
    await make_location(client, admin, "MAIN-A1", "shelf", parent="MAIN")
    await make_location(client, admin, "MAIN-A1-B1", "bin", parent="MAIN-A1")
    await make_location(client, admin, "SAT", "satellite")
    receipts = [
        (gs1(EPINEPHRINE_GTIN, lot="LONG", expiry=NEXT_YEAR), "MAIN-A1", 5, "dock-1"),
        (gs1(EPINEPHRINE_GTIN, lot="SOON", expiry=IN_TEN_DAYS), "MAIN-A1-B1", 2, "dock-2"),
        (gs1(UPC_AS_GTIN, lot="ATR", expiry=NEXT_YEAR), "SAT", 3, "dock-1"),
    ]
    for code, location, quantity, device in receipts:
        response = await scan(
            client, admin, code, "receive", location, quantity=quantity, device=device
        )
        assert response.status_code == 201, response.text
    return {"admin": admin, "epinephrine": epinephrine["id"], "atropine": atropine["id"]}


async def _stock(
    client: AsyncTestClient[Any], headers: dict[str, str], **params: Any
) -> list[tuple[str, str, str, int, str]]:
    response = await client.get("/api/v1/stock", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [
        (r["item"]["name"], r["location"], r["lot"], r["quantity"], r["status"])
        for r in response.json()
    ]


async def test_stock_rows_carry_lot_expiry_and_status(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    ctx = await _stocked_storeroom(client, keys)
    response = await client.get("/api/v1/stock", headers=ctx["admin"])
    assert response.json() == [
        {
            "item": {"id": ctx["epinephrine"], "name": "Epinephrine"},
            "location": "MAIN-A1",
            "lot": "LONG",
            "expiry": NEXT_YEAR.isoformat(),
            "quantity": 5,
            "status": "ok",
        },
        {
            "item": {"id": ctx["epinephrine"], "name": "Epinephrine"},
            "location": "MAIN-A1-B1",
            "lot": "SOON",
            "expiry": IN_TEN_DAYS.isoformat(),
            "quantity": 2,
            "status": "expiring",
        },
        {
            "item": {"id": ctx["atropine"], "name": "Atropine"},
            "location": "SAT",
            "lot": "ATR",
            "expiry": NEXT_YEAR.isoformat(),
            "quantity": 3,
            "status": "ok",
        },
    ]


async def test_stock_filters_by_location_subtree_item_gtin_and_expiry(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    ctx = await _stocked_storeroom(client, keys)
    admin = ctx["admin"]
    long = ("Epinephrine", "MAIN-A1", "LONG", 5, "ok")
    soon = ("Epinephrine", "MAIN-A1-B1", "SOON", 2, "expiring")
    atropine = ("Atropine", "SAT", "ATR", 3, "ok")

    assert await _stock(client, admin, location="MAIN") == []
    assert await _stock(client, admin, location="MAIN", include_sublocations="true") == [
        long,
        soon,
    ]
    assert await _stock(client, admin, location="MAIN-A1") == [long]
    assert await _stock(client, admin, location="MAIN-A1", include_sublocations="true") == [
        long,
        soon,
    ]
    assert await _stock(client, admin, item=ctx["atropine"]) == [atropine]
    assert await _stock(client, admin, gtin=EPINEPHRINE_GTIN) == [long, soon]
    assert await _stock(client, admin, gtin=EPINEPHRINE_CARTON_GTIN) == [long, soon]
    assert await _stock(client, admin, gtin=UPC_12) == [atropine]
    assert await _stock(client, admin, expiring_within_days=30) == [soon]
    assert await _stock(client, admin, expiring_within_days=9) == []
    assert await _stock(client, admin, expiring_within_days=400) == [long, soon, atropine]
    assert await _stock(
        client, admin, location="MAIN", include_sublocations="true", expiring_within_days=30
    ) == [soon]

    unknown = await client.get("/api/v1/stock", params={"location": "NOWHERE"}, headers=admin)
    assert_problem(unknown, 422, "unknown_location")
    bad_gtin = await client.get("/api/v1/stock", params={"gtin": "00312345678905"}, headers=admin)
    assert_problem(bad_gtin, 400, "validation_error")


async def test_stock_shows_expired_and_recalled_lots_as_such(
    client: AsyncTestClient[Any], keys: Keys, engine: AsyncEngine
) -> None:
    """A lot only reaches a shelf before it expires, so time is moved on in the database."""
    ctx = await _stocked_storeroom(client, keys)
    async with engine.begin() as conn:
        await conn.execute(
            update(Lot).where(Lot.lot_number == "SOON").values(expiry=TODAY - timedelta(days=1))
        )
        await conn.execute(update(Lot).where(Lot.lot_number == "ATR").values(recalled=True))
    assert await _stock(client, ctx["admin"]) == [
        ("Epinephrine", "MAIN-A1", "LONG", 5, "ok"),
        ("Epinephrine", "MAIN-A1-B1", "SOON", 2, "expired"),
        ("Atropine", "SAT", "ATR", 3, "recalled"),
    ]
    assert await _stock(client, ctx["admin"], expiring_within_days=0) == [
        ("Epinephrine", "MAIN-A1-B1", "SOON", 2, "expired")
    ]


async def test_movements_filter_by_item_location_lot_and_time(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    ctx = await _stocked_storeroom(client, keys)
    admin = ctx["admin"]
    moved = await scan(
        client,
        admin,
        gs1(EPINEPHRINE_GTIN, lot="LONG", expiry=NEXT_YEAR),
        "transfer",
        "MAIN-A1",
        to_location="SAT",
        quantity=2,
    )
    assert moved.status_code == 201, moved.text

    async def movements(**params: Any) -> list[tuple[str, str, str, str, int]]:
        response = await client.get("/api/v1/movements", params=params, headers=admin)
        assert response.status_code == 200, response.text
        return [
            (m["kind"], m["lot"], m["from_location"], m["to_location"], m["quantity"])
            for m in response.json()
        ]

    receive_long = ("receive", "LONG", "@supplier", "MAIN-A1", 5)
    receive_soon = ("receive", "SOON", "@supplier", "MAIN-A1-B1", 2)
    receive_atr = ("receive", "ATR", "@supplier", "SAT", 3)
    transfer = ("transfer", "LONG", "MAIN-A1", "SAT", 2)

    assert await movements() == [receive_long, receive_soon, receive_atr, transfer]
    assert await movements(item=ctx["epinephrine"]) == [receive_long, receive_soon, transfer]
    assert await movements(item=ctx["atropine"]) == [receive_atr]
    assert await movements(location="SAT") == [receive_atr, transfer]
    assert await movements(location="MAIN-A1") == [receive_long, transfer]
    assert await movements(lot="LONG") == [receive_long, transfer]
    assert await movements(lot="LONG", location="SAT") == [transfer]
    assert await movements(location="@supplier") == [receive_long, receive_soon, receive_atr]

    listed = (await client.get("/api/v1/movements", headers=admin)).json()
    first_id = listed[0]["id"]
    assert await movements(after_id=first_id, limit=2) == [receive_soon, receive_atr]
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    in_an_hour = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert len(await movements(since=an_hour_ago)) == 4
    assert await movements(since=in_an_hour) == []
    last = listed[-1]
    assert last["scan_id"] == moved.json()["id"]
    assert last["actor"] == "test admin"
    since_last = await client.get(
        "/api/v1/movements", params={"since": last["recorded_at"]}, headers=admin
    )
    assert last["id"] in [m["id"] for m in since_last.json()], "`since` is inclusive"


async def test_the_scan_log_filters_by_device_and_status(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    ctx = await _stocked_storeroom(client, keys)
    admin = ctx["admin"]
    refused = await scan(
        client,
        admin,
        gs1(EPINEPHRINE_GTIN, lot="SOON", expiry=IN_TEN_DAYS),
        "issue",
        "MAIN-A1-B1",
        quantity=9,
        device="dock-2",
    )
    assert_problem(refused, 409, "insufficient_stock")

    async def log(**params: Any) -> list[tuple[str, str, str | None, str | None]]:
        response = await client.get("/api/v1/scans", params=params, headers=admin)
        assert response.status_code == 200, response.text
        return [(s["action"], s["status"], s["device"], s["error_code"]) for s in response.json()]

    assert await log() == [
        ("receive", "applied", "dock-1", None),
        ("receive", "applied", "dock-2", None),
        ("receive", "applied", "dock-1", None),
        ("issue", "rejected", "dock-2", "insufficient_stock"),
    ]
    assert await log(device="dock-2") == [
        ("receive", "applied", "dock-2", None),
        ("issue", "rejected", "dock-2", "insufficient_stock"),
    ]
    assert await log(status="rejected") == [("issue", "rejected", "dock-2", "insufficient_stock")]
    assert await log(status="applied", device="dock-1") == [
        ("receive", "applied", "dock-1", None),
        ("receive", "applied", "dock-1", None),
    ]
    assert await log(device="nobody") == []
    rejected = (
        await client.get("/api/v1/scans", params={"status": "rejected"}, headers=admin)
    ).json()[0]
    assert rejected["quantity"] == 9
    assert rejected["location"] == "MAIN-A1-B1"
    assert rejected["item_id"] == ctx["epinephrine"]
    assert rejected["barcode"]["lot"] == "SOON"
    bad_status = await client.get("/api/v1/scans", params={"status": "lost"}, headers=admin)
    assert_problem(bad_status, 400, "validation_error")


# --- labels ----------------------------------------------------------------------------------


async def test_a_location_label_is_a_code128_svg_and_png_that_scans_back(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    headers = await keys.header(Role.INTEGRATION)
    await make_location(client, await keys.header(), "MAIN-A1", "shelf")

    svg = await client.get("/api/v1/locations/MAIN-A1/label.svg", headers=headers)
    assert svg.status_code == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith("<?xml") and "<svg" in svg.text
    assert "LOC:MAIN-A1" in svg.text
    assert "Location MAIN-A1" in svg.text

    png = await client.get("/api/v1/locations/MAIN-A1/label.png", headers=headers)
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    decoded = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(png.content)))
    assert [(d.format, d.text) for d in decoded] == [
        (zxingcpp.BarcodeFormat.Code128, "LOC:MAIN-A1")
    ]


@pytest.mark.parametrize("code", ["NOWHERE", "@supplier"])
async def test_there_is_no_label_for_an_unknown_or_virtual_location(
    client: AsyncTestClient[Any], keys: Keys, code: str
) -> None:
    headers = await keys.header()
    for suffix in ("svg", "png"):
        response = await client.get(f"/api/v1/locations/{code}/label.{suffix}", headers=headers)
        assert_problem(response, 422, "unknown_location")
