"""Scan ingest ladder on PostgreSQL: how far the service is from the bare driver, measured
in one run, with the service's own statements captured at run time (DESIGN §7).

    .venv/bin/python bench/scan_bench.py            # the full ladder, about 4 minutes
    .venv/bin/python bench/scan_bench.py --quick    # a smoke run of every step, under a minute

Steps, all with the same clients (32 by default) on a fresh database built by the migrations:

 1. raw asyncpg, a minimal scan transaction: BEGIN; insert the scan row; update the balance
    with its guard (`quantity >= $n`, RETURNING); insert the movement; COMMIT.
 2. raw asyncpg replaying exactly what the service sent for one scan. The service runs
    in-process on the bench database with every asyncpg call of its engine recorded (the
    asyncpg query logger, attached in a SQLAlchemy `connect` event, plus wrappers on the
    calls that logger does not see); the recorded sequence is replayed with fresh
    Idempotency-Keys, the ids the service's own statements returned, and new timestamps.
 3. the service in-process: the Litestar app called as an ASGI application (middleware,
    auth, routing, the scan use case, the JSON answer), with no server and no sockets.
 4. the service over HTTP as `inventory-svc serve` runs it (its defaults), 1 and 2 workers,
    driven by a separate load-generating process; CPU is the server processes' own.
 5. p99 at an offered 200 scans/s (open loop: latency from each scan's scheduled time).

plus variants (issue scans; many clients issuing one lot from different shelves) and a
ledger check at the end. Timings are reported as ratios against step 1, never as pass/fail:
the exit status is 1 only when the ledger check or a replay's ledger shape fails, or a step
applied no scan at all (a server that died, say).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import secrets
import shutil
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
SHELF_A, SHELF_B, RAW_SHELF = "BENCH-A", "BENCH-B", "RAW-A"
CONSUMED = "@consumed"
MAX_RECEIVE = 100_000  # a scan's largest quantity
SETTLE_S = 0.3  # after a captured scan: anything the service sends late is still captured


# --------------------------------------------------------------------------- workload


def gtin14(body13: str) -> str:
    """A GTIN-14 with its GS1 check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body13)))
    return body13 + str((10 - total % 10) % 10)


GTIN_MAIN = gtin14("0761234500001")
GTIN_RAW = gtin14("0761234500002")
EXPIRY = date.today() + timedelta(days=730)


def code(gtin: str, lot: str) -> str:
    """GS1 DataMatrix as a scanner sends it: AIM id, GTIN, expiry, lot (last: no FNC1)."""
    return f"]d201{gtin}17{EXPIRY:%y%m%d}10{lot}"


@dataclass(frozen=True, slots=True)
class Workload:
    """Who scans what. Client c owns lot T<c> (transfer), I<c> (issue) and R<c> (raw floor)
    so that clients never wait for each other's rows; the contention variant makes every
    client issue lot HOT, each from a shelf of its own (all movements of one lot into
    `@consumed`, which stores no balance row)."""

    clients: int

    def transfer(self, c: int, k: int) -> dict[str, Any]:
        src, dst = (SHELF_A, SHELF_B) if k % 2 == 0 else (SHELF_B, SHELF_A)
        return {
            "code": code(GTIN_MAIN, f"T{c:03d}"),
            "action": "transfer",
            "location": src,
            "to_location": dst,
            "device": f"bench-{c}",
        }

    def issue(self, c: int, k: int) -> dict[str, Any]:
        return {
            "code": code(GTIN_MAIN, f"I{c:03d}"),
            "action": "issue",
            "location": SHELF_A,
            "device": f"bench-{c}",
        }

    def contention(self, c: int, k: int) -> dict[str, Any]:
        return {
            "code": code(GTIN_MAIN, "HOT"),
            "action": "issue",
            "location": self.hot_shelf(c),
            "device": f"bench-{c}",
        }

    @staticmethod
    def hot_shelf(c: int) -> str:
        return f"BENCH-H{c:03d}"


Body = Callable[[int, int], dict[str, Any]]


# --------------------------------------------------------------------------- database


async def create_database(admin_dsn: str) -> tuple[str, str]:
    """A fresh database: (asyncpg DSN, SQLAlchemy URL)."""
    name = f"inventory_bench_{secrets.token_hex(5)}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = admin_dsn.rsplit("/", 1)[0]
    dsn = f"{base}/{name}"
    return dsn, dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


async def drop_database(admin_dsn: str, dsn: str) -> None:
    name = dsn.rsplit("/", 1)[1]
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def spread_sequences(dsn: str) -> None:
    """Every id sequence starts in a band of its own, far above any quantity, so that an id
    the service's statements return is recognised for what it is where it comes back as an
    argument (and cannot be mistaken for a quantity or another table's id)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT schemaname, sequencename FROM pg_sequences ORDER BY 1, 2")
        band = 2_000_000_000 // (len(rows) + 1)
        for k, row in enumerate(rows, start=1):
            name = f'"{row["schemaname"]}"."{row["sequencename"]}"'
            await conn.execute("SELECT setval($1::regclass, $2)", name, band * k)
    finally:
        await conn.close()


def cli_command() -> list[str]:
    script = Path(sys.executable).parent / "inventory-svc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "inventory_svc.cli"]


def service_env(url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """The environment of the service's processes: the machine's, less any INVENTORY_*
    setting (the service's defaults), plus the bench database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INVENTORY_")}
    return {**env, "INVENTORY_DATABASE_URL": url, **extra}


async def run_cli(url: str, workdir: Path, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        *cli_command(),
        *args,
        env=service_env(url, workdir),
        cwd=workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"inventory-svc {' '.join(args)} failed: {err.decode()[-2000:]}")
    return out.decode()


async def table_counts(conn: asyncpg.Connection) -> dict[str, int]:
    counts = {}
    for table in ("scans", "movements", "events", "balances"):
        counts[table] = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    return counts


# --------------------------------------------------------------------------- the app in-process


class InProcessApp:
    """The service's Litestar app, its lifespan running, called as an ASGI application."""

    def __init__(self, url: str, log: Any) -> None:
        self.url = url
        self.log = log  # an open file: the app's log lines (its logging outlives the app)
        self._stack = contextlib.AsyncExitStack()
        self.app: Any = None
        self.headers: list[tuple[bytes, bytes]] = []

    async def __aenter__(self) -> InProcessApp:
        from inventory_svc.app import create_app
        from inventory_svc.config import Settings

        # The service's defaults (INFO logs included), its log lines into a file.
        with contextlib.redirect_stderr(self.log):
            self.app = create_app(Settings(database_url=self.url))
        await self._stack.enter_async_context(self.app.lifespan())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    def authorise(self, token: str) -> None:
        self.headers = [(b"authorization", f"Bearer {token}".encode())]

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, key: str | None = None
    ) -> tuple[int, Any]:
        payload = json.dumps(body).encode() if body is not None else b""
        headers = [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            *self.headers,
        ]
        if key is not None:
            headers.append((b"idempotency-key", key.encode()))
        path, _, query = path.partition("?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query.encode(),
            "headers": headers,
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
            "state": {},
            "extensions": {},
        }
        done = asyncio.Event()
        received = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": payload, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    done.set()

        await self.app(scope, receive, send)
        done.set()
        raw = b"".join(chunks)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    async def scan(self, body: dict[str, Any], key: str | None = None) -> tuple[int, Any]:
        return await self.request("POST", "/api/v1/scans", body, key or str(uuid.uuid4()))


