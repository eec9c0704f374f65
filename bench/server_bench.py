"""Which HTTP server should `inventory-svc serve` run? The same app and database under each.

Servers (each with 1 and 2 worker processes):

- uvicorn-h11:       uvicorn on the asyncio loop with the pure-Python h11 parser (the guarded
                     h11 protocol of `inventory_svc/server.py`; `serve` before this benchmark);
- uvicorn-httptools: uvicorn on uvloop with the httptools parser (the guarded httptools
                     protocol; what `serve` runs now, exactly `inventory_svc.server` options);
- granian:           granian's ASGI interface (`granian --interface asgi --factory`), uvloop
                     (`pip install granian` first: it is not a dependency of the service).

Loads, each from a separate load-generator process (raw asyncio sockets, keep-alive):

- closed loop: `--concurrency` requests always in flight (default 32): requests/s, p50, p99;
- open loop:   `--rate` requests/s offered on a fixed schedule (default 200), whatever the
               answers do; latency counts from the scheduled send time, so a server that falls
               behind shows its queue (no coordinated omission).

on two endpoints: `GET /health` (the server and framework floor) and `POST /api/v1/scans`
(a `lookup` scan by default, or `--scan-action receive`; a fresh Idempotency-Key each).
Also reported: CPU ms per request of the server's processes (all workers), the figure that
stays meaningful when the load generator and PostgreSQL share the cores.

    .venv/bin/python bench/server_bench.py                      # the full matrix, ~8 minutes
    .venv/bin/python bench/server_bench.py --servers uvicorn-httptools granian --workers 2
    .venv/bin/python bench/server_bench.py --duration 5 --warmup 1 --pg-url postgresql://...

It creates a fresh PostgreSQL database (`bench_server_<time>`), migrates it, loads the demo
data and an admin key, and drops it at the end (`--keep-db` keeps it). The table goes to
stdout and everything to `bench/results/server-<date>.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SERVERS = ("uvicorn-h11", "uvicorn-httptools", "granian")
ENDPOINTS = ("health", "scan")
LOADS = ("closed", "open")
# A demo item (epinephrine 1 mg/10 mL, NDC 0409-4921-34) as its scanner reads it, at a demo shelf.
SCAN_CODE = "]d20100304094921341172812311024J07EB\x1d21A1B2C3"
SCAN_LOCATION = "MAIN-A1"


# --- the load generator (a separate process: `--_load SPEC`) -------------------------------


@dataclass
class LoadSpec:
    host: str
    port: int
    method: str
    path: str
    body: str
    headers: dict[str, str]
    mode: str  # closed | open
    concurrency: int
    rate: float
    duration: float
    warmup: float
    run_id: str
    max_connections: int = 256
    timeout: float = 10.0


@dataclass
class LoadResult:
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    client_cpu_s: float = 0.0


class Connection:
    """One keep-alive HTTP/1.1 connection; requests are prebuilt bytes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def request(self, payload: bytes) -> tuple[int, bool]:
        """Send one request and read its answer: (status, the server keeps the connection)."""
        self.writer.write(payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, keep = 0, True
        for line in head.lower().split(b"\r\n")[1:]:
            if line.startswith(b"content-length:"):
                length = int(line[15:])
            elif line.startswith(b"connection:") and b"close" in line:
                keep = False
        if length:
            await self.reader.readexactly(length)
        return status, keep

    def close(self) -> None:
        self.writer.close()


def _payload(spec: LoadSpec, n: int) -> bytes:
    lines = [f"{spec.method} {spec.path} HTTP/1.1", f"Host: {spec.host}:{spec.port}"]
    lines += [f"{k}: {v}" for k, v in spec.headers.items()]
    if spec.method == "POST":
        lines.append(f"Idempotency-Key: {spec.run_id}-{n}")
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(spec.body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + spec.body).encode()


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def generate_load(spec: LoadSpec) -> LoadResult:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    counter = 0
    clock = time.perf_counter  # not loop.time(): uvloop's has millisecond steps
    start = clock()
    measure_from = start + spec.warmup
    end = measure_from + spec.duration
    idle: list[Connection] = []
    opened = 0
    slots = asyncio.Semaphore(spec.max_connections)

    async def one(scheduled: float) -> None:
        nonlocal counter, opened
        counter += 1
        payload = _payload(spec, counter)
        async with slots:
            conn = idle.pop() if idle else None
            try:
                if conn is None:
                    conn = await Connection.open(spec.host, spec.port)
                    opened += 1
                status, keep = await asyncio.wait_for(conn.request(payload), spec.timeout)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
                if conn is not None:
                    conn.close()
                if scheduled >= measure_from:
                    errors[type(error).__name__] += 1
                return
            done = clock()
            if keep:
                idle.append(conn)
            else:
                conn.close()
        if scheduled >= measure_from and scheduled < end:
            latencies.append(done - scheduled)
            statuses[str(status)] += 1

    cpu_before = time.process_time()
    if spec.mode == "closed":

        async def client() -> None:
            while (now := clock()) < end:
                await one(now)

        await asyncio.gather(*(client() for _ in range(spec.concurrency)))
    else:
        tasks: set[asyncio.Task[None]] = set()
        interval, i = 1.0 / spec.rate, 0
        while (scheduled := start + i * interval) < end:
            delay = scheduled - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(scheduled))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            i += 1
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=spec.timeout)
            for task in late:
                task.cancel()
            errors["unanswered"] += len(late)
    cpu = time.process_time() - cpu_before
    for conn in idle:
        conn.close()
    latencies.sort()
    window = spec.duration
    return LoadResult(
        requests=len(latencies),
        seconds=window,
        rps=len(latencies) / window,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p90_ms=_percentile(latencies, 0.90) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        max_ms=(latencies[-1] if latencies else 0.0) * 1000,
        statuses=dict(statuses),
        errors=sum(errors.values()),
        error_kinds=dict(errors),
        client_cpu_s=cpu,
    )


