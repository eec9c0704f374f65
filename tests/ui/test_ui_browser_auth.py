"""The web UI in a real headless Chromium against a live server: log in, see the dashboard,
log out; keyboard use; no serious accessibility violations (axe-core); screenshots in
test-artifacts/. SQLite only: the browser sees the same pages on either database."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.db.engine import create_sessionmaker
from inventory_svc.demo import load_demo
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.roles import Role
from inventory_svc.services.actors import SYSTEM
from inventory_svc.services.uow import Transactions
from tests.ui.conftest import PageAs, serious, shot

pytestmark = [pytest.mark.e2e, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


async def test_log_in_see_the_dashboard_and_log_out(
    browser: Any,
    live_server: str,
    ui_users: dict[str, str],
    axe_violations: Any,
    engine: AsyncEngine,
) -> None:
    await load_demo(Transactions(create_sessionmaker(engine), SiteClock()), SYSTEM)
    context = await browser.new_context(
        base_url=live_server, viewport={"width": 1024, "height": 768}
    )
    try:
        page = await context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on(
            "response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None
        )
        await page.goto("/ui/admin")
        assert page.url == f"{live_server}/ui/login?next=/ui/admin"
        assert await page.title() == "Log in · inventory-svc"
        assert serious(await axe_violations(page)) == []
        await shot(page, "ui-login")

        await page.get_by_label("Name").fill("admin")
        await page.get_by_label("Password").fill("not the password")
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_load_state()
        assert "Wrong name or password" in await page.get_by_role("alert").inner_text()
        assert len(errors) == 2 and errors[0].startswith("401 ")  # the refused login
        errors.clear()

        await page.get_by_label("Password").fill(ui_users["admin"])
        await page.keyboard.press("Enter")  # the form works from the keyboard
        await page.wait_for_url(f"{live_server}/ui/admin")
        await page.get_by_role("link", name="Dashboard").click()
        await page.wait_for_url(f"{live_server}/ui")
        assert await page.get_by_role("heading", level=1).inner_text() == "Needs action"
        assert (
            await page.get_by_role("link", name="Dashboard").get_attribute("aria-current") == "page"
        )
        assert serious(await axe_violations(page)) == []
        await shot(page, "ui-dashboard")

        cookies = {c["name"]: c for c in await context.cookies()}
        session = cookies["inv_session"]
        assert session["httpOnly"] and session["sameSite"] == "Lax" and session["path"] == "/ui"
        assert await page.evaluate("document.cookie") == ""  # no script can read it

        await page.get_by_role("button", name="Log out").click()
        await page.wait_for_url(f"{live_server}/ui/login")
        await page.goto("/ui")
        assert page.url.startswith(f"{live_server}/ui/login")
        assert errors == [], errors  # no CSP refusal or script error on any page
    finally:
        await context.close()


async def test_the_admin_page_is_accessible_and_keyboard_usable(
    page_as: PageAs, axe_violations: Any
) -> None:
    page = await page_as(Role.ADMIN)
    await page.goto("/ui/admin")
    assert serious(await axe_violations(page)) == []
    await page.get_by_label("Name", exact=True).first.fill("tablet.user")
    await page.locator("#user-role").select_option("specialist")
    await page.get_by_role("button", name="Create user").click()
    await page.wait_for_load_state()
    secret = await page.locator("#secret-value").inner_text()
    assert len(secret) >= 24
    await shot(page, "ui-admin")
    # The skip link is the first thing the keyboard reaches, and it lands on the content.
    await page.goto("/ui")
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"


async def test_a_scanner_on_a_tablet(page_as: PageAs, axe_violations: Any) -> None:
    page = await page_as(Role.SCANNER)
    await page.set_viewport_size({"width": 768, "height": 1024})
    await page.goto("/ui")
    nav = await page.get_by_role("navigation", name="Main").inner_text()
    assert "Admin" not in nav and "Stock" in nav
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 768  # no sideways scrolling on a tablet
    response = await page.goto("/ui/admin")
    assert response is not None and response.status == 403
    assert serious(await axe_violations(page)) == []
