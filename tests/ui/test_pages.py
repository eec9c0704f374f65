"""The UI's pages over HTTP, on both databases: each page for every role that may read it and
a 403 page for the others, the write forms (CSRF, MANAGE), stock search by every kind of
code, the reorder list's sparklines and purchase orders, kits, recalls, counts, events,
labels, hostile query parameters, and the demo data rendering every page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.db.engine import create_sessionmaker
from inventory_svc.demo import load_demo
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.roles import Role
from inventory_svc.services.actors import SYSTEM
from inventory_svc.services.uow import Transactions
from tests.conftest import Keys
from tests.helpers import EPINEPHRINE_GTIN, gs1, make_item, make_location, scan
from tests.ui.conftest import UiLogin, csrf_in

TODAY = datetime.now(UTC).date()
Client = AsyncTestClient[Any]

READ_PAGES = (
    "/ui/stock",
    "/ui/stock?q=Epinephrine",
    "/ui/stock/locations/MAIN",
    "/ui/reorder",
    "/ui/purchase-orders",
    "/ui/kits",
    "/ui/recalls",
    "/ui/counts",
    "/ui/labels",
)
EVENT_READERS = {Role.MANAGER, Role.INTEGRATION, Role.ADMIN}


async def reorder_setup(client: Any, keys: Keys) -> dict[str, Any]:
    """Epinephrine bought from CARD in packs of 10 (minimum 20) for MAIN, par 60, reorder
    point 30; 25 received and 5 used today: 20 on hand, below the reorder point."""
    admin = await keys.header(Role.ADMIN)
    response = await client.post(
        "/api/v1/suppliers", json={"code": "CARD", "name": "Cardinal"}, headers=admin
    )
    assert response.status_code == 201, response.text
    item = await make_item(client, admin)
    await make_location(client, admin, "MAIN", "storeroom")
    response = await client.put(
        "/api/v1/supplier-items",
        json={
            "supplier": "CARD",
            "item": item["id"],
            "pack_size": 10,
            "min_order_quantity": 20,
            "lead_time_days": 5,
            "preferred": True,
        },
        headers=admin,
    )
    assert response.status_code == 200, response.text
    response = await client.put(
        "/api/v1/par-levels",
        json={"item": item["id"], "location": "MAIN", "par": 60, "reorder_point": 30},
        headers=admin,
    )
    assert response.status_code == 200, response.text
    code = gs1(EPINEPHRINE_GTIN, lot="E1", expiry=TODAY + timedelta(days=400))
    received = await scan(client, admin, code, "receive", "MAIN", quantity=25)
    assert received.status_code == 201, received.text
    issued = await scan(client, admin, code, "issue", "MAIN", quantity=5)
    assert issued.status_code == 201, issued.text
    return {"item": item["id"], "code": code, "admin": admin}


async def test_every_page_answers_each_role_that_may_read_it_and_refuses_the_others(
    client: Client, keys: Keys, ui_login: UiLogin
) -> None:
    await reorder_setup(client, keys)
    for role in Role:
        await ui_login(client, role)
        for path in READ_PAGES:
            response = await client.get(path, follow_redirects=False)
            assert response.status_code == 200, (role, path, response.text[-500:])
            assert "text/html" in response.headers["content-type"]
        events = await client.get("/ui/events", follow_redirects=False)
        if role in EVENT_READERS:
            assert events.status_code == 200, events.text[-500:]
            assert "stock.changed" in events.text
        else:
            assert events.status_code == 403
            assert "may not events" in events.text
            assert 'href="/ui/events"' not in events.text  # not in the nav either


async def test_without_a_session_every_page_leads_to_the_login_page(client: Client) -> None:
    for path in (*READ_PAGES, "/ui/events", "/ui/kits/CART-1/live", "/ui/purchase-orders/PO-1"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/ui/login"), path
    form = await client.post("/ui/reorder/purchase-orders", data={}, follow_redirects=False)
    assert form.status_code in (303, 403)
    assert form.status_code != 303 or form.headers["location"].startswith("/ui/login")


async def test_a_manager_reviews_the_reorder_list_and_orders_edited_quantities(
    client: Client, keys: Keys, ui_login: UiLogin
) -> None:
    data = await reorder_setup(client, keys)
    token = await ui_login(client, Role.MANAGER)
    listed = await client.get("/ui/reorder")
    assert listed.status_code == 200
    page = listed.text
    assert "Epinephrine" in page and "Supplier CARD" in page
    # 30 days of usage, today's 5 units at the right-hand end, at the top of the box
    points = re.search(r'<polyline points="([^"]+)"', page)
    assert points is not None
    drawn = [tuple(map(float, p.split(","))) for p in points.group(1).split()]
    assert len(drawn) == 30
    assert drawn[-1] == (120.0, 2.0) and {y for _, y in drawn[:-1]} == {22.0}
    assert 'aria-label="5 used over 30 days, at most 5 in a day"' in page
    # suggested: par 60 - 20 on hand = 40, in packs of 10
    field = f'name="qty-{data["item"]}"'
    assert re.search(field + r'[^>]*value="40"', page)

    created = await client.post(
        "/ui/reorder/purchase-orders",
        data={"_csrf": token, "location": "MAIN", "supplier": "CARD", f"qty-{data['item']}": "30"},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text[-800:]
    number = created.headers["location"].rsplit("/", 1)[1]
    assert number.startswith("PO-")
    api = await client.get(f"/api/v1/purchase-orders/{number}", headers=data["admin"])
    order = api.json()
    assert order["status"] == "draft" and order["location"] == "MAIN"
    assert [(line["item"]["id"], line["ordered"]) for line in order["lines"]] == [
        (data["item"], 30)
    ]

    detail = await client.get(f"/ui/purchase-orders/{number}")
    assert detail.status_code == 200
    assert "Submit to CARD" in detail.text and "Cancel order" in detail.text
    submitted = await client.post(
        f"/ui/purchase-orders/{number}/submit", data={"_csrf": token}, follow_redirects=False
    )
    assert submitted.status_code == 303
    again = await client.post(
        f"/ui/purchase-orders/{number}/submit", data={"_csrf": token}, follow_redirects=False
    )
    assert again.status_code == 409 and 'role="alert"' in again.text
    cancelled = await client.post(
        f"/ui/purchase-orders/{number}/cancel", data={"_csrf": token}, follow_redirects=False
    )
    assert cancelled.status_code == 303
    api = await client.get(f"/api/v1/purchase-orders/{number}", headers=data["admin"])
    assert api.json()["status"] == "cancelled"
    events = await client.get(
        "/api/v1/events", params={"type": "purchase_order.*"}, headers=data["admin"]
    )
    assert {e["actor"] for e in events.json()} == {"user:manager"}
    listing = await client.get("/ui/purchase-orders")
    assert number in listing.text and "cancelled" in listing.text


@pytest.mark.parametrize(
    ("quantity", "status"),
    [("0", 400), ("-1", 400), ("abc", 400), ("1e3", 400), ("99999999999", 400), ("", 400)],
)
async def test_bad_quantities_are_refused_with_the_list_shown_again(
    client: Client, keys: Keys, ui_login: UiLogin, quantity: str, status: int
) -> None:
    data = await reorder_setup(client, keys)
    token = await ui_login(client, Role.MANAGER)
    response = await client.post(
        "/ui/reorder/purchase-orders",
        data={
            "_csrf": token,
            "location": "MAIN",
            "supplier": "CARD",
            f"qty-{data['item']}": quantity,
        },
        follow_redirects=False,
    )
    assert response.status_code == status
    assert 'role="alert"' in response.text and "Reorder list" in response.text
    orders = await client.get("/api/v1/purchase-orders", headers=data["admin"])
    assert orders.json() == []


async def test_write_forms_need_the_csrf_token_and_the_manage_permission(
    client: Client, keys: Keys, ui_login: UiLogin
) -> None:
    data = await reorder_setup(client, keys)
    form = {"location": "MAIN", "supplier": "CARD", f"qty-{data['item']}": "20"}
    token = await ui_login(client, Role.MANAGER)
    for path in ("/ui/reorder/purchase-orders", "/ui/reorder/pick-lists"):
        missing = await client.post(path, data=form, follow_redirects=False)
        assert missing.status_code == 403, path
        wrong = await client.post(path, data={**form, "_csrf": "x" + token}, follow_redirects=False)
        assert wrong.status_code == 403, path
    created = await client.post(
        "/ui/reorder/purchase-orders", data={**form, "_csrf": token}, follow_redirects=False
    )
    number = created.headers["location"].rsplit("/", 1)[1]
    for action in ("submit", "cancel"):
        refused = await client.post(f"/ui/purchase-orders/{number}/{action}", data={})
        assert refused.status_code == 403

    for role in (Role.SCANNER, Role.SPECIALIST, Role.INTEGRATION):
        token = await ui_login(client, role)
        reorder = await client.get("/ui/reorder")
        assert "Create purchase order" not in reorder.text
        assert f'name="qty-{data["item"]}"' not in reorder.text
        detail = await client.get(f"/ui/purchase-orders/{number}")
        assert "Submit to" not in detail.text and "Cancel order" not in detail.text
        ordered = await client.post(
            "/ui/reorder/purchase-orders", data={**form, "_csrf": token}, follow_redirects=False
        )
        assert ordered.status_code == 403, role
        submitted = await client.post(
            f"/ui/purchase-orders/{number}/submit", data={"_csrf": token}, follow_redirects=False
        )
        assert submitted.status_code == 403, role
    api = await client.get(f"/api/v1/purchase-orders/{number}", headers=data["admin"])
    assert api.json()["status"] == "draft"
    assert len((await client.get("/api/v1/purchase-orders", headers=data["admin"])).json()) == 1


async def test_stock_search_reads_names_codes_scans_lots_and_location_labels(
    client: Client, keys: Keys, ui_login: UiLogin
) -> None:
    data = await reorder_setup(client, keys)
    other = gs1(EPINEPHRINE_GTIN, lot="E2", expiry=TODAY + timedelta(days=90))
    assert (await scan(client, data["admin"], other, "receive", "MAIN", quantity=3)).status_code
    refused = await scan(client, data["admin"], "]d20100000000000017", "receive", "MAIN")
    assert refused.status_code == 422
    await ui_login(client, Role.SCANNER)

    by_name = await client.get("/ui/stock", params={"q": "epineph"})
    assert "E1" in by_name.text and "E2" in by_name.text
    by_gtin = await client.get("/ui/stock", params={"q": EPINEPHRINE_GTIN})
    assert "E1" in by_gtin.text and "E2" in by_gtin.text
    by_ndc = await client.get("/ui/stock", params={"q": "0409-4921-34"})
    assert "Epinephrine" in by_ndc.text
    # a scanned DataMatrix names the lot: only that lot's rows
    by_scan = await client.get("/ui/stock", params={"q": other})
    assert "lot E2" in by_scan.text and ">E1<" not in by_scan.text
    by_lot = await client.get("/ui/stock", params={"q": "E2"})
    assert "Lot E2" in by_lot.text and ">E1<" not in by_lot.text
    nothing = await client.get("/ui/stock", params={"q": "no such thing"})
    assert nothing.status_code == 200 and "Nothing matches" in nothing.text

    label = await client.get("/ui/stock", params={"q": "]C1LOC:MAIN"}, follow_redirects=False)
    assert label.status_code == 303
    assert label.headers["location"] == "/ui/stock/locations/MAIN"
    place = await client.get("/ui/stock/locations/MAIN")
    assert place.status_code == 200
    assert "scan-rejected" in place.text and "unknown_item" in place.text
    assert place.text.count("scan-applied") == 3
    item = await client.get(f"/ui/stock/items/{data['item']}")
    assert item.status_code == 200 and "issue" in item.text and "@consumed" in item.text


@pytest.mark.parametrize(
    "path",
    [
        "/ui/stock?q=" + "x" * 5000,
        "/ui/stock?q=a%00b",
        "/ui/events?after=-1",
        "/ui/events?after=abc",
        "/ui/events?after=" + "9" * 30,
        "/ui/events?type=DROP%20TABLE",
        "/ui/purchase-orders?after=-5",
        "/ui/purchase-orders?status=lost",
        "/ui/kits?status=melted",
        "/ui/kits?expiring_within_days=-1",
        "/ui/kits?expiring_within_days=99999",
        "/ui/kits?expiring_within_days=%C2%B2",
        "/ui/counts?before=0",
        "/ui/recalls?show=everything",
        "/ui/reorder?location=%00",
        "/ui/reorder?location=" + "A" * 65,
        "/ui/labels?location=NOWHERE",
        "/ui/labels?command=FORMAT_C",
        "/ui/stock/items/0",
        "/ui/stock/items/99999999999",
        "/ui/kits/NOPE/restock-plan",
    ],
)
async def test_hostile_query_parameters_are_a_clear_4xx(
    client: Client, ui_login: UiLogin, path: str
) -> None:
    await ui_login(client, Role.ADMIN)
    response = await client.get(path, follow_redirects=False)
    assert 400 <= response.status_code < 500, (path, response.status_code)
    assert "<h1>" in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/ui/stock?q=%F0%9F%92%8A%C3%BC",
        "/ui/stock?q=%E2%80%AE%E2%80%8B",
        "/ui/stock?q=%27%3B%20DROP%20TABLE%20items%3B--",
        "/ui/stock?q=%1D0104049214340145",
        "/ui/stock?q=%25",
        "/ui/stock?q=LOC:",
        "/ui/events?type=&after=",
        "/ui/reorder?location=",
        "/ui/kits?status=&expiring_within_days=",
        "/ui/counts?status=",
        "/ui/purchase-orders?status=",
    ],
)
async def test_odd_but_harmless_searches_answer_an_empty_page(
    client: Client, ui_login: UiLogin, path: str
) -> None:
    await ui_login(client, Role.ADMIN)
    response = await client.get(path, follow_redirects=False)
    assert response.status_code == 200, (path, response.text[-500:])


@pytest.mark.parametrize(
    "path",
    [
        "/ui/stock/locations/NOWHERE",
        "/ui/stock/items/4242",
        "/ui/kits/NOPE",
        "/ui/kits/NOPE/live",
        "/ui/purchase-orders/PO-999999",
        "/ui/pick-lists/77",
        "/ui/labels/locations/NOWHERE/label.svg",
        "/ui/labels/kits/NOPE/label.svg",
        "/ui/labels/commands/EXPLODE/label.svg",
    ],
)
async def test_what_does_not_exist_is_a_404_page(
    client: Client, ui_login: UiLogin, path: str
) -> None:
    await ui_login(client, Role.SCANNER)
    response = await client.get(path, follow_redirects=False)
    assert response.status_code == 404, (path, response.status_code)


async def kit_setup(client: Any, admin: dict[str, str], days: int = 20) -> str:
    """A crash-cart template of two epinephrine, a cart at the ICU, stock on a shelf (lot K1,
    expiring in `days`); the lot's code."""
    item = await make_item(client, admin)
    await make_location(client, admin, "PHARM", "shelf")
    await make_location(client, admin, "ICU", "satellite")
    code = gs1(EPINEPHRINE_GTIN, lot="K1", expiry=TODAY + timedelta(days=days))
    assert (await scan(client, admin, code, "receive", "PHARM", quantity=5)).status_code == 201
    template = await client.post(
        "/api/v1/kit-templates",
        json={
            "code": "CART",
            "name": "Crash cart",
            "kind": "crash_cart",
            "lines": [{"slot": "Epinephrine", "items": [item["id"]], "quantity": 2}],
        },
        headers=admin,
    )
    assert template.status_code == 201, template.text
    kit = await client.post(
        "/api/v1/kits",
        json={"code": "CART-1", "template": "CART", "home_location": "ICU"},
        headers=admin,
    )
    assert kit.status_code == 201, kit.text
    return code


