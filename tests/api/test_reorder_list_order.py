"""The reorder list's order, and the one snapshot behind the whole hospital's list.

On PostgreSQL the whole list is two statements at once (even and odd item ids) on two
connections sharing one snapshot, merged in Python (db/reorders._in_two_halves): the merge
must give the list's order, and the halves must see the same committed ledger."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.config import Settings
from inventory_svc.db.models import Supplier
from inventory_svc.db.reorders import shared_snapshot
from inventory_svc.domain.roles import Role
from tests.conftest import Keys
from tests.helpers import make_item, make_location

Client = AsyncTestClient[Any]

# Upper and lower case, accents and digits: an order by code point (Python's, SQLite's,
# PostgreSQL's "C"), whatever the database's collation.
NAMES = ["heparin", "Zinc oxide", "Ácido fólico", "acetaminophen", "Heparin", "10% dextrose"]


async def test_the_list_is_in_location_then_item_name_order_across_both_halves(
    client: Client, keys: Keys
) -> None:
    admin, manager = await keys.header(Role.ADMIN), await keys.header(Role.MANAGER)
    items = [await make_item(client, admin, name, identifiers=[]) for name in NAMES]
    assert {item["id"] % 2 for item in items} == {0, 1}  # both halves hold lines
    for code in ("WARD-2", "STORE", "ADC-1"):
        await make_location(client, admin, code, "satellite")
    levels = [
        {"item": item["id"], "location": code, "par": 10, "reorder_point": 5}
        for item in items
        for code in ("WARD-2", "STORE", "ADC-1")
    ]
    response = await client.put("/api/v1/par-levels", json=levels, headers=admin)
    assert response.status_code == 200, response.text

    response = await client.get("/api/v1/reorder-list", headers=manager)
    assert response.status_code == 200, response.text
    got = [(line["location"], line["item"]["name"], line["item"]["id"]) for line in response.json()]
    expected = sorted(
        (code, item["name"], item["id"]) for item in items for code in ("WARD-2", "STORE", "ADC-1")
    )
    assert got == expected  # nothing in stock: every par level is on the list

    response = await client.get("/api/v1/reorder-list?location=STORE", headers=manager)
    one = [(line["location"], line["item"]["name"], line["item"]["id"]) for line in response.json()]
    assert one == [line for line in expected if line[0] == "STORE"]


async def test_the_two_halves_see_one_snapshot(settings: Settings, engine: AsyncEngine) -> None:
    """A commit after the first connection's snapshot is seen by neither, though the second
    reads only after it: it imported the first's snapshot before."""
    if settings.is_sqlite:
        pytest.skip("SQLite's list is one statement")
    count = select(func.count()).select_from(Supplier)
    async with engine.connect() as probe:
        before = await probe.scalar(count)
    async with shared_snapshot(engine) as (first, second):
        async with engine.begin() as writer:
            await writer.execute(
                text("INSERT INTO suppliers (code, name) VALUES ('LATE', 'Committed late')")
            )
        assert [await first.scalar(count), await second.scalar(count)] == [before, before]
    async with engine.connect() as probe:
        assert await probe.scalar(count) == before + 1
