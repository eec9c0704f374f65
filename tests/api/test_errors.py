"""Every error is RFC 9457 problem+json with a stable code; idempotent scan replays; the
served OpenAPI document. On both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from inventory_svc.app import create_app
from inventory_svc.config import Settings
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

NEXT_YEAR = datetime.now(UTC).date() + timedelta(days=365)
CODE = gs1(EPINEPHRINE_GTIN, lot="IDEM", expiry=NEXT_YEAR)


async def _shelf(client: AsyncTestClient[Any], keys: Keys) -> dict[str, str]:
    admin = await keys.header()
    await make_item(client, admin)
    await make_location(client, admin, "SHELF", "shelf")
    return admin


async def _scan_log(client: AsyncTestClient[Any], admin: dict[str, str]) -> list[Any]:
    response = await client.get("/api/v1/scans", headers=admin)
    assert response.status_code == 200
    return list(response.json())


# --- routing -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/nothing-here", "/api/v1/items/abc"])
async def test_an_unknown_route_is_not_found(
    client: AsyncTestClient[Any], keys: Keys, path: str
) -> None:
    assert_problem(await client.get(path, headers=await keys.header()), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/api/v1/items", {"GET", "POST"}),
        ("PUT", "/api/v1/items/1", {"GET"}),
        ("PATCH", "/api/v1/scans", {"GET", "POST"}),
        ("POST", "/api/v1/stock", {"GET"}),
    ],
)
async def test_a_wrong_method_is_not_allowed_and_says_what_is(
    client: AsyncTestClient[Any], keys: Keys, method: str, path: str, allow: set[str]
) -> None:
    response = await client.request(method, path, headers=await keys.header())
    assert_problem(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["allow"].split(",")} - {"OPTIONS"} == allow


# --- request bodies and parameters ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/items", "/api/v1/locations", "/api/v1/scans"])
@pytest.mark.parametrize("raw", [b'{"name": ', b"{name: 'x'}", b"not json", b""])
async def test_malformed_json_is_a_validation_error(
    client: AsyncTestClient[Any], keys: Keys, path: str, raw: bytes
) -> None:
    admin = await keys.header()
    headers = {**admin, "Content-Type": "application/json", "Idempotency-Key": "malformed-1"}
    response = await client.post(path, content=raw, headers=headers)
    assert_problem(response, 400, "validation_error")


ITEM_BODIES = {
    "name is a number": {"name": 5},
    "identifiers is not a list": {"name": "X", "identifiers": "00312345678906"},
    "identifier kind unknown": {"name": "X", "identifiers": [{"kind": "isbn", "value": "1"}]},
    "units is text": {
        "name": "X",
        "identifiers": [{"kind": "internal", "value": "A", "units": "two"}],
    },
    "unknown field": {"name": "X", "colour": "red"},
    "unknown identifier field": {
        "name": "X",
        "identifiers": [{"kind": "internal", "value": "A", "lot": "1"}],
    },
    "missing name": {"strength": "1 mg"},
    "empty name": {"name": ""},
    "schedule unknown": {"name": "X", "schedule": "CVI"},
    "body is a list": [{"name": "X"}],
}


@pytest.mark.parametrize("body", ITEM_BODIES.values(), ids=ITEM_BODIES.keys())
async def test_an_item_body_of_the_wrong_shape_is_a_validation_error(
    client: AsyncTestClient[Any], keys: Keys, body: Any
) -> None:
    admin = await keys.header()
    response = await client.post("/api/v1/items", json=body, headers=admin)
    problem = assert_problem(response, 400, "validation_error")
    assert problem["errors"], problem
    assert (await client.get("/api/v1/items", headers=admin)).json() == []


LOCATION_BODIES = {
    "kind unknown": {"code": "A", "name": "A", "kind": "garage"},
    "code missing": {"name": "A", "kind": "shelf"},
    "code too long": {"code": "A" * 65, "name": "A", "kind": "shelf"},
    "parent is a number": {"code": "A", "name": "A", "kind": "shelf", "parent": 1},
    "unknown field": {"code": "A", "name": "A", "kind": "shelf", "virtual": True},
}


@pytest.mark.parametrize("body", LOCATION_BODIES.values(), ids=LOCATION_BODIES.keys())
async def test_a_location_body_of_the_wrong_shape_is_a_validation_error(
    client: AsyncTestClient[Any], keys: Keys, body: dict[str, Any]
) -> None:
    admin = await keys.header()
    response = await client.post("/api/v1/locations", json=body, headers=admin)
    assert_problem(response, 400, "validation_error")
    codes = [loc["code"] for loc in (await client.get("/api/v1/locations", headers=admin)).json()]
    assert not [code for code in codes if not code.startswith("@")]


SCAN_BODIES = {
    "action unknown": {"code": CODE, "action": "teleport", "location": "SHELF"},
    "action missing": {"code": CODE, "location": "SHELF"},
    "location missing": {"code": CODE, "action": "receive"},
    "code is a number": {"code": 312345678906, "action": "receive", "location": "SHELF"},
    "quantity is text": {"code": CODE, "action": "receive", "location": "SHELF", "quantity": "two"},
    "quantity zero": {"code": CODE, "action": "receive", "location": "SHELF", "quantity": 0},
    "quantity negative": {"code": CODE, "action": "receive", "location": "SHELF", "quantity": -3},
    "quantity fractional": {
        "code": CODE,
        "action": "receive",
        "location": "SHELF",
        "quantity": 1.5,
    },
    "unknown field": {"code": CODE, "action": "receive", "location": "SHELF", "lot": "IDEM"},
    "scanned_at not a time": {
        "code": CODE,
        "action": "receive",
        "location": "SHELF",
        "scanned_at": "yesterday",
    },
}


@pytest.mark.parametrize("body", SCAN_BODIES.values(), ids=SCAN_BODIES.keys())
async def test_a_malformed_scan_is_a_validation_error_and_moves_nothing(
    client: AsyncTestClient[Any], keys: Keys, body: dict[str, Any]
) -> None:
    admin = await _shelf(client, keys)
    response = await client.post(
        "/api/v1/scans", json=body, headers={**admin, "Idempotency-Key": str(uuid.uuid4())}
    )
    assert_problem(response, 400, "validation_error")
    assert await on_hand(client, admin, "SHELF") == {}
    assert (await client.get("/api/v1/movements", headers=admin)).json() == []


async def test_a_negative_issue_cannot_put_stock_back(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await _shelf(client, keys)
    assert (await scan(client, admin, CODE, "receive", "SHELF", quantity=4)).status_code == 201
    for quantity in (0, -4):
        response = await scan(client, admin, CODE, "issue", "SHELF", quantity=quantity)
        assert_problem(response, 400, "validation_error")
    assert await on_hand(client, admin, "SHELF") == {"IDEM": 4}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/items", {"limit": "0"}),
        ("/api/v1/items", {"offset": "-1"}),
        ("/api/v1/stock", {"item": "abc"}),
        ("/api/v1/stock", {"include_sublocations": "maybe"}),
        ("/api/v1/stock", {"expiring_within_days": "-1"}),
        ("/api/v1/stock", {"limit": "10001"}),
        ("/api/v1/movements", {"since": "yesterday"}),
        ("/api/v1/movements", {"after_id": "last"}),
        ("/api/v1/scans", {"status": "lost"}),
        ("/api/v1/scans", {"limit": "1001"}),
    ],
)
async def test_a_bad_query_parameter_is_a_validation_error_naming_it(
    client: AsyncTestClient[Any], keys: Keys, path: str, params: dict[str, str]
) -> None:
    response = await client.get(path, params=params, headers=await keys.header())
    problem = assert_problem(response, 400, "validation_error")
    assert [e["key"] for e in problem["errors"]] == list(params)


async def test_an_overlong_idempotency_key_is_refused(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await _shelf(client, keys)
    response = await scan(client, admin, CODE, "receive", "SHELF", key="k" * 201)
    assert_problem(response, 400, "validation_error")
    assert await on_hand(client, admin, "SHELF") == {}


async def test_a_domain_rejection_is_problem_json_too(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await _shelf(client, keys)
    response = await scan(client, admin, CODE, "issue", "SHELF")
    assert_problem(response, 409, "insufficient_stock")
    problem = assert_problem(
        await client.get("/api/v1/items/999", headers=await keys.header(Role.SCANNER)),
        404,
        "not_found",
    )
    assert "999" in problem["detail"]


# --- idempotency -----------------------------------------------------------------------------


async def test_a_replayed_scan_returns_the_first_answer_and_counts_once(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await _shelf(client, keys)
    key = str(uuid.uuid4())
    first = await scan(client, admin, CODE, "receive", "SHELF", key=key, quantity=3)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers

    again = await scan(client, admin, CODE, "receive", "SHELF", key=key, quantity=3)
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"].startswith("application/json")
    assert again.json() == first.json()

    assert await on_hand(client, admin, "SHELF") == {"IDEM": 3}
    movements = (await client.get("/api/v1/movements", headers=admin)).json()
    assert [(m["kind"], m["quantity"]) for m in movements] == [("receive", 3)]
    assert [s["idempotency_key"] for s in await _scan_log(client, admin)] == [key]


async def test_the_same_key_with_a_different_scan_is_refused(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await _shelf(client, keys)
    key = str(uuid.uuid4())
    assert (await scan(client, admin, CODE, "receive", "SHELF", key=key)).status_code == 201

    for changed in ({"quantity": 2}, {"device": "other"}):
        response = await scan(client, admin, CODE, "receive", "SHELF", key=key, **changed)
        assert_problem(response, 409, "idempotency_key_reused")
    different_action = await scan(client, admin, CODE, "issue", "SHELF", key=key)
    assert_problem(different_action, 409, "idempotency_key_reused")

    assert await on_hand(client, admin, "SHELF") == {"IDEM": 1}
    assert len(await _scan_log(client, admin)) == 1


async def test_a_replayed_rejection_returns_the_same_problem_again(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await _shelf(client, keys)
    key = str(uuid.uuid4())
    first = await scan(client, admin, CODE, "issue", "SHELF", key=key, quantity=2)
    assert_problem(first, 409, "insufficient_stock")

    # Stock arrives meanwhile; the replay still answers what the scan got the first time.
    assert (await scan(client, admin, CODE, "receive", "SHELF", quantity=5)).status_code == 201
    again = await scan(client, admin, CODE, "issue", "SHELF", key=key, quantity=2)
    assert_problem(again, 409, "insufficient_stock")
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"

    assert await on_hand(client, admin, "SHELF") == {"IDEM": 5}
    log = await _scan_log(client, admin)
    assert [(s["action"], s["status"], s["error_code"]) for s in log] == [
        ("issue", "rejected", "insufficient_stock"),
        ("receive", "applied", None),
    ]


async def test_the_same_body_is_the_same_scan_whatever_its_key_order(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await _shelf(client, keys)
    key = str(uuid.uuid4())
    headers = {**admin, "Idempotency-Key": key}
    body = {"code": CODE, "action": "receive", "location": "SHELF", "quantity": 1}
    first = await client.post("/api/v1/scans", json=body, headers=headers)
    assert first.status_code == 201
    reordered = {"location": "SHELF", "action": "receive", "code": CODE}  # quantity defaulted
    again = await client.post("/api/v1/scans", json=reordered, headers=headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert await on_hand(client, admin, "SHELF") == {"IDEM": 1}


async def test_a_keyless_retry_cannot_double_book(client: AsyncTestClient[Any], keys: Keys) -> None:
    admin = await _shelf(client, keys)
    body = {"code": CODE, "action": "receive", "location": "SHELF"}
    for _ in range(2):
        response = await client.post("/api/v1/scans", json=body, headers=admin)
        assert_problem(response, 400, "idempotency_key_required")
    assert await on_hand(client, admin, "SHELF") == {}


# --- OpenAPI ---------------------------------------------------------------------------------


async def test_the_openapi_document_describes_scans_and_their_idempotency_key(
    client: AsyncTestClient[Any],
) -> None:
    page = await client.get("/schema")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]

    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "inventory-svc"
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    paths = document["paths"]
    assert {"/health", "/ready", "/api/v1/items", "/api/v1/scans", "/api/v1/stock"} <= set(paths)

    post_scans = paths["/api/v1/scans"]["post"]
    header = next(p for p in post_scans["parameters"] if p["in"] == "header")
    assert header["name"] == "Idempotency-Key"
    assert header["required"] is True
    assert header["description"]
    assert "201" in post_scans["responses"]
    assert post_scans["requestBody"]["content"]["application/json"]["schema"]

    stock_params = {p["name"]: p for p in paths["/api/v1/stock"]["get"]["parameters"]}
    assert set(stock_params) >= {
        "location",
        "item",
        "gtin",
        "include_sublocations",
        "expiring_within_days",
    }
    assert all(p["in"] == "query" and p["description"] for p in stock_params.values())
    assert paths["/api/v1/items/{item_id}"]["get"]["parameters"][0]["in"] == "path"


async def test_ready_says_503_when_the_database_is_unreachable_while_health_stays_up() -> None:
    settings = Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    async with AsyncTestClient(app=create_app(settings), timeout=30) as unreachable:
        assert (await unreachable.get("/health")).status_code == 200
        ready = await unreachable.get("/ready")
    assert ready.status_code == 503
    assert ready.headers["content-type"].startswith("application/problem+json")
    assert ready.json()["code"] == "database_unavailable"
