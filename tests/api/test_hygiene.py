"""Web hygiene and the append-only ledger: what every answer carries, what is refused, and
what the database itself will not let anyone change."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.app import create_app
from inventory_svc.config import Settings
from inventory_svc.domain.roles import Role
from tests.conftest import Keys
from tests.helpers import assert_problem, scan, stocked_shelf


async def test_every_answer_says_nosniff_and_api_answers_are_not_cached(
    client: AsyncTestClient[Any], keys: Keys
) -> None:
    admin = await keys.header()
    answers = [
        await client.get("/api/v1/items", headers=admin),
        await client.get("/api/v1/items"),  # 401
        await client.get("/api/v1/nowhere", headers=admin),  # 404
        await client.get("/health"),
    ]
    for response in answers:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        assert "server" not in response.headers or "uvicorn" not in response.headers["server"]


async def test_the_api_documentation_needs_no_internet(client: AsyncTestClient[Any]) -> None:
    page = await client.get("/schema/swagger")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text)
    assert assets, page.text
    assert not [url for url in assets if url.startswith(("http:", "https:", "//"))]
    for url in assets:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert len(response.content) > 1000
    for hostile in ("../../../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "a" * 5000, "é"):
        assert_problem(await client.get(f"/schema/assets/{hostile}"), 404, "not_found")


@pytest.mark.parametrize("name", ["api_key", "token", "access_token", "key"])
async def test_an_api_key_in_the_url_is_refused(
    client: AsyncTestClient[Any], keys: Keys, name: str
) -> None:
    admin = await keys.header()
    plain = admin["Authorization"].split()[1]
    response = await client.get("/api/v1/items", params={name: plain})
    problem = assert_problem(response, 400, "validation_error")
    assert plain not in response.text
    assert "Authorization" in problem["detail"]
    # Even next to a valid header: the key has leaked into a URL, refuse to use it there.
    response = await client.get("/api/v1/items", params={"q": plain}, headers=admin)
    assert_problem(response, 400, "validation_error")


@pytest.mark.parametrize("role", [Role.INTEGRATION, Role.SCANNER])
async def test_a_scan_refused_for_its_role_is_recorded_whatever_the_role(
    client: AsyncTestClient[Any], keys: Keys, role: Role
) -> None:
    admin = await keys.header()
    code = await stocked_shelf(client, admin)
    await client.post(
        "/api/v1/locations", json={"code": "SAT", "name": "SAT", "kind": "satellite"}, headers=admin
    )
    action = "receive" if role is Role.INTEGRATION else "transfer"
    response = await scan(client, await keys.header(role), code, action, "SHELF", to_location="SAT")
    assert_problem(response, 403, "forbidden")
    log = (await client.get("/api/v1/scans", params={"status": "rejected"}, headers=admin)).json()
    assert [(row["action"], row["error_code"], row["actor"]) for row in log] == [
        (action, "forbidden", f"test {role.value}")
    ]


async def test_a_rate_limit_slows_a_key_down_with_retry_after(
    settings: Settings, keys: Keys
) -> None:
    limited = Settings(database_url=settings.database_url, log_level="WARNING", rate_limit=1)
    async with AsyncTestClient(app=create_app(limited), timeout=60) as client:
        scanner, manager = await keys.header(Role.SCANNER), await keys.header(Role.MANAGER)
        statuses = Counter(
            [(await client.get("/api/v1/items", headers=scanner)).status_code for _ in range(15)]
        )
        assert statuses[200] >= 10 and statuses[429] >= 1, statuses  # a burst of ten
        refused = await client.get("/api/v1/items", headers=scanner)
        problem = assert_problem(refused, 429, "rate_limited")
        assert int(refused.headers["retry-after"]) >= 1 and problem["retry_after"] >= 1
        # Another key has a bucket of its own.
        assert (await client.get("/api/v1/items", headers=manager)).status_code == 200


async def test_no_rate_limit_unless_configured(client: AsyncTestClient[Any], keys: Keys) -> None:
    scanner = await keys.header(Role.SCANNER)
    for _ in range(40):
        assert (await client.get("/api/v1/locations", headers=scanner)).status_code == 200


async def test_the_ledger_cannot_be_rewritten_by_anyone(
    client: AsyncTestClient[Any], keys: Keys, engine: AsyncEngine
) -> None:
    admin = await keys.header()
    code = await stocked_shelf(client, admin)
    assert (await scan(client, admin, code, "issue", "SHELF")).status_code == 201
    forbidden = [
        "UPDATE movements SET quantity = quantity + 100",
        "DELETE FROM movements",
        "UPDATE scans SET status = 'rejected'",
        "UPDATE scans SET code = 'forged'",
        "DELETE FROM scans",
        "UPDATE events SET type = 'forged' WHERE id IS NOT NULL",
        "DELETE FROM events",
    ]
    await client.get("/api/v1/events", headers=admin)  # positions the events
    for statement in forbidden:
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text(statement))
    async with engine.connect() as conn:
        moved = (await conn.execute(text("SELECT SUM(quantity) FROM movements"))).scalar()
        scans = (await conn.execute(text("SELECT COUNT(*) FROM scans"))).scalar()
    assert (moved, scans) == (11, 2)
