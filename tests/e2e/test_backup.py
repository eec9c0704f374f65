"""Issue 9: a backup taken while the service serves scans restores to a consistent ledger.

SQLite: `inventory-svc backup` (the online backup API) during a stream of scans; PostgreSQL:
the same command (`pg_dump`), restored with `pg_restore`. The restored copy keeps the ledger
invariants (per lot, all balances sum to zero; every balance equals its net movements), and a
service on a copy taken at rest answers the same `/api/v1/stock` as the original.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from inventory_svc.config import Settings
from inventory_svc.demo.data import ITEMS
from tests.api.test_ledger_properties import _ledger_violations
from tests.conftest import PG_ADMIN_URL, _pg_admin
from tests.helpers import gs1
from tests.live import live_server, run_cli

pytestmark = pytest.mark.e2e

GTIN = next(i.value for i in ITEMS[0].identifiers if i.kind == "gtin")
BIN = "MAIN-A1-01"
STOCK_QUERY = {"location": "HOSP", "include_sublocations": "true"}


def _scan(base: str, key: str, action: str, lot: str, quantity: int) -> int:
    response = httpx.post(
        f"{base}/api/v1/scans",
        json={
            "code": gs1(GTIN, lot=lot, expiry=date(2031, 5, 31)),
            "action": action,
            "location": BIN,
            "quantity": quantity,
        },
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())},
        timeout=30,
    )
    return response.status_code


def _stock(base: str, key: str) -> Any:
    response = httpx.get(
        f"{base}/api/v1/stock", params=STOCK_QUERY, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text
    return response.json()


@contextmanager
def _scans_meanwhile(base: str, key: str) -> Iterator[list[int]]:
    """Receive and issue scans in a loop until the block ends; yields their statuses."""
    statuses: list[int] = []
    stop = threading.Event()

    def loop() -> None:
        n = 0
        while not stop.is_set() and n < 400:
            statuses.append(_scan(base, key, "receive" if n % 2 == 0 else "issue", "BK1", 3))
            n += 1

    worker = threading.Thread(target=loop)
    worker.start()
    try:
        yield statuses
    finally:
        stop.set()
        worker.join(timeout=60)


@contextmanager
def _restored(database_url: str, backup: Path, tmp_path: Path) -> Iterator[str]:
    """A database made from `backup` the way the README says; yields its URL."""
    if database_url.startswith("sqlite"):
        copy = tmp_path / f"restored-{uuid.uuid4().hex[:6]}.db"
        shutil.copyfile(backup, copy)
        yield f"sqlite+aiosqlite:///{copy}"
        return
    assert PG_ADMIN_URL is not None
    name = f"inventory_restored_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        libpq = PG_ADMIN_URL.replace("+asyncpg", "").rpartition("/")[0] + f"/{name}"
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={libpq}", str(backup)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield PG_ADMIN_URL.rpartition("/")[0] + f"/{name}"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_backup_taken_while_serving_restores_a_consistent_ledger(
    database_url: str, tmp_path: Path
) -> None:
    if database_url.startswith("postgresql") and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not on PATH")
    run_cli(database_url, "demo")
    key = run_cli(database_url, "keys", "create", "--role", "admin", "--name", "backup test")
    key_plain = key.stdout.split()[-1]
    during, at_rest = tmp_path / "during.backup", tmp_path / "at-rest.backup"
    with live_server(database_url) as base:
        assert _scan(base, key_plain, "receive", "BK1", 50) == 201
        with _scans_meanwhile(base, key_plain) as statuses:
            while len(statuses) < 5:  # the backup starts with scans in flight
                threading.Event().wait(0.05)
            made = run_cli(database_url, "backup", "--out", str(during))
            after_backup = len(statuses)
            while len(statuses) < after_backup + 5:  # and they carry on after it
                threading.Event().wait(0.05)
        assert set(statuses) <= {201, 409}, statuses  # applied, or not enough stock left
        assert "backup written" in made.stdout
        # At rest: the copy must answer exactly what the original answers.
        run_cli(database_url, "backup", "--out", str(at_rest))
        original_stock = _stock(base, key_plain)

    with _restored(database_url, during, tmp_path) as url:
        assert asyncio.run(_ledger_violations(Settings(database_url=url))) == []
    with _restored(database_url, at_rest, tmp_path) as url:
        assert asyncio.run(_ledger_violations(Settings(database_url=url))) == []
        with live_server(url) as restored_base:
            assert _stock(restored_base, key_plain) == original_stock


def test_a_backup_refuses_to_overwrite_the_database(tmp_path: Path) -> None:
    path = tmp_path / "inventory.db"
    url = f"sqlite+aiosqlite:///{path}"
    run_cli(url, "migrate")
    refused = run_cli(url, "backup", "--out", str(path), check=False)
    assert refused.returncode == 1
    assert "must not overwrite" in refused.stderr
    missing = run_cli(
        f"sqlite+aiosqlite:///{tmp_path / 'none.db'}", "backup", "--out", "x", check=False
    )
    assert missing.returncode == 1 and "no SQLite database" in missing.stderr