def outcome_of(status: int, answer: Any) -> str:
    if status == 201:
        return "applied"
    problem = answer.get("code") if isinstance(answer, dict) else None
    return f"{status}:{problem or 'error'}"


async def seed(app: InProcessApp, workload: Workload, stock: int) -> dict[str, int]:
    """The bench catalogue and stock, through the service's own API."""
    for gtin, name in ((GTIN_MAIN, "Bench item"), (GTIN_RAW, "Raw floor item")):
        status, answer = await app.request(
            "POST",
            "/api/v1/items",
            {"name": name, "identifiers": [{"kind": "gtin", "value": gtin}]},
        )
        assert status == 201, answer
    shelves = [SHELF_A, SHELF_B, RAW_SHELF] + [
        workload.hot_shelf(c) for c in range(workload.clients)
    ]
    for shelf in shelves:
        status, answer = await app.request(
            "POST", "/api/v1/locations", {"code": shelf, "name": shelf, "kind": "shelf"}
        )
        assert status == 201, answer
    receipts: list[tuple[str, str, str]] = []  # (gtin, lot, shelf)
    for c in range(workload.clients):
        receipts += [
            (GTIN_MAIN, f"T{c:03d}", SHELF_A),
            (GTIN_MAIN, f"T{c:03d}", SHELF_B),
            (GTIN_MAIN, f"I{c:03d}", SHELF_A),
            (GTIN_MAIN, "HOT", workload.hot_shelf(c)),
            (GTIN_RAW, f"R{c:03d}", RAW_SHELF),
        ]
    on_hand: dict[str, int] = {}
    for gtin, lot, shelf in receipts:
        left = stock
        while left:
            quantity = min(left, MAX_RECEIVE)
            body = {"code": code(gtin, lot), "action": "receive", "location": shelf}
            status, answer = await app.scan({**body, "quantity": quantity})
            assert status == 201, answer
            left -= quantity
        on_hand[f"{shelf}/{lot}"] = stock
    return on_hand


# --------------------------------------------------------------------------- capture


@dataclass(slots=True)
class Call:
    """One round trip the service made: what asyncpg was asked to do, and what came back."""

    conn: int  # which connection (1, 2 ... in order of first use within the capture)
    method: str  # "execute", "fetch", "fetchrow", "fetchval", "executemany", "prepare" ...
    via: str  # "connection" or "prepared" (a PreparedStatement, SQLAlchemy's path)
    sql: str
    args: tuple[Any, ...]
    rows: list[tuple[Any, ...]] | None  # None: a status only
    engine: bool = True  # on a connection the service's engine (its SQLAlchemy pool) opened
    logged: bool = False  # also seen by the asyncpg query logger


CONNECTION_METHODS = ("execute", "fetch", "fetchrow", "fetchval", "executemany", "fetchmany")
PREPARED_METHODS = ("fetch", "fetchrow", "fetchval", "executemany", "fetchmany", "explain")


def _as_rows(method: str, result: Any) -> list[tuple[Any, ...]] | None:
    if method in ("fetch", "fetchmany", "explain"):
        return [tuple(r) if not isinstance(r, tuple) else r for r in result or []]
    if method == "fetchrow":
        return [tuple(result)] if result is not None else []
    if method == "fetchval":
        return [(result,)]
    return None


class Recorder:
    """Records every call the service's asyncpg connections make while `recording`.

    Two sources, cross-checked: the asyncpg query logger (`Connection.add_query_logger`),
    attached to every connection the service's engine opens through a SQLAlchemy `connect`
    event on the pool class; and wrappers on asyncpg's public `Connection` and
    `PreparedStatement` calls, which also keep the results (the ids that later statements
    reuse). The logger sees BEGIN/COMMIT and `connection.fetch/execute`, but not the
    executions of prepared statements, which is how SQLAlchemy runs every statement."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.logged: list[str] = []
        self.recording = False
        self._labels: dict[int, int] = {}
        self._saved: list[tuple[type, str, Any]] = []
        self._listener: Any = None
        self.logger_only: list[str] = []
        self.engine_conns: set[int] = set()
        self.background: set[tuple[bool, str]] = set()  # (on an engine connection, SQL)
        self.excluded: list[Call] = []  # background calls that fell into a scan's window

    def label(self, conn: Any) -> int:
        return self._labels.setdefault(id(conn), len(self._labels) + 1)

    # the query logger, attached on connect
    def install_logger(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.pool import Pool

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            driver = dbapi_connection.driver_connection
            driver.add_query_logger(self._on_logged)
            self.engine_conns.add(id(driver))

        event.listen(Pool, "connect", on_connect)
        self._listener = on_connect

    def remove_logger(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.pool import Pool

        if self._listener is not None:
            event.remove(Pool, "connect", self._listener)
            self._listener = None

    def _on_logged(self, record: Any) -> None:
        if self.recording:
            self.logged.append(record.query)

    # the wrappers
    def _wrap(self, cls: type, name: str, via: str) -> None:
        original = getattr(cls, name)
        recorder = self

        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not recorder.recording:
                return await original(self, *args, **kwargs)
            if via == "prepared":
                conn, sql, params = self._connection, self._query, args
            elif name == "prepare":
                conn, sql, params = self, args[0], ()
            else:
                conn, sql, params = self, args[0], args[1:]
            if name in ("executemany", "fetchmany"):
                params = (list(params[0]),) if params else ()
            call = Call(recorder.label(conn), name, via, sql, tuple(params), None)
            call.engine = id(conn) in recorder.engine_conns
            recorder.calls.append(call)
            result = await original(self, *args, **kwargs)
            call.rows = None if name == "prepare" else _as_rows(name, result)
            return result

        wrapper.__name__ = name
        self._saved.append((cls, name, original))
        setattr(cls, name, wrapper)

    def patch(self) -> None:
        from asyncpg.connection import Connection
        from asyncpg.prepared_stmt import PreparedStatement

        for name in (*CONNECTION_METHODS, "prepare"):
            self._wrap(Connection, name, "connection")
        for name in PREPARED_METHODS:
            self._wrap(PreparedStatement, name, "prepared")

    def unpatch(self) -> None:
        for cls, name, original in reversed(self._saved):
            setattr(cls, name, original)
        self._saved.clear()

    @contextlib.asynccontextmanager
    async def window(self, settle: float) -> AsyncIterator[None]:
        self.calls, self.logged, self._labels = [], [], {}
        self.recording = True
        try:
            yield
            await asyncio.sleep(settle)
        finally:
            self.recording = False
            await asyncio.sleep(0)  # the logger's callbacks run on the loop's next turn
        self._match_logged()
        self.excluded = [c for c in self.calls if (c.engine, c.sql) in self.background]
        self.calls = [c for c in self.calls if (c.engine, c.sql) not in self.background]

    async def learn_background(self, seconds: float) -> list[Call]:
        """What the service sends while no scan runs (heartbeats, listeners): such calls are
        not the scan's, and are left out of a capture when they fall into its window."""
        async with self.window(0.0):
            await asyncio.sleep(seconds)
        idle = self.calls
        self.background = {(c.engine, c.sql) for c in idle}
        return idle

    def _match_logged(self) -> None:
        """Mark the calls the query logger also saw (in order, by SQL text)."""
        pending = list(self.logged)
        for call in self.calls:
            if call.via == "connection" and call.method != "prepare" and call.sql in pending:
                pending.remove(call.sql)
                call.logged = True
        self.logger_only = pending  # seen by the logger and by no wrapper (introspection)