async def test_the_kit_board_and_a_kit_show_status_expiry_slots_and_history(
    client: Client, keys: Keys, ui_login: UiLogin
) -> None:
    admin = await keys.header(Role.ADMIN)
    code = await kit_setup(client, admin)
    restocked = await scan(client, admin, code, "restock", "PHARM", to_location="CART-1")
    assert restocked.status_code == 201, restocked.text
    await ui_login(client, Role.SCANNER)

    board = await client.get("/ui/kits")
    assert "kit-card kit-restocking not-ready expiry-month" in board.text
    assert "Short: Epinephrine" in board.text
    kit = await client.get("/ui/kits/CART-1")
    assert kit.status_code == 200
    assert 'data-live="/ui/kits/CART-1/live"' in kit.text
    assert 'data-ready="false"' in kit.text and "Not ready" in kit.text
    assert "K1" in kit.text and "restock" in kit.text
    assert 'src="/ui/static/pages.js"' in kit.text
    filtered = await client.get("/ui/kits", params={"status": "ready"})
    assert "CART-1" not in filtered.text

    plan = await client.get("/ui/kits/CART-1/restock-plan", params={"source": "PHARM"})
    assert plan.status_code == 200 and "text/html" in plan.headers["content-type"]
    assert "K1" in plan.text
    # the sheet's style is a stylesheet of ours: the UI's CSP allows no inline style
    assert "<style" not in plan.text and 'href="/ui/sheet.css"' in plan.text
    assert "style-src 'self'" in plan.headers["content-security-policy"]
    css = await client.get("/ui/sheet.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "@media print" in css.text


async def test_recalls_counts_and_labels_pages(
    client: Client, keys: Keys, ui_login: UiLogin
) -> None:
    data = await reorder_setup(client, keys)
    admin = data["admin"]
    recall = await client.post(
        "/api/v1/recalls",
        json={"item": data["item"], "lots": ["E1"], "reason": "Particulates"},
        headers=admin,
    )
    assert recall.status_code == 201, recall.text
    count = await client.post("/api/v1/counts", json={"location": "MAIN"}, headers=admin)
    assert count.status_code == 201, count.text
    await ui_login(client, Role.SPECIALIST)

    recalls = await client.get("/ui/recalls")
    assert "Particulates" in recalls.text and "<strong>20</strong>" in recalls.text
    assert 'href="/ui/stock/locations/MAIN"' in recalls.text
    counts = await client.get("/ui/counts")
    assert "MAIN" in counts.text and "badge-open" in counts.text
    committed = await client.get("/ui/counts", params={"status": "committed"})
    assert "No count sessions" in committed.text

    labels = await client.get(
        "/ui/labels", params=[("location", "MAIN"), ("command", "RECEIVE"), ("command", "SEAL")]
    )
    assert labels.status_code == 200
    assert labels.text.count('class="label"') == 3
    for src in re.findall(r'<img src="([^"]+)"', labels.text):
        image = await client.get(src)
        assert image.status_code == 200, src
        assert image.headers["content-type"].startswith("image/svg+xml")
        assert image.text.lstrip().startswith("<?xml")


async def test_the_demo_data_renders_every_page(
    client: Client, engine: AsyncEngine, ui_login: UiLogin
) -> None:
    transactions = Transactions(create_sessionmaker(engine), SiteClock())
    assert await load_demo(transactions, SYSTEM) is not None
    await ui_login(client, Role.ADMIN)
    board = await client.get("/ui/kits")
    # A sealed kit that is short today says "Not ready", and its badge "sealed", never "ready".
    assert "Not ready" in board.text and "sealed</span>" in board.text
    assert ">ready</span>" not in board.text
    kit = re.findall(r'href="/ui/kits/([A-Z0-9-]+)"', board.text)[0]
    places = await client.get("/ui/labels")
    place = re.findall(r'name="location" value="([^"]+)"', places.text)[0]
    paths = [
        *[p for p in READ_PAGES if "MAIN" not in p],
        "/ui/events",
        f"/ui/kits/{kit}",
        f"/ui/stock/locations/{place}",
        "/ui/stock/items/1",
        f"/ui/labels?location={place}&kit={kit}&command=RECEIVE",
    ]
    for path in paths:  # how fast: README "Web UI" (timings are measured, not asserted)
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 200, (path, response.text[-500:])
    assert "<polyline" in (await client.get("/ui/reorder")).text


async def test_a_specialist_makes_a_refill_list_for_a_satellite_and_prints_it(
    client: Client, keys: Keys, ui_login: UiLogin
) -> None:
    data = await reorder_setup(client, keys)
    await make_location(client, data["admin"], "SAT-ICU", "satellite")
    response = await client.put(
        "/api/v1/par-levels",
        json={
            "item": data["item"],
            "location": "SAT-ICU",
            "par": 10,
            "reorder_point": 4,
            "source": {"location": "MAIN"},
        },
        headers=data["admin"],
    )
    assert response.status_code == 200, response.text
    token = await ui_login(client, Role.SPECIALIST)
    listed = await client.get("/ui/reorder", params={"location": "SAT-ICU"})
    assert "Refilled from MAIN" in listed.text
    assert "Create refill list for SAT-ICU" in listed.text
    assert "Create purchase order" not in listed.text  # a specialist may not order

    made = await client.post(
        "/ui/reorder/pick-lists",
        data={"_csrf": token, "location": "SAT-ICU"},
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text[-500:]
    assert re.fullmatch(r"/ui/pick-lists/\d+", made.headers["location"])
    sheet = await client.get(made.headers["location"])
    assert sheet.status_code == 200 and "Epinephrine" in sheet.text and "MAIN" in sheet.text
    assert "<style" not in sheet.text

    await ui_login(client, Role.SCANNER)  # scanners may read the list, not make refills
    listed = await client.get("/ui/reorder", params={"location": "SAT-ICU"})
    assert "Create refill list" not in listed.text
    refused = await client.post(
        "/ui/reorder/pick-lists",
        data={"_csrf": csrf_in(listed.text), "location": "SAT-ICU"},
        follow_redirects=False,
    )
    assert refused.status_code == 403


async def test_the_sparkline_puts_each_use_on_its_day(
    client: Client, keys: Keys, ui_login: UiLogin
) -> None:
    """Today's 5 units at the right-hand end; 10 units three days ago, and 1 forty days ago
    (outside the 30 days, not drawn)."""
    data = await reorder_setup(client, keys)
    now = datetime.now(UTC)
    for days, quantity in ((3, 10), (40, 1)):
        earlier = await scan(
            client,
            data["admin"],
            data["code"],
            "issue",
            "MAIN",
            quantity=quantity,
            scanned_at=(now - timedelta(days=days)).isoformat(),
        )
        assert earlier.status_code == 201, earlier.text
    await ui_login(client, Role.SCANNER)
    page = (await client.get("/ui/reorder")).text
    points = re.search(r'<polyline points="([^"]+)"', page)
    assert points is not None
    ys = [float(p.split(",")[1]) for p in points.group(1).split()]
    # the busiest day (10) is at the top (y=2); today's 5 halfway (22 - 5/10 * 20 = 12)
    assert ys[-4] == 2.0 and ys[-1] == 12.0
    assert [y for i, y in enumerate(ys) if i not in (26, 29)] == [22.0] * 28
    assert "15 used over 30 days, at most 10 in a day" in page
