"""`inventory-svc serve` as production runs it (uvicorn, uvloop, the guarded httptools
protocol): slow clients are dropped on time and do not stop anyone else; an oversized request
head is refused; more connections than allowed get 503; no Server banner, no access log from
the server, JSON lines only; two processes starting at once on a fresh SQLite file both come up.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from inventory_svc import server
from inventory_svc.config import Settings
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


def _exchange(port: int, *parts: bytes, pause: float = 0.0) -> bytes:
    """Send `parts` (pausing between them) on a new connection; all the server answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        try:
            for part in parts:
                sock.sendall(part)
                time.sleep(pause)
        except OSError:
            pass  # the server may close before the client has sent everything
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
        return answer


def test_serve_runs_uvicorn_on_uvloop_with_the_guarded_httptools_protocol() -> None:
    """The protocol these tests exercise is the one `serve` uses (bench/server_bench.py)."""
    options = server.server_options(Settings(max_connections=7))
    assert options["http"] is server.GuardedHttpToolsProtocol
    assert options["loop"] == "uvloop"
    assert options["limit_concurrency"] == 7
    assert options["proxy_headers"] is True
    assert options["server_header"] is False
    assert options["access_log"] is False
    assert options["log_config"] is None


def test_serve_defaults_to_two_workers_on_postgresql_and_one_on_sqlite(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Measured on 2 cores (README "Production server"): 2 workers x pool 5 on PostgreSQL."""
    monkeypatch.delenv("INVENTORY_WORKERS", raising=False)
    monkeypatch.delenv("INVENTORY_DB_POOL_SIZE", raising=False)
    monkeypatch.setenv("INVENTORY_DATABASE_URL", "postgresql+asyncpg://u@db/inventory")
    on_postgresql = Settings.from_env(env_file=None)
    assert (on_postgresql.workers, on_postgresql.db_pool_size) == (2, 5)
    monkeypatch.setenv("INVENTORY_DATABASE_URL", "sqlite+aiosqlite:///inventory.db")
    assert Settings.from_env(env_file=None).workers == 1
    monkeypatch.setenv("INVENTORY_WORKERS", "3")
    assert Settings.from_env(env_file=None).workers == 3


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


def test_a_request_head_over_16_kib_is_refused_whole_or_trickled(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'inventory.db'}"
    with live_server(url) as base:
        port = int(base.rsplit(":", 1)[1])
        request = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"

        def head_with(header: bytes) -> bytes:
            return request + header + b"\r\n\r\n"

        fits = _exchange(port, head_with(b"X-Pad: " + b"a" * 15_000))
        assert fits.startswith(b"HTTP/1.1 200 ")
        one_big_header = _exchange(port, head_with(b"X-Pad: " + b"a" * 17_000))
        assert one_big_header.startswith(b"HTTP/1.1 400 ")
        many_headers = _exchange(port, head_with(b"X-Pad: a\r\n" * 2_000))
        assert many_headers.startswith(b"HTTP/1.1 400 ")
        long_url = _exchange(port, b"GET /health?" + b"q" * 17_000 + b" HTTP/1.1\r\n\r\n")
        assert long_url.startswith(b"HTTP/1.1 400 ")
        # Never ending: refused once 16 KiB have arrived, not buffered until the deadline.
        trickled = _exchange(port, request + b"X-Pad: ", *[b"a" * 1000] * 40, pause=0.01)
        assert trickled.startswith(b"HTTP/1.1 400 ")
        assert trickled.endswith(b"Request head too large.")  # the guard, not the parser
        assert httpx.get(f"{base}/health", timeout=5).status_code == 200


def test_more_connections_than_the_limit_answer_503(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'inventory.db'}"
    with live_server(url, env={"INVENTORY_MAX_CONNECTIONS": "4"}) as base:
        port = int(base.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(4)]
        try:
            time.sleep(0.2)
            assert httpx.get(f"{base}/health", timeout=5).status_code == 503
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.2)
        assert httpx.get(f"{base}/health", timeout=5).status_code == 200


def test_the_server_logs_json_lines_and_no_access_log_of_its_own(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'inventory.db'}"
    port = free_port()
    env = {
        **os.environ,
        "INVENTORY_DATABASE_URL": url,
        "INVENTORY_PORT": str(port),
        "INVENTORY_LOG_LEVEL": "INFO",
    }
    proc = subprocess.Popen(
        [*CLI, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(base)
        answer = httpx.get(
            f"{base}/health?secret=s3cr3t", headers={"X-Forwarded-For": "10.1.2.3"}, timeout=5
        )
        assert answer.status_code == 200
        assert "server" not in answer.headers
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
    lines = [json.loads(line) for line in stderr.decode().splitlines() if line.strip()]
    loggers = {line["logger"] for line in lines}
    assert "uvicorn.access" not in loggers
    assert "inventory_svc.access" in loggers  # the app's own access line, one per request
    assert b"s3cr3t" not in stderr  # query strings are never logged
    assert any("Uvicorn running" in line["message"] for line in lines)  # the server's, as JSON
