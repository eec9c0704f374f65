"""The pages in a real headless Chromium against a live server: a manager reviews the reorder
list and orders; a kit goes from open to ready on screen while the scans arrive through the
API; a lot is searched; a label sheet prints; the main pages pass axe-core and are saved as
screenshots in test-artifacts/. SQLite only: the browser sees the same pages on either
database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from inventory_svc.domain.roles import Role
from tests.conftest import Keys
from tests.helpers import EPINEPHRINE_GTIN, scan
from tests.live import run_cli
from tests.ui.conftest import PageAs, serious, shot
from tests.ui.test_pages import TODAY, kit_setup, reorder_setup

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
async def api(live_server: str) -> AsyncIterator[httpx.AsyncClient]:
    """The live server's API, for the scans a scanner would send while a page is open."""
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as client:
        yield client


def _no_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


async def test_a_manager_reviews_the_reorder_list_and_creates_a_purchase_order(
    page_as: PageAs, api: httpx.AsyncClient, keys: Keys, axe_violations: Any
) -> None:
    data = await reorder_setup(api, keys)
    page = await page_as(Role.MANAGER)
    errors = _no_errors(page)
    await page.get_by_role("navigation").get_by_role("link", name="Reorder").click()
    await page.wait_for_url("**/ui/reorder")
    sparkline = page.get_by_role("img", name="5 used over 30 days, at most 5 in a day")
    assert await sparkline.is_visible()
    quantity = page.get_by_label("Quantity of Epinephrine")
    assert await quantity.input_value() == "40"
    assert serious(await axe_violations(page)) == []
    await shot(page, "ui-reorder")

    await quantity.fill("50")
    await page.get_by_role("button", name="Create purchase order to CARD").click()
    await page.wait_for_url(re.compile(r".*/ui/purchase-orders/PO-\d+$"))
    number = page.url.rsplit("/", 1)[1]
    assert number in await page.get_by_role("heading", level=1).inner_text()
    row = page.get_by_role("row", name=re.compile("Epinephrine"))
    assert "50" in await row.inner_text()
    assert serious(await axe_violations(page)) == []
    await shot(page, "ui-purchase-order")

    await page.get_by_role("button", name="Submit to CARD").click()
    await page.wait_for_load_state()
    assert "submitted" in await page.get_by_role("heading", level=1).inner_text()
    order = await api.get(f"/api/v1/purchase-orders/{number}", headers=data["admin"])
    assert order.json()["status"] == "submitted"
    assert [line["ordered"] for line in order.json()["lines"]] == [50]
    assert errors == []


async def test_a_kit_goes_from_open_to_ready_on_screen_as_the_scans_arrive(
    page_as: PageAs, api: httpx.AsyncClient, keys: Keys, axe_violations: Any
) -> None:
    admin = await keys.header(Role.ADMIN)
    code = await kit_setup(api, admin, days=400)
    scanner = await keys.header(Role.SCANNER)
    # sealed once, then a dose is taken in a code blue: the cart is open and one short
    filled = await scan(api, scanner, code, "restock", "PHARM", to_location="CART-1", quantity=2)
    assert filled.status_code == 201, filled.text
    assert (await scan(api, scanner, "SEAL-1", "seal", "CART-1")).status_code == 201
    issued = await scan(api, scanner, code, "issue", "CART-1")
    assert issued.status_code == 201, issued.text

    page = await page_as(Role.SCANNER)
    errors = _no_errors(page)
    await page.goto("/ui/kits/CART-1")
    state = page.locator("#kit-live .kit-state")
    assert await state.get_attribute("data-status") == "open"
    assert await state.get_attribute("data-ready") == "false"
    await page.locator("[data-live-note]").wait_for(state="visible")  # the stream is open
    await page.evaluate("window.loadedOnce = true")
    assert serious(await axe_violations(page)) == []
    await shot(page, "ui-kit-open")

    specialist = await keys.header(Role.SPECIALIST)
    session = await api.post(
        "/api/v1/kits/CART-1/restock", json={"source_location": "PHARM"}, headers=specialist
    )
    assert session.status_code in (200, 201), session.text
    session_id = session.json()["id"]
    await page.locator('#kit-live [data-status="restocking"]').wait_for(timeout=10_000)
    restocked = await scan(
        api, scanner, code, "restock", "PHARM", to_location="CART-1", restock_session=session_id
    )
    assert restocked.status_code == 201, restocked.text
    sealed = await scan(api, scanner, "SEAL-2", "seal", "CART-1")
    assert sealed.status_code == 201, sealed.text

    await page.locator('#kit-live [data-ready="true"]').wait_for(timeout=10_000)
    assert await page.evaluate("window.loadedOnce") is True  # no reload: the stream did it
    assert "SEAL-2" in await page.locator("#kit-live").inner_text()
    assert await page.locator("#kit-live .verdict-ready").inner_text() == "Ready"
    await shot(page, "ui-kit-ready")
    assert errors == []


