"""Scanner-client fixtures: a LIVE inventory-svc (subprocess) and helpers to run the client.

The live server is the real thing: ``inventory-svc migrate`` + ``demo`` + ``keys create`` on a
temporary SQLite file, then ``inventory-svc serve`` on a free port. Tests can stop and start
it (same port, same database) to play "the server restarts" and "the network drops".
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import free_port
from tests.scanner import imagegen as ig
from tests.scanner.faulty_proxy import FaultyProxy, running

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _svc_cmd() -> list[str]:
    exe = BIN / "inventory-svc"
    if exe.exists():
        return [str(exe)]
    return [
        sys.executable,
        "-c",
        "import sys; from inventory_svc.cli import main; sys.exit(main())",
    ]


def scan_cmd() -> list[str]:
    """The installed console script when present (what users run), else the module."""
    exe = BIN / "inventory-scan"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "scanner_client"]


@dataclass
class LiveServer:
    """A real ``inventory-svc serve`` on 127.0.0.1:port over a temporary SQLite database."""

    workdir: Path
    port: int
    token: str = ""
    log_path: Path = field(init=False)
    proc: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.log_path = self.workdir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            INVENTORY_DATABASE_URL=f"sqlite+aiosqlite:///{self.workdir / 'inventory.db'}",
            INVENTORY_HOST="127.0.0.1",
            INVENTORY_PORT=str(self.port),
            INVENTORY_LOG_LEVEL="warning",
        )
        return env

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            [*_svc_cmd(), *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if out.returncode != 0:
            raise RuntimeError(f"inventory-svc {' '.join(args)} failed:\n{out.stdout}{out.stderr}")
        return out.stdout

    def prepare(self) -> None:
        self.cli("migrate")
        self.cli("demo")
        lines = [
            ln
            for ln in self.cli(
                "keys", "create", "--role", "admin", "--name", "scanner-tests"
            ).splitlines()
            if ln.strip()
        ]
        self.token = lines[-1].strip()

    def start(self, timeout: float = 60.0) -> None:
        if self.running:
            return
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [*_svc_cmd(), "serve"],
            env=self.env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"server not healthy in {timeout}s:\n{self.log_path.read_text()[-3000:]}"
        )

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def create_key(self, role: str, name: str) -> str:
        """``inventory-svc keys create``: the new key (printed once, on the last line)."""
        lines = [
            ln for ln in self.cli("keys", "create", "--role", role, "--name", name).splitlines()
        ]
        return [ln for ln in lines if ln.strip()][-1].strip()

    def get(self, path: str, **params: Any) -> Any:
        resp = httpx.get(
            f"{self.url}{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10.0,
        )
        resp.raise_for_status()
        return resp.json()


@pytest.fixture(scope="session")
def _server_template(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    """migrate + demo + keys create, once per session; each test gets a copy of the DB."""
    template = LiveServer(tmp_path_factory.mktemp("server-template"), free_port())
    template.prepare()
    return template


@pytest.fixture
def live_server_stopped(
    _server_template: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A prepared server (own database with demo data, admin key) that is NOT started yet."""
    workdir = tmp_path_factory.mktemp("server")
    for suffix in ("", "-wal", "-shm"):
        src = _server_template.workdir / f"inventory.db{suffix}"
        if src.exists():
            shutil.copy2(src, workdir / src.name)
    server = LiveServer(workdir, free_port(), token=_server_template.token)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live_server(live_server_stopped: LiveServer) -> LiveServer:
    """A running server."""
    live_server_stopped.start()
    return live_server_stopped


@pytest.fixture
def faulty_proxy(live_server: LiveServer) -> Iterator[FaultyProxy]:
    """A real HTTP proxy in front of the running server that fails chosen scans on purpose."""
    yield from running(live_server.url)


LOT = "E2E-LOT"


def pack(serial: str, lot: str = LOT) -> str:
    """A DSCSA pack as a keyboard-wedge scanner types it (FNC1 sent as {GS})."""
    return ig.gs1_plain(lot=lot, serial=serial).replace("\x1d", "{GS}")


def stock(server: LiveServer, location: str, lot: str = LOT) -> int:
    rows = server.get("/api/v1/stock", location=location, gtin=ig.EPI_GTIN)
    return sum(int(r["quantity"]) for r in rows if r["lot"] == lot)


def server_scans(server: LiveServer, device: str) -> list[dict[str, Any]]:
    return list(server.get("/api/v1/scans", device=device, limit=1000))


def client_args(
    server: LiveServer, queue: Path, device: str, *extra: str, url: str | None = None
) -> list[str]:
    """``run`` from stdin against ``server`` (or ``url``, e.g. a proxy in front of it)."""
    return [
        "--server",
        url or server.url,
        "--token",
        server.token,
        "--queue",
        str(queue),
        "--device",
        device,
        "--source",
        "stdin",
        *extra,
    ]


@dataclass
class ClientResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def events(self) -> list[dict[str, Any]]:
        """The --json lines."""
        out = []
        for line in self.stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("event") == kind]


def run_client(
    args: Sequence[str],
    *,
    stdin: str = "",
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> ClientResult:
    """Run ``inventory-scan`` to completion (finite sources) in a clean environment."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_SCAN_")}
    full_env.update(env or {})
    full_env.setdefault("XDG_CONFIG_HOME", str(Path(full_env.get("TMPDIR", "/tmp")) / "nocfg"))
    proc = subprocess.run(
        [*scan_cmd(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=REPO,
        timeout=timeout,
    )
    return ClientResult(proc.returncode, proc.stdout, proc.stderr)


class Client:
    """A long-running ``inventory-scan`` (stdin source) whose JSON events we can watch."""

    def __init__(self, args: Sequence[str]) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_SCAN_")}
        env["XDG_CONFIG_HOME"] = str(Path(env.get("TMPDIR", "/tmp")) / "nocfg")
        self.proc = subprocess.Popen(
            [*scan_cmd(), *args, "--json"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                with self._lock:
                    self.events.append(json.loads(line))

    def scan(self, *codes: str) -> None:
        assert self.proc.stdin is not None
        for code in codes:
            self.proc.stdin.write(code + "\n")
        self.proc.stdin.flush()

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if e.get("event") == kind]

    def wait_for(self, pred: Callable[[Client], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred(self):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        err = self.proc.stderr.read() if self.proc.poll() is not None and self.proc.stderr else ""
        raise AssertionError(f"condition not met; events={self.events[-10:]}\n{err}")

    def finish(self, timeout: float = 60.0) -> int:
        """End of input (like Ctrl+D on a terminal): the client sends what it can and exits."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        rc = self.proc.wait(timeout)
        self._reader.join(5)
        return rc

    def crash(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._reader.join(5)


def pyzbar_skip_reason() -> str | None:
    try:
        import pyzbar.pyzbar  # noqa: F401
    except ImportError as exc:
        return f"pyzbar unusable ({exc}); install the zbar library: apt-get install libzbar0"
    return None


def has_tool(name: str) -> bool:
    return shutil.which(name) is not None
