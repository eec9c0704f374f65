"""Where a scan's CPU goes in the service: a profile of transfer scans through the app.

    .venv/bin/python bench/profile_scan.py                 # 2,000 scans, one at a time
    .venv/bin/python bench/profile_scan.py --scans 5000 --top 40

The app runs in-process (its lifespan, its default settings), called as an ASGI application
one scan at a time (no server, no client in the way), on a fresh PostgreSQL database seeded
through its API (bench/scan_bench.py's setup), on uvloop as `serve` runs. First the CPU per
scan without a profiler,
then cProfile with a CPU clock (time spent waiting for the database is not counted), its
self time grouped by where the code lives: what is the framework's, the driver's, the ORM's,
logging's, and our own. Writes bench/results/profile-latest.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scan_bench

RESULTS = Path(__file__).resolve().parent / "results"

# (bucket, substring of the code's file name), first match wins.
BUCKETS = [
    ("asyncpg (driver protocol)", "asyncpg/"),
    ("SQLAlchemy (session, pool, greenlet)", "sqlalchemy/"),
    ("SQLAlchemy (session, pool, greenlet)", "greenlet"),
    ("Litestar (routing, DI, request, response)", "litestar/"),
    ("logging (two JSON lines per scan)", "logging/"),
    ("logging (two JSON lines per scan)", "observability/logs.py"),
    ("json (log lines)", "json/"),
    ("our API layer (middleware, auth, controller)", "inventory_svc/api/"),
    ("our scan code (envelope, handler, plan, SQL params)", "inventory_svc/"),
    ("asyncio event loop", "asyncio/"),
    ("asyncio event loop", "selectors.py"),
    ("anyio", "anyio/"),
    ("prometheus metrics", "prometheus_client/"),
    ("msgspec (JSON in and out)", "msgspec"),
    ("Python's standard library (uuid, hashlib, copy, enum, ...)", "/lib/python3"),
]


def bucket_of(filename: str, name: str) -> str:
    where = filename if filename != "~" else name
    if "socket" in where and "send" in where:
        return "socket send (kernel, loopback to PostgreSQL)"
    for bucket, needle in BUCKETS:
        if needle in where:
            return bucket
    return "other (builtins, uuid, hashlib, ...)"


async def run(scans: int, top: int, admin_dsn: str) -> str:
    dsn, url = await scan_bench.create_database(admin_dsn)
    workdir = Path("/tmp") / f"profile_scan_{int(time.time())}"
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        await scan_bench.run_cli(url, workdir, "migrate")
        token = (
            (
                await scan_bench.run_cli(
                    url, workdir, "keys", "create", "--role", "admin", "--name", "profile"
                )
            )
            .strip()
            .splitlines()[-1]
        )
        with (workdir / "app.log").open("w") as log:
            async with scan_bench.InProcessApp(url, log) as app:
                app.authorise(token)
                workload = scan_bench.Workload(1)
                await scan_bench.seed(app, workload, 1000)

                async def loop(n: int, offset: int) -> None:
                    for k in range(n):
                        status, answer = await app.scan(workload.transfer(0, offset + k))
                        assert status == 201, answer

                await loop(300, 0)  # warm: statement caches, key cache, code paths
                started = time.process_time()
                await loop(scans, 300)
                cpu_ms = (time.process_time() - started) / scans * 1000
                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
                await loop(scans, 300 + scans)
                profiler.disable()
    finally:
        await scan_bench.drop_database(admin_dsn, dsn)
    stats = pstats.Stats(profiler)
    raw = stats.stats  # type: ignore[attr-defined]
    buckets: Counter[str] = Counter()
    total = 0.0
    for (filename, _line, name), (_cc, _nc, self_time, _cum, callers) in raw.items():
        total += self_time
        bucket = bucket_of(filename, name)
        if not bucket.startswith("other") or not callers:
            buckets[bucket] += self_time
            continue
        # A builtin (isinstance, setattr, a C method) counts for the code that called it.
        for (caller_file, _, caller_name), (_, _, spent, _) in callers.items():
            buckets[bucket_of(caller_file, caller_name)] += spent
    lines = [
        "# Where a scan's CPU goes (bench/profile_scan.py)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Transfer scans through the app in-process "
        f"(ASGI, one at a time, PostgreSQL). CPU per scan without a profiler: "
        f"**{cpu_ms:.2f} ms** ({scans} scans). Self time under cProfile (CPU clock), grouped:",
        "",
        "| where | share |",
        "| --- | --- |",
    ]
    lines += [
        f"| {bucket} | {seconds / total * 100:.0f} % |" for bucket, seconds in buckets.most_common()
    ]
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)
    lines += [
        "",
        f"Top {top} functions by self time:",
        "",
        "```",
        out.getvalue().strip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scans", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--pg-admin-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    try:  # the loop `serve` runs on (uvicorn with uvloop), where there is one
        import uvloop

        report = uvloop.run(run(args.scans, args.top, args.pg_admin_dsn))
    except ImportError:
        report = asyncio.run(run(args.scans, args.top, args.pg_admin_dsn))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "profile-latest.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