# --------------------------------------------------------------------------- templates

# Ints below this are never taken for ids: quantities, flags. Every id is above it, in its
# sequence's band (spread_sequences: 2e9 / (sequences + 1) each, far above 10M).
MIN_REF = 10_000_000


@dataclass(slots=True)
class Sub:
    """How to rebuild one argument for a replay."""

    kind: str  # "const", "now", "ref", "text" (the Idempotency-Key and ids inside a string)
    value: Any = None
    ref: tuple[int, int, int] | None = None  # (call, row, column) of an earlier result
    # (pattern, the id as captured, call, row, column) for ids written inside a string
    texts: list[tuple[re.Pattern[str], Any, int, int, int]] = field(default_factory=list)


@dataclass(slots=True)
class Step:
    call: Call
    subs: list[Any]  # one Sub per argument (executemany: a list of lists)
    sql_key: bool  # the Idempotency-Key is written into the SQL text itself


class Template:
    """A captured scan, ready to be replayed with fresh per-scan values."""

    def __init__(self, calls: Sequence[Call], key: str) -> None:
        self.calls = list(calls)
        self.key = key
        produced: dict[Any, tuple[int, int, int]] = {}
        self.steps: list[Step] = []
        for i, call in enumerate(self.calls):
            if call.method == "prepare":
                self.steps.append(Step(call, [], False))
                continue
            if call.method in ("executemany", "fetchmany"):
                subs: list[Any] = [[self._sub(a, produced) for a in row] for row in call.args[0]]
            else:
                subs = [self._sub(a, produced) for a in call.args]
            self.steps.append(Step(call, subs, key in call.sql))
            for r, row in enumerate(call.rows or []):
                for col, value in enumerate(row):
                    if self._is_id(value):
                        produced.setdefault(value, (i, r, col))

    @staticmethod
    def _is_id(value: Any) -> bool:
        return (isinstance(value, int) and not isinstance(value, bool) and value >= MIN_REF) or (
            isinstance(value, uuid.UUID)
        )

    def _sub(self, value: Any, produced: dict[Any, tuple[int, int, int]]) -> Sub:
        if isinstance(value, datetime):
            return Sub("now", value)
        if self._is_id(value) and value in produced:
            return Sub("ref", value, produced[value])
        if isinstance(value, str):
            texts = [
                (re.compile(rf"(?<![0-9A-Za-z-]){re.escape(str(v))}(?![0-9A-Za-z-])"), v, *where)
                for v, where in produced.items()
                if str(v) in value
            ]
            if texts or self.key in value:
                return Sub("text", value, texts=texts)
        return Sub("const", value)

    @property
    def round_trips(self) -> int:
        """Calls in steady state: a `prepare` happens once per connection and statement."""
        return sum(c.method != "prepare" for c in self.calls)

    @property
    def prepares(self) -> int:
        return sum(c.method == "prepare" for c in self.calls)

    def shape(self) -> list[tuple[str, str]]:
        return [(c.method, c.sql) for c in self.calls if c.method != "prepare"]


def _resolve(sub: Sub, key: str, old_key: str, now: datetime, results: list[Any]) -> Any:
    if sub.kind == "const":
        return sub.value
    if sub.kind == "now":
        return now if sub.value.tzinfo else now.replace(tzinfo=None)
    if sub.kind == "ref":
        assert sub.ref is not None
        return _result_at(results, sub.ref, sub.value)
    text: str = sub.value.replace(old_key, key)
    for pattern, old, i, r, c in sub.texts:
        new = _result_at(results, (i, r, c), old)
        if new != old:  # ids the replay got anew (those of rows it read stay the same)
            text = pattern.sub(str(new), text)
    return text


def _result_at(results: list[Any], where: tuple[int, int, int], fallback: Any) -> Any:
    i, r, c = where
    rows = results[i]
    try:
        return rows[r][c]
    except (IndexError, TypeError, KeyError):
        return fallback


async def replay_once(conn: asyncpg.Connection, template: Template, key: str) -> bool:
    """Send the template's calls with fresh values; True if every call returned as many rows
    as when captured (the replay did the same work)."""
    now = datetime.now(UTC)
    results: list[Any] = []
    same = True
    try:
        for step in template.steps:
            call = step.call
            if call.method == "prepare":  # asyncpg's statement cache prepares, as SQLAlchemy did
                results.append(None)
                continue
            sql = call.sql.replace(template.key, key) if step.sql_key else call.sql
            if call.method in ("executemany", "fetchmany"):
                rows_args = [
                    [_resolve(s, key, template.key, now, results) for s in row] for row in step.subs
                ]
                if call.method == "executemany":
                    await conn.executemany(sql, rows_args)
                    results.append(None)
                else:
                    results.append(await conn.fetchmany(sql, rows_args))
                continue
            args = [_resolve(s, key, template.key, now, results) for s in step.subs]
            if call.rows is None:  # a status only (BEGIN, COMMIT, execute)
                await conn.execute(sql, *args)
                results.append(None)
            else:
                rows = await conn.fetch(sql, *args)
                results.append(rows)
                if len(rows) != len(call.rows):
                    same = False
    except (asyncpg.PostgresError, asyncpg.InterfaceError):
        if conn.is_in_transaction():
            await conn.execute("ROLLBACK")
        raise
    return same


# --------------------------------------------------------------------------- measuring


@dataclass(slots=True)
class Phase:
    name: str
    step: str
    scans: int = 0
    wall_s: float = 0.0
    cpu_ms: float | None = None  # per scan, of the process(es) doing the ingest work
    client_cpu_ms: float | None = None  # HTTP: the load generator's, per scan
    p50_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    outcomes: dict[str, int] = field(default_factory=dict)
    round_trips: float | None = None
    offered_per_s: float | None = None
    notes: str = ""
    client: str = ""
    loadavg: float | None = None  # the machine's 1-minute load average at the step's end

    @property
    def per_s(self) -> float:
        return self.scans / self.wall_s if self.wall_s else 0.0


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


ScanCall = Callable[[int, int], Awaitable[str]]  # (client, k) -> outcome


async def closed_loop(
    clients: int, seconds: float, warmup: float, one: ScanCall
) -> tuple[float, float, list[float], Counter[str]]:
    """`clients` workers scanning back to back: warm-up, then a measured window.
    Returns (wall s, process CPU s, latencies ms, outcomes) of the window."""
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    measuring = False
    stop = False
    counters = [0] * clients

    async def worker(c: int) -> None:
        while not stop:
            k = counters[c]
            counters[c] += 1
            started = time.perf_counter()
            try:
                outcome = await one(c, k)
            except Exception as error:  # reported, never fatal
                outcome = f"exception:{type(error).__name__}"
            if measuring:
                latencies.append((time.perf_counter() - started) * 1000)
                outcomes[outcome] += 1

    tasks = [asyncio.create_task(worker(c)) for c in range(clients)]
    await asyncio.sleep(warmup)
    measuring = True
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    measuring = False
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    stop = True
    await asyncio.gather(*tasks)
    return wall, cpu, latencies, outcomes


def phase_from(
    name: str, step: str, wall: float, cpu: float, lat: list[float], out: Counter[str]
) -> Phase:
    scans = len(lat)
    return Phase(
        name=name,
        step=step,
        scans=scans,
        wall_s=wall,
        cpu_ms=cpu / scans * 1000 if scans else None,
        p50_ms=percentile(lat, 0.50),
        p99_ms=percentile(lat, 0.99),
        max_ms=max(lat) if lat else None,
        outcomes=dict(out),
    )


