"""Every way a pack's barcode reaches the service books the same stock."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import Keys
from tests.helpers import (
    EPINEPHRINE_CARTON_GTIN,
    EPINEPHRINE_GTIN,
    GS,
    assert_problem,
    make_item,
    make_location,
    scan,
)

YEAR = datetime.now(UTC).year + 2
YY = YEAR % 100
END_OF_FEB = date(YEAR, 2, calendar.monthrange(YEAR, 2)[1])

FORMATS = {
    "datamatrix with AIM and GS": (
        f"]d201{EPINEPHRINE_GTIN}17{YY}021510LOT-A{GS}21SN1",
        "LOT-A",
        date(YEAR, 2, 15),
        1,
    ),
    "datamatrix without AIM": (
        f"01{EPINEPHRINE_GTIN}10LOT-B{GS}17{YY}0630",
        "LOT-B",
        date(YEAR, 6, 30),
        1,
    ),
    "day 00 means end of month": (
        f"]d201{EPINEPHRINE_GTIN}17{YY}020010LOT-C",
        "LOT-C",
        END_OF_FEB,
        1,
    ),
    "GS1-128": (f"]C101{EPINEPHRINE_GTIN}17{YY}113010LOT-D", "LOT-D", date(YEAR, 11, 30), 1),
    "human-readable": (
        f"(01){EPINEPHRINE_GTIN}(17){YY}0101(10)LOT-E",
        "LOT-E",
        date(YEAR, 1, 1),
        1,
    ),
    "digital link": (
        f"https://id.example-pharma.com/01/{EPINEPHRINE_GTIN}/10/LOT-F?17={YY}0301",
        "LOT-F",
        date(YEAR, 3, 1),
        1,
    ),
    "carton GTIN counts 10": (
        f"]d201{EPINEPHRINE_CARTON_GTIN}17{YY}040010LOT-G",
        "LOT-G",
        date(YEAR, 4, 30),
        10,
    ),
    "QR with AIM": (f"]Q301{EPINEPHRINE_GTIN}17{YY}050110LOT-H", "LOT-H", date(YEAR, 5, 1), 1),
}


@pytest.mark.parametrize("name", list(FORMATS))
async def test_each_barcode_format_is_booked(
    client: AsyncTestClient[Any], keys: Keys, name: str
) -> None:
    code, lot, expiry, units = FORMATS[name]
    admin = await keys.header()
    await make_item(client, admin)
    await make_location(client, admin, "MAIN-A1")
    response = await scan(client, admin, code, "receive", "MAIN-A1")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["barcode"]["ndc"] == "0409-4921-34"
    assert body["balances"] == [
        {"location": "MAIN-A1", "lot": lot, "expiry": expiry.isoformat(), "quantity": units}
    ]


async def test_upc_a_on_a_unit_dose_finds_the_item_by_its_ndc(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    """An item registered only by NDC is found from the NDC inside its UPC-A / GTIN."""
    admin = await keys.header()
    await make_item(client, admin, identifiers=[{"kind": "ndc", "value": "0409-4921-34"}])
    await make_location(client, admin, "MAIN-A1")
    response = await scan(client, admin, EPINEPHRINE_GTIN[2:], "receive", "MAIN-A1")
    assert response.status_code == 201, response.text
    assert response.json()["barcode"]["gtin"] == EPINEPHRINE_GTIN
    assert response.json()["warnings"][0]["code"] == "no_lot"


async def test_an_unregistered_carton_is_not_guessed_from_its_ndc(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header()
    await make_item(client, admin, identifiers=[{"kind": "ndc", "value": "0409-4921-34"}])
    await make_location(client, admin, "MAIN-A1")
    response = await scan(client, admin, f"]d201{EPINEPHRINE_CARTON_GTIN}10X", "receive", "MAIN-A1")
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "unknown_item"
    assert problem["barcode"]["gtin"] == EPINEPHRINE_CARTON_GTIN


@pytest.mark.parametrize(
    ("code", "why"),
    [
        (f"]d201{EPINEPHRINE_GTIN[:-1]}0", "check digit"),
        (f"]d201{EPINEPHRINE_GTIN}17{YY}1301", "month 13"),
        (f"]d201{EPINEPHRINE_GTIN}17{YY}0230", "30 February"),
        (f"]d201{EPINEPHRINE_GTIN}10{'L' * 21}", "lot longer than 20"),
        ("", "empty"),
        ("\x00\x01", "binary"),
    ],
)
async def test_malformed_codes_are_bad_barcode_and_change_nothing(
    client: AsyncTestClient[Any], keys: Keys, code: str, why: str
) -> None:
    admin = await keys.header()
    await make_item(client, admin)
    await make_location(client, admin, "MAIN-A1")
    response = await scan(client, admin, code, "receive", "MAIN-A1")
    assert response.status_code in (400, 422), (why, response.text)
    assert response.json()["code"] in ("bad_barcode", "validation_error"), why
    stock = (await client.get("/api/v1/stock", headers=admin)).json()
    assert stock == []


# --- issue 10: case labels, every carrier, nothing silently changed -----------------------

SSCC = "106141412345678908"  # GS1 General Specifications' example SSCC (also in biip's docs)

CASE_LABELS = {
    # GS1-128 case label: SSCC, content GTIN (the carton, 10 units), 12 cartons, expiry, lot
    "gs1-128": f"]C100{SSCC}02{EPINEPHRINE_CARTON_GTIN}3712{GS}17{YY}123110CASE-1",
    "hri": f"(00){SSCC}(02){EPINEPHRINE_CARTON_GTIN}(37)12(17){YY}1231(10)CASE-1",
    # as a GS1 Digital Link (the form of biip's documented example)
    "digital link": (
        f"https://id.gs1.org/00/{SSCC}?02={EPINEPHRINE_CARTON_GTIN}&37=12&17={YY}1231&10=CASE-1"
    ),
    # composite: the SSCC in the linear part, the rest in the 2D part, sent as one read
    "composite": f"]C100{SSCC}]e002{EPINEPHRINE_CARTON_GTIN}3712{GS}17{YY}123110CASE-1",
}


@pytest.mark.parametrize("name", list(CASE_LABELS))
async def test_a_case_label_receives_the_whole_case_in_one_scan(
    client: AsyncTestClient[Any], keys: Keys, name: str
) -> None:
    admin = await keys.header()
    await make_item(client, admin)
    await make_location(client, admin, "DOCK")
    response = await scan(client, admin, CASE_LABELS[name], "receive", "DOCK")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["barcode"]["sscc"] == SSCC
    assert body["barcode"]["gtin"] == EPINEPHRINE_CARTON_GTIN
    assert body["barcode"]["count"] == 12
    assert body["balances"] == [
        {"location": "DOCK", "lot": "CASE-1", "expiry": f"{YEAR}-12-31", "quantity": 120}
    ]
    logged = (await client.get("/api/v1/scans", headers=admin)).json()
    assert [row["barcode"]["sscc"] for row in logged] == [SSCC]


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(f"]C101{EPINEPHRINE_CARTON_GTIN}3712", id="37-with-01"),
        pytest.param(f"(00){SSCC}(02){EPINEPHRINE_CARTON_GTIN}", id="02-without-37"),
        pytest.param(f"(01){EPINEPHRINE_GTIN}(10)LOT 1", id="lot-with-space"),
        pytest.param(
            f"https://id.gs1.org/01/{EPINEPHRINE_GTIN}/10/A?17={YY}0101&17={YY}0201",
            id="digital-link-ai-twice",
        ),
    ],
)
async def test_invalid_gs1_is_refused_never_altered(
    client: AsyncTestClient[Any], keys: Keys, code: str
) -> None:
    admin = await keys.header()
    await make_item(client, admin)
    await make_location(client, admin, "DOCK")
    response = await scan(client, admin, code, "receive", "DOCK")
    assert_problem(response, 422, "bad_barcode")
    assert (await client.get("/api/v1/stock", headers=admin)).json() == []


async def test_a_scanner_that_drops_gs_gets_an_fnc1_missing_warning(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header()
    await make_item(client, admin)
    await make_location(client, admin, "DOCK")
    code = f"]d201{EPINEPHRINE_GTIN}17{YY}123110LOT121SER1"  # GS after the lot dropped
    response = await scan(client, admin, code, "receive", "DOCK")
    assert response.status_code == 201, response.text
    warnings = {w["code"]: w["detail"] for w in response.json()["warnings"]}
    assert "FNC1" in warnings["fnc1_missing"]


async def test_ai_715_ndc_and_7003_expiry(client: AsyncTestClient[Any], keys: Keys) -> None:
    """A pack whose GTIN carries no NDC names it in AI 715; 7003 gives its expiry."""
    admin = await keys.header()
    await make_item(client, admin, identifiers=[{"kind": "ndc", "value": "0409-4921-34"}])
    await make_location(client, admin, "DOCK")
    code = f"(01)00614141123452(7003){YY}06301200(715)0409492134(10)N1"
    response = await scan(client, admin, code, "receive", "DOCK")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["barcode"]["ndc"] == "0409-4921-34"
    assert body["balances"][0]["expiry"] == f"{YEAR}-06-30"
