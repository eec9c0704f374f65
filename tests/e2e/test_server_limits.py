"""`inventory-svc serve` as production runs it: slow clients are dropped on time and do not
stop anyone else; two processes starting at once on a fresh SQLite file both come up."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.live import CLI, free_port, live_server, wait_ready

pytestmark = pytest.mark.e2e

SLOW_CLIENTS = 1000
READ_TIMEOUT = 4.0  # generous: normal requests must be answered well within it


def _open(port: int, payload: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(payload)
    sock.setblocking(False)
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    """True once the server has closed the connection (after any answer it sent first)."""
    try:
        while chunk := sock.recv(65536):
            del chunk  # an early answer (e.g. 401 before the body): read past it
        return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def test_a_thousand_slow_clients_are_dropped_on_time_and_block_no_one(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'inventory.db'}"
    env = {"INVENTORY_REQUEST_READ_TIMEOUT": str(READ_TIMEOUT)}
    with live_server(url, env=env) as base:
        port = int(base.rsplit(":", 1)[1])
        half_heads = [
            _open(port, b"GET /api/v1/items HTTP/1.1\r\nHost: x\r\n")
            for _ in range(SLOW_CLIENTS // 2)
        ]
        slow_bodies = [
            _open(
                port,
                b"POST /api/v1/scans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 500\r\nIdempotency-Key: slow\r\n\r\n{"code": ',
            )
            for _ in range(SLOW_CLIENTS // 2)
        ]
        slow = half_heads + slow_bodies
        try:
            started = time.monotonic()
            for _ in range(20):  # normal requests go through while the slow ones hang
                response = httpx.get(f"{base}/health", timeout=5)
                assert response.status_code == 200
                assert "server" not in response.headers  # no version banner
            assert time.monotonic() - started < READ_TIMEOUT
            assert not any(_closed_by_server(sock) for sock in slow[:50])  # not dropped early
            time.sleep(READ_TIMEOUT + 1.5)
            dropped = sum(_closed_by_server(sock) for sock in slow)
            assert dropped == len(slow)
            assert httpx.get(f"{base}/health", timeout=5).status_code == 200
        finally:
            for sock in slow:
                sock.close()


def test_a_prompt_client_on_a_kept_alive_connection_is_not_cut_off(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'inventory.db'}"
    env = {"INVENTORY_REQUEST_READ_TIMEOUT": "1"}
    with live_server(url, env=env) as base, httpx.Client(base_url=base, timeout=5) as client:
        for _ in range(5):
            assert client.get("/health").status_code == 200
            time.sleep(0.6)  # within keep-alive; the deadline restarts per request


def test_two_servers_starting_at_once_on_a_fresh_sqlite_file_both_come_up(tmp_path: Path) -> None:
    for attempt in range(5):
        url = f"sqlite+aiosqlite:///{tmp_path / f'fresh-{attempt}.db'}"
        ports = [free_port(), free_port()]
        servers = [
            subprocess.Popen(
                [*CLI, "serve"],
                env={
                    **os.environ,
                    "INVENTORY_DATABASE_URL": url,
                    "INVENTORY_PORT": str(port),
                    "INVENTORY_LOG_LEVEL": "WARNING",
                },
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for port in ports
        ]
        try:
            for port in ports:
                wait_ready(f"http://127.0.0.1:{port}")
        finally:
            for server in servers:
                server.terminate()
            errors = [server.communicate(timeout=20)[1] for server in servers]
        assert all(server.returncode in (0, -15) for server in servers), errors
        assert not any(b"already exists" in err for err in errors), errors