# --------------------------------------------------------------------------- step 1: raw floor

SCAN_INSERT = (
    "INSERT INTO scans (idempotency_key, request_hash, actor, device, code, action,"
    " location_code, quantity, status, scanned_at, recorded_at)"
    " VALUES ($1, $2, $3, $4, $5, 'issue', $6, $7, 'applied', $8, $8) RETURNING id"
)
BALANCE_GUARD = (
    "UPDATE balances SET quantity = quantity - $1, updated_at = $2"
    " WHERE location_id = $3 AND lot_id = $4 AND quantity >= $1 RETURNING quantity"
)
MOVEMENT_INSERT = (
    "INSERT INTO movements (kind, item_id, lot_id, from_location_id, to_location_id,"
    " quantity, actor, device, scan_id, occurred_at, recorded_at)"
    " VALUES ('issue', $1, $2, $3, $4, $5, $6, $7, $8, $9, $9)"
)
MINIMAL_STATEMENTS = ["BEGIN", SCAN_INSERT, BALANCE_GUARD, MOVEMENT_INSERT, "COMMIT"]


async def raw_floor(
    conns: list[asyncpg.Connection], clients: int, seconds: float, warmup: float
) -> Phase:
    ids = await conns[0].fetchrow(
        "SELECT i.item_id,"
        " (SELECT id FROM locations WHERE code = $2) AS shelf,"
        " (SELECT id FROM locations WHERE code = $3) AS consumed"
        " FROM item_identifiers i WHERE i.kind = 'gtin' AND i.value = $1",
        GTIN_RAW,
        RAW_SHELF,
        CONSUMED,
    )
    lots = {
        r["lot_number"]: r["id"]
        for r in await conns[0].fetch("SELECT id, lot_number FROM lots WHERE item_id = $1", ids[0])
    }

    async def one(c: int, k: int) -> str:
        conn, lot = conns[c], lots[f"R{c:03d}"]
        now = datetime.now(UTC)
        await conn.execute("BEGIN")
        try:
            scan_id = await conn.fetchval(
                SCAN_INSERT,
                f"raw-{uuid.uuid4()}",
                "0" * 64,
                "bench",
                f"bench-{c}",
                code(GTIN_RAW, f"R{c:03d}"),
                RAW_SHELF,
                1,
                now,
            )
            left = await conn.fetchval(BALANCE_GUARD, 1, now, ids["shelf"], lot)
            if left is None:
                await conn.execute("ROLLBACK")
                return "insufficient_stock"
            await conn.execute(
                MOVEMENT_INSERT,
                ids["item_id"],
                lot,
                ids["shelf"],
                ids["consumed"],
                1,
                "bench",
                f"bench-{c}",
                scan_id,
                now,
            )
            await conn.execute("COMMIT")
        except BaseException:
            if conn.is_in_transaction():
                await conn.execute("ROLLBACK")
            raise
        return "applied"

    result = phase_from(
        "raw asyncpg, minimal transaction", "1", *await closed_loop(clients, seconds, warmup, one)
    )
    result.round_trips = len(MINIMAL_STATEMENTS)
    return result


# --------------------------------------------------------------------------- HTTP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_tree(root: int) -> dict[int, float]:
    """CPU seconds (user + system) of a process and each of its descendants, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / ticks
    tree: dict[int, float] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        tree[pid] = times.get(pid, 0.0)
        todo += [child for child, parent in parents.items() if parent == pid]
    return tree


def tree_cpu(root: int) -> float:
    return sum(process_tree(root).values())


def serving_processes(root: int) -> int:
    """Worker processes of a server (uvicorn's workers are multiprocessing spawns; without
    any, the server's own process serves)."""
    workers = 0
    for pid in process_tree(root):
        with contextlib.suppress(OSError):
            workers += b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    return workers or 1


@dataclass(slots=True)
class Server:
    base: str
    pid: int
    proc: Any  # asyncio.subprocess.Process
    log_path: Path

    def died(self) -> str | None:
        """Why the server is gone, if it is (with the end of its log)."""
        if self.proc.returncode is None:
            return None
        return f"server exited with {self.proc.returncode}: {tail(self.log_path)}"


@contextlib.asynccontextmanager
async def live_server(url: str, workdir: Path, workers: int | None) -> AsyncIterator[Server]:
    """`inventory-svc serve` with its defaults (INFO logs into a file), on a free port. A
    server that is gone a second after answering `/ready` lost its port to another process
    between `free_port` and its bind (whose `/ready` answered): it is started again."""
    for attempt in range(3):
        port = free_port()
        extra = {"INVENTORY_PORT": str(port)}
        if workers is not None:
            extra["INVENTORY_WORKERS"] = str(workers)
        log_path = workdir / f"server-{port}.log"
        with log_path.open("wb") as log:
            proc = await asyncio.create_subprocess_exec(
                *cli_command(),
                "serve",
                env=service_env(url, workdir, **extra),
                cwd=workdir,
                stdout=log,
                stderr=log,
            )
        server = Server(f"http://127.0.0.1:{port}", proc.pid, proc, log_path)
        try:
            try:
                await wait_ready(server.base, proc, log_path)
                await asyncio.sleep(1.0)
            except RuntimeError:
                if attempt == 2:
                    raise
            if server.died() is None:
                yield server
                return
            if attempt == 2:
                raise RuntimeError(server.died())
        finally:
            await stop(proc)


async def stop(proc: Any) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:]


async def wait_ready(base: str, proc: Any, log_path: Path) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if proc.returncode is not None:
                raise RuntimeError(f"server exited: {tail(log_path)}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{base}/ready", timeout=1)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server not ready: {tail(log_path)}")


