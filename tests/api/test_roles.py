"""The role matrix, route by route, plus authentication: on both databases.

Roles (inventory_svc/domain/roles.py): `scanner` scans and reads; `specialist` also transfers;
`manager` also edits items, locations and suppliers; `integration` only reads; `admin` does
everything. The expected roles are written out here rather than derived from the code under
test, and every route the app serves under /api/v1 must have an entry in MATRIX.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.api.auth import requires
from inventory_svc.app import create_app
from inventory_svc.config import Settings
from inventory_svc.db.engine import create_sessionmaker
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.roles import Permission, Role
from inventory_svc.services.actors import SYSTEM
from inventory_svc.services.keys import create_key, revoke_key
from inventory_svc.services.uow import Transactions
from tests.conftest import Keys
from tests.helpers import EPINEPHRINE_GTIN, gs1, make_item, make_location, on_hand, scan

NEXT_YEAR = datetime.now(UTC).date() + timedelta(days=365)
STOCK_CODE = gs1(EPINEPHRINE_GTIN, lot="R1", expiry=NEXT_YEAR)
SERIAL_CODE = gs1(EPINEPHRINE_GTIN, lot="R1", expiry=NEXT_YEAR, serial="R-1")

EVERYONE = frozenset(Role)
SCANNING = frozenset({Role.SCANNER, Role.SPECIALIST, Role.MANAGER, Role.ADMIN})
TRANSFERRING = frozenset({Role.SPECIALIST, Role.MANAGER, Role.ADMIN})
EDITING = frozenset({Role.MANAGER, Role.ADMIN})
EVENT_READERS = frozenset({Role.MANAGER, Role.INTEGRATION, Role.ADMIN})
ACKNOWLEDGING = frozenset({Role.MANAGER, Role.INTEGRATION, Role.ADMIN})

Body = Callable[[Role], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """One request against one route: `url` may use {item}; `body` gets the calling role so
    that allowed creations do not collide with each other."""

    url: str
    allowed: frozenset[Role]
    success: int = 200
    body: Body | None = None
    csv: Callable[[Role], str] | None = None
    """A `text/csv` body instead of JSON (the go-live imports)."""


def _scan_body(action: str, **extra: Any) -> Body:
    return lambda role: {
        "code": STOCK_CODE,
        "action": action,
        "location": "SHELF",
        "device": f"dev-{role.value}",
        **extra,
    }


# (method, route path as the app declares it) -> a request that exercises it.
MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/items"): Case("/api/v1/items?q=epi", EVERYONE),
    ("POST", "/api/v1/items"): Case(
        "/api/v1/items",
        EDITING,
        201,
        lambda role: {
            "name": f"Saline ({role.value})",
            "identifiers": [{"kind": "internal", "value": f"SAL-{role.value}"}],
        },
    ),
    ("GET", "/api/v1/items/{item_id:int}"): Case("/api/v1/items/{item}", EVERYONE),
    ("GET", "/api/v1/locations"): Case("/api/v1/locations", EVERYONE),
    ("POST", "/api/v1/locations"): Case(
        "/api/v1/locations",
        EDITING,
        201,
        lambda role: {"code": f"BIN-{role.value}", "name": "Bin", "kind": "bin", "parent": "MAIN"},
    ),
    ("GET", "/api/v1/locations/{code:str}/label.svg"): Case(
        "/api/v1/locations/SHELF/label.svg", EVERYONE
    ),
    ("GET", "/api/v1/locations/{code:str}/label.png"): Case(
        "/api/v1/locations/SHELF/label.png", EVERYONE
    ),
    ("GET", "/api/v1/suppliers"): Case("/api/v1/suppliers", EVERYONE),
    ("POST", "/api/v1/suppliers"): Case(
        "/api/v1/suppliers",
        EDITING,
        201,
        lambda role: {"code": f"SUP-{role.value}", "name": f"Supplier {role.value}"},
    ),
    ("GET", "/api/v1/scans"): Case("/api/v1/scans?status=applied", EVERYONE),
    ("POST", "/api/v1/scans"): Case("/api/v1/scans", SCANNING, 201, _scan_body("receive")),
    ("GET", "/api/v1/stock"): Case("/api/v1/stock?location=SHELF", EVERYONE),
    ("GET", "/api/v1/movements"): Case("/api/v1/movements?lot=R1", EVERYONE),
    ("GET", "/api/v1/events"): Case("/api/v1/events?type=stock.*", EVENT_READERS),
    # Reorders. Item 1 is the one item _reference_data creates; {po_*} are its orders.
    ("GET", "/api/v1/supplier-items"): Case("/api/v1/supplier-items?supplier=SUP", EVERYONE),
    ("PUT", "/api/v1/supplier-items"): Case(
        "/api/v1/supplier-items",
        EDITING,
        200,
        lambda role: {"supplier": "SUP", "item": 1, "pack_size": 5},
    ),
    ("GET", "/api/v1/par-levels"): Case("/api/v1/par-levels?location=SHELF", EVERYONE),
    ("PUT", "/api/v1/par-levels"): Case(
        "/api/v1/par-levels",
        EDITING,
        200,
        lambda role: {"item": 1, "location": "SHELF", "par": 80, "reorder_point": 60},
    ),
    ("GET", "/api/v1/reorder-list"): Case("/api/v1/reorder-list?location=SHELF", EVERYONE),
    ("GET", "/api/v1/purchase-orders"): Case("/api/v1/purchase-orders?status=draft", EVERYONE),
    ("POST", "/api/v1/purchase-orders"): Case(
        "/api/v1/purchase-orders",
        EDITING,
        201,
        lambda role: {"supplier": "SUP", "location": "MAIN", "lines": [{"item": 1, "ordered": 5}]},
    ),
    ("GET", "/api/v1/purchase-orders/{number:str}"): Case(
        "/api/v1/purchase-orders/{po_draft}", EVERYONE
    ),
    ("PATCH", "/api/v1/purchase-orders/{number:str}"): Case(
        "/api/v1/purchase-orders/{po_draft}",
        EDITING,
        200,
        lambda role: {"lines": [{"item": 1, "ordered": 7}]},
    ),
    ("POST", "/api/v1/purchase-orders/{number:str}/submit"): Case(
        "/api/v1/purchase-orders/{po_draft}/submit", EDITING
    ),
    ("POST", "/api/v1/purchase-orders/{number:str}/cancel"): Case(
        "/api/v1/purchase-orders/{po_to_cancel}/cancel", EDITING
    ),
    ("POST", "/api/v1/purchase-orders/{number:str}/acknowledge"): Case(
        "/api/v1/purchase-orders/{po_submitted}/acknowledge",
        ACKNOWLEDGING,
        200,
        lambda role: {"supplier_reference": f"ack-{role.value}"},
    ),
    # Shipment notices: posted by the supplier's side (DESIGN §4.1: integration, and
    # managers/admins who may do what it does); read by everyone.
    ("POST", "/api/v1/purchase-orders/{number:str}/shipments"): Case(
        "/api/v1/purchase-orders/{po_submitted}/shipments",
        ACKNOWLEDGING,
        201,
        lambda role: {
            "lines": [
                {
                    "gtin": EPINEPHRINE_GTIN,
                    "lot": "R1",
                    "expiry": NEXT_YEAR.isoformat(),
                    "quantity": 5,
                }
            ],
            "reference": f"asn-{role.value}",
        },
    ),
    ("GET", "/api/v1/purchase-orders/{number:str}/shipments"): Case(
        "/api/v1/purchase-orders/{po_submitted}/shipments", EVERYONE
    ),
    ("GET", "/api/v1/purchase-orders/{number:str}/receipts"): Case(
        "/api/v1/purchase-orders/{po_submitted}/receipts", EVERYONE
    ),
    ("POST", "/api/v1/pick-lists"): Case(
        "/api/v1/pick-lists",
        TRANSFERRING,
        201,
        lambda role: {"from_reorder_list": {"location": "SAT"}},
    ),
    ("GET", "/api/v1/pick-lists/{pick_list_id:int}"): Case(
        "/api/v1/pick-lists/{pick_list}", EVERYONE
    ),
    ("GET", "/api/v1/supplier-returns"): Case("/api/v1/supplier-returns?supplier=SUP", EVERYONE),
    # Kits: KIT-A is sealed, KIT-B empty, KIT-C has an open session ({restock_session}).
    ("POST", "/api/v1/kit-templates"): Case(
        "/api/v1/kit-templates",
        EDITING,
        201,
        lambda role: {
            "code": f"KT-{role.value}",
            "name": "Kit",
            "kind": "kit",
            "lines": [{"slot": "A", "items": [1], "quantity": 1}],
        },
    ),
    ("GET", "/api/v1/kit-templates"): Case("/api/v1/kit-templates", EVERYONE),
    ("GET", "/api/v1/kit-templates/{code:str}"): Case("/api/v1/kit-templates/KT", EVERYONE),
    ("POST", "/api/v1/kits"): Case(
        "/api/v1/kits",
        EDITING,
        201,
        lambda role: {"code": f"KIT-{role.value}", "template": "KT", "home_location": "MAIN"},
    ),
    ("GET", "/api/v1/kits"): Case("/api/v1/kits?status=ready", EVERYONE),
    ("GET", "/api/v1/kits/{code:str}"): Case("/api/v1/kits/KIT-A", EVERYONE),
    ("POST", "/api/v1/kits/{code:str}/restock"): Case(
        "/api/v1/kits/KIT-B/restock", TRANSFERRING, 200, lambda role: {"source_location": "SHELF"}
    ),
    ("GET", "/api/v1/kits/{code:str}/restock-plan"): Case(
        "/api/v1/kits/KIT-B/restock-plan?source=SHELF", EVERYONE
    ),
    ("POST", "/api/v1/kits/{code:str}/open"): Case(
        "/api/v1/kits/KIT-A/open", TRANSFERRING, 200, lambda role: {"reference": "OR-7"}
    ),
    ("POST", "/api/v1/kits/{code:str}/checks"): Case(
        "/api/v1/kits/KIT-B/checks",
        TRANSFERRING,
        201,
        lambda role: {"seal_number": "S-9", "intact": True},
    ),
    ("GET", "/api/v1/kits/{code:str}/usage"): Case("/api/v1/kits/KIT-A/usage", EVERYONE),
    ("GET", "/api/v1/kits/{code:str}/label.svg"): Case("/api/v1/kits/KIT-A/label.svg", EVERYONE),
    ("GET", "/api/v1/kits/{code:str}/label.png"): Case("/api/v1/kits/KIT-A/label.png", EVERYONE),
    ("GET", "/api/v1/restock-sessions/{session_id:int}"): Case(
        "/api/v1/restock-sessions/{restock_session}", EVERYONE
    ),
    ("POST", "/api/v1/restock-sessions/{session_id:int}/complete"): Case(
        "/api/v1/restock-sessions/{restock_session}/complete",
        TRANSFERRING,
        200,
        lambda role: {"seal_number": "S-C"},
    ),
    # Recalls: {recall} names lot NOPE, which nobody holds.
    ("POST", "/api/v1/recalls"): Case(
        "/api/v1/recalls",
        EDITING,
        201,
        lambda role: {"item": 1, "lots": [f"L-{role.value}"[:20]], "reason": "test"},
    ),
    ("GET", "/api/v1/recalls"): Case("/api/v1/recalls", EVERYONE),
    ("GET", "/api/v1/recalls/{recall_id:int}"): Case("/api/v1/recalls/{recall}", EVERYONE),
    ("POST", "/api/v1/recalls/{recall_id:int}/quarantine"): Case(
        "/api/v1/recalls/{recall}/quarantine",
        EDITING,
        200,
        lambda role: {"quarantine_location": "QUAR"},
    ),
    ("GET", "/api/v1/expiring"): Case("/api/v1/expiring?expiring_within_days=400", EVERYONE),
    ("GET", "/api/v1/serials/{gtin:str}/{serial:str}"): Case(
        f"/api/v1/serials/{EPINEPHRINE_GTIN}/R-1", EVERYONE
    ),
    # Counts, controlled substances, imports, reversals: {count} is an open count of the
    # empty CNT, {reversible} a receipt into REV that nothing else touches.
    ("POST", "/api/v1/counts"): Case(
        "/api/v1/counts", TRANSFERRING, 201, lambda role: {"location": "SAT", "blind": True}
    ),
    ("GET", "/api/v1/counts/{count_id:int}"): Case("/api/v1/counts/{count}", EVERYONE),
    ("POST", "/api/v1/counts/{count_id:int}/commit"): Case(
        "/api/v1/counts/{count}/commit", EDITING
    ),
    ("GET", "/api/v1/controlled/ledger"): Case(
        "/api/v1/controlled/ledger?location=SHELF", EVERYONE
    ),
    ("POST", "/api/v1/imports/items"): Case(
        "/api/v1/imports/items",
        EDITING,
        csv=lambda role: f"name,gtins\nImported {role.value},{EPINEPHRINE_GTIN}\n",
    ),
    ("POST", "/api/v1/imports/stock"): Case(
        "/api/v1/imports/stock",
        EDITING,
        csv=lambda role: f"location,gtin,lot,quantity\nCNT,{EPINEPHRINE_GTIN},IMP,3\n",
    ),
    ("POST", "/api/v1/scans/{scan_id:int}/reverse"): Case(
        "/api/v1/scans/{reversible}/reverse", EDITING, 201, lambda role: {"reason": "wrong"}
    ),
    # Webhooks (managers, DESIGN §4.1): {webhook} has no deliveries (nothing dispatches here),
    # so redelivering delivery 1 is a 404 for those allowed; {webhook_to_delete} goes.
    ("POST", "/api/v1/webhooks"): Case(
        "/api/v1/webhooks",
        EDITING,
        201,
        lambda role: {
            "url": f"https://93.184.215.14/{role.value}",
            "secret": "0123456789abcdef",
            "events": ["*"],
        },
    ),
    ("GET", "/api/v1/webhooks"): Case("/api/v1/webhooks", EDITING),
    ("GET", "/api/v1/webhooks/{webhook_id:int}"): Case("/api/v1/webhooks/{webhook}", EDITING),
    ("GET", "/api/v1/webhooks/{webhook_id:int}/deliveries"): Case(
        "/api/v1/webhooks/{webhook}/deliveries", EDITING
    ),
    ("POST", "/api/v1/webhooks/{webhook_id:int}/deliveries/{delivery_id:int}/redeliver"): Case(
        "/api/v1/webhooks/{webhook}/deliveries/1/redeliver", EDITING, 404
    ),
    ("POST", "/api/v1/webhooks/{webhook_id:int}/redeliver-dead"): Case(
        "/api/v1/webhooks/{webhook}/redeliver-dead", EDITING
    ),
    ("DELETE", "/api/v1/webhooks/{webhook_id:int}"): Case(
        "/api/v1/webhooks/{webhook_to_delete}", EDITING, 204
    ),
}

# Scan actions whose permission goes beyond plain scanning (POST /scans is one route).
SCAN_ACTIONS: dict[str, tuple[frozenset[Role], Body]] = {
    "receive": (SCANNING, _scan_body("receive")),
    "issue": (SCANNING, _scan_body("issue")),
    "lookup": (SCANNING, _scan_body("lookup")),
    "transfer": (TRANSFERRING, _scan_body("transfer", to_location="SAT")),
    # A technician restocks and seals a kit with the scanner alone (DESIGN §4.1).
    "restock": (SCANNING, _scan_body("restock", to_location="KIT-B")),
    "seal": (
        SCANNING,
        lambda role: {"code": f"SEAL-{role.value}", "action": "seal", "location": "KIT-B"},
    ),
    "remove": (SCANNING, _scan_body("remove", location="KIT-C", to_location="SHELF")),
    # Count 1 is _reference_data's open count of CNT.
    "count": (SCANNING, _scan_body("count", location="CNT", count_session=1)),
}


def _served_api_routes() -> set[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:", log_level="WARNING"))
    return {
        (method, route.path)
        for route in app.routes
        if route.path.startswith("/api/v1")
        for method in getattr(route, "methods", ())
        if method != "OPTIONS"  # answered by Litestar itself, no handler of ours
    }


def test_the_matrix_covers_every_api_route() -> None:
    served = _served_api_routes()
    assert ("POST", "/api/v1/scans") in served  # the derivation itself works
    missing = served - MATRIX.keys()
    assert not missing, f"routes without a role-matrix entry: {sorted(missing)}"
    stale = MATRIX.keys() - served
    assert not stale, f"matrix entries for routes the app no longer serves: {sorted(stale)}"


async def _reference_data(client: AsyncTestClient[Any], admin: dict[str, str]) -> dict[str, Any]:
    item = await make_item(client, admin)
    await make_location(client, admin, "MAIN", "storeroom")
    await make_location(client, admin, "SHELF", "shelf", parent="MAIN")
    await make_location(client, admin, "SAT", "satellite")
    received = await scan(client, admin, STOCK_CODE, "receive", "SHELF", quantity=49)
    assert received.status_code == 201, received.text
    serialised = await scan(client, admin, SERIAL_CODE, "receive", "SHELF")  # 50 in all
    assert serialised.status_code == 201, serialised.text
    assert item["id"] == 1  # the reorder routes' bodies name it
    supplier = await client.post(
        "/api/v1/suppliers", json={"code": "SUP", "name": "Supplier"}, headers=admin
    )
    assert supplier.status_code == 201, supplier.text
    orders = {}
    for name in ("po_draft", "po_to_cancel", "po_submitted"):
        order = await client.post(
            "/api/v1/purchase-orders",
            json={"supplier": "SUP", "location": "MAIN", "lines": [{"item": 1, "ordered": 5}]},
            headers=admin,
        )
        assert order.status_code == 201, order.text
        orders[name] = order.json()["number"]
    submitted = await client.post(
        f"/api/v1/purchase-orders/{orders['po_submitted']}/submit", headers=admin
    )
    assert submitted.status_code == 200, submitted.text
    pick_list = await client.post(
        "/api/v1/pick-lists", json={"from_reorder_list": {"location": "SAT"}}, headers=admin
    )
    assert pick_list.status_code == 201, pick_list.text
    return {
        "item": item["id"],
        **(await _count_and_reversible(client, admin)),
        **orders,
        "pick_list": pick_list.json()["id"],
        "restock_session": await _kits(client, admin),
        "recall": await _recall(client, admin),
        **(await _webhooks(client, admin)),
    }


async def _count_and_reversible(
    client: AsyncTestClient[Any], admin: dict[str, str]
) -> dict[str, int]:
    """Count 1, open at the empty CNT; a receipt of 2 into REV, for reversal."""
    await make_location(client, admin, "CNT", "shelf", parent="MAIN")
    await make_location(client, admin, "REV", "shelf", parent="MAIN")
    count = await client.post("/api/v1/counts", json={"location": "CNT"}, headers=admin)
    assert count.status_code == 201 and count.json()["id"] == 1, count.text
    reversible = await scan(client, admin, STOCK_CODE, "receive", "REV", quantity=2)
    assert reversible.status_code == 201, reversible.text
    return {"count": 1, "reversible": reversible.json()["id"]}


async def _recall(client: AsyncTestClient[Any], admin: dict[str, str]) -> int:
    await make_location(client, admin, "QUAR", "quarantine", parent="MAIN")
    recall = await client.post(
        "/api/v1/recalls", json={"item": 1, "lots": ["NOPE"], "reason": "test"}, headers=admin
    )
    assert recall.status_code == 201, recall.text
    return int(recall.json()["id"])


async def _webhooks(client: AsyncTestClient[Any], admin: dict[str, str]) -> dict[str, int]:
    """Two subscriptions to a public address literal: one to read, one to delete."""
    made = {}
    for name in ("webhook", "webhook_to_delete"):
        webhook = await client.post(
            "/api/v1/webhooks",
            json={
                "url": f"https://93.184.215.14/{name}",
                "secret": "0123456789abcdef",
                "events": ["purchase_order.*"],
            },
            headers=admin,
        )
        assert webhook.status_code == 201, webhook.text
        made[name] = int(webhook.json()["id"])
    return made


async def _kits(client: AsyncTestClient[Any], admin: dict[str, str]) -> int:
    """A one-slot template KT and kits KIT-A (sealed), KIT-B (empty), KIT-C (one unit in,
    its restock session open): returns KIT-C's session."""
    template = await client.post(
        "/api/v1/kit-templates",
        json={
            "code": "KT",
            "name": "Kit",
            "kind": "kit",
            "lines": [{"slot": "Epinephrine", "items": [1], "quantity": 1}],
        },
        headers=admin,
    )
    assert template.status_code == 201, template.text
    for code in ("KIT-A", "KIT-B", "KIT-C"):
        kit = await client.post(
            "/api/v1/kits",
            json={"code": code, "template": "KT", "home_location": "MAIN"},
            headers=admin,
        )
        assert kit.status_code == 201, kit.text
    sessions = {}
    for code in ("KIT-A", "KIT-C"):
        filled = await scan(client, admin, STOCK_CODE, "restock", "SHELF", to_location=code)
        assert filled.status_code == 201, filled.text
        sessions[code] = filled.json()["kit"]["restock_session"]
    sealed = await scan(client, admin, "SEAL-A", "seal", "KIT-A")
    assert sealed.status_code == 201, sealed.text
    return int(sessions["KIT-C"])


