"""The inventory-svc command as an operator runs it, on both databases."""

from __future__ import annotations

from pathlib import Path

import httpx

from inventory_svc.demo.data import ITEMS
from tests.live import live_server
from tests.live import run_cli as run


def test_migrate_is_idempotent_and_demo_loads_once(database_url: str) -> None:
    assert "schema at head" in run(database_url, "migrate").stdout
    run(database_url, "migrate")
    first = run(database_url, "demo")
    assert f"{len(ITEMS)} items" in first.stdout
    again = run(database_url, "demo", check=False)
    assert again.returncode == 1 and "already has items" in again.stdout
    assert run(database_url, "demo", "--if-empty").returncode == 0


def test_keys_are_shown_once_listed_without_secret_and_revocable(
    database_url: str, tmp_path: Path
) -> None:
    created = run(database_url, "keys", "create", "--role", "scanner", "--name", "bench-1")
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("inv_") and len(key) > 40
    listing = run(database_url, "keys", "list").stdout
    assert "bench-1" in listing and "scanner" in listing and key not in listing
    key_id = listing.split()[0]
    run(database_url, "keys", "revoke", key_id)
    assert "revoked" in run(database_url, "keys", "list").stdout
    missing = run(database_url, "keys", "revoke", "9999", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "inventory-svc: No active API key with id 9999."


def test_invalid_role_is_refused(database_url: str) -> None:
    result = run(database_url, "keys", "create", "--role", "janitor", "--name", "x", check=False)
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_demo_stock_answers_on_the_api(database_url: str) -> None:
    """The demo data set is consistent: its stock shows up through a live server."""
    run(database_url, "demo")
    key = run(database_url, "keys", "create", "--role", "admin", "--name", "t").stdout.split()[-1]
    with live_server(database_url) as base:
        stock = httpx.get(
            f"{base}/api/v1/stock",
            params={"location": "HOSP", "include_sublocations": "true"},
            headers={"Authorization": f"Bearer {key}"},
        ).json()
    statuses = {row["status"] for row in stock}
    assert {"ok", "expiring"} <= statuses
    assert any(row["status"] == "expired" and row["location"] == "QUAR" for row in stock)


def test_an_unreachable_database_is_one_clear_line_without_the_password() -> None:
    url = "postgresql+asyncpg://inventory:s3cret@127.0.0.1:1/inventory"
    result = run(url, "migrate", check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("inventory-svc: cannot use the database postgresql")
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