async def http_phase(name: str, step: str, server: Server, spec: dict[str, Any]) -> Phase:
    """Run the load generator (a separate process) against a live server; server CPU is
    read from /proc for the server's process tree over the measured window only."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--loadgen",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=1 << 26,  # the result is one JSON line with every latency
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps({**spec, "base": server.base}).encode())
    proc.stdin.close()
    cpu0 = cpu1 = 0.0
    result: dict[str, Any] = {}
    while line := await proc.stdout.readline():
        text = line.decode().strip()
        if text == "START":
            cpu0 = tree_cpu(server.pid)
        elif text == "END":
            cpu1 = tree_cpu(server.pid)
        elif text.startswith("{"):
            result = json.loads(text)
    await proc.wait()
    lat = result.get("latencies_ms", [])
    scans = len(lat)
    phase = phase_from(name, step, result.get("wall_s", 0.0), 0.0, lat, Counter(result["outcomes"]))
    # A process of the tree that ended took its CPU time with it: no figure then.
    phase.cpu_ms = (cpu1 - cpu0) / scans * 1000 if scans and cpu1 >= cpu0 else None
    phase.client_cpu_ms = result["client_cpu_s"] / scans * 1000 if scans else None
    phase.client = str(result.get("client"))
    phase.notes = f"server CPU {cpu1 - cpu0:.1f} s"
    if spec.get("rate"):
        phase.offered_per_s = spec["rate"]
    tree = process_tree(server.pid)
    phase.notes += f"; {serving_processes(server.pid)} worker(s), {len(tree)} process(es)"
    if why := server.died():
        phase.notes += f"; {why}"
        phase.cpu_ms = None
    return phase


# --------------------------------------------------------------------------- the load generator


async def loadgen(spec: dict[str, Any]) -> dict[str, Any]:
    """The HTTP client process: closed loop (`clients` back to back) or open loop (`rate`
    scans/s on schedule, latency counted from the scheduled time). Prints START and END
    around the measured window so the parent reads the server's CPU over exactly it."""
    bodies: list[list[dict[str, Any]]] = spec["bodies"]  # per client, cycled
    headers = {"Authorization": f"Bearer {spec['token']}", "Content-Type": "application/json"}
    url = spec["base"] + "/api/v1/scans"
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    post, close, name = await http_poster(url, headers, spec)
    measuring = False

    async def one(c: int, k: int, scheduled: float | None = None) -> None:
        body = bodies[c][k % len(bodies[c])]
        started = scheduled if scheduled is not None else time.perf_counter()
        try:
            status, problem = await post(json.dumps(body).encode(), str(uuid.uuid4()))
            outcome = "applied" if status == 201 else f"{status}:{problem}"
        except Exception as error:
            outcome = f"exception:{type(error).__name__}"
        if measuring:
            latencies.append((time.perf_counter() - started) * 1000)
            outcomes[outcome] += 1

    def mark(word: str) -> None:
        sys.stdout.write(word + "\n")
        sys.stdout.flush()

    clients = len(bodies)
    if spec.get("rate"):
        rate, tasks = float(spec["rate"]), []
        total = spec["warmup"] + spec["seconds"]
        start = time.perf_counter()
        for i in range(int(rate * total)):
            due = start + i / rate
            if not measuring and due - start >= spec["warmup"]:
                measuring = True
                mark("START")
                cpu0, wall0 = time.process_time(), time.perf_counter()
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i % clients, i // clients, due)))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - wall0
    else:
        stop = False
        counters = [0] * clients

        async def worker(c: int) -> None:
            while not stop:
                counters[c] += 1
                await one(c, counters[c] - 1)

        workers = [asyncio.create_task(worker(c)) for c in range(clients)]
        await asyncio.sleep(spec["warmup"])
        measuring = True
        mark("START")
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(spec["seconds"])
        measuring = False
        wall = time.perf_counter() - wall0
        stop = True
        await asyncio.gather(*workers)
    measuring = False
    cpu = time.process_time() - cpu0
    mark("END")
    await close()
    return {
        "client": name,
        "wall_s": wall,
        "client_cpu_s": cpu,
        "latencies_ms": latencies,
        "outcomes": dict(outcomes),
    }


async def http_poster(
    url: str, headers: dict[str, str], spec: dict[str, Any]
) -> tuple[Callable[[bytes, str], Awaitable[tuple[int, str]]], Callable[[], Awaitable[None]], str]:
    """aiohttp when installed (lighter on the CPU the server shares), else httpx."""
    limit = 1000 if spec.get("rate") else len(spec["bodies"])
    try:
        import aiohttp
    except ImportError:
        import httpx

        client = httpx.AsyncClient(
            headers=headers,
            timeout=60,
            limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit),
        )

        async def post_httpx(body: bytes, key: str) -> tuple[int, str]:
            response = await client.post(url, content=body, headers={"Idempotency-Key": key})
            return response.status_code, _problem(response.status_code, response.content)

        return post_httpx, client.aclose, f"httpx {httpx.__version__}"

    session = aiohttp.ClientSession(
        headers=headers,
        connector=aiohttp.TCPConnector(limit=limit),
        timeout=aiohttp.ClientTimeout(total=60),
    )

    async def post_aiohttp(body: bytes, key: str) -> tuple[int, str]:
        async with session.post(url, data=body, headers={"Idempotency-Key": key}) as response:
            content = await response.read()
            return response.status, _problem(response.status, content)

    return post_aiohttp, session.close, f"aiohttp {aiohttp.__version__}"


def _problem(status: int, content: bytes) -> str:
    if status == 201:
        return ""
    try:
        return str(json.loads(content).get("code", "error"))
    except (ValueError, AttributeError):
        return "error"


# --------------------------------------------------------------------------- the ledger


async def ledger_problems(conn: asyncpg.Connection) -> list[str]:
    """Every real (non-virtual) location's balance of every lot equals the net of its
    movements, both ways round (a balance without movements, movements without a balance),
    over the whole database but step 1's lots (R...): its minimal transaction books one
    side only, by design. Virtual locations are left out: whether the service keeps their
    balances is its own choice."""
    drift = await conn.fetch(
        "WITH net AS ("
        "  SELECT location_id, lot_id, sum(q) AS net FROM ("
        "   SELECT to_location_id AS location_id, lot_id, quantity AS q FROM movements"
        "   UNION ALL SELECT from_location_id, lot_id, -quantity FROM movements) t"
        "  GROUP BY location_id, lot_id)"
        " SELECT location_id, lot_id, coalesce(b.quantity, 0) AS balance,"
        "  coalesce(net.net, 0) AS net"
        " FROM net FULL JOIN balances b USING (location_id, lot_id)"
        " JOIN locations l ON l.id = location_id"
        " WHERE NOT l.is_virtual AND coalesce(b.quantity, 0) <> coalesce(net.net, 0)"
        " AND lot_id NOT IN (SELECT id FROM lots WHERE lot_number LIKE 'R%')"
    )
    return [f"balances that differ from their movements: {drift[:5]}"] if drift else []


async def moved(conn: asyncpg.Connection, lot: str, to: str) -> int:
    value = await conn.fetchval(
        "SELECT sum(m.quantity) FROM movements m JOIN lots t ON t.id = m.lot_id"
        " JOIN locations l ON l.id = m.to_location_id WHERE t.lot_number = $1 AND l.code = $2",
        lot,
        to,
    )
    return int(value or 0)


async def on_hand(conn: asyncpg.Connection, shelf: str, lot: str) -> int:
    value = await conn.fetchval(
        "SELECT b.quantity FROM balances b JOIN locations l ON l.id = b.location_id"
        " JOIN lots t ON t.id = b.lot_id WHERE l.code = $1 AND t.lot_number = $2",
        shelf,
        lot,
    )
    return int(value or 0)


# --------------------------------------------------------------------------- the run


@dataclass(slots=True)
class Config:
    clients: int
    seconds: float
    warmup: float
    open_rate: float
    open_seconds: float
    stock: int
    quick: bool


