"""Logging in to the web UI, over real HTTP against the app on both databases: sessions,
CSRF, lockouts, roles, redirects, cookie flags, and what an attacker would try."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.app import create_app
from inventory_svc.config import Settings
from inventory_svc.db.engine import create_sessionmaker
from inventory_svc.demo import load_demo
from inventory_svc.domain import limits
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.roles import Role
from inventory_svc.domain.users import SESSION_ABSOLUTE, SESSION_IDLE, lock_for
from inventory_svc.services import reorders, users
from inventory_svc.services.actors import SYSTEM
from inventory_svc.services.uow import Transactions
from inventory_svc.ui.auth import SESSION_COOKIE, safe_next
from tests.conftest import Keys
from tests.ui.conftest import UiLogin, csrf_in, log_in

Client = AsyncTestClient[Any]


def _session_cookie(response: Any) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{SESSION_COOKIE}="):
            return header
    return None


def _cookie_value(header: str) -> str:
    return header.split(";", 1)[0].split("=", 1)[1]


def _is_login_redirect(response: Any) -> bool:
    location = response.headers.get("location", "")
    return response.status_code == 303 and urlsplit(location).path == "/ui/login"


@pytest.fixture
async def other(settings: Settings) -> AsyncIterator[Client]:
    """Another browser (its own cookies) on another instance of the app, same database."""
    async with AsyncTestClient(app=create_app(settings), timeout=60) as browser:
        yield browser


def _every_ui_route(client: Client) -> list[tuple[str, str]]:
    """(method, path) of every /ui route the app serves, with example path parameters."""
    examples = {"int": "1", "str": "K1", "path": "anything"}
    found = []
    for route in client.app.routes:
        if not route.path.startswith("/ui") or route.path.startswith("/ui/static"):
            continue
        path = re.sub(r"\{\w+:(\w+)\}", lambda m: examples.get(m.group(1), "x"), route.path)
        for method in sorted(getattr(route, "methods", ())):
            if method in ("HEAD", "OPTIONS") or path == "/ui/login":
                continue
            found.append((method, path))
    return found


# --- without a session --------------------------------------------------------------------


async def test_every_ui_path_without_a_session_leads_to_the_login_page(client: Client) -> None:
    routes = _every_ui_route(client)
    assert ("GET", "/ui") in routes and ("GET", "/ui/admin") in routes
    for method, path in [*routes, ("GET", "/ui/no/such/page"), ("GET", "/ui/admin?x=1")]:
        response = await client.request(method, path, follow_redirects=False)
        assert _is_login_redirect(response), (method, path, response.status_code)
        if method == "GET" and path != "/ui":
            nxt = parse_qs(urlsplit(response.headers["location"]).query)["next"][0]
            assert nxt == path, (path, nxt)
    login = await client.get("/ui/login")
    assert login.status_code == 200 and 'name="password"' in login.text
    css = await client.get("/ui/static/ui.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]


async def test_an_api_key_never_logs_anyone_into_the_ui(client: Client, keys: Keys) -> None:
    header = await keys.header(Role.ADMIN)
    for path in ("/ui", "/ui/admin", "/ui/stock"):
        response = await client.get(path, headers=header, follow_redirects=False)
        assert _is_login_redirect(response), path
    response = await client.post("/ui/logout", headers=header, follow_redirects=False)
    assert _is_login_redirect(response)


async def test_the_api_never_accepts_a_session_cookie(client: Client, ui_login: UiLogin) -> None:
    await ui_login(client, Role.ADMIN)
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    for path in ("/api/v1/items", "/api/v1/events"):
        response = await client.get(path, headers={"Cookie": f"{SESSION_COOKIE}={token}"})
        assert response.status_code == 401, path
        assert response.json()["code"] == "unauthorized"


# --- logging in, cookies, sessions --------------------------------------------------------


async def test_login_sets_a_strict_cookie_and_logout_ends_the_session(
    client: Client, other: Client, ui_users: dict[str, str]
) -> None:
    response = await log_in(client, "manager", ui_users["manager"])
    assert response.status_code == 303 and response.headers["location"] == "/ui"
    header = _session_cookie(response)
    assert header is not None
    flags = {part.strip().lower() for part in header.split(";")[1:]}
    assert "httponly" in flags and "samesite=lax" in flags and "path=/ui" in flags
    assert "secure" not in flags  # plain HTTP here; see the HTTPS tests
    token = _cookie_value(header)
    dashboard = await client.get("/ui")
    assert dashboard.status_code == 200 and "manager" in dashboard.text
    csp = dashboard.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert dashboard.headers["x-frame-options"] == "DENY"
    assert "<script>" not in dashboard.text  # no inline script: the CSP would refuse it

    out = await client.post(
        "/ui/logout", data={"_csrf": csrf_in(dashboard.text)}, follow_redirects=False
    )
    assert _is_login_redirect(out)
    cleared = _session_cookie(out)
    assert cleared is not None and "max-age=0" in cleared.lower()
    # The old id is dead even if a copy of the cookie is replayed.
    other.cookies.set(SESSION_COOKIE, token)
    assert _is_login_redirect(await other.get("/ui", follow_redirects=False))


async def test_the_session_id_changes_at_login(
    client: Client, other: Client, ui_users: dict[str, str]
) -> None:
    """Session fixation: an id planted before the login is never the one used after it,
    and logging in again ends the browser's earlier session."""
    client.cookies.set(SESSION_COOKIE, "planted-by-an-attacker", path="/ui")
    first = await log_in(client, "scanner", ui_users["scanner"])
    first_token = _cookie_value(_session_cookie(first) or "")
    assert first_token not in ("", "planted-by-an-attacker")
    client.cookies.delete(SESSION_COOKIE)
    client.cookies.set(SESSION_COOKIE, first_token, path="/ui")
    second = await log_in(client, "scanner", ui_users["scanner"])
    second_token = _cookie_value(_session_cookie(second) or "")
    assert second_token not in ("", first_token)
    other.cookies.set(SESSION_COOKIE, first_token)
    assert _is_login_redirect(await other.get("/ui", follow_redirects=False))
    other.cookies.set(SESSION_COOKIE, second_token)
    assert (await other.get("/ui", follow_redirects=False)).status_code == 200


