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