class Bench:
    def __init__(self, cfg: Config, dsn: str, url: str, workdir: Path) -> None:
        self.cfg = cfg
        self.dsn = dsn
        self.url = url
        self.workdir = workdir
        self.workload = Workload(cfg.clients)
        self.phases: list[Phase] = []
        self.capture: dict[str, Any] = {}
        self.checks: dict[str, Any] = {}
        self.templates: dict[str, list[list[Template]]] = {}
        self.token = ""
        self.stock: dict[str, int] = {}
        self.applied_hot: Counter[int] = Counter()  # contention: applied per client
        self.background: dict[str, Any] = {}
        self.first_shape: dict[str, list[tuple[str, str]]] = {}
        self.app_log = (workdir / "in-process.log").open("a")

    def add(self, phase: Phase) -> None:
        """Keep a step's figures, with the machine's load at its end: the cores are shared
        with the database, the load generator, and whatever else runs."""
        phase.loadavg = os.getloadavg()[0]
        self.phases.append(phase)

    def log(self, message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    async def prepare(self) -> None:
        self.log("migrating and seeding (through the service's CLI and API)")
        await run_cli(self.url, self.workdir, "migrate")
        await spread_sequences(self.dsn)  # before the bench's rows: ids in bands of their own
        out = await run_cli(
            self.url, self.workdir, "keys", "create", "--role", "admin", "--name", "bench"
        )
        self.token = out.split()[-1]

    async def capture_templates(self) -> None:
        """Seed, warm up, and capture every client's scans of each kind from the service."""
        recorder = Recorder()
        recorder.install_logger()
        try:
            async with InProcessApp(self.url, self.app_log) as app:
                app.authorise(self.token)
                self.stock = await seed(app, self.workload, self.cfg.stock)
                kinds: dict[str, tuple[Body, int]] = {
                    "transfer": (self.workload.transfer, 2),
                    "issue": (self.workload.issue, 1),
                    "contention": (self.workload.contention, 1),
                }
                self.log("warming the service up, then capturing its statements")
                for kind, (body, variants) in kinds.items():  # caches; every balance row exists
                    for k in range(variants):
                        answers = await asyncio.gather(
                            *(app.scan(body(c, k)) for c in range(self.cfg.clients))
                        )
                        if kind == "contention":
                            self.applied_hot.update(
                                c for c, (status, _) in enumerate(answers) if status == 201
                            )
                conn = await asyncpg.connect(self.dsn)
                recorder.patch()
                try:
                    idle = await recorder.learn_background(1.0)
                    self.background = {
                        "idle_seconds": 1.0,
                        "calls": [
                            {"engine_pool": c.engine, "call": f"{c.via}.{c.method}", "sql": c.sql}
                            for c in idle
                        ],
                    }
                    for kind, (body, variants) in kinds.items():
                        self.templates[kind] = []
                        for c in range(self.cfg.clients):
                            per_client = []
                            for k in range(variants):
                                template = await self._capture_one(
                                    app, recorder, conn, kind, body(c, k)
                                )
                                per_client.append(template)
                                if kind == "contention":
                                    self.applied_hot[c] += 1
                            self.templates[kind].append(per_client)
                finally:
                    recorder.unpatch()
                    await conn.close()
        finally:
            recorder.remove_logger()

    async def _capture_one(
        self,
        app: InProcessApp,
        recorder: Recorder,
        conn: asyncpg.Connection,
        kind: str,
        body: dict[str, Any],
    ) -> Template:
        key = f"bench-capture-{uuid.uuid4()}"
        before = await table_counts(conn)
        first = kind not in self.capture
        async with recorder.window(SETTLE_S if first else 0.0):
            status, answer = await app.scan(body, key)
        after = await table_counts(conn)
        if status != 201:
            raise RuntimeError(f"captured {kind} scan was not applied: {status} {answer}")
        template = Template(recorder.calls, key)
        if first:  # the first of each kind is the one shown
            self.capture[kind] = {
                "body": body,
                "round_trips": template.round_trips,
                "prepares_seen": template.prepares,
                "rows_per_scan": {t: after[t] - before[t] for t in after},
                "statements": [
                    {
                        "conn": c.conn,
                        "call": f"{c.via}.{c.method}",
                        "sql": c.sql,
                        "args": [_short(a) for a in c.args],
                        "rows": None if c.rows is None else len(c.rows),
                        "seen_by_query_logger": c.logged,
                    }
                    for c in template.calls
                ],
                "query_logger_saw": sum(c.logged for c in template.calls),
                "seen_only_by_query_logger": list(recorder.logger_only),
                "substituted": sorted(
                    {
                        s.kind
                        for step in template.steps
                        for s in _flat(step.subs)
                        if s.kind != "const"
                    }
                ),
            }
            self.capture[kind]["shapes_differ"] = 0
            self.capture[kind]["background_left_out"] = 0
            self.first_shape[kind] = template.shape()
        elif template.shape() != self.first_shape[kind]:
            self.capture[kind]["shapes_differ"] += 1
            self.capture[kind].setdefault(
                "shape_differs_example",
                [
                    {"first": a, "this": b}
                    for a, b in zip(self.first_shape[kind], template.shape(), strict=False)
                    if a != b
                ][:2]
                or {"first_len": len(self.first_shape[kind]), "this_len": len(template.shape())},
            )
        self.capture[kind]["background_left_out"] += len(recorder.excluded)
        return template

    # -- steps

    async def raw_connections(self) -> list[asyncpg.Connection]:
        return list(
            await asyncio.gather(*(asyncpg.connect(self.dsn) for _ in range(self.cfg.clients)))
        )

    async def step_raw(self) -> None:
        self.log("step 1: raw asyncpg, minimal transaction")
        conns = await self.raw_connections()
        try:
            self.add(await raw_floor(conns, self.cfg.clients, self.cfg.seconds, self.cfg.warmup))
        finally:
            await asyncio.gather(*(c.close() for c in conns))

    async def step_replay(self, kind: str, step: str, label: str) -> None:
        self.log(f"step {step}: raw asyncpg replaying the service's {kind} scan")
        templates = self.templates[kind]
        conns = await self.raw_connections()
        check = await asyncpg.connect(self.dsn)
        diverged = 0
        committed: Counter[int] = Counter()
        try:
            before = await table_counts(check)

            async def one(c: int, k: int) -> str:
                nonlocal diverged
                template = templates[c][k % len(templates[c])]
                same = await replay_once(conns[c], template, f"bench-replay-{uuid.uuid4()}")
                committed[c] += 1
                if not same:
                    diverged += 1
                    return "diverged"
                return "applied"

            phase = phase_from(
                label,
                step,
                *await closed_loop(self.cfg.clients, self.cfg.seconds, self.cfg.warmup, one),
            )
            after = await table_counts(check)
        finally:
            await asyncio.gather(*(c.close() for c in conns))
            await check.close()
        phase.round_trips = templates[0][0].round_trips
        replays = sum(committed.values())
        expected = self.capture[kind]["rows_per_scan"]
        got = {t: after[t] - before[t] for t in after if t != "balances"}
        shape_ok = diverged == 0 and all(got[t] == expected[t] * replays for t in got)
        self.checks[f"replay_{kind}"] = {
            "replays": replays,
            "diverged": diverged,
            "rows_expected_per_scan": expected,
            "rows_added": got,
            "shape_ok": shape_ok,
        }
        if kind == "contention":
            self.applied_hot.update(committed)
        self.add(phase)

    async def step_in_process(self, kind: str, step: str, label: str, body: Body) -> None:
        self.log(f"step {step}: the service in-process ({kind})")
        async with InProcessApp(self.url, self.app_log) as app:
            app.authorise(self.token)
            applied: Counter[int] = Counter()

            async def one(c: int, k: int) -> str:
                status, answer = await app.scan(body(c, k))
                if status == 201:
                    applied[c] += 1
                return outcome_of(status, answer)

            phase = phase_from(
                label,
                step,
                *await closed_loop(self.cfg.clients, self.cfg.seconds, self.cfg.warmup, one),
            )
        phase.round_trips = self.capture[kind]["round_trips"]
        if kind == "contention":
            self.applied_hot.update(applied)
        self.add(phase)

    def bodies(self, body: Body, variants: int) -> list[list[dict[str, Any]]]:
        return [[body(c, k) for k in range(variants)] for c in range(self.cfg.clients)]

    async def step_http(self, workers: int, step: str) -> None:
        self.log(f"step {step}: over HTTP, {workers} worker(s)")
        async with live_server(self.url, self.workdir, workers) as server:
            spec = {
                "token": self.token,
                "bodies": self.bodies(self.workload.transfer, 2),
                "seconds": self.cfg.seconds,
                "warmup": self.cfg.warmup,
            }
            phase = await http_phase(
                f"service over HTTP, {workers} worker{'s' if workers > 1 else ''}",
                step,
                server,
                spec,
            )
        phase.round_trips = self.capture["transfer"]["round_trips"]
        self.add(phase)

    async def step_open_loop(self) -> None:
        rate = self.cfg.open_rate
        self.log(f"step 5: open loop, {rate:g} scans/s offered for {self.cfg.open_seconds:g} s")
        async with live_server(self.url, self.workdir, None) as server:
            spec = {
                "token": self.token,
                "bodies": self.bodies(self.workload.transfer, 2),
                "seconds": self.cfg.open_seconds,
                "warmup": self.cfg.warmup,
                "rate": rate,
            }
            workers = serving_processes(server.pid)
            name = f"HTTP, open loop at {rate:g}/s offered (default: {workers} worker(s))"
            phase = await http_phase(name, "5", server, spec)
        phase.round_trips = self.capture["transfer"]["round_trips"]
        self.add(phase)

    async def final_checks(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            problems = await ledger_problems(conn)
            # Transfers conserve each client's lot over its two shelves.
            for c in range(self.cfg.clients):
                lot = f"T{c:03d}"
                total = await on_hand(conn, SHELF_A, lot) + await on_hand(conn, SHELF_B, lot)
                if total != self.stock[f"{SHELF_A}/{lot}"] + self.stock[f"{SHELF_B}/{lot}"]:
                    problems.append(f"lot {lot}: {total} on its two shelves after transfers")
            # Contention: every shelf lost exactly what its client was told was applied.
            exact = True
            for c in range(self.cfg.clients):
                shelf = self.workload.hot_shelf(c)
                left = await on_hand(conn, shelf, "HOT")
                if left != self.stock[f"{shelf}/HOT"] - self.applied_hot[c]:
                    exact = False
                    problems.append(
                        f"{shelf}: {left} HOT left, expected"
                        f" {self.stock[f'{shelf}/HOT'] - self.applied_hot[c]}"
                    )
            consumed = await moved(conn, "HOT", CONSUMED)
            issued = sum(self.applied_hot.values())
            if consumed != issued:
                exact = False
                problems.append(f"{consumed} of lot HOT moved to @consumed, expected {issued}")
            self.checks["contention_balances_exact"] = exact
            self.checks["contention_issued"] = issued
            self.checks["ledger_problems"] = problems
            broken = [
                f"step {p.step}: {p.outcomes}" + (f" ({p.notes})" if "exited" in p.notes else "")
                for p in self.phases
                if not p.outcomes.get("applied") or "exited" in p.notes
            ]
            self.checks["step_problems"] = broken
            self.checks["steps_ok"] = not broken
            self.checks["ledger_ok"] = not problems
            self.checks["replay_shape_ok"] = all(
                v["shape_ok"]
                for k, v in self.checks.items()
                if k.startswith("replay_") and isinstance(v, dict)
            )
        finally:
            await conn.close()

    async def run(self) -> None:
        await self.prepare()
        await self.capture_templates()
        await self.step_raw()
        await self.step_replay("transfer", "2", "raw asyncpg replaying the service's statements")
        await self.step_in_process(
            "transfer", "3", "service in-process (ASGI app, no server)", self.workload.transfer
        )
        await self.step_http(1, "4a")
        await self.step_http(2, "4b")
        await self.step_open_loop()
        await self.step_replay("issue", "2i", "issue: raw asyncpg replaying the service")
        await self.step_in_process("issue", "3i", "issue: service in-process", self.workload.issue)
        await self.step_replay("contention", "2c", "one hot lot: raw replay of the service")
        await self.step_in_process(
            "contention", "3c", "one hot lot: service in-process", self.workload.contention
        )
        await self.final_checks()


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _flat(subs: list[Any]) -> Iterator[Sub]:
    for s in subs:
        if isinstance(s, list):
            yield from _flat(s)
        else:
            yield s


# --------------------------------------------------------------------------- reporting


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def ladder_rows(phases: list[Phase]) -> tuple[list[str], list[list[str]]]:
    floor = next(p for p in phases if p.step == "1")
    head = [
        "step",
        "",
        "scans/s",
        "vs 1",
        "CPU ms/scan",
        "CPU vs 1",
        "p50 ms",
        "p99 ms",
        "round trips",
        "not applied",
        "load",
    ]
    rows = []
    for p in phases:
        bad = sum(n for k, n in p.outcomes.items() if k != "applied")
        cpu_ratio = f"{p.cpu_ms / floor.cpu_ms:.1f}x" if p.cpu_ms and floor.cpu_ms else "-"
        rows.append(
            [
                p.step,
                p.name,
                _fmt(p.per_s, 0),
                f"{p.per_s / floor.per_s:.2f}x" if floor.per_s else "-",
                _fmt(p.cpu_ms, 2),
                cpu_ratio,
                _fmt(p.p50_ms),
                _fmt(p.p99_ms),
                _fmt(p.round_trips, 0),
                str(bad),
                _fmt(p.loadavg),
            ]
        )
    return head, rows


def text_table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = []
    for n, row in enumerate([head, *rows]):
        cells = [
            cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i]) for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def statement_list(capture: dict[str, Any]) -> str:
    lines = []
    for n, s in enumerate(capture["statements"], start=1):
        sql = " ".join(s["sql"].split())
        sql = sql if len(sql) <= 150 else sql[:147] + "..."
        rows = "" if s["rows"] is None else f" -> {s['rows']} row(s)"
        logged = "" if s["seen_by_query_logger"] else "  [not seen by the query logger]"
        lines.append(f"  {n:>2}. conn {s['conn']} {s['call']}: {sql}{rows}{logged}")
    return "\n".join(lines)


def headline(bench: Bench, pg_version: str, client: str) -> str:
    c = bench.cfg
    return (
        f"PostgreSQL {pg_version}, {os.cpu_count()} cores, {c.clients} concurrent clients,"
        f" {c.seconds:g} s per step after {c.warmup:g} s warm-up; transfer scans (client c moves"
        f" lot T<c> between {SHELF_A} and {SHELF_B}, one unit each way); HTTP client: {client}"
    )


def http_notes(phases: list[Phase]) -> list[str]:
    return [
        f"  {p.step}: {p.notes}; the load generator used {_fmt(p.client_cpu_ms, 2)} ms CPU/scan"
        for p in phases
        if p.client
    ]


def checks_line(checks: dict[str, Any]) -> str:
    replays = ", ".join(
        f"{k.removeprefix('replay_')}: {v['replays']} replays, {v['diverged']} diverged"
        for k, v in checks.items()
        if k.startswith("replay_") and isinstance(v, dict)
    )
    shape = "ok" if checks["replay_shape_ok"] else "FAILED"
    exact = "exact" if checks["contention_balances_exact"] else "NOT exact"
    ledger = "ok" if checks["ledger_ok"] else "PROBLEMS: " + "; ".join(checks["ledger_problems"])
    steps = "all ran" if checks["steps_ok"] else "FAILED: " + "; ".join(checks["step_problems"])
    return (
        f"Checks: replay ledger shape {shape} ({replays}); contention balances {exact}"
        f" ({checks['contention_issued']} issued from one lot); ledger {ledger}; steps {steps}"
    )


def report(bench: Bench, pg_version: str) -> tuple[str, str, dict[str, Any]]:
    head, rows = ladder_rows(bench.phases)
    open_phase = next((p for p in bench.phases if p.step == "5"), None)
    client = next((p.client for p in bench.phases if p.client), "-")
    transfer = bench.capture["transfer"]
    lines = [
        "Scan ingest ladder: " + headline(bench, pg_version, client),
        "",
        text_table(head, rows),
        "",
        "vs 1 = throughput / step 1's; CPU = this process (steps 1-3) or the server's process"
        " tree (4-5, the load generator is a separate process and not counted); load = the"
        f" machine's 1-minute load average at the step's end ({os.cpu_count()} cores).",
        *http_notes(bench.phases),
    ]
    if open_phase:
        lines.append(
            f"Open loop: {open_phase.offered_per_s:g} scans/s offered, {open_phase.per_s:.0f}/s"
            f" answered; latency from the scheduled time p50 {_fmt(open_phase.p50_ms)} ms,"
            f" p99 {_fmt(open_phase.p99_ms)} ms, max {_fmt(open_phase.max_ms)} ms;"
            f" answers: {open_phase.outcomes}."
        )
    lines += [
        "",
        f"What the service sends for one transfer scan ({transfer['round_trips']} round trips;"
        f" the query logger saw {transfer['query_logger_saw']} of them):",
        statement_list(transfer),
        f"  rows written per scan: {transfer['rows_per_scan']}",
    ]
    for kind in ("issue", "contention"):
        lines.append(f"  {kind} scan: {bench.capture[kind]['round_trips']} round trips")
    differ = {k: v["shapes_differ"] for k, v in bench.capture.items() if v["shapes_differ"]}
    if differ:
        lines.append(f"  captures whose statements differ from the first of their kind: {differ}")
    idle = bench.background["calls"]
    left_out = sum(v["background_left_out"] for v in bench.capture.values())
    lines.append(
        f"  background (not per scan): {len(idle)} call(s) in"
        f" {bench.background['idle_seconds']:g} s with no scan"
        + (f", e.g. {' '.join(idle[0]['sql'].split())[:60]!r}" if idle else "")
        + f"; {left_out} such call(s) fell into capture windows and were left out"
    )
    lines += ["", checks_line(bench.checks)]
    text = "\n".join(lines)
    md = [
        "# Scan ingest ladder (bench/scan_bench.py)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. {headline(bench, pg_version, client)}.",
        "",
        markdown_table(head, rows),
        "",
        "Steps: 1 raw asyncpg, minimal transaction (BEGIN; scan insert; guarded balance update"
        " RETURNING; movement insert; COMMIT). 2 raw asyncpg replaying the statements captured"
        " from the service at run time. 3 the service's Litestar app called in-process as an"
        " ASGI application. 4 `inventory-svc serve` (its defaults) over HTTP, 1 and 2 workers,"
        " load from a separate process. 5 open loop over HTTP. `i`: issue scans; `c`: every"
        " client issues one lot from its own shelf (one lot into `@consumed`). CPU: this"
        " process (1-3) or the server's process tree (4-5; the load generator is not counted)."
        f" load: the machine's 1-minute load average at the step's end ({os.cpu_count()} cores,"
        " shared with the database, the load generator and anything else running).",
    ]
    if open_phase:
        md += [
            "",
            f"Open loop: {open_phase.offered_per_s:g} scans/s offered for"
            f" {bench.cfg.open_seconds:g} s: p50 {_fmt(open_phase.p50_ms)} ms,"
            f" p99 {_fmt(open_phase.p99_ms)} ms (from each scan's scheduled time);"
            f" answers: {open_phase.outcomes}.",
        ]
    md += ["", "HTTP steps:", "", *(f"- {n.strip()}" for n in http_notes(bench.phases))]
    md += [
        "",
        f"Statements the service sent for one transfer scan ({transfer['round_trips']} round"
        " trips):",
        "",
        "```",
        statement_list(transfer),
        "```",
        "",
        text.rsplit("\n", 1)[1],
    ]
    results = {
        "when": datetime.now(UTC).isoformat(),
        "postgresql": pg_version,
        "config": asdict(bench.cfg),
        "phases": [{**asdict(p), "scans_per_s": p.per_s} for p in bench.phases],
        "capture": bench.capture,
        "background": bench.background,
        "checks": bench.checks,
        "minimal_transaction": MINIMAL_STATEMENTS,
    }
    return text, "\n".join(md) + "\n", results


# --------------------------------------------------------------------------- main


def pg_answers(dsn: str) -> bool:
    host_port = dsn.split("@", 1)[-1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 5432)), timeout=1):
            return True
    except OSError:
        return False