async def _call(
    client: AsyncTestClient[Any],
    method: str,
    case: Case,
    role: Role,
    headers: dict[str, str],
    context: dict[str, Any],
) -> Any:
    headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    url = case.url.format(**context)
    if case.csv is not None:
        content = case.csv(role).encode()
        headers["Content-Type"] = "text/csv"
        return await client.request(method, url, content=content, headers=headers)
    body = case.body(role) if case.body else None
    return await client.request(method, url, json=body, headers=headers)


def _assert_forbidden(response: Any) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "forbidden"
    assert problem["status"] == 403
    assert {"type", "title", "detail"} <= problem.keys()


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
async def test_each_role_gets_exactly_the_routes_the_matrix_gives_it(
    client: AsyncTestClient[Any], keys: Keys, role: Role
) -> None:
    context = await _reference_data(client, await keys.header(Role.ADMIN))
    headers = await keys.header(role)
    outcomes: dict[tuple[str, str], int] = {}
    for (method, path), case in MATRIX.items():
        response = await _call(client, method, case, role, headers, context)
        outcomes[(method, path)] = response.status_code
        if role in case.allowed:
            assert response.status_code == case.success, (method, path, response.text)
        else:
            _assert_forbidden(response)
    allowed = {key for key, status in outcomes.items() if status not in (401, 403)}
    assert allowed == {key for key, case in MATRIX.items() if role in case.allowed}


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
async def test_each_role_may_use_only_its_scan_actions(
    client: AsyncTestClient[Any], keys: Keys, role: Role
) -> None:
    await _reference_data(client, await keys.header(Role.ADMIN))
    headers = await keys.header(role)
    for action, (allowed, body) in SCAN_ACTIONS.items():
        response = await client.post(
            "/api/v1/scans",
            json=body(role),
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        if role in allowed:
            assert response.status_code == 201, (action, response.text)
            assert response.json()["action"] == action
        else:
            _assert_forbidden(response)


async def test_scanner_cannot_transfer_and_the_attempt_is_recorded(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _reference_data(client, admin)
    scanner = await keys.header(Role.SCANNER)

    response = await scan(
        client, scanner, STOCK_CODE, "transfer", "SHELF", to_location="SAT", device="ward-7"
    )

    _assert_forbidden(response)
    assert "transfer" in response.json()["detail"]
    rejected = (
        await client.get("/api/v1/scans", params={"status": "rejected"}, headers=admin)
    ).json()
    assert [(r["action"], r["error_code"], r["device"]) for r in rejected] == [
        ("transfer", "forbidden", "ward-7")
    ]
    assert rejected[0]["actor"] == "test scanner"
    assert await on_hand(client, admin, "SHELF") == {"R1": 48}  # 2 went into kits
    assert await on_hand(client, admin, "SAT") == {}
    kinds = [m["kind"] for m in (await client.get("/api/v1/movements", headers=admin)).json()]
    assert kinds == [
        "receive",
        "receive",
        "receive",
        "restock",
        "restock",
    ]  # one serialised, one into REV


async def test_a_request_without_a_key_is_unauthorized_on_every_api_route(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    context = await _reference_data(client, await keys.header(Role.ADMIN))
    for method, path in MATRIX:
        case = MATRIX[(method, path)]
        for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}):
            response = await _call(client, method, case, Role.ADMIN, headers, context)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json()["code"] == "unauthorized"
    assert await on_hand(client, await keys.header(Role.ADMIN), "SHELF") == {"R1": 48}


async def test_an_unknown_key_is_unauthorized(client: AsyncTestClient[Any], keys: Keys) -> None:
    await keys.header(Role.ADMIN)  # some valid key exists
    response = await client.get(
        "/api/v1/items", headers={"Authorization": "Bearer inv_not-a-real-key"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_revoked_key_stops_working_at_once(
    client: AsyncTestClient[Any], engine: AsyncEngine
) -> None:
    transactions = Transactions(create_sessionmaker(engine), SiteClock())
    key_id, plain = await transactions.run(SYSTEM, create_key, Role.MANAGER, "night shift")
    headers = {"Authorization": f"Bearer {plain}"}
    assert (await client.get("/api/v1/items", headers=headers)).status_code == 200

    await transactions.run(SYSTEM, revoke_key, key_id)

    response = await client.get("/api/v1/items", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unauthorized"
    assert "revoked" in response.json()["detail"]
    refused = await client.post(
        "/api/v1/suppliers", json={"code": "LATE", "name": "Late"}, headers=headers
    )
    assert refused.status_code == 401


@pytest.mark.parametrize("path", ["/health", "/ready", "/schema", "/schema/openapi.json"])
async def test_health_readiness_and_schema_need_no_key(
    client: AsyncTestClient[Any], path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    if path in ("/health", "/ready"):
        assert response.json()["status"] == {"/health": "ok", "/ready": "ready"}[path]


def test_guards_run_on_the_event_loop_not_in_a_thread() -> None:
    """Litestar hands a plain-function guard to the thread pool on every request."""
    assert all(inspect.iscoroutinefunction(requires(p)) for p in Permission)
