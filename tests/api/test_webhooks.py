"""Webhook subscriptions over the API: who may manage them, what they accept, which
destinations they refuse, and that a secret never comes back. Delivery itself is in
tests/e2e/test_webhook_dispatch.py."""

from __future__ import annotations

import dataclasses
import inspect
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.app import create_app
from inventory_svc.config import Settings, WebhookSettings
from inventory_svc.db.engine import create_sessionmaker
from inventory_svc.domain import limits
from inventory_svc.domain.roles import Role
from inventory_svc.services import webhooks
from tests.conftest import Keys
from tests.helpers import assert_problem

PUBLIC = "https://93.184.215.14/hooks/inventory"
"""A public address literal: allowed without DNS."""
SECRET = "s3cret-for-the-receiver-only"


def body(**changes: Any) -> dict[str, Any]:
    return {"url": PUBLIC, "secret": SECRET, "events": ["purchase_order.*"], **changes}


async def test_a_manager_subscribes_and_the_secret_never_comes_back(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    manager = await keys.header(Role.MANAGER)
    made = await client.post(
        "/api/v1/webhooks",
        json=body(events=["purchase_order.*", "stock.changed", "purchase_order.*"]),
        headers=manager,
    )
    assert made.status_code == 201, made.text
    webhook = made.json()
    assert webhook["url"] == PUBLIC
    assert webhook["events"] == ["purchase_order.*", "stock.changed"]
    assert webhook["secret_hint"] == "…only"
    assert webhook["created_by"] == "test manager"
    answers = [
        made,
        await client.get("/api/v1/webhooks", headers=manager),
        await client.get(f"/api/v1/webhooks/{webhook['id']}", headers=manager),
        await client.get(f"/api/v1/webhooks/{webhook['id']}/deliveries", headers=manager),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201)
        assert SECRET not in answer.text and 'secret"' not in answer.text
    assert answers[1].json() == [webhook]
    assert answers[3].json() == []

    gone = await client.delete(f"/api/v1/webhooks/{webhook['id']}", headers=manager)
    assert gone.status_code == 204, gone.text
    assert_problem(
        await client.get(f"/api/v1/webhooks/{webhook['id']}", headers=manager), 404, "not_found"
    )
    assert_problem(
        await client.delete(f"/api/v1/webhooks/{webhook['id']}", headers=manager),
        404,
        "not_found",
    )
    assert (await client.get("/api/v1/webhooks", headers=manager)).json() == []


async def test_unknown_webhooks_and_deliveries_are_not_found(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    for method, url in (
        ("GET", "/api/v1/webhooks/9"),
        ("GET", "/api/v1/webhooks/9/deliveries"),
        ("POST", "/api/v1/webhooks/9/redeliver-dead"),
        ("POST", "/api/v1/webhooks/9/deliveries/1/redeliver"),
    ):
        assert_problem(await client.request(method, url, headers=admin), 404, "not_found")
    made = await client.post("/api/v1/webhooks", json=body(), headers=admin)
    webhook = made.json()["id"]
    assert_problem(
        await client.post(f"/api/v1/webhooks/{webhook}/deliveries/1/redeliver", headers=admin),
        404,
        "not_found",
    )
    redelivered = await client.post(f"/api/v1/webhooks/{webhook}/redeliver-dead", headers=admin)
    assert redelivered.status_code == 200 and redelivered.json() == {"redelivered": 0}


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
async def test_only_managers_and_admins_see_or_manage_webhooks(
    client: AsyncTestClient[Any], keys: Keys, role: Role
) -> None:
    admin = await keys.header(Role.ADMIN)
    existing = (await client.post("/api/v1/webhooks", json=body(), headers=admin)).json()["id"]
    headers = await keys.header(role)
    answers = [
        await client.post("/api/v1/webhooks", json=body(), headers=headers),
        await client.get("/api/v1/webhooks", headers=headers),
        await client.get(f"/api/v1/webhooks/{existing}/deliveries", headers=headers),
        await client.post(f"/api/v1/webhooks/{existing}/redeliver-dead", headers=headers),
        await client.delete(f"/api/v1/webhooks/{existing}", headers=headers),
    ]
    if role in (Role.MANAGER, Role.ADMIN):
        assert [a.status_code for a in answers] == [201, 200, 200, 200, 204]
    else:
        for answer in answers:
            assert_problem(answer, 403, "forbidden")
        assert (await client.get("/api/v1/webhooks", headers=admin)).json()[0]["id"] == existing
    for answer in [await client.get("/api/v1/webhooks")]:
        assert_problem(answer, 401, "unauthorized")


def _loopback_name() -> str | None:
    """This machine's host name, when it resolves to loopback only (as in most containers)."""
    name = socket.gethostname()
    try:
        resolved = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except OSError:
        return None
    return name if resolved and all(a.startswith("127.") or a == "::1" for a in resolved) else None


LOCAL_URLS = [
    "http://127.0.0.1/hook",
    "http://127.1.2.3:8080/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:a00:1]/hook",  # ::ffff:10.0.0.1
    "http://10.0.0.1/hook",
    "http://172.16.5.4/hook",
    "http://192.168.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://0.0.0.0:8000/hook",
    "http://224.0.0.1/hook",
    "http://localhost:8000/hook",
    "http://LocalHost./hook",
    "http://2130706433/hook",  # 127.0.0.1 as one number: refused once resolved
    "http://0x7f.1/hook",
]


async def test_local_destinations_are_refused_when_subscribing(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    manager = await keys.header(Role.MANAGER)
    for url in LOCAL_URLS:
        response = await client.post("/api/v1/webhooks", json=body(url=url), headers=manager)
        assert response.status_code == 422, (url, response.text)
        assert_problem(response, 422, "destination_refused")
    assert (await client.get("/api/v1/webhooks", headers=manager)).json() == []


async def test_a_host_name_resolving_to_this_machine_is_refused_when_subscribing(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    name = _loopback_name()
    if name is None:
        pytest.skip("the host name does not resolve to loopback here")
    response = await client.post(
        "/api/v1/webhooks",
        json=body(url=f"http://{name}:9000/hook"),
        headers=await keys.header(Role.MANAGER),
    )
    problem = assert_problem(response, 422, "destination_refused")
    assert problem["detail"].startswith(f"{name} (127.") and "loopback" in problem["detail"]


@pytest.fixture
async def allowing(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    """As with INVENTORY_WEBHOOK_ALLOW_PRIVATE=true and
    INVENTORY_WEBHOOK_ALLOWED_HOSTS=erp.example.org,127.0.0.1."""
    hooks = WebhookSettings(
        allow_private=True, allowed_hosts=frozenset({"erp.example.org", "127.0.0.1"})
    )
    app = create_app(dataclasses.replace(settings, webhooks=hooks))
    async with AsyncTestClient(app=app, timeout=60) as client:
        yield client


async def test_allow_private_opens_local_addresses_and_allowed_hosts_narrow_them(
    allowing: AsyncTestClient[Any], keys: Keys
) -> None:
    manager = await keys.header(Role.MANAGER)
    for url in ("http://127.0.0.1:9/hook", "https://erp.example.org/in"):
        made = await allowing.post("/api/v1/webhooks", json=body(url=url), headers=manager)
        assert made.status_code == 201, (url, made.text)
    for url in (PUBLIC, "http://10.0.0.1/", "https://erp.example.org.evil.test/"):
        refused = await allowing.post("/api/v1/webhooks", json=body(url=url), headers=manager)
        assert_problem(refused, 422, "destination_refused")
    multicast = await allowing.post(
        "/api/v1/webhooks", json=body(url="http://224.0.0.1/"), headers=manager
    )
    assert multicast.status_code == 422  # not in the allowed hosts, and never callable


HOSTILE: list[tuple[str, dict[str, Any]]] = [
    ("url too long", body(url="https://93.184.215.14/" + "a" * limits.WEBHOOK_URL.max_length)),
    ("NUL in url", body(url="https://93.184.215.14/\x00")),
    ("space in url", body(url="https://93.184.215.14/a b")),
    ("newline in url", body(url="https://93.184.215.14/\r\nX-Injected: 1")),
    ("ftp url", body(url="ftp://93.184.215.14/x")),
    ("file url", body(url="file:///etc/passwd")),
    ("javascript url", body(url="javascript:alert(1)")),
    ("no scheme", body(url="93.184.215.14/hook")),
    ("no host", body(url="http:///hook")),
    ("credentials", body(url="https://user:pw@93.184.215.14/")),
    ("bad port", body(url="https://93.184.215.14:70000/")),
    ("empty url", body(url="")),
    ("url not a string", body(url=["https://93.184.215.14/"])),
    ("empty events", body(events=[])),
    ("events not a list", body(events="stock.changed")),
    ("unknown type", body(events=["stock.chnaged"])),
    ("unknown prefix", body(events=["nothing.*"])),
    ("upper case", body(events=["Stock.Changed"])),
    ("star in the middle", body(events=["stock.*.changed"])),
    ("empty pattern", body(events=[""])),
    ("NUL in pattern", body(events=["stock.changed\x00"])),
    ("unicode pattern", body(events=["stöck.changed"])),
    ("too many patterns", body(events=["*"] * (limits.MAX_WEBHOOK_EVENTS + 1))),
    ("pattern too long", body(events=["a" * 65])),
    ("short secret", body(secret="short")),
    ("NUL in secret", body(secret="0123456789abcdef\x00")),
    ("secret too long", body(secret="s" * (limits.WEBHOOK_SECRET.max_length + 1))),
    ("no secret", {"url": PUBLIC, "events": ["*"]}),
    ("unknown field", body(active=True)),
]


async def test_hostile_subscriptions_are_refused_without_a_trace(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    manager = await keys.header(Role.MANAGER)
    for name, hostile in HOSTILE:
        response = await client.post("/api/v1/webhooks", json=hostile, headers=manager)
        assert response.status_code == 400, (name, response.text)
        assert_problem(response, 400, "validation_error")
    assert (await client.get("/api/v1/webhooks", headers=manager)).json() == []


async def test_hostile_paths_and_filters_are_refused(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    for url in (
        "/api/v1/webhooks/0",
        f"/api/v1/webhooks/{limits.REFERENCE_ID.le + 1}",
        "/api/v1/webhooks/1/deliveries?status=lost",
        "/api/v1/webhooks/1/deliveries?limit=0",
        "/api/v1/webhooks/1/deliveries?after=-1",
        "/api/v1/webhooks?limit=1001",
    ):
        assert_problem(await client.get(url, headers=admin), 400, "validation_error")
    assert (await client.get("/api/v1/webhooks/abc", headers=admin)).status_code == 404
    assert_problem(
        await client.post(
            f"/api/v1/webhooks/1/deliveries/{limits.LEDGER_ID.le + 1}/redeliver", headers=admin
        ),
        400,
        "validation_error",
    )


async def test_failing_deliveries_is_there_for_the_dashboard(engine: AsyncEngine) -> None:
    assert inspect.iscoroutinefunction(webhooks.failing_deliveries)
    assert list(inspect.signature(webhooks.failing_deliveries).parameters) == ["session"]
    async with create_sessionmaker(engine)() as session:
        assert await webhooks.failing_deliveries(session) == 0