async def main_async(args: argparse.Namespace) -> int:
    quick = args.quick

    def pick(value: float | None, full: float, smoke: float) -> float:
        return value if value is not None else smoke if quick else full

    cfg = Config(
        clients=args.clients,
        seconds=pick(args.seconds, 15, 1.5),
        warmup=0.5 if quick else 2.0,
        open_rate=pick(args.rate, 200, 50),
        open_seconds=pick(args.open_seconds, 30, 3),
        stock=2_000 if quick else 100_000,
        quick=quick,
    )
    dsn, url = await create_database(args.pg_admin_dsn)
    workdir = Path(tempfile.mkdtemp(prefix="scan-bench-"))  # the servers' and app's logs
    bench = Bench(cfg, dsn, url, workdir)
    try:
        await bench.run()
        conn = await asyncpg.connect(dsn)
        try:
            pg_version = str(await conn.fetchval("SHOW server_version")).split()[0]
        finally:
            await conn.close()
    except BaseException:
        print(f"logs of the service: {workdir}", file=sys.stderr)
        raise
    finally:
        bench.app_log.close()
        await drop_database(args.pg_admin_dsn, dsn)
    text, md, results = report(bench, pg_version)
    print(text)
    if args.results_dir:
        out_dir = Path(args.results_dir)
    elif args.quick:  # a smoke run never replaces the figures
        out_dir = Path(tempfile.mkdtemp(prefix="scan-bench-results-"))
    else:
        out_dir = RESULTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out_dir / f"scan-{stamp}.json").write_text(json.dumps(results, indent=1, default=str))
    (out_dir / "scan-latest.md").write_text(md)
    print(f"\nresults: {out_dir / f'scan-{stamp}.json'}, {out_dir / 'scan-latest.md'}")
    checks = bench.checks
    ok = checks["ledger_ok"] and checks["replay_shape_ok"] and checks["steps_ok"]
    if ok:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"logs of the service: {workdir}", file=sys.stderr)
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run of every step")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (32)")
    parser.add_argument("--seconds", type=float, help="measured seconds per step (15)")
    parser.add_argument("--rate", type=float, help="open loop: scans/s offered (200)")
    parser.add_argument("--open-seconds", type=float, help="open loop: seconds (30)")
    parser.add_argument(
        "--pg-admin-dsn", default=os.environ.get("BENCH_PG_ADMIN_DSN", PG_ADMIN_DSN)
    )
    parser.add_argument("--results-dir", help="where the JSON and scan-latest.md go")
    parser.add_argument("--loadgen", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loadgen:
        result = asyncio.run(loadgen(json.loads(sys.stdin.read())))
        sys.stdout.write(json.dumps(result) + "\n")
        return 0
    if not pg_answers(args.pg_admin_dsn):
        print(f"PostgreSQL does not answer at {args.pg_admin_dsn}", file=sys.stderr)
        return 2
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
