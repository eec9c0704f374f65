"""Scan ingest benchmark: live server, service in-process, and raw SQL doing the same work.

DESIGN §7 makes scan ingest the hot path and asks to compare it with the bare driver issuing
the same SQL. Machines differ, so this reports ratios, never pass/fail on timings:

- http:    `inventory-svc serve` in a subprocess, `issue` scans posted with httpx;
- service: `ingest_scan` called in-process with the app's sessionmaker (no HTTP);
- raw:     asyncpg (PostgreSQL) or aiosqlite (SQLite) running the statements `ingest_scan`
           runs, one scan = the same transactions, over a pool of the same size.

Besides scans/s and latency percentiles it reports CPU per scan of the process doing the
work, which stays meaningful on a busy machine where throughput does not.

    .venv/bin/python bench/scan_bench.py                       # both databases if PG answers
    .venv/bin/python bench/scan_bench.py --db sqlite --scans 500 --concurrency 8
    .venv/bin/python bench/scan_bench.py --ablations           # what each avoidable step costs

Every database is created for the run and dropped after it; traffic stays on 127.0.0.1.
It ends by checking the ledger: on-hand fell by exactly the number of applied scans.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import aiosqlite
import asyncpg
import httpx
import msgspec
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from inventory_svc.config import Settings
from inventory_svc.db.engine import (  # the private one: the ablation keeps SQLite's set-up
    SessionMaker,
    _make_sqlite_serialise_writers,
    create_engine,
    create_sessionmaker,
)
from inventory_svc.db.migrate import upgrade_to_head
from inventory_svc.domain import barcodes
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.errors import DomainError
from inventory_svc.domain.roles import Role
from inventory_svc.services import catalog
from inventory_svc.services.actors import SYSTEM, Actor
from inventory_svc.services.keys import actor_for_key, create_key
from inventory_svc.services.scans import ScanRequest, ingest_scan
from inventory_svc.services.uow import Transactions

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN_DSN = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
BENCH_NDC = "0409-4921-34"  # epinephrine 1 mg/10 mL: an NDC-based GTIN, like real US drugs
DEVICE = "bench-scanner"
CONSUMED = "@consumed"
MAX_RECEIVE = 100_000  # ScanRequest.quantity's upper bound
APPLIED = "applied"
SQLITE_PRAGMAS = ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL")


# --------------------------------------------------------------------------- workload


@dataclass(frozen=True, slots=True)
class Workload:
    """One item, `locations` shelves x `lots` lots; scan i takes one unit of one combination."""

    gtin: str
    ndc10: str
    ndc11_candidates: tuple[str, ...]
    locations: tuple[str, ...]
    lots: tuple[tuple[str, date], ...]

    @classmethod
    def build(cls, n_locations: int, n_lots: int) -> Workload:
        gtin = barcodes.gtin_from_ndc(BENCH_NDC)
        ndc10 = barcodes.ndc10_from_gtin(gtin) or ""
        expiry = date.today() + timedelta(days=730)
        return cls(
            gtin=gtin,
            ndc10=ndc10,
            ndc11_candidates=tuple(barcodes.ndc11_candidates(ndc10)),
            locations=tuple(f"BENCH-SHELF-{i + 1}" for i in range(n_locations)),
            lots=tuple((f"BENCH{k + 1:03d}", expiry + timedelta(days=k)) for k in range(n_lots)),
        )

    def code(self, lot: int) -> str:
        """GS1 DataMatrix as a scanner sends it: AIM id, GTIN, expiry, then the lot (last)."""
        lot_number, expiry = self.lots[lot]
        return f"]d201{self.gtin}17{expiry:%y%m%d}10{lot_number}"

    def pick(self, i: int) -> tuple[str, int]:
        """(location code, lot index) of scan i: round-robin over every combination."""
        return self.locations[i % len(self.locations)], (i // len(self.locations)) % len(self.lots)

    def scan_body(self, i: int) -> dict[str, Any]:
        location, lot = self.pick(i)
        return {"code": self.code(lot), "action": "issue", "location": location, "device": DEVICE}


# --------------------------------------------------------------------------- databases


@dataclass(slots=True)
class Target:
    """A fresh database: the SQLAlchemy URL the service uses and the raw driver's address."""

    kind: str  # "sqlite" | "postgresql"
    url: str
    raw_address: str  # asyncpg DSN or SQLite file path


def pg_answers() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=0.5):
            return True
    except OSError:
        return False


@asynccontextmanager
async def fresh_database(kind: str, workdir: Path) -> AsyncIterator[Target]:
    """A new empty database, dropped (PostgreSQL) or left in `workdir` (SQLite) afterwards."""
    if kind == "sqlite":
        path = workdir / "inventory_bench.db"
        yield Target(kind, f"sqlite+aiosqlite:///{path}", str(path))
        return
    name = f"inventory_bench_{secrets.token_hex(5)}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield Target(
            kind,
            f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}",
            f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}",
        )
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def settings_for(target: Target, concurrency: int) -> Settings:
    return Settings(database_url=target.url, log_level="WARNING", db_pool_size=concurrency)


@dataclass(slots=True)
class Seeded:
    token: str
    actor: Actor
    item_id: int