async def test_search_a_lot_by_typing_it_or_pasting_its_scan(
    page_as: PageAs, api: httpx.AsyncClient, keys: Keys
) -> None:
    data = await reorder_setup(api, keys)
    page = await page_as(Role.SCANNER)
    await page.get_by_role("navigation").get_by_role("link", name="Stock").click()
    search = page.get_by_label(re.compile("Item name, GTIN, NDC, lot"))
    await search.fill("E1")
    await search.press("Enter")
    await page.wait_for_url("**/ui/stock?q=E1")
    table = page.get_by_role("table", name="Stock in lot E1")
    assert "MAIN" in await table.inner_text() and "20" in await table.inner_text()
    await shot(page, "ui-stock-lot")

    expiry = TODAY.replace(year=TODAY.year + 1)
    await page.get_by_label(re.compile("Item name, GTIN, NDC, lot")).fill(
        f"(01){EPINEPHRINE_GTIN}(17){expiry:%y%m%d}(10)E1"
    )
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_load_state()
    assert "lot E1" in await page.locator(".note").inner_text()
    await page.get_by_role("link", name="Epinephrine").first.click()
    await page.wait_for_url(f"**/ui/stock/items/{data['item']}")
    assert await page.get_by_role("table", name=re.compile("Scan log")).is_visible()


async def test_a_label_sheet_renders_and_prints(
    page_as: PageAs, api: httpx.AsyncClient, keys: Keys, tmp_path: Any
) -> None:
    await reorder_setup(api, keys)
    page = await page_as(Role.SPECIALIST)
    await page.goto("/ui/labels")
    await page.get_by_role("checkbox", name="MAIN Location MAIN").check()
    await page.get_by_role("checkbox", name="CMD:RECEIVE").check()
    await page.get_by_role("checkbox", name="CMD:SEAL").check()
    await page.get_by_role("button", name="Make the sheet").click()
    await page.wait_for_load_state("networkidle")
    images = page.locator(".label-sheet img")
    assert await images.count() == 3
    widths = await images.evaluate_all("(all) => all.map((img) => img.naturalWidth)")
    assert all(width > 0 for width in widths), widths  # every label image loaded
    assert await page.get_by_role("button", name="Print").is_visible()  # pages.js ran

    await page.emulate_media(media="print")
    assert await page.locator(".site-header").is_hidden()
    assert await page.locator(".label-picker").is_hidden()
    assert await images.first.is_visible()
    pdf = await page.pdf(path=str(tmp_path / "labels.pdf"))
    assert pdf.startswith(b"%PDF")
    await shot(page, "ui-labels-print")


async def test_the_main_pages_on_the_demo_data_are_accessible(
    page_as: PageAs, live_server: str, database_url: str, axe_violations: Any
) -> None:
    run_cli(database_url, "demo")
    page = await page_as(Role.ADMIN)
    errors = _no_errors(page)
    await page.goto("/ui/kits")
    kit = (await page.locator(".kit-card h2 a").first.inner_text()).strip()
    for path, name in (
        ("/ui/stock?q=epinephrine", "ui-stock"),
        ("/ui/reorder", "ui-reorder-demo"),
        ("/ui/purchase-orders", "ui-purchase-orders"),
        ("/ui/kits", "ui-kits"),
        (f"/ui/kits/{kit}", "ui-kit"),
        ("/ui/recalls?show=all", "ui-recalls"),
        ("/ui/counts", "ui-counts"),
        ("/ui/events", "ui-events"),
        ("/ui/labels", "ui-labels"),
    ):
        response = await page.goto(path)
        assert response is not None and response.status == 200, path
        assert serious(await axe_violations(page)) == [], path
        await shot(page, name)
    # a tablet held upright: the board still fits without sideways scrolling
    await page.set_viewport_size({"width": 768, "height": 1024})
    await page.goto("/ui/kits")
    assert await page.evaluate("document.documentElement.scrollWidth <= 768")
    await shot(page, "ui-kits-tablet")
    assert errors == []
