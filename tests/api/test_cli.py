"""The inventory-svc command as an operator runs it, on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from inventory_svc.demo_data import ITEMS

CLI = [sys.executable, "-m", "inventory_svc.cli"]


def run(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INVENTORY_DATABASE_URL": database_url, "INVENTORY_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, check=check, timeout=120
    )


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
    assert missing.returncode != 0


def test_invalid_role_is_refused(database_url: str) -> None:
    result = run(database_url, "keys", "create", "--role", "janitor", "--name", "x", check=False)
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_demo_stock_answers_on_the_api(database_url: str) -> None:
    """The demo data set is consistent: its stock shows up through a live server."""
    run(database_url, "demo")
    key = run(database_url, "keys", "create", "--role", "admin", "--name", "t").stdout.split()[-1]
    port = _free_port()
    env = {
        **os.environ,
        "INVENTORY_DATABASE_URL": database_url,
        "INVENTORY_PORT": str(port),
        "INVENTORY_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [*CLI, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base)
        headers = {"Authorization": f"Bearer {key}"}
        stock = httpx.get(
            f"{base}/api/v1/stock",
            params={"location": "HOSP", "include_sublocations": "true"},
            headers=headers,
        ).json()
        statuses = {row["status"] for row in stock}
        assert {"ok", "expiring"} <= statuses
        assert any(row["status"] == "expired" and row["location"] == "QUAR" for row in stock)
    finally:
        server.terminate()
        server.wait(timeout=20)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(base: str) -> None:
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not become ready")