async def seed(
    target: Target, workload: Workload, stock_per_balance: int, catalog_items: int
) -> Seeded:
    """Migrate, create an admin key, a catalogue, the bench item and shelves; receive stock."""
    await asyncio.to_thread(upgrade_to_head, target.url)  # Alembic runs its own event loop
    engine = create_engine(Settings(database_url=target.url, log_level="WARNING"))
    sessions = create_sessionmaker(engine)
    transactions = Transactions(sessions, SiteClock())
    try:
        _, token = await transactions.run(SYSTEM, create_key, Role.ADMIN, "scan bench")
        for n in range(catalog_items):  # so lookups meet a real-sized index, not 1 row
            ndc = f"{60000 + n:05d}-{n % 1000:03d}-{n % 100:02d}"
            await transactions.run(
                SYSTEM,
                catalog.create_item,
                catalog.ItemInput(
                    name=f"Filler item {n}",
                    identifiers=[
                        catalog.IdentifierInput("gtin", barcodes.gtin_from_ndc(ndc)),
                        catalog.IdentifierInput("ndc", ndc),
                    ],
                ),
            )
        item = await transactions.run(
            SYSTEM,
            catalog.create_item,
            catalog.ItemInput(
                name="Epinephrine 1 mg/10 mL syringe (bench)",
                identifiers=[
                    catalog.IdentifierInput("gtin", workload.gtin),
                    catalog.IdentifierInput("ndc", BENCH_NDC),
                ],
            ),
        )
        await transactions.run(
            SYSTEM, catalog.create_location, "BENCH-STORE", "Bench storeroom", "storeroom", None
        )
        for code in workload.locations:
            await transactions.run(
                SYSTEM, catalog.create_location, code, f"Shelf {code}", "shelf", "BENCH-STORE"
            )
        item_id = item.id
        async with sessions() as session:
            actor = await actor_for_key(session, token)
        assert actor is not None
        for location in workload.locations:
            for lot in range(len(workload.lots)):
                left = stock_per_balance
                for _ in range(-(-stock_per_balance // MAX_RECEIVE)):  # bounded: ceil(n / max)
                    quantity = min(left, MAX_RECEIVE)
                    request = msgspec.convert(
                        {
                            "code": workload.code(lot),
                            "action": "receive",
                            "location": location,
                            "quantity": quantity,
                        },
                        ScanRequest,
                    )
                    await ingest_scan(
                        transactions,
                        request,
                        actor=actor,
                        idempotency_key=str(uuid.uuid4()),
                    )
                    left -= quantity
    finally:
        await engine.dispose()
    return Seeded(token=token, actor=actor, item_id=item_id)


# --------------------------------------------------------------------------- measuring


@dataclass(slots=True)
class PhaseResult:
    database: str
    mode: str
    scans: int
    wall_s: float
    latencies_ms: list[float]
    outcomes: Counter[str]
    applied_total: int = 0  # warm-up included: what the on-hand check counts
    statements_per_scan: float | None = None
    on_hand_ok: bool | None = None
    baseline: str | None = None  # an ablation names the mode it varies
    cpu_ms: float | None = None  # CPU per scan of the process doing the ingest work
    client_cpu_ms: float | None = None  # http only: the httpx client's CPU per scan

    @property
    def throughput(self) -> float:
        return self.scans / self.wall_s if self.wall_s else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def failed(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome != APPLIED)

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "mode": self.mode,
            "scans": self.scans,
            "wall_s": round(self.wall_s, 4),
            "scans_per_s": round(self.throughput, 1),
            "p50_ms": round(self.percentile(0.50), 3),
            "p95_ms": round(self.percentile(0.95), 3),
            "p99_ms": round(self.percentile(0.99), 3),
            "outcomes": dict(self.outcomes),
            "statements_per_scan": self.statements_per_scan,
            "on_hand_ok": self.on_hand_ok,
            "baseline": self.baseline,
            "cpu_ms_per_scan": self.cpu_ms,
            "client_cpu_ms_per_scan": self.client_cpu_ms,
        }


ScanFn = Callable[[int], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class Load:
    scans: int
    concurrency: int
    warmup: int
    seconds: float  # a phase stops taking new scans after this, so slow machines finish too


async def drive(
    n: int, concurrency: int, first: int, one_scan: ScanFn, seconds: float | None = None
) -> tuple[float, list[float], Counter[str]]:
    """Run scans first..first+n-1 on `concurrency` workers, or fewer when `seconds` run out;
    returns (wall s, latencies ms, outcomes)."""
    indices = iter(range(first, first + n))  # shared: each worker takes the next index
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    deadline = time.perf_counter() + seconds if seconds else float("inf")

    async def worker() -> None:
        for i in indices:
            if time.perf_counter() > deadline:
                break
            started = time.perf_counter()
            try:
                outcome = await one_scan(i)
            except Exception as error:  # a benchmark reports failures, it does not stop
                outcome = f"exception:{type(error).__name__}"
            latencies.append((time.perf_counter() - started) * 1000)
            outcomes[outcome] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, outcomes


class Checker:
    """Reads the ledger back through its own engine: on-hand and invariants."""

    def __init__(self, target: Target, item_id: int) -> None:
        self.engine = create_async_engine(target.url)
        self.item_id = item_id

    async def on_hand(self) -> int:
        async with self.engine.connect() as conn:
            value = await conn.scalar(
                text(
                    "SELECT COALESCE(SUM(quantity), 0) FROM balances"
                    " WHERE item_id = :item AND is_virtual = false"
                ),
                {"item": self.item_id},
            )
        return int(value or 0)

    async def invariants(self, applied_issues: int) -> list[str]:
        """Problems found, if any: double entry, balance = movements, counts agree."""
        problems: list[str] = []
        async with self.engine.connect() as conn:
            unbalanced = (
                await conn.execute(
                    text(
                        "SELECT lot_id, SUM(quantity) FROM balances WHERE item_id = :item"
                        " GROUP BY lot_id HAVING SUM(quantity) <> 0"
                    ),
                    {"item": self.item_id},
                )
            ).all()
            if unbalanced:
                problems.append(f"lots whose balances do not sum to zero: {unbalanced}")
            drift = (
                await conn.execute(
                    text(
                        "SELECT b.location_id, b.lot_id, b.quantity, COALESCE(m.net, 0)"
                        " FROM balances b LEFT JOIN ("
                        "  SELECT location_id, lot_id, SUM(q) AS net FROM ("
                        "   SELECT to_location_id AS location_id, lot_id, quantity AS q"
                        "   FROM movements WHERE item_id = :item"
                        "   UNION ALL SELECT from_location_id, lot_id, -quantity"
                        "   FROM movements WHERE item_id = :item) t"
                        "  GROUP BY location_id, lot_id) m"
                        " ON m.location_id = b.location_id AND m.lot_id = b.lot_id"
                        " WHERE b.item_id = :item AND b.quantity <> COALESCE(m.net, 0)"
                    ),
                    {"item": self.item_id},
                )
            ).all()
            if drift:
                problems.append(f"balances that differ from their movements: {drift[:5]}")
            issues = await conn.scalar(
                text("SELECT COUNT(*) FROM movements WHERE item_id = :item AND kind = 'issue'"),
                {"item": self.item_id},
            )
            scans = await conn.scalar(
                text("SELECT COUNT(*) FROM scans WHERE action = 'issue' AND status = 'applied'")
            )
        if issues != applied_issues or scans != applied_issues:
            problems.append(
                f"{applied_issues} issue scans applied, but {issues} issue movements"
                f" and {scans} applied issue scans recorded"
            )
        return problems

    async def close(self) -> None:
        await self.engine.dispose()


CpuProbe = Callable[[], float]  # cumulative CPU seconds of one process


def process_cpu(pid: int) -> CpuProbe:
    """CPU seconds (user + system) of another process, from /proc (Linux); NaN elsewhere."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def probe() -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / ticks

    return probe


async def timed(
    load: Load, first: int, call: ScanFn, work: CpuProbe, client: CpuProbe | None = None
) -> PhaseResult:
    """Drive `call` and measure CPU per call of the working process (and of the client)."""
    work_0, client_0 = work(), client() if client else 0.0
    wall, latencies, outcomes = await drive(load.scans, load.concurrency, first, call, load.seconds)
    result = PhaseResult("", "", len(latencies), wall, latencies, outcomes)
    calls = max(result.scans, 1)
    result.cpu_ms = (work() - work_0) / calls * 1000
    if client:
        result.client_cpu_ms = (client() - client_0) / calls * 1000
    return result


async def measured_phase(
    database: str,
    mode: str,
    checker: Checker,
    load: Load,
    counter: Iterator[int],
    one_scan: ScanFn,
    work: CpuProbe = time.process_time,
    client: CpuProbe | None = None,
) -> PhaseResult:
    """Warm up (connections, statement caches), measure, and check on-hand fell by exactly
    the number of applied scans."""
    before = await checker.on_hand()
    _, _, warm = await drive(load.warmup, load.concurrency, next(counter), one_scan)
    result = await timed(load, next(counter), one_scan, work, client)
    after = await checker.on_hand()
    result.database, result.mode = database, mode
    result.applied_total = warm[APPLIED] + result.outcomes[APPLIED]
    result.on_hand_ok = before - after == result.applied_total
    return result


def scan_counter() -> Iterator[int]:
    """Start indices of successive drives, far enough apart to rotate evenly."""
    start = 0
    while True:
        yield start
        start += 1_000_003


# --------------------------------------------------------------------------- http


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def service_command() -> list[str]:
    """The venv's console script; fall back to the module when it is not beside python."""
    script = Path(sys.executable).parent / "inventory-svc"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "inventory_svc.cli"]


@asynccontextmanager
async def live_server(
    target: Target, concurrency: int, workdir: Path
) -> AsyncIterator[tuple[str, CpuProbe]]:
    """`inventory-svc serve` on a free local port; yields its base URL and a CPU probe of
    its process, and stops it after."""
    port = free_port()
    env = {
        **os.environ,
        "INVENTORY_DATABASE_URL": target.url,
        "INVENTORY_HOST": "127.0.0.1",
        "INVENTORY_PORT": str(port),
        "INVENTORY_LOG_LEVEL": "WARNING",
        "INVENTORY_DB_POOL_SIZE": str(concurrency),
    }
    log_path = workdir / f"server-{target.kind}.log"
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited on the hot path
            [*service_command(), "serve"],
            env=env,
            cwd=workdir,  # keeps a stray .env in the checkout out of the server's settings
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            await _wait_healthy(proc, base_url, log_path)
            yield base_url, process_cpu(proc.pid)
        finally:
            proc.terminate()
            try:
                await asyncio.to_thread(proc.wait, 15)
            except subprocess.TimeoutExpired:
                proc.kill()
                await asyncio.to_thread(proc.wait, 5)


async def _wait_healthy(proc: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        for _ in range(300):  # 30 s at most
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{_tail(log_path)}")
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server not healthy within 30 s:\n{_tail(log_path)}")


def _tail(log_path: Path) -> str:
    return log_path.read_text(errors="replace")[-3000:]


def http_client(base_url: str, concurrency: int, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=60)


def http_scan(client: httpx.AsyncClient, workload: Workload) -> ScanFn:
    async def one_scan(i: int) -> str:
        response = await client.post(
            "/api/v1/scans",
            json=workload.scan_body(i),
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        if response.status_code == 201:
            return APPLIED
        try:
            code = response.json().get("code", "")
        except ValueError:
            code = ""
        return f"http_{response.status_code}:{code}"

    return one_scan


# --------------------------------------------------------------------------- service


def service_scan(sessions: SessionMaker, workload: Workload, actor: Actor) -> ScanFn:
    transactions = Transactions(sessions, SiteClock())

    async def one_scan(i: int) -> str:
        request = msgspec.convert(workload.scan_body(i), ScanRequest)  # as the API decodes it
        try:
            outcome = await ingest_scan(
                transactions, request, actor=actor, idempotency_key=str(uuid.uuid4())
            )
        except DomainError as error:
            return error.code
        return APPLIED if outcome.status_code == 201 else f"status_{outcome.status_code}"

    return one_scan


def count_statements(engine: AsyncEngine) -> Callable[[], int]:
    """Counts the data statements the engine sends (not BEGIN: raw SQL counts the same)."""
    count = [0]

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            count[0] += 1

    return lambda: count[0]


# --------------------------------------------------------------------------- raw SQL


@dataclass(frozen=True, slots=True)
class Statements:
    """What `ingest_scan` sends for a lot-coded `issue`, as SQLAlchemy's echo shows it:
    transaction 1 `replay`; transaction 2 `insert_scan`, `find_item`, `ndc_printed`,
    `locations`, `upsert_lot`, `add` and `take` (balance rows in location-id order),
    `insert_movement`, `finish_scan`."""

    replay: str
    insert_scan: str
    find_item: str
    ndc_printed: str
    locations: str
    upsert_lot: str
    select_lot: str  # ablation: an issue needs an existing lot, a read would do
    take: str
    add: str
    insert_movement: str
    finish_scan: str

    @classmethod
    def build(cls, dialect: str, n_candidates: int) -> Statements:
        """PostgreSQL text; SQLite gets its numbered `?n` for `$n`."""
        candidates = ", ".join(f"${i}" for i in range(6, 6 + n_candidates))
        printed = ", ".join(f"${i}" for i in range(3, 3 + n_candidates))
        pg = cls(
            replay="SELECT request_hash, response_status, response_body FROM scans"
            " WHERE idempotency_key = $1",
            insert_scan="INSERT INTO scans (idempotency_key, request_hash, api_key_id, actor,"
            " device, code, action, location_code, to_location_code, quantity, item_id, status,"
            " error_code, error_detail, response_status, scanned_at, recorded_at) VALUES ($1, $2,"
            " $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
            find_item="SELECT items.id, items.name, items.strength, items.form, items.base_unit,"
            " items.schedule, items.preferred_supplier_id, items.created_at, item_identifiers.id,"
            " item_identifiers.item_id, item_identifiers.kind, item_identifiers.value,"
            " item_identifiers.printed, item_identifiers.units,"
            " (SELECT ndc.printed FROM item_identifiers AS ndc WHERE ndc.item_id = items.id"
            f" AND ndc.kind = 'ndc' AND ndc.value IN ({candidates}) LIMIT 1)"
            " FROM items JOIN item_identifiers ON item_identifiers.item_id = items.id"
            " WHERE item_identifiers.kind IN ($1, $2, $3) AND item_identifiers.value = $4"
            f" OR item_identifiers.kind = $5 AND item_identifiers.value IN ({candidates})"
            " ORDER BY CASE WHEN item_identifiers.kind = 'ndc' THEN 1 ELSE 0 END,"
            f" item_identifiers.id LIMIT ${6 + n_candidates}",
            ndc_printed="SELECT printed FROM item_identifiers WHERE item_id = $1 AND kind = $2"
            f" AND value IN ({printed})",
            locations="SELECT id, code, name, kind, parent_id, is_virtual, created_at"
            " FROM locations WHERE code IN ($1, $2)",
            upsert_lot="INSERT INTO lots (item_id, lot_number, expiry, lot_key, recalled)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (item_id, lot_key)"
            " DO UPDATE SET lot_number = excluded.lot_number"
            " RETURNING id, item_id, lot_number, expiry, lot_key, recalled, created_at",
            select_lot="SELECT id, item_id, lot_number, expiry, lot_key, recalled, created_at"
            " FROM lots WHERE item_id = $1 AND lot_key = $2",
            take="UPDATE balances SET quantity = balances.quantity - $1, updated_at = now()"
            " WHERE balances.location_id = $2 AND balances.lot_id = $3"
            " AND balances.quantity >= $4 RETURNING quantity",
            add="INSERT INTO balances (item_id, location_id, lot_id, is_virtual, quantity)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (location_id, lot_id)"
            " DO UPDATE SET quantity = balances.quantity + excluded.quantity, updated_at = now()"
            " RETURNING quantity",
            insert_movement="INSERT INTO movements (kind, item_id, lot_id, from_location_id,"
            " to_location_id, quantity, actor, device, scan_id, reference, occurred_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            finish_scan="UPDATE scans SET barcode = $1, item_id = $2, status = $3,"
            " response_status = $4, response_body = $5 WHERE id = $6",
        )
        if dialect == "postgresql":
            return pg
        to_qmark = {f.name: re.sub(r"\$(\d+)", r"?\1", getattr(pg, f.name)) for f in fields(cls)}
        to_qmark["insert_scan"] = to_qmark["insert_scan"].removesuffix(" RETURNING id")
        for name in ("take", "add"):
            to_qmark[name] = to_qmark[name].replace("now()", "CURRENT_TIMESTAMP")
        return cls(**to_qmark)


class RawTx(Protocol):
    async def rows(self, sql: str, *args: Any) -> Sequence[Sequence[Any]]: ...
    async def insert(self, sql: str, *args: Any) -> int: ...
    async def run(self, sql: str, *args: Any) -> None: ...


class RawDb(Protocol):
    sql: Statements
    statements: int  # data statements sent (BEGIN/COMMIT not counted)

    def transaction(self) -> AbstractAsyncContextManager[RawTx]: ...
    async def close(self) -> None: ...


class PgTx:
    def __init__(self, db: PgRaw, conn: asyncpg.Connection) -> None:
        self.db, self.conn = db, conn

    async def rows(self, sql: str, *args: Any) -> Sequence[Sequence[Any]]:
        self.db.statements += 1
        rows: Sequence[Sequence[Any]] = await self.conn.fetch(sql, *args)
        return rows

    async def insert(self, sql: str, *args: Any) -> int:
        self.db.statements += 1
        new_id: int = await self.conn.fetchval(sql, *args)
        return new_id

    async def run(self, sql: str, *args: Any) -> None:
        self.db.statements += 1
        await self.conn.execute(sql, *args)


class PgRaw:
    """asyncpg pool; one transaction = acquire, BEGIN, statements, COMMIT, release."""

    def __init__(self, pool: asyncpg.Pool, sql: Statements) -> None:
        self.pool, self.sql, self.statements = pool, sql, 0

    @classmethod
    async def open(cls, dsn: str, size: int, sql: Statements) -> PgRaw:
        return cls(await asyncpg.create_pool(dsn, min_size=size, max_size=size), sql)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[RawTx]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield PgTx(self, conn)

    async def close(self) -> None:
        await self.pool.close()


def _sqlite_value(value: Any) -> Any:
    """Bind values as SQLAlchemy stores them in SQLite: naive-UTC text timestamps, ISO dates."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


class SqliteTx:
    def __init__(self, db: SqliteRaw, conn: aiosqlite.Connection) -> None:
        self.db, self.conn = db, conn

    async def rows(self, sql: str, *args: Any) -> Sequence[Sequence[Any]]:
        self.db.statements += 1
        rows = await self.conn.execute_fetchall(sql, [_sqlite_value(a) for a in args])
        return list(rows)

    async def insert(self, sql: str, *args: Any) -> int:
        self.db.statements += 1
        cursor = await self.conn.execute(sql, [_sqlite_value(a) for a in args])
        new_id = cursor.lastrowid
        await cursor.close()
        assert new_id is not None
        return new_id

    async def run(self, sql: str, *args: Any) -> None:
        self.db.statements += 1
        cursor = await self.conn.execute(sql, [_sqlite_value(a) for a in args])
        await cursor.close()


class SqliteRaw:
    """aiosqlite connections with the service's pragmas and its BEGIN IMMEDIATE."""

    def __init__(self, idle: asyncio.Queue[aiosqlite.Connection], sql: Statements) -> None:
        self.idle, self.sql, self.statements = idle, sql, 0

    @classmethod
    async def open(cls, path: str, size: int, sql: Statements) -> SqliteRaw:
        idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for _ in range(size):
            conn = await aiosqlite.connect(path, timeout=30, isolation_level=None)
            for pragma in SQLITE_PRAGMAS:
                await conn.execute(f"PRAGMA {pragma}")
            idle.put_nowait(conn)
        return cls(idle, sql)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[RawTx]:
        conn = await self.idle.get()
        try:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTx(self, conn)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
        finally:
            self.idle.put_nowait(conn)

    async def close(self) -> None:
        while not self.idle.empty():
            await self.idle.get_nowait().close()


@dataclass(frozen=True, slots=True)
class RawVariant:
    """Which steps the raw path performs. The default mirrors `ingest_scan` as it is; the
    ablations add back, one at a time, the steps an earlier version of it had, to show what
    each cost."""

    name: str = "raw SQL"
    replay_precheck: bool = False  # a read of the key before the scan transaction
    ndc_printed: bool = False  # a separate query for the printed NDC (now a subquery)
    upsert_lot: bool = False  # an issue upserting the lot instead of reading it
    parse_in_tx: bool = False  # biip parse inside the transaction
    one_connection: bool = False  # writers queue in asyncio, not in SQLite's busy handler


MIRROR = RawVariant()
RAW_ABLATIONS = (
    RawVariant("raw + replay pre-check tx", replay_precheck=True),
    RawVariant("raw + separate NDC query", ndc_printed=True),
    RawVariant("raw + lot upsert on issue", upsert_lot=True),
    RawVariant("raw + all three (old path)", True, True, True),
    RawVariant("raw + biip parse inside tx", parse_in_tx=True),
)
SQLITE_RAW_ABLATIONS = (RawVariant("raw, one connection", one_connection=True),)


class InsufficientStockRaw(Exception):
    pass


def raw_scan(db: RawDb, workload: Workload, actor: Actor, variant: RawVariant) -> ScanFn:
    """`ingest_scan` for a lot-coded issue, statement for statement, without the ORM."""
    sql = db.sql
    candidates = workload.ndc11_candidates
    ndc_view = barcodes.format_ndc10(workload.ndc10, like=BENCH_NDC)

    async def one_scan(i: int) -> str:
        location, lot_index = workload.pick(i)
        lot_number, expiry = workload.lots[lot_index]
        code = workload.code(lot_index)
        key, now = str(uuid.uuid4()), datetime.now(UTC)
        fingerprint = hashlib.sha256(f"{actor.key_id}|{code}|{location}".encode()).hexdigest()
        if variant.replay_precheck:
            async with db.transaction() as tx:
                if await tx.rows(sql.replay, key):
                    return "replayed"
        try:
            async with db.transaction() as tx:
                scan_id = await tx.insert(
                    sql.insert_scan,
                    *(key, fingerprint, actor.key_id, actor.name, DEVICE, code, "issue"),
                    *(location, None, 1, None, "pending", None, None, None, now, now),
                )
                if variant.parse_in_tx:
                    barcodes.interpret(code)
                found = await tx.rows(
                    sql.find_item, "gtin", "upc", "ean", workload.gtin, "ndc", *candidates, 1
                )
                if not found:
                    return "unknown_item"
                item_id, item_name, units = found[0][0], found[0][1], found[0][13]
                barcode_view: dict[str, Any] = {
                    "kind": "gs1",
                    "gtin": workload.gtin,
                    "ndc": workload.ndc10,
                    "lot": lot_number,
                    "expiry": expiry.isoformat(),
                    "serial": None,
                    "count": None,
                    "symbology": "]d2",
                    "label": None,
                }
                if variant.ndc_printed:
                    printed = await tx.rows(sql.ndc_printed, item_id, "ndc", *candidates)
                    if printed:
                        barcode_view["ndc"] = ndc_view
                places = {row[1]: row for row in await tx.rows(sql.locations, location, CONSUMED)}
                source, destination = places[location][0], places[CONSUMED][0]
                lot_key = f"{lot_number}|{expiry.isoformat()}"
                if variant.upsert_lot:
                    lots = await tx.rows(
                        sql.upsert_lot, item_id, lot_number, expiry, lot_key, False
                    )
                else:
                    lots = await tx.rows(sql.select_lot, item_id, lot_key)
                lot_id, quantity = lots[0][0], units
                if destination < source:  # balance rows in location-id order, as move_lot
                    await tx.rows(sql.add, item_id, destination, lot_id, True, quantity)
                left = await tx.rows(sql.take, quantity, source, lot_id, quantity)
                if not left:
                    raise InsufficientStockRaw
                if destination > source:
                    await tx.rows(sql.add, item_id, destination, lot_id, True, quantity)
                movement = await tx.rows(
                    sql.insert_movement,
                    *("issue", item_id, lot_id, source, destination, quantity),
                    *(actor.name, DEVICE, scan_id, None, now),
                )
                moved = {"lot": lot_number, "expiry": expiry.isoformat(), "quantity": quantity}
                body = {
                    "id": scan_id,
                    "status": APPLIED,
                    "action": "issue",
                    "barcode": barcode_view,
                    "item": {"id": item_id, "name": item_name},
                    "movements": [
                        {"id": movement[0][0], "kind": "issue", "from_location": location}
                        | {"to_location": CONSUMED, **moved}
                    ],
                    "balances": [{"location": location, **moved, "quantity": left[0][0]}],
                    "warnings": [],
                }
                await tx.run(
                    sql.finish_scan,
                    *(json.dumps(barcode_view), item_id, APPLIED, 201, json.dumps(body), scan_id),
                )
        except InsufficientStockRaw:
            return "insufficient_stock"
        return APPLIED

    return one_scan


async def open_raw(target: Target, size: int, workload: Workload) -> RawDb:
    sql = Statements.build(target.kind, len(workload.ndc11_candidates))
    if target.kind == "postgresql":
        return await PgRaw.open(target.raw_address, size, sql)
    return await SqliteRaw.open(target.raw_address, size, sql)


# --------------------------------------------------------------------------- engines


def service_engine(target: Target, concurrency: int, variant: str | None = None) -> AsyncEngine:
    """The app's engine (`create_engine`), or for an ablation the same with one change."""
    if variant is None:
        return create_engine(settings_for(target, concurrency))
    if variant == "no_pre_ping":  # PostgreSQL: create_engine's arguments minus the ping
        return create_async_engine(
            target.url, pool_size=concurrency, max_overflow=concurrency, pool_pre_ping=False
        )
    # "one_connection", SQLite: create_engine's set-up on a pool of exactly one connection
    engine = create_async_engine(
        target.url, connect_args={"timeout": 30}, pool_size=1, max_overflow=0, pool_timeout=60
    )
    _make_sqlite_serialise_writers(engine)
    return engine


SERVICE_ABLATIONS = {
    "postgresql": (("service, no pool_pre_ping", "no_pre_ping"),),
    "sqlite": (("service, one connection", "one_connection"),),
}


# --------------------------------------------------------------------------- one database


@dataclass(slots=True)
class Extras:
    """Side measurements that explain where the HTTP and service time goes."""

    interpret_us: float = 0.0
    side: list[PhaseResult] = field(default_factory=list)
    verified: str | None = None


@dataclass(slots=True)
class Bench:
    """One database's run: its phases share the stock, the scan counter and the checker."""

    kind: str
    load: Load
    target: Target
    workload: Workload
    seeded: Seeded
    checker: Checker
    counter: Iterator[int] = field(default_factory=scan_counter)
    results: list[PhaseResult] = field(default_factory=list)
    side: list[PhaseResult] = field(default_factory=list)  # not scans: auth, /health

    async def phase(
        self,
        mode: str,
        scan: ScanFn,
        statements: Callable[[], int] | None = None,
        work: CpuProbe = time.process_time,
        client: CpuProbe | None = None,
    ) -> PhaseResult:
        before = statements() if statements else 0
        result = await measured_phase(
            self.kind, mode, self.checker, self.load, self.counter, scan, work, client
        )
        if statements:
            sent = result.scans + self.load.warmup
            result.statements_per_scan = (statements() - before) / sent
        self.results.append(result)
        print(
            f"[{self.kind}] {mode}: {result.scans} scans, {result.throughput:.0f}/s,"
            f" p50 {result.percentile(0.5):.1f} ms",
            file=sys.stderr,
        )
        return result

    async def raw(self, variant: RawVariant) -> None:
        size = 1 if variant.one_connection else self.load.concurrency
        db = await open_raw(self.target, size, self.workload)
        try:
            scan = raw_scan(db, self.workload, self.seeded.actor, variant)
            result = await self.phase(variant.name, scan, lambda: db.statements)
        finally:
            await db.close()
        if variant != MIRROR:
            result.baseline = MIRROR.name

    async def service(self, mode: str, variant: str | None, with_auth: bool = False) -> None:
        engine = service_engine(self.target, self.load.concurrency, variant)
        try:
            sessions = create_sessionmaker(engine)
            scan = service_scan(sessions, self.workload, self.seeded.actor)
            result = await self.phase(mode, scan, count_statements(engine))
            if variant is not None:
                result.baseline = SERVICE
            if with_auth:
                self.side.append(await self.auth_lookups(sessions))
        finally:
            await engine.dispose()

    async def auth_lookups(self, sessions: SessionMaker) -> PhaseResult:
        """The API-key lookup the auth middleware runs once per request, alone."""

        async def lookup(_: int) -> str:
            async with sessions() as session:
                actor = await actor_for_key(session, self.seeded.token)
            return APPLIED if actor else "unknown_key"

        return await self.side_phase("auth key lookup alone", lookup, time.process_time)

    async def http(self, workdir: Path) -> None:
        concurrency = self.load.concurrency
        async with live_server(self.target, concurrency, workdir) as (base_url, server_cpu):
            async with http_client(base_url, concurrency) as client:

                async def health(_: int) -> str:
                    response = await client.get("/health")
                    return APPLIED if response.status_code == 200 else str(response.status_code)

                # uvicorn + Litestar + httpx with no database: the floor under any request
                self.side.append(
                    await self.side_phase(
                        "http GET /health (no DB)", health, server_cpu, time.process_time
                    )
                )
            async with http_client(base_url, concurrency, self.seeded.token) as client:
                scan = http_scan(client, self.workload)
                await self.phase(HTTP, scan, work=server_cpu, client=time.process_time)

    async def side_phase(
        self, mode: str, call: ScanFn, work: CpuProbe, client: CpuProbe | None = None
    ) -> PhaseResult:
        """Time a call that is not a scan, after a short warm-up."""
        await drive(self.load.warmup, self.load.concurrency, 0, call)
        result = await timed(self.load, 0, call, work, client)
        result.database, result.mode = self.kind, mode
        return result


SERVICE, HTTP = "service in-process", "http (live server)"


async def bench_database(
    kind: str, args: argparse.Namespace, workdir: Path
) -> tuple[list[PhaseResult], Extras, list[str]]:
    """Every phase on one fresh database; returns results, side measurements and problems."""
    workload = Workload.build(args.locations, args.lots)
    raw_variants = [MIRROR]
    service_variants: list[tuple[str, str | None]] = [(SERVICE, None)]
    if args.ablations:
        raw_variants += [*RAW_ABLATIONS, *(SQLITE_RAW_ABLATIONS if kind == "sqlite" else ())]
        service_variants += SERVICE_ABLATIONS[kind]
    warmup = min(args.scans, max(2 * args.concurrency, 20))
    load = Load(args.scans, args.concurrency, warmup, args.phase_seconds)
    phases = len(raw_variants) + len(service_variants) + 1
    balances = len(workload.locations) * len(workload.lots)
    stock = -(-(phases * (args.scans + warmup)) // balances) + 10
    extras = Extras()
    async with fresh_database(kind, workdir) as target:
        started = time.perf_counter()
        seeded = await seed(target, workload, stock, args.catalog_items)
        print(f"[{kind}] seeded in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        bench = Bench(kind, load, target, workload, seeded, Checker(target, seeded.item_id))
        try:
            for variant in raw_variants:
                await bench.raw(variant)
            for mode, engine_variant in service_variants:
                await bench.service(mode, engine_variant, args.ablations and not engine_variant)
            await bench.http(workdir)
            applied = sum(r.applied_total for r in bench.results)
            problems = [
                f"{kind}/{r.mode}: on-hand did not fall by the {r.applied_total} scans applied"
                for r in bench.results
                if not r.on_hand_ok
            ]
            problems += [f"{kind}: {p}" for p in await bench.checker.invariants(applied)]
        finally:
            await bench.checker.close()
    if not problems:
        extras.verified = (
            f"{applied} issue scans applied; on-hand fell by exactly that in every phase;"
            " balances = sum of movements; every lot sums to zero"
        )
    extras.side = bench.side
    extras.interpret_us = interpret_cost(workload)
    return bench.results, extras, problems


def interpret_cost(workload: Workload, calls: int = 2000) -> float:
    """µs of CPU per `barcodes.interpret` (biip), which the raw path does not spend."""
    code = workload.code(0)
    started = time.perf_counter()
    for _ in range(calls):
        barcodes.interpret(code)
    return (time.perf_counter() - started) / calls * 1e6


# --------------------------------------------------------------------------- report


def print_report(
    results: list[PhaseResult], extras: dict[str, Extras], args: argparse.Namespace, load: str
) -> None:
    print(
        f"\nscan ingest: up to {args.scans} issue scans or {args.phase_seconds:g} s per mode,"
        f" concurrency {args.concurrency};"
        f" {args.locations} locations x {args.lots} lots; {args.catalog_items} other items;"
        f" {os.cpu_count()} CPUs, load average at start {load}"
    )
    header = (
        f"{'database':<11}{'mode':<30}{'scans':>6}{'scans/s':>8}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'SQL/scan':>9}{'CPU ms':>8}{'client':>8}"
        "  outcomes"
    )
    print(header, "-" * len(header), sep="\n")
    side = [r for extra in extras.values() for r in extra.side]
    for r in [*results, *side]:
        stmts = f"{r.statements_per_scan:.1f}" if r.statements_per_scan is not None else "-"
        cpu = f"{r.cpu_ms:.2f}" if r.cpu_ms is not None else "-"
        client = f"{r.client_cpu_ms:.2f}" if r.client_cpu_ms is not None else "-"
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r.outcomes.items()))
        print(
            f"{r.database:<11}{r.mode:<30}{r.scans:>6}{r.throughput:>8.0f}{r.percentile(0.5):>9.2f}"
            f"{r.percentile(0.95):>9.2f}{r.percentile(0.99):>9.2f}{stmts:>9}{cpu:>8}{client:>8}"
            f"  {outcomes}"
        )
    print(
        "SQL/scan: data statements per scan (BEGIN/COMMIT not counted). CPU ms: CPU per scan"
        " of the process doing the ingest (this one; the server for http), database server"
        " excluded; client: the httpx client's CPU per request"
    )

    print("\nRATIOS of time per scan (1/throughput) and of latency; 1.00 = as fast as the other")
    for database in dict.fromkeys(r.database for r in results):
        modes = {r.mode: r for r in results if r.database == database}
        raw, service, http = modes[MIRROR.name], modes[SERVICE], modes[HTTP]
        for label, slow, fast in (
            ("service in-process / raw SQL", service, raw),
            ("http / raw SQL", http, raw),
            ("http / service in-process", http, service),
        ):
            print(
                f"  {database:<11}{label:<30}time/scan {_ratio(fast, slow):6.2f}x"
                f"   p50 {slow.percentile(0.5) / fast.percentile(0.5):6.2f}x"
                f"   p99 {slow.percentile(0.99) / fast.percentile(0.99):6.2f}x"
                f"   CPU/scan {_cpu_ratio(slow, fast):6.2f}x"
            )
    ablations = [r for r in results if r.baseline]
    if ablations:
        print("\nABLATIONS: throughput of the variant / of its baseline (>1: faster without)")
        for r in ablations:
            base = next(b for b in results if b.database == r.database and b.mode == r.baseline)
            print(
                f"  {r.database:<11}{r.mode:<30}{_ratio(r, base):6.2f}x"
                f"   p50 {base.percentile(0.5):.2f} -> {r.percentile(0.5):.2f} ms"
                f"   CPU/scan {base.cpu_ms or 0:.2f} -> {r.cpu_ms or 0:.2f} ms"
            )
    print()
    for database, extra in extras.items():
        print(f"  {database}: barcodes.interpret (biip) costs {extra.interpret_us:.0f} µs CPU/scan")
        if extra.verified:
            print(f"  {database}: ledger verified: {extra.verified}")


def _cpu_ratio(slow: PhaseResult, fast: PhaseResult) -> float:
    if slow.cpu_ms is None or not fast.cpu_ms:
        return float("nan")
    return slow.cpu_ms / fast.cpu_ms


def _ratio(fast: PhaseResult, slow: PhaseResult) -> float:
    """How many times longer `slow` takes per scan than `fast`, by throughput."""
    return fast.throughput / slow.throughput if slow.throughput else float("inf")


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgresql", "both"],
        help="default: both when PostgreSQL answers on 127.0.0.1:5432, else sqlite",
    )
    parser.add_argument("--scans", type=int, default=2000, help="measured scans per mode")
    parser.add_argument("--concurrency", type=int, default=16, help="scans in flight")
    parser.add_argument(
        "--phase-seconds",
        type=float,
        default=10.0,
        help="a phase stops early after this long (slow machines); 0 = no limit",
    )
    parser.add_argument("--locations", type=int, default=4, help="shelves scanned from")
    parser.add_argument("--lots", type=int, default=4, help="lots of the bench item")
    parser.add_argument("--catalog-items", type=int, default=300, help="other items in stock")
    parser.add_argument(
        "--ablations",
        action="store_true",
        help="also time raw SQL without each avoidable step, the auth lookup alone, and the"
        " service engine without pool_pre_ping (PostgreSQL) or on one connection (SQLite)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    for name in ("scans", "concurrency", "locations", "lots"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.catalog_items < 0 or args.phase_seconds < 0:
        parser.error("--catalog-items and --phase-seconds cannot be negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    has_pg = pg_answers()
    chosen = args.db or ("both" if has_pg else "sqlite")
    if chosen in ("postgresql", "both") and not has_pg:
        print(f"no PostgreSQL answers on {PG_HOST}:{PG_PORT}", file=sys.stderr)
        return 2
    kinds = ["sqlite", "postgresql"] if chosen == "both" else [chosen]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results: list[PhaseResult] = []
    extras: dict[str, Extras] = {}
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="scan_bench_") as tmp:
        for kind in kinds:
            found, extras[kind], trouble = asyncio.run(bench_database(kind, args, Path(tmp)))
            results += found
            problems += trouble
    print_report(results, extras, args, load)
    if args.json:
        rows = [r.as_dict() for r in [*results, *(s for e in extras.values() for s in e.side)]]
        settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
        args.json.write_text(json.dumps({"args": settings, "results": rows}, indent=2))
    if problems:
        print("\nLEDGER CHECK FAILED:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
