"""The models and the migrations agree, and a live database with data upgrades in place."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from inventory_svc.db.migrate import alembic_config
from inventory_svc.db.models import Base


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _diff(url: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_differences)
    finally:
        await engine.dispose()


def test_autogenerate_finds_nothing_to_migrate(database_url: str) -> None:
    """A model change without its migration (or the reverse) fails here, on both databases."""
    assert asyncio.run(_diff(database_url)) == []


SEED = [
    "INSERT INTO suppliers (id, code, name) VALUES (1, 'MCK', 'McKesson')",
    "INSERT INTO items (id, name, base_unit) VALUES (1, 'Epinephrine', 'syringe')",
    "INSERT INTO item_identifiers (id, item_id, kind, value, printed, units)"
    " VALUES (1, 1, 'gtin', '00304094921341', '00304094921341', 1)",
    "INSERT INTO locations (id, code, name, kind, is_virtual)"
    " VALUES (100, 'A1', 'A1', 'shelf', false)",
    "INSERT INTO lots (id, item_id, lot_number, expiry, lot_key, recalled)"
    " VALUES (1, 1, 'L1', '2031-01-31', 'L1|2031-01-31', false)",
    "INSERT INTO balances (id, item_id, location_id, lot_id, is_virtual, quantity)"
    " VALUES (1, 1, 100, 1, false, 7)",
    "INSERT INTO movements (id, kind, item_id, lot_id, from_location_id, to_location_id,"
    " quantity, occurred_at, recorded_at) SELECT 1, 'receive', 1, 1, id, 100, 7,"
    " '2026-11-29 10:00:00', '2026-11-29 10:00:00' FROM locations WHERE code = '@supplier'",
    "INSERT INTO api_keys (id, name, role, prefix, key_hash)"
    " VALUES (1, 'k', 'admin', 'inv_x', 'h')",
    "INSERT INTO scans (id, idempotency_key, request_hash, code, action, status, recorded_at)"
    " VALUES (1, 'key-1', 'hash', '00304094921341', 'receive', 'applied', '2026-11-29 10:00:00')",
]
CHECKS = {
    "SELECT count(*) FROM items": 1,
    "SELECT quantity FROM balances WHERE id = 1": 7,
    "SELECT quantity FROM movements WHERE id = 1": 7,
    "SELECT count(*) FROM scans WHERE idempotency_key = 'key-1'": 1,
    "SELECT count(*) FROM api_keys": 1,
    "SELECT last_id FROM event_feed": 0,
    "SELECT count(*) FROM events": 0,
}


async def _run(url: str, statements: list[str], *, query: bool = True) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            results = [await conn.execute(text(s)) for s in statements]
            return [r.scalar() for r in results] if query else []
    finally:
        await engine.dispose()


def test_a_database_with_data_upgrades_in_place(empty_database_url: str) -> None:
    """From the last head before the outbox (0002) to today's, with rows in every table."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0002")
    asyncio.run(_run(empty_database_url, SEED, query=False))
    command.upgrade(config, "head")
    assert asyncio.run(_run(empty_database_url, list(CHECKS))) == list(CHECKS.values())
    command.downgrade(config, "0002")
    command.upgrade(config, "head")
    assert asyncio.run(_run(empty_database_url, list(CHECKS))) == list(CHECKS.values())