def load_main(spec_json: str) -> int:
    spec = LoadSpec(**json.loads(spec_json))
    try:
        import uvloop

        result = uvloop.run(generate_load(spec))
    except ImportError:
        result = asyncio.run(generate_load(spec))
    print(json.dumps(asdict(result)))
    return 0


# --- a server under test (a separate process: `--_serve VARIANT`) ---------------------------


def serve_main(variant: str, host: str, port: int, workers: int) -> int:

    from inventory_svc import server
    from inventory_svc.config import Settings

    settings = Settings.from_env()
    if variant == "uvicorn-httptools":
        server.run(settings, host, port, workers)  # exactly what `inventory-svc serve` runs
        return 0
    # `serve` before: h11 on the asyncio loop
    server.run(settings, host, port, workers, http=server.GuardedH11Protocol, loop="asyncio")
    return 0


def server_command(variant: str, host: str, port: int, workers: int) -> list[str]:
    if variant == "granian":
        return [
            str(Path(sys.executable).parent / "granian"),
            "--interface",
            "asgi",
            "--factory",
            "inventory_svc.app:create_app",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--http",
            "1",
            "--loop",
            "uvloop",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    serve = ["--_serve", variant, "--host", host, "--port", str(port), "--workers", str(workers)]
    return [sys.executable, __file__, *serve]


def tree_cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` and all its descendants (the server and its workers)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields_ = stat.rsplit(")", 1)[1].split()
        parents[int(entry.name)] = int(fields_[1])
        times[int(entry.name)] = (int(fields_[11]) + int(fields_[12])) / tick
    family, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in family:
                family.add(child)
                frontier.append(child)
    return sum(times.get(p, 0.0) for p in family)


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine so far (all cores; /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base} did not become ready")


# --- the run -------------------------------------------------------------------------------


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "inventory_svc.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"inventory-svc {' '.join(args)}: {done.stderr[-2000:]}")
    return done.stdout


async def create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def run_load(spec: LoadSpec) -> LoadResult:
    done = subprocess.run(
        [sys.executable, __file__, "--_load", json.dumps(asdict(spec))],
        capture_output=True,
        text=True,
        timeout=spec.warmup + spec.duration + spec.timeout + 60,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    return LoadResult(**json.loads(done.stdout.strip().splitlines()[-1]))


def measure(args: argparse.Namespace, env: dict[str, str], key: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    body = json.dumps(
        {"code": SCAN_CODE, "action": args.scan_action, "location": SCAN_LOCATION, "quantity": 1}
    )
    endpoints = {
        "health": ("GET", "/health", "", {}),
        "scan": ("POST", "/api/v1/scans", body, {"Authorization": f"Bearer {key}"}),
    }
    # Rounds alternate the order of the servers (A B C, then C B A ...), so that whatever
    # else the machine does at some moment does not fall on one server only.
    for round_ in range(args.rounds):
        for workers in args.workers:
            order = args.servers if round_ % 2 == 0 else args.servers[::-1]
            for variant in order:
                for pool in args.pool_size or [None]:
                    pool_env = env if pool is None else {**env, "INVENTORY_DB_POOL_SIZE": str(pool)}
                    # a file, not a pipe: a pipe left unread could fill and stall the server
                    with tempfile.TemporaryFile() as log:
                        rows += measure_server(
                            args, pool_env, endpoints, variant, workers, log, round_
                        )
    return rows


def best_rounds(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per server, workers, endpoint and load, the least disturbed round: the highest
    throughput (closed loop) or the lowest p99 (open loop)."""
    best: dict[tuple[str, int, int | None, str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["server"], row["workers"], row["pool_size"], row["endpoint"], row["load"])
        if key not in best or _better(row, best[key]):
            best[key] = row
    return list(best.values())


def _better(row: dict[str, Any], than: dict[str, Any]) -> bool:
    if row["errors"] != than["errors"]:
        return bool(row["errors"] < than["errors"])
    if row["load"] == "closed":
        return bool(row["rps"] > than["rps"])
    return bool(row["p99_ms"] < than["p99_ms"])


def measure_server(
    args: argparse.Namespace,
    env: dict[str, str],
    endpoints: dict[str, tuple[str, str, str, dict[str, str]]],
    variant: str,
    workers: int,
    log: IO[bytes],
    round_: int,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    pool = int(env["INVENTORY_DB_POOL_SIZE"]) if "INVENTORY_DB_POOL_SIZE" in env else None
    host, port = "127.0.0.1", free_port()
    base = f"http://{host}:{port}"
    proc = subprocess.Popen(
        server_command(variant, host, port, workers),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        wait_ready(base)
        for endpoint in args.endpoints:
            method, path, payload, headers = endpoints[endpoint]
            for load in args.loads:
                spec = LoadSpec(
                    host=host,
                    port=port,
                    method=method,
                    path=path,
                    body=payload,
                    headers=headers,
                    mode=load,
                    concurrency=args.concurrency,
                    rate=args.rate,
                    duration=args.duration,
                    warmup=args.warmup,
                    run_id=f"{args.run_id}-{round_}-{variant}-{workers}-{pool}-{endpoint}-{load}",
                )
                cpu_before, machine_before = tree_cpu_seconds(proc.pid), machine_cpu_seconds()
                result = run_load(spec)
                cpu = tree_cpu_seconds(proc.pid) - cpu_before
                machine = machine_cpu_seconds() - machine_before
                total = result.requests + result.errors
                row = {
                    "round": round_,
                    "server": variant,
                    "workers": workers,
                    "pool_size": pool,
                    "endpoint": endpoint,
                    "load": load,
                    "offered": args.rate if load == "open" else None,
                    "concurrency": args.concurrency if load == "closed" else None,
                    **asdict(result),
                    # warm-up included in both: a rough, comparable figure
                    "server_cpu_ms_per_request": 1000 * cpu / max(1, total)
                    if not result.errors
                    else None,
                    # What else ran meanwhile (PostgreSQL, and anything else on the machine):
                    # busy CPU seconds of the machine outside the server and load generator.
                    "other_cpu_s": round(machine - cpu - result.client_cpu_s, 2),
                    "seconds_total": spec.warmup + spec.duration,
                    "loadavg_1m": os.getloadavg()[0],
                }
                rows.append(row)
                print(_line(row), flush=True)
                wait_ready(base)  # an overloaded open loop leaves a queue: let it drain
                time.sleep(1)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.seek(0)
        stderr = log.read()
        if b"Traceback" in stderr:
            sys.stderr.write(stderr.decode(errors="replace")[-3000:])
    return rows


def _line(row: dict[str, Any]) -> str:
    bad = sum(n for s, n in row["statuses"].items() if not s.startswith("2"))
    return (
        f"  r{row['round']} {row['server']:<18} w={row['workers']} p={row['pool_size']} "
        f"{row['endpoint']:<6} {row['load']:<6} "
        f"{row['rps']:8.1f} req/s  p50 {row['p50_ms']:7.1f} ms  p99 {row['p99_ms']:8.1f} ms"
        f"  non-2xx {bad}  errors {row['errors']}"
    )


def table(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    by_key = {
        (r["server"], r["workers"], r["pool_size"], r["endpoint"], r["load"]): r for r in rows
    }
    header = (
        f"| server | workers | endpoint | closed c={args.concurrency}: req/s | p50 ms | p99 ms "
        f"| open {args.rate:g}/s: req/s | p50 ms | p99 ms | server CPU ms/req (closed) |"
    )
    out = [header, "|" + " --- |" * 10]
    configurations = [(w, p) for w in args.workers for p in args.pool_size or [None]]
    for variant in args.servers:
        for workers, pool in configurations:
            for endpoint in args.endpoints:
                closed = by_key.get((variant, workers, pool, endpoint, "closed"))
                opened = by_key.get((variant, workers, pool, endpoint, "open"))
                label = str(workers) if pool is None else f"{workers} (pool {pool})"
                cells = [variant, label, endpoint]
                for r in (closed, opened):
                    if r is None:
                        cells += ["-", "-", "-"]
                        continue
                    failed = {s: n for s, n in r["statuses"].items() if not s.startswith("2")}
                    notes = [f"{n} x {s}" for s, n in sorted(failed.items())]
                    notes += [f"{r['errors']} errors"] if r["errors"] else []
                    rps = f"{r['rps']:.0f}" + (f" ({', '.join(notes)})" if notes else "")
                    cells += [rps, f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}"]
                cpu = closed and closed["server_cpu_ms_per_request"]
                cells.append(f"{cpu:.2f}" if cpu else "-")
                out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def versions() -> dict[str, str]:
    found = {}
    for name in ("uvicorn", "uvloop", "httptools", "h11", "granian", "litestar", "asyncpg"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="an admin connection (CREATE DATABASE) to PostgreSQL; default %(default)s",
    )
    parser.add_argument("--servers", nargs="+", choices=SERVERS, default=list(SERVERS))
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--endpoints", nargs="+", choices=ENDPOINTS, default=list(ENDPOINTS))
    parser.add_argument("--loads", nargs="+", choices=LOADS, default=list(LOADS))
    parser.add_argument("--concurrency", type=int, default=32, help="closed loop (default 32)")
    parser.add_argument("--rate", type=float, default=200, help="open loop req/s (default 200)")
    parser.add_argument("--duration", type=float, default=5, help="seconds measured per load")
    parser.add_argument("--warmup", type=float, default=1, help="seconds before measuring")
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs of each server, order alternating (2)"
    )
    parser.add_argument("--scan-action", choices=("lookup", "receive"), default="lookup")
    parser.add_argument(
        "--pool-size",
        nargs="+",
        type=int,
        help="INVENTORY_DB_POOL_SIZE per worker, one or more (default: the service's)",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results", help="JSON folder")
    parser.add_argument("--label", help="added to the file name: server-<date>-<label>.json")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument("--_load", help=argparse.SUPPRESS)
    parser.add_argument("--_serve", help=argparse.SUPPRESS)
    parser.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._load:
        return load_main(args._load)
    if args._serve:
        return serve_main(args._serve, args.host, args.port, args.workers[0])

    if "granian" in args.servers and not (Path(sys.executable).parent / "granian").exists():
        parser.error("granian is not installed here: `pip install granian`, or leave it out")
    started = datetime.now(UTC)
    args.run_id = started.strftime("%Y%m%d%H%M%S")
    name = f"bench_server_{args.run_id}"
    head, _, _ = args.pg_url.rpartition("/")
    service_url = head.replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
    env = {
        **os.environ,
        "INVENTORY_DATABASE_URL": service_url,
        "INVENTORY_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    asyncio.run(create_database(args.pg_url, name))
    try:
        cli(env, "demo")
        key = cli(env, "keys", "create", "--role", "admin", "--name", "bench").split()[-1]
        print(f"database {name}; {os.cpu_count()} CPUs; {versions()}", flush=True)
        rows = measure(args, env, key)
    finally:
        if not args.keep_db:
            asyncio.run(drop_database(args.pg_url, name))
    print()
    print(table(best_rounds(rows), args))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"server-{started:%Y-%m-%d}{'-' + args.label if args.label else ''}.json"
    report = {
        "started": started.isoformat(timespec="seconds"),
        "command": "bench/server_bench.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": versions(),
        "settings": {
            "concurrency": args.concurrency,
            "rate": args.rate,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "scan_action": args.scan_action,
            "rounds": args.rounds,
            "pool_sizes": args.pool_size or "service default",
            "database": "PostgreSQL, fresh, demo data",
        },
        "best_rounds": best_rounds(rows),
        "results": rows,
    }
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
