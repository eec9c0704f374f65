"""Purchase orders and their receipts as CSV (`Accept: text/csv`), parsed back with the csv
module and compared with the JSON answer, on both databases; formula injection is defused
the way the reorder list's CSV does it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from inventory_svc.domain.barcodes import ndc11
from inventory_svc.domain.roles import Role
from inventory_svc.integrations.csv_io import PURCHASE_ORDER_COLUMNS, RECEIPT_COLUMNS
from tests.api.purchasing_setup import TODAY, Client, purchase_order
from tests.conftest import Keys
from tests.helpers import (
    EPINEPHRINE_CARTON_GTIN,
    EPINEPHRINE_GTIN,
    EPINEPHRINE_NDC,
    gs1,
    make_item,
    scan,
)

CSV = {"Accept": "text/csv"}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


async def _rows(client: Client, url: str, headers: dict[str, str]) -> list[dict[str, str]]:
    response = await client.get(url, headers={**headers, **CSV})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(response.text, newline=""), strict=True)
    return list(reader)


async def test_a_purchase_order_as_csv_matches_its_json(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    po = await purchase_order(client, admin, ordered=40, submit=False)
    number = po["number"]
    # A name a spreadsheet would run as a formula, and a second line.
    formula = await make_item(
        client, admin, '=HYPERLINK("http://x")', [{"kind": "internal", "value": "F-1", "units": 1}]
    )
    edited = await client.patch(
        f"/api/v1/purchase-orders/{number}",
        json={"lines": [{"item": formula["id"], "ordered": 3}]},
        headers=admin,
    )
    assert edited.status_code == 200, edited.text
    await client.post(f"/api/v1/purchase-orders/{number}/submit", headers=admin)
    await client.post(
        f"/api/v1/purchase-orders/{number}/acknowledge",
        json={"supplier_reference": "+SO-9", "lines": [{"line": 1, "confirmed": 30}]},
        headers=admin,
    )
    received = await scan(
        client,
        admin,
        gs1(EPINEPHRINE_GTIN, lot="C1", expiry=TODAY + timedelta(days=100)),
        "receive",
        "MAIN",
        quantity=12,
        purchase_order=number,
    )
    assert received.status_code == 201, received.text
    order = (await client.get(f"/api/v1/purchase-orders/{number}", headers=admin)).json()
    response = await client.get(f"/api/v1/purchase-orders/{number}", headers={**admin, **CSV})
    assert response.text.splitlines()[0] == ",".join(PURCHASE_ORDER_COLUMNS)
    rows = await _rows(client, f"/api/v1/purchase-orders/{number}", admin)
    assert len(rows) == len(order["lines"]) == 2
    for row, line in zip(rows, order["lines"], strict=True):
        assert row["number"] == number and row["status"] == order["status"]
        assert (row["supplier"], row["location"]) == (order["supplier"], order["location"])
        for column in (
            "line",
            "ordered",
            "confirmed",
            "backordered",
            "received",
            "outstanding",
            "supplier_item_code",
            "unit_cost_cents",
        ):
            assert row[column] == _text(line[column]), column
        assert row["item_id"] == str(line["item"]["id"])
    first, second = rows
    assert (first["received"], first["confirmed"], first["outstanding"]) == ("12", "30", "18")
    assert (first["gtin"], first["ndc"]) == (EPINEPHRINE_GTIN, ndc11(EPINEPHRINE_NDC))
    assert first["item_name"] == "Epinephrine"
    # Cells a spreadsheet would evaluate start with a quote; nothing is lost otherwise.
    assert first["supplier_reference"] == "'+SO-9"
    assert second["item_name"] == '\'=HYPERLINK("http://x")'
    assert (second["gtin"], second["ndc"]) == ("", "")


async def test_receipts_as_csv_match_their_json(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    number = (await purchase_order(client, admin))["number"]
    url = f"/api/v1/purchase-orders/{number}/receipts"
    assert await _rows(client, url, admin) == []
    header = (await client.get(url, headers={**admin, **CSV})).text.splitlines()[0]
    assert header == ",".join(RECEIPT_COLUMNS)
    for code, quantity in (
        (gs1(EPINEPHRINE_CARTON_GTIN, lot="-1+1", expiry=TODAY + timedelta(days=90)), 2),
        (gs1(EPINEPHRINE_GTIN, lot="B7"), 5),
    ):
        response = await scan(
            client, admin, code, "receive", "MAIN", quantity=quantity, purchase_order=number
        )
        assert response.status_code == 201, response.text
    receipts = (await client.get(url, headers=admin)).json()
    rows = await _rows(client, url, await keys.header(Role.SCANNER))
    assert len(rows) == len(receipts) == 2
    for row, receipt in zip(rows, receipts, strict=True):
        for column in ("purchase_order", "movement", "scan", "quantity", "location", "actor"):
            assert row[column] == _text(receipt[column]), column
        assert (row["item_id"], row["item_name"]) == (
            str(receipt["item"]["id"]),
            receipt["item"]["name"],
        )
        assert row["gtin"] == receipt["gtin"] == EPINEPHRINE_GTIN
        assert row["ndc"] == receipt["ndc"] == ndc11(EPINEPHRINE_NDC)
        assert row["expiry"] == _text(receipt["expiry"])
        assert row["occurred_at"].replace("+00:00", "Z") == receipt["occurred_at"].replace(
            "+00:00", "Z"
        )
    assert [(row["lot"], row["quantity"]) for row in rows] == [("'-1+1", "20"), ("B7", "5")]
    assert [r["lot"] for r in receipts] == ["-1+1", "B7"]
