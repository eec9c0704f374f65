"""Small helpers the API tests share: build GS1 codes, create reference data, post scans."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx

from inventory_svc.domain.barcodes import gtin_from_ndc
from inventory_svc.services.problems import PROBLEM_TYPE_BASE

GS = "\x1d"
EPINEPHRINE_NDC = "0409-4921-34"
EPINEPHRINE_GTIN = gtin_from_ndc(EPINEPHRINE_NDC)
EPINEPHRINE_CARTON_GTIN = gtin_from_ndc(EPINEPHRINE_NDC, indicator=5)


def gs1(
    gtin: str,
    *,
    lot: str | None = None,
    expiry: date | None = None,
    serial: str | None = None,
    aim: str = "]d2",
) -> str:
    """DataMatrix content as a scanner sends it: fixed-length AIs first, GS after variable ones."""
    parts = f"01{gtin}"
    if expiry is not None:
        parts += f"17{expiry:%y%m%d}"
    if lot is not None:
        parts += f"10{lot}" + (GS if serial is not None else "")
    if serial is not None:
        parts += f"21{serial}"
    return aim + parts


async def make_item(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    name: str = "Epinephrine",
    identifiers: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    if identifiers is None:
        identifiers = [
            {"kind": "ndc", "value": EPINEPHRINE_NDC, "units": 1},
            {"kind": "gtin", "value": EPINEPHRINE_GTIN, "units": 1},
            {"kind": "gtin", "value": EPINEPHRINE_CARTON_GTIN, "units": 10},
        ]
    response = await client.post(
        "/api/v1/items",
        json={"name": name, "strength": "1 mg/10 mL", "identifiers": identifiers},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def make_location(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    code: str,
    kind: str = "shelf",
    parent: str | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/locations",
        json={"code": code, "name": f"Location {code}", "kind": kind, "parent": parent},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def scan(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    code: str,
    action: str,
    location: str,
    *,
    key: str | None = None,
    **extra: Any,
) -> Any:
    """POST /scans with a fresh Idempotency-Key unless one is given."""
    return await client.post(
        "/api/v1/scans",
        json={"code": code, "action": action, "location": location, **extra},
        headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())},
    )


async def on_hand(
    client: httpx.AsyncClient, headers: dict[str, str], location: str
) -> dict[str, int]:
    """{lot: quantity} at one location."""
    response = await client.get("/api/v1/stock", params={"location": location}, headers=headers)
    assert response.status_code == 200, response.text
    return {row["lot"]: row["quantity"] for row in response.json()}


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The answer is an RFC 9457 problem with this status and stable code; returns it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["type"] == PROBLEM_TYPE_BASE + code.replace("_", "-")
    assert isinstance(problem["title"], str) and problem["title"]
    assert isinstance(problem["detail"], str) and problem["detail"]
    return problem


async def stocked_shelf(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    shelf: str = "SHELF",
    *,
    lot: str = "S1",
    expiry: date = date(2031, 1, 31),
    quantity: int = 10,
    kind: str = "shelf",
) -> str:
    """The epinephrine item, a shelf, and `quantity` of one lot received onto it; returns
    the lot's DataMatrix code."""
    await make_item(client, headers)
    await make_location(client, headers, shelf, kind)
    code = gs1(EPINEPHRINE_GTIN, lot=lot, expiry=expiry)
    response = await scan(client, headers, code, "receive", shelf, quantity=quantity)
    assert response.status_code == 201, response.text
    return code