async def test_the_cookie_is_secure_over_https(
    settings: Settings, ui_users: dict[str, str]
) -> None:
    async with AsyncTestClient(
        app=create_app(settings), base_url="https://testserver.local", timeout=60
    ) as secure:
        response = await log_in(secure, "admin", ui_users["admin"])
        assert response.status_code == 303
        header = _session_cookie(response) or ""
        assert "secure" in {p.strip().lower() for p in header.split(";")}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_trusted_proxy_https_header_makes_the_cookie_secure(live_server: str) -> None:
    """Behind a TLS proxy on this host, uvicorn takes the scheme from X-Forwarded-Proto (it
    trusts 127.0.0.1 by default, FORWARDED_ALLOW_IPS otherwise)."""
    for proto, secure in (("https", True), ("http", False)):
        with httpx.Client(base_url=live_server, timeout=30) as browser:
            form = browser.get("/ui/login", headers={"X-Forwarded-Proto": proto})
            assert form.status_code == 200
            login_cookie = next(
                h for h in form.headers.get_list("set-cookie") if "inv_login_csrf" in h
            )
            assert ("secure" in login_cookie.lower().split("; ")) is secure, login_cookie


async def test_idle_and_old_sessions_expire(
    client: Client, engine: AsyncEngine, ui_login: UiLogin
) -> None:
    for column, age in (("last_seen_at", SESSION_IDLE), ("created_at", SESSION_ABSOLUTE)):
        await ui_login(client, Role.SPECIALIST)
        assert (await client.get("/ui", follow_redirects=False)).status_code == 200
        past = SiteClock().now() - age - timedelta(seconds=5)
        async with engine.begin() as conn:
            await conn.execute(text(f"UPDATE ui_sessions SET {column} = :at"), {"at": past})
        assert _is_login_redirect(await client.get("/ui", follow_redirects=False)), column
        client.cookies.clear()


