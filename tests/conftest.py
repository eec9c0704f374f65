"""Test databases: real SQLite files and a real PostgreSQL, both built by the migrations.

SQLite: the schema is migrated once into a template file that each test copies.
PostgreSQL: one database per run, migrated once; each test starts from truncated tables.
PostgreSQL is used when INVENTORY_TEST_PG_URL is set or a server answers on 127.0.0.1:5432;
INVENTORY_TEST_REQUIRE_PG=1 (set by CI) turns its absence into a failure instead of a skip.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from inventory_svc.app import create_app
from inventory_svc.config import Settings
from inventory_svc.db.engine import create_engine, create_sessionmaker
from inventory_svc.db.migrate import upgrade_to_head
from inventory_svc.db.models import Base
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.roles import Role
from inventory_svc.services.actors import SYSTEM
from inventory_svc.services.keys import create_key
from inventory_svc.services.uow import Transactions
from tests.live import live_server

LOCAL_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def _pg_admin_url() -> str | None:
    url = os.environ.get("INVENTORY_TEST_PG_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return LOCAL_PG
    except OSError:
        return None


PG_ADMIN_URL = _pg_admin_url()
REQUIRE_PG = os.environ.get("INVENTORY_TEST_REQUIRE_PG") == "1"


def pytest_report_header() -> str:
    return f"databases: sqlite + {'postgresql' if PG_ADMIN_URL else 'NO postgresql (skipped)'}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade_to_head(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    if PG_ADMIN_URL is None:
        if REQUIRE_PG:
            pytest.fail("PostgreSQL is required (INVENTORY_TEST_REQUIRE_PG=1) but not reachable")
        pytest.skip("no PostgreSQL reachable (set INVENTORY_TEST_PG_URL)")
    name = f"inventory_test_{uuid.uuid4().hex[:10]}"
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    url = f"{base}/{name}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    upgrade_to_head(url)
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _pg_admin(statement: str) -> None:
    assert PG_ADMIN_URL is not None
    engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


# Derived from the models, so a new table cannot be forgotten. Rows the migrations seed stay:
# the virtual locations, and the event feed's head (set back to 0).
SEEDED_TABLES = {"locations", "event_feed"}
TABLES_TO_EMPTY = tuple(
    table.name for table in Base.metadata.sorted_tables if table.name not in SEEDED_TABLES
)


async def _reset_pg(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(f"TRUNCATE {', '.join(TABLES_TO_EMPTY)} RESTART IDENTITY CASCADE")
            )
            await conn.execute(text("DELETE FROM locations WHERE NOT is_virtual"))
            await conn.execute(text("UPDATE event_feed SET last_id = 0"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test that asks for this runs once on each database."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "inventory.db"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("pg_database_url")
    asyncio.run(_reset_pg(url))
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, for tests that run the migrations themselves."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    if PG_ADMIN_URL is None:
        if REQUIRE_PG:
            pytest.fail("PostgreSQL is required (INVENTORY_TEST_REQUIRE_PG=1) but not reachable")
        pytest.skip("no PostgreSQL reachable (set INVENTORY_TEST_PG_URL)")
    name = f"inventory_empty_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    yield f"{PG_ADMIN_URL.rpartition('/')[0]}/{name}"
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, log_level="WARNING", timezone="UTC")


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(settings), timeout=60) as test_client:
        yield test_client


@pytest.fixture
async def live_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A real `inventory-svc serve` over real HTTP. The in-process test client runs one
    request at a time, so tests of concurrent scans need this one."""
    with live_server(database_url) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as live:
            yield live


class Keys:
    """API keys per role, created straight in the database like `inventory-svc keys create`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.transactions = Transactions(create_sessionmaker(engine), SiteClock())
        self._cache: dict[Role, str] = {}

    async def header(self, role: Role | str = Role.ADMIN) -> dict[str, str]:
        role = Role(role)
        if role not in self._cache:
            _, plain = await self.transactions.run(SYSTEM, create_key, role, f"test {role.value}")
            self._cache[role] = plain
        return {"Authorization": f"Bearer {self._cache[role]}"}


@pytest.fixture
def keys(engine: AsyncEngine) -> Keys:
    return Keys(engine)
