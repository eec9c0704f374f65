"""`inventory-svc users ...` as an operator runs it, and the first admin login `serve --demo`
prints: passwords on stdout once, never in a listing, and they log in through the real form."""

from __future__ import annotations

import os
import re
import subprocess
import time

import httpx
import pytest

from tests.live import CLI, free_port, live_server, wait_ready
from tests.live import run_cli as run
from tests.ui.conftest import csrf_in


def _logs_in(base: str, name: str, password: str) -> bool:
    with httpx.Client(base_url=base, timeout=30) as browser:
        form = browser.get("/ui/login")
        response = browser.post(
            "/ui/login",
            data={"name": name, "password": password, "_csrf": csrf_in(form.text)},
        )
        return response.status_code == 303 and browser.get("/ui").status_code == 200


def test_users_create_disable_reset_and_unlock(database_url: str) -> None:
    run(database_url, "migrate")
    created = run(database_url, "users", "create", "--role", "manager", "--name", "ward.lead")
    password = created.stdout.strip()
    assert len(created.stdout.splitlines()) == 1 and len(password) >= 24
    assert "ward.lead" in created.stderr and password not in created.stderr
    listing = run(database_url, "users", "list").stdout
    assert "ward.lead" in listing and "manager" in listing and "active" in listing
    assert password not in listing

    with live_server(database_url) as base:
        assert _logs_in(base, "ward.lead", password)
        new = run(database_url, "users", "reset-password", "ward.lead").stdout.strip()
        assert new != password and len(new) >= 24
        assert not _logs_in(base, "ward.lead", password)
        assert _logs_in(base, "ward.lead", new)
        run(database_url, "users", "disable", "ward.lead")
        assert "disabled" in run(database_url, "users", "list").stdout
        assert not _logs_in(base, "ward.lead", new)
    assert run(database_url, "users", "unlock", "ward.lead").returncode == 0


def test_users_refusals_are_one_clear_line(database_url: str) -> None:
    run(database_url, "users", "create", "--role", "scanner", "--name", "tech1")
    again = run(
        database_url, "users", "create", "--role", "scanner", "--name", "tech1", check=False
    )
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr.strip() == "inventory-svc: A user named 'tech1' exists already."
    for name in ("", "a b", "x" * 65, "nul\x01", "ádmin"):
        bad = run(database_url, "users", "create", "--role", "scanner", "--name", name, check=False)
        assert bad.returncode == 1 and bad.stdout == "", name
        assert "user name is 1 to 64" in bad.stderr
    role = run(database_url, "users", "create", "--role", "root", "--name", "x", check=False)
    assert role.returncode == 2 and "invalid choice" in role.stderr
    for command in ("disable", "reset-password", "unlock"):
        missing = run(database_url, "users", command, "nobody", check=False)
        assert missing.returncode == 1 and missing.stdout == ""
        assert missing.stderr.strip() == "inventory-svc: No user named 'nobody'."


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_demo_prints_a_first_admin_login(database_url: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "INVENTORY_DATABASE_URL": database_url,
        "INVENTORY_PORT": str(port),
        "INVENTORY_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [*CLI, "serve", "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        deadline = time.monotonic() + 120
        line = ""
        while time.monotonic() < deadline and "web UI" not in line:
            line = server.stdout.readline()
        match = re.search(r"web UI\s+(\S+)/ui\s+log in as admin / (\S+)", line)
        assert match, line
        base, password = match.groups()
        wait_ready(base)
        assert _logs_in(base, "admin", password)
    finally:
        server.terminate()
        server.communicate(timeout=20)
