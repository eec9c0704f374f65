"""Reference data the purchasing-integration tests share: a supplier, a storeroom, two items
(epinephrine, atropine) and a submitted purchase order for epinephrine."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from tests.helpers import EPINEPHRINE_GTIN, GS, make_item, make_location

Client = AsyncTestClient[Any]
TODAY = datetime.now(UTC).date()
ATROPINE_GTIN = "00300000000018"
SSCC_1 = "106141411234567897"
SSCC_2 = "006141411234567890"


def case_label(
    gtin: str, count: int, sscc: str, *, lot: str | None = None, expiry: date | None = None
) -> str:
    """A GS1-128 case label: SSCC (00), content GTIN (02), expiry (17), lot (10), count (37)."""
    code = f"]C100{sscc}02{gtin}"
    if expiry is not None:
        code += f"17{expiry:%y%m%d}"
    if lot is not None:
        code += f"10{lot}{GS}"
    return code + f"37{count}"


async def purchase_order(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    *,
    ordered: int = 100,
    submit: bool = True,
) -> dict[str, Any]:
    """Supplier CARD, storeroom MAIN, epinephrine and atropine; a PO for `ordered` units of
    epinephrine (submitted unless `submit` is false). Returns ids and the PO number."""
    response = await client.post(
        "/api/v1/suppliers", json={"code": "CARD", "name": "Cardinal"}, headers=admin
    )
    assert response.status_code == 201, response.text
    epinephrine = await make_item(client, admin)
    atropine = await make_item(
        client, admin, "Atropine", [{"kind": "gtin", "value": ATROPINE_GTIN, "units": 1}]
    )
    await make_location(client, admin, "MAIN", "storeroom")
    created = await client.post(
        "/api/v1/purchase-orders",
        json={
            "supplier": "CARD",
            "location": "MAIN",
            "lines": [{"item": epinephrine["id"], "ordered": ordered}],
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    if submit:
        submitted = await client.post(f"/api/v1/purchase-orders/{number}/submit", headers=admin)
        assert submitted.status_code == 200, submitted.text
    return {
        "number": number,
        "epinephrine": epinephrine["id"],
        "atropine": atropine["id"],
        "gtin": EPINEPHRINE_GTIN,
    }
