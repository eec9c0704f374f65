"""Fixtures for the web UI's tests: users per role, logging a test client in through the
real login form, and real headless Chromium against a live server.

- `ui_users`: one user per role, named after the role ("admin", "scanner", ...): name -> password.
- `ui_login(client, role)`: logs an AsyncTestClient in through `/ui/login`; returns the
  session's CSRF token (for the `_csrf` field of the forms the test posts).
- `live_server`: the app served by `inventory-svc serve` on a free port, on the test database.
- `browser`: Chromium (Debian's, /usr/bin/chromium; never a downloaded build), one per test
  session. Missing: the browser tests skip, or fail when INVENTORY_TEST_REQUIRE_BROWSER=1 (CI).
- `page_as(role)`: a Playwright page of its own, logged in as that role on `live_server`.
- `shot(page, name)`: a screenshot in test-artifacts/NAME.png.
- `axe_violations(page)`: axe-core's violations on the page as it is (impact, id, nodes).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.db.engine import create_sessionmaker
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.roles import Role
from inventory_svc.services.actors import SYSTEM
from inventory_svc.services.uow import Transactions
from inventory_svc.services.users import create_user
from tests.live import live_server as serve

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HAVE_CHROMIUM = os.path.exists(CHROMIUM)
REQUIRE_BROWSER = os.environ.get("INVENTORY_TEST_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

_CSRF = re.compile(r'name="_csrf" value="([^"]*)"')

UiLogin = Callable[[AsyncTestClient[Any], Role | str], Awaitable[str]]


def csrf_in(page_html: str) -> str:
    """The `_csrf` value of the first form on a page."""
    match = _CSRF.search(page_html)
    assert match, "no _csrf field on the page"
    return html.unescape(match.group(1))


@pytest.fixture
async def ui_users(engine: AsyncEngine) -> dict[str, str]:
    """A user per role, named as the role: name -> password."""
    transactions = Transactions(create_sessionmaker(engine), SiteClock())
    return {role.value: await create_user(transactions, SYSTEM, role.value, role) for role in Role}


async def log_in(
    client: AsyncTestClient[Any], name: str, password: str, *, next_path: str | None = None
) -> Any:
    """Posts the login form as a browser does (its CSRF cookie and field); the response."""
    form_page = await client.get("/ui/login")
    assert form_page.status_code == 200, form_page.text
    data = {"name": name, "password": password, "_csrf": csrf_in(form_page.text)}
    if next_path is not None:
        data["next"] = next_path
    return await client.post("/ui/login", data=data, follow_redirects=False)


@pytest.fixture
def ui_login(ui_users: dict[str, str]) -> UiLogin:
    async def login(client: AsyncTestClient[Any], role: Role | str) -> str:
        name = Role(role).value
        response = await log_in(client, name, ui_users[name])
        assert response.status_code == 303, response.text
        dashboard = await client.get("/ui", follow_redirects=False)
        assert dashboard.status_code == 200, dashboard.text
        return csrf_in(dashboard.text)

    return login


# --- live server and browser ------------------------------------------------------------------


@pytest.fixture
def live_server(database_url: str, ui_users: dict[str, str]) -> Iterator[str]:
    """The base URL of the app served on `database_url` (with `ui_users` in it)."""
    with serve(database_url) as base:
        yield base


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    if not HAVE_CHROMIUM:
        if REQUIRE_BROWSER:
            pytest.fail(f"Chromium is required (INVENTORY_TEST_REQUIRE_BROWSER=1): no {CHROMIUM}")
        pytest.skip(f"no {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        if REQUIRE_BROWSER:
            raise
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    playwright = await async_playwright().start()
    chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        await chromium.close()
        await playwright.stop()


PageAs = Callable[[Role | str], Awaitable[Any]]


@pytest.fixture
async def page_as(
    browser: Any, live_server: str, ui_users: dict[str, str]
) -> AsyncIterator[PageAs]:
    contexts: list[Any] = []

    async def open_as(role: Role | str) -> Any:
        name = Role(role).value
        context = await browser.new_context(
            base_url=live_server, viewport={"width": 1024, "height": 768}
        )
        contexts.append(context)
        page = await context.new_page()
        await page.goto("/ui/login")
        await page.get_by_label("Name").fill(name)
        await page.get_by_label("Password").fill(ui_users[name])
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(f"{live_server}/ui")
        return page

    yield open_as
    for context in contexts:
        await context.close()


async def shot(page: Any, name: str) -> Path:
    """A full-page screenshot in test-artifacts/NAME.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def _axe_violations(page: Any) -> list[dict[str, Any]]:
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return violations


@pytest.fixture
def axe_violations() -> Callable[[Any], Awaitable[list[dict[str, Any]]]]:
    """axe-core (shipped by the axe-playwright-python package) run on the page: its
    violations, each with `impact` (minor, moderate, serious, critical), `id` and `nodes`."""
    return _axe_violations


def serious(violations: list[dict[str, Any]]) -> list[str]:
    """The serious and critical ones, readable in an assertion message."""
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v.get("impact") in ("serious", "critical")
    ]