# --- CSRF ---------------------------------------------------------------------------------


async def test_every_form_refuses_a_missing_or_wrong_csrf_token(
    client: Client, other: Client, ui_login: UiLogin, ui_users: dict[str, str], keys: Keys
) -> None:
    await keys.header(Role.SCANNER)  # key 1, for the revoke form
    token = await ui_login(client, Role.ADMIN)
    forms = [
        ("/ui/logout", {}),
        ("/ui/admin/users", {"name": "mallory", "role": "admin"}),
        ("/ui/admin/users/scanner/disable", {}),
        ("/ui/admin/users/scanner/reset-password", {}),
        ("/ui/admin/users/scanner/unlock", {}),
        ("/ui/admin/keys", {"name": "mallory", "role": "admin"}),
        ("/ui/admin/keys/1/revoke", {}),
    ]
    for path, data in forms:
        for bad in (None, "", "x" * 43, token[:-1] + ("A" if token[-1] != "A" else "B")):
            body = dict(data) if bad is None else {**data, "_csrf": bad}
            response = await client.post(path, data=body, follow_redirects=False)
            assert response.status_code == 403, (path, bad, response.status_code)
            assert "security token" in response.text
        wrong_header = await client.post(
            path, data=data, headers={"X-CSRF-Token": "nope"}, follow_redirects=False
        )
        assert wrong_header.status_code == 403
    # Nothing happened: still logged in, nobody created, scanner still active, key alive.
    admin = await client.get("/ui/admin")
    assert admin.status_code == 200 and "mallory" not in admin.text
    assert (await log_in(other, "scanner", ui_users["scanner"])).status_code == 303
    other.cookies.clear()
    assert (
        await client.get("/api/v1/items", headers=await keys.header(Role.SCANNER))
    ).status_code == 200
    # The login form too: its token is a cookie of its own until there is a session.
    await other.get("/ui/login")
    for bad in (None, "forged"):
        body = {"name": "admin", "password": ui_users["admin"]}
        if bad is not None:
            body["_csrf"] = bad
        refused = await other.post("/ui/login", data=body, follow_redirects=False)
        assert refused.status_code == 403 and _session_cookie(refused) is None
    # A right token in the header is accepted (scripts): logging out works.
    out = await client.post("/ui/logout", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert _is_login_redirect(out)


# --- lockout and disabling ----------------------------------------------------------------


async def test_repeated_failures_lock_the_user_until_an_admin_unlocks(
    client: Client, other: Client, ui_users: dict[str, str], ui_login: UiLogin, keys: Keys
) -> None:
    for attempt in range(limits.LOGIN_FAILURES_BEFORE_LOCK):
        response = await log_in(other, "specialist", f"wrong-{attempt}")
        assert response.status_code == 401 and _session_cookie(response) is None
        assert "Wrong name or password" in response.text
    right = await log_in(other, "specialist", ui_users["specialist"])
    assert right.status_code == 401 and _session_cookie(right) is None  # locked

    await ui_login(client, Role.ADMIN)
    admin_page = await client.get("/ui/admin")
    assert re.search(
        r"specialist</th>\s*<td>specialist</td>\s*<td>active</td>\s*<td>until", admin_page.text
    )
    unlocked = await client.post(
        "/ui/admin/users/specialist/unlock",
        data={"_csrf": csrf_in(admin_page.text)},
        follow_redirects=False,
    )
    assert unlocked.status_code == 303 and unlocked.headers["location"] == "/ui/admin"
    assert (await log_in(other, "specialist", ui_users["specialist"])).status_code == 303
    # The audit trail: who was created, locked and unlocked (never a password or a hash).
    feed = await client.get(
        "/api/v1/events", params={"type": "user.*"}, headers=await keys.header(Role.ADMIN)
    )
    assert feed.status_code == 200, feed.text
    said = [(e["type"], e["data"]["user"]["name"], e["actor"]) for e in feed.json()]
    assert any(t == "user.created" and name == "specialist" for t, name, _ in said)
    assert [(t, name, actor) for t, name, actor in said if t != "user.created"] == [
        ("user.locked", "specialist", "system"),
        ("user.unlocked", "specialist", "user:admin"),
    ]
    assert "hash" not in feed.text and ui_users["specialist"] not in feed.text


def test_the_lock_rule() -> None:
    now = SiteClock().now()
    for failed in range(limits.LOGIN_FAILURES_BEFORE_LOCK):
        assert lock_for(failed, now) is None
    locked = lock_for(limits.LOGIN_FAILURES_BEFORE_LOCK, now)
    assert locked == now + timedelta(minutes=limits.LOGIN_LOCK_MINUTES)


async def test_a_disabled_users_sessions_die_and_it_cannot_log_in(
    client: Client, other: Client, ui_users: dict[str, str], ui_login: UiLogin
) -> None:
    assert (await log_in(other, "manager", ui_users["manager"])).status_code == 303
    assert (await other.get("/ui", follow_redirects=False)).status_code == 200
    await ui_login(client, Role.ADMIN)
    page = await client.get("/ui/admin")
    done = await client.post(
        "/ui/admin/users/manager/disable",
        data={"_csrf": csrf_in(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert _is_login_redirect(await other.get("/ui", follow_redirects=False))
    assert (await log_in(other, "manager", ui_users["manager"])).status_code == 401
    # An admin cannot disable themself (the last admin would lock everyone out).
    page = await client.get("/ui/admin")
    refused = await client.post("/ui/admin/users/admin/disable", data={"_csrf": csrf_in(page.text)})
    assert refused.status_code == 409


async def test_a_password_reset_ends_sessions_and_shows_the_new_password_once(
    client: Client, other: Client, ui_users: dict[str, str], ui_login: UiLogin
) -> None:
    assert (await log_in(other, "scanner", ui_users["scanner"])).status_code == 303
    await ui_login(client, Role.ADMIN)
    page = await client.get("/ui/admin")
    reset = await client.post(
        "/ui/admin/users/scanner/reset-password", data={"_csrf": csrf_in(page.text)}
    )
    assert reset.status_code == 200
    match = re.search(
        r'<output class="secret-value" id="secret-value">([^<]+)</output>', reset.text
    )
    assert match
    new_password = match.group(1)
    assert _is_login_redirect(await other.get("/ui", follow_redirects=False))
    assert (await log_in(other, "scanner", ui_users["scanner"])).status_code == 401
    assert (await log_in(other, "scanner", new_password)).status_code == 303
    assert new_password not in (await client.get("/ui/admin")).text


# --- roles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
async def test_only_admins_see_the_admin_page(
    client: Client, ui_login: UiLogin, role: Role
) -> None:
    token = await ui_login(client, role)
    dashboard = await client.get("/ui")
    assert ('href="/ui/admin"' in dashboard.text) is (role is Role.ADMIN)
    admin = await client.get("/ui/admin", follow_redirects=False)
    expected = 200 if role is Role.ADMIN else 403
    assert admin.status_code == expected
    created = await client.post(
        "/ui/admin/users", data={"_csrf": token, "name": f"made-by-{role.value}", "role": "admin"}
    )
    assert created.status_code == expected
    if role is not Role.ADMIN:
        assert "may not" in created.text
        assert f"made-by-{role.value}" not in (await client.get("/ui")).text


async def test_the_admin_page_creates_users_and_keys_and_revokes_keys(
    client: Client, ui_login: UiLogin
) -> None:
    token = await ui_login(client, Role.ADMIN)
    made = await client.post(
        "/ui/admin/users", data={"_csrf": token, "name": "nurse.ann", "role": "scanner"}
    )
    assert made.status_code == 200 and "First password of nurse.ann" in made.text
    password = re.search(r'id="secret-value">([^<]+)<', made.text)
    assert password and len(password.group(1)) >= 24
    again = await client.post(
        "/ui/admin/users", data={"_csrf": token, "name": "nurse.ann", "role": "scanner"}
    )
    assert again.status_code == 409 and "exists already" in again.text
    for bad in ("", "x" * (limits.USER_NAME.max_length + 1), "a b", "nul\x00", "ádmin"):
        refused = await client.post(
            "/ui/admin/users", data={"_csrf": token, "name": bad, "role": "scanner"}
        )
        assert refused.status_code == 400, bad
    assert (
        await client.post("/ui/admin/users", data={"_csrf": token, "name": "ok", "role": "root"})
    ).status_code == 400

    key = await client.post(
        "/ui/admin/keys", data={"_csrf": token, "name": "ward 5 scanner", "role": "scanner"}
    )
    assert key.status_code == 200
    plain = re.search(r'id="secret-value">(inv_[^<]+)<', key.text)
    assert plain
    api = {"Authorization": f"Bearer {plain.group(1)}"}
    assert (await client.get("/api/v1/items", headers=api)).status_code == 200
    key_id = re.search(r'action="/ui/admin/keys/(\d+)/revoke"', key.text)
    assert key_id
    revoked = await client.post(
        f"/ui/admin/keys/{key_id.group(1)}/revoke", data={"_csrf": token}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert (await client.get("/api/v1/items", headers=api)).status_code == 401
    gone = await client.post("/ui/admin/keys/999999/revoke", data={"_csrf": token})
    assert gone.status_code == 404 and "text/html" in gone.headers["content-type"]
    events = await client.get("/ui/admin")
    assert "ward 5 scanner" in events.text


# --- open redirects and hostile input -------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/ui",
        "/\\evil.example",
        "/api/v1/items",
        "javascript:alert(1)",
        "/ui/../api/v1/items",
        "/ui/%2e%2e/api",
        "/ui/login",
        " /ui/admin",
        "/ui\r\nSet-Cookie: x=1",
    ],
)
async def test_next_never_leaves_the_ui(
    client: Client, ui_users: dict[str, str], target: str
) -> None:
    response = await log_in(client, "admin", ui_users["admin"], next_path=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/ui"
    form = await client.get("/ui/login", params={"next": target})
    assert form.status_code == 200 and 'name="next" value="/ui"' in form.text


async def test_next_keeps_a_local_page(client: Client, ui_users: dict[str, str]) -> None:
    first = await client.get("/ui/kits?status=open", follow_redirects=False)
    assert first.headers["location"] == "/ui/login?next=/ui/kits%3Fstatus%3Dopen"
    form = await client.get(first.headers["location"])
    assert 'name="next" value="/ui/kits?status=open"' in form.text
    response = await log_in(client, "admin", ui_users["admin"], next_path="/ui/kits?status=open")
    assert response.headers["location"] == "/ui/kits?status=open"
    assert safe_next("/ui/stock?q=a%2Fb") == "/ui/stock?q=a%2Fb"


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("admin", "x" * (limits.PASSWORD.max_length + 1)),
        ("admin", "x" * 100_000),
        ("a" * (limits.USER_NAME.max_length + 1), "x"),
        ("a" * 100_000, "x"),
        ("admin\x00", "x"),
        ("admin", "pass\x00word"),
        ("\uff41\uff44\uff4d\uff49\uff4e", "x"),  # fullwidth look-alike
        ("admin\u200b", "x"),
        ("\u202eadmin", "x"),
        ("admin' OR '1'='1", "' OR '1'='1"),
        ("", ""),
        ("💊", "💊" * 300),
    ],
)
async def test_hostile_logins_are_refused_never_500(
    client: Client, ui_users: dict[str, str], name: str, password: str
) -> None:
    response = await log_in(client, name, password)
    assert response.status_code == 401, response.text[:300]
    assert _session_cookie(response) is None
    assert "Wrong name or password" in response.text
    if name and not limits.USER_NAME.allows(name):
        assert name not in response.text  # not echoed back
    # Hostile attempts at the admin's name count as failures of no real user.
    assert (await log_in(client, "admin", ui_users["admin"])).status_code == 303


async def test_a_login_without_fields_or_with_odd_bodies_is_refused(client: Client) -> None:
    form = await client.get("/ui/login")
    token = csrf_in(form.text)
    for body in ({"_csrf": token}, {"_csrf": token, "name": ["a", "b"], "password": "x"}):
        response = await client.post("/ui/login", data=body, follow_redirects=False)
        assert response.status_code == 401
    multipart = await client.post(
        "/ui/login",
        data={"_csrf": token, "name": "admin"},
        files={"password": ("p.txt", b"secret")},
        follow_redirects=False,
    )
    assert multipart.status_code == 401
    json_body = await client.post("/ui/login", json={"_csrf": token}, follow_redirects=False)
    assert json_body.status_code == 403


# --- the dashboard -------------------------------------------------------------------------


async def test_the_dashboard_counts_what_the_services_count(
    client: Client, engine: AsyncEngine, ui_login: UiLogin, settings: Settings
) -> None:
    transactions = Transactions(create_sessionmaker(engine), settings.clock)
    await load_demo(transactions, SYSTEM)
    await ui_login(client, Role.MANAGER)
    response = await client.get("/ui")
    assert response.status_code == 200
    tiles = dict(
        (label, int(count))
        for count, label in re.findall(
            r'tile-count">(\d+)\+?</span>\s*<span class="tile-label">([^<]+)<', response.text
        )
    )
    async with create_sessionmaker(engine)() as session:
        below = await reorders.reorder_list(session, settings.clock)
    assert tiles["Below reorder point"] == len(below)
    assert set(tiles) >= {
        "Below reorder point",
        "Kits not ready",
        "Kits expiring",
        "Lots expiring",
        "Open recalls",
        "Webhook deliveries failing",
    }
    assert 'href="/ui/reorder"' in response.text and 'href="/ui/recalls"' in response.text
    # Each tile's link answers, and the lots page lists as many as the tile counts.
    for href in re.findall(r'<a href="(/ui[^"]*)">\s*<span class="tile-count">', response.text):
        linked = await client.get(href.replace("&amp;", "&"))
        assert linked.status_code == 200, href
    lots = await client.get("/ui/expiring?days=30")
    assert lots.text.count('<th scope="row">') == tiles["Lots expiring"] > 0
    for bad in ("-1", "3651", "x", "1e9", "\x00"):
        assert (await client.get("/ui/expiring", params={"days": bad})).status_code == 400


async def test_a_scanner_sees_no_webhook_figure(client: Client, ui_login: UiLogin) -> None:
    await ui_login(client, Role.SCANNER)
    response = await client.get("/ui")
    assert "Webhook deliveries failing" not in response.text
    assert "Below reorder point" in response.text


async def test_users_act_under_their_own_name(engine: AsyncEngine, settings: Settings) -> None:
    """The admin page's writes run as `user:<name>` (the event log says who)."""
    transactions = Transactions(create_sessionmaker(engine), settings.clock)
    password = await users.create_user(transactions, SYSTEM, "pharm.lee", Role.ADMIN)
    assert len(password) >= 24
    app_client = AsyncTestClient(app=create_app(settings), timeout=60)
    async with app_client as client:
        assert (await log_in(client, "pharm.lee", password)).status_code == 303
        token = csrf_in((await client.get("/ui")).text)
        made = await client.post(
            "/ui/admin/keys", data={"_csrf": token, "name": "k", "role": "scanner"}
        )
        assert made.status_code == 200
    async with engine.connect() as conn:
        actor = (
            await conn.execute(text("SELECT actor FROM events WHERE type = 'key.created'"))
        ).scalar_one()
    assert actor == "user:pharm.lee"
