"""`inventory-svc worker` runs the background jobs in a process of its own and stops cleanly
on SIGTERM; `serve` runs them in-process (INVENTORY_BACKGROUND_JOBS, on by default)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from inventory_svc.domain.roles import Role
from tests.conftest import Keys
from tests.helpers import EPINEPHRINE_GTIN, gs1, make_item, make_location, scan
from tests.live import CLI, live_server

BELOW = "stock.below_reorder_point"
CODE = gs1(EPINEPHRINE_GTIN, lot="L1", expiry=datetime.now(UTC).date() + timedelta(days=400))


async def _low_shelf(client: Any, admin: dict[str, str]) -> None:
    """A par level (reorder point 20) and 5 on the shelf: one crossing to find."""
    item = (await make_item(client, admin))["id"]
    await make_location(client, admin, "MAIN", "storeroom")
    put = await client.put(
        "/api/v1/par-levels",
        json={"item": item, "location": "MAIN", "par": 50, "reorder_point": 20},
        headers=admin,
    )
    assert put.status_code == 200, put.text
    received = await scan(client, admin, CODE, "receive", "MAIN", quantity=5)
    assert received.status_code == 201, received.text


async def _await_crossing(client: Any, admin: dict[str, str], seconds: float = 20) -> list[Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        events = (await client.get("/api/v1/events", params={"type": BELOW}, headers=admin)).json()
        if events:
            return list(events)
        await asyncio.sleep(0.2)
    raise AssertionError("no stock.below_reorder_point event appeared")


async def test_the_worker_command_raises_crossings_and_stops_on_sigterm(
    client: AsyncTestClient[Any], keys: Keys, database_url: str
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _low_shelf(client, admin)  # the test app runs no jobs: nothing is raised yet
    assert (await client.get("/api/v1/events", params={"type": BELOW}, headers=admin)).json() == []
    env = {**os.environ, "INVENTORY_DATABASE_URL": database_url, "INVENTORY_LOG_LEVEL": "INFO"}
    worker = await asyncio.create_subprocess_exec(
        *CLI, "worker", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        events = await _await_crossing(client, admin)
        assert [e["data"]["on_hand"] for e in events] == [5]
        assert worker.returncode is None  # still running, polling
    finally:
        worker.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(worker.communicate(), 20)
    assert worker.returncode == 0, stderr.decode(errors="replace")[-2000:]
    assert b"Traceback" not in stderr
    assert b"background jobs stopped" in stderr
    assert stdout == b""  # logs go to stderr


async def test_serve_runs_the_jobs_in_process(keys: Keys, database_url: str) -> None:
    admin = await keys.header(Role.ADMIN)
    with live_server(database_url) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as live:
            await _low_shelf(live, admin)
            events = await _await_crossing(live, admin)
    assert [e["data"]["location"] for e in events] == ["MAIN"]
