"""A live `inventory-svc serve` in a subprocess, for tests that need real HTTP end to end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

CLI = [sys.executable, "-m", "inventory_svc.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_cli(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INVENTORY_DATABASE_URL": database_url, "INVENTORY_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, check=check, timeout=120
    )


def wait_ready(base_url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base_url} did not become ready")


@contextmanager
def live_server(
    database_url: str, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Serve `database_url` on a free port with `workers` processes; yields the base URL.
    `env` adds settings (INVENTORY_*) for this server."""
    port = free_port()
    env = {
        **os.environ,
        "INVENTORY_DATABASE_URL": database_url,
        "INVENTORY_PORT": str(port),
        "INVENTORY_LOG_LEVEL": "WARNING",
        "INVENTORY_WORKERS": str(workers),
        **(env or {}),
    }
    server = subprocess.Popen(
        [*CLI, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        yield base
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)
        if b"Traceback" in stderr:
            sys.stderr.write(stderr.decode(errors="replace")[-4000:])
