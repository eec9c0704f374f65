"""Soak test: does the server's memory level off under a long mixed load? (issue 9)

A live `inventory-svc serve` (one worker, SQLite in a temporary directory, or a fresh
PostgreSQL database with `--db postgresql`) loaded with the demo data set, then a bounded
number of mixed requests from a few concurrent clients on 127.0.0.1:

- scans with an admin key (`receive` then `issue` of the same lot, a fresh Idempotency-Key
  each, and `lookup`s), so stock stays bounded while the scan log and outbox grow;
- stock queries, item searches and event feed reads (`after=` a recent id).

Every `--sample-every` requests it reads the server's resident memory (VmRSS in
/proc/PID/status) and prints it. At the end it compares the growth rate of the first and the
second half of the run (after a warm-up) and says whether RSS levels off.

    .venv/bin/python bench/soak.py                           # 100k requests, at most 30 min
    .venv/bin/python bench/soak.py --requests 20000 --sample-every 1000
    .venv/bin/python bench/soak.py --json soak.json

Stops at `--requests` or `--max-seconds`, whichever comes first. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from inventory_svc.demo.data import ITEMS

CLI = [sys.executable, "-m", "inventory_svc.cli"]
PG_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
BIN = "MAIN-A1-01"
SEARCHES = ("epi", "morphine", "sodium", "heparin", "ondansetron", "zz-none")
# One request in twenty of each kind...: scans 40 %, stock 25 %, searches 20 %, events 15 %.
MIX = ("scan",) * 8 + ("stock",) * 5 + ("search",) * 4 + ("events",) * 3


@dataclass
class Sample:
    requests: int
    seconds: float
    rss_mb: float


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli(url: str, *args: str) -> str:
    env = {**os.environ, "INVENTORY_DATABASE_URL": url, "INVENTORY_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, check=True, timeout=300
    ).stdout


def gs1(gtin: str, lot: str) -> str:
    return f"]d201{gtin}17{date(2031, 5, 31):%y%m%d}10{lot}"


class Load:
    def __init__(self, client: httpx.AsyncClient, key: str) -> None:
        self.client = client
        self.auth = {"Authorization": f"Bearer {key}"}
        self.gtins = [
            next(i.value for i in item.identifiers if i.kind == "gtin")
            for item in ITEMS
            if any(i.kind == "gtin" for i in item.identifiers)
        ][:5]
        self.last_event = 0
        self.statuses: dict[int, int] = {}

    async def one(self, n: int) -> None:
        kind = MIX[n % len(MIX)]
        if kind == "scan":
            response = await self.scan(n)
        elif kind == "stock":
            response = await self.client.get(
                "/api/v1/stock",
                params={"location": "HOSP", "include_sublocations": "true"},
                headers=self.auth,
            )
        elif kind == "search":
            response = await self.client.get(
                "/api/v1/items", params={"q": SEARCHES[n % len(SEARCHES)]}, headers=self.auth
            )
        else:
            response = await self.client.get(
                "/api/v1/events",
                params={"after": max(self.last_event - 50, 0), "limit": 50},
                headers=self.auth,
            )
            if response.status_code == 200 and (events := response.json()):
                self.last_event = max(self.last_event, events[-1]["id"])
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1

    async def scan(self, n: int) -> httpx.Response:
        step = (n // len(MIX)) % 3  # receive, issue, lookup: stock stays bounded
        gtin = self.gtins[(n // (3 * len(MIX))) % len(self.gtins)]
        action = ("receive", "issue", "lookup")[step]
        body: dict[str, Any] = {"code": gs1(gtin, "SOAK1"), "action": action, "location": BIN}
        if action != "lookup":
            body["quantity"] = 2
        return await self.client.post(
            "/api/v1/scans",
            json=body,
            headers={**self.auth, "Idempotency-Key": str(uuid.uuid4())},
        )


async def drive(
    base: str, key: str, pid: int, args: argparse.Namespace
) -> tuple[list[Sample], dict[int, int]]:
    limits = httpx.Limits(max_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        load = Load(client, key)
        counter = itertools.count()
        done = 0
        started = time.monotonic()
        samples = [Sample(0, 0.0, rss_mb(pid))]
        deadline = started + args.max_seconds

        async def worker() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                n = next(counter)
                if n >= args.requests:
                    return
                await load.one(n)
                done += 1
                if done % args.sample_every == 0:
                    sample = Sample(done, time.monotonic() - started, rss_mb(pid))
                    samples.append(sample)
                    print(
                        f"{sample.requests:>8} requests {sample.seconds:>7.0f} s"
                        f"  RSS {sample.rss_mb:7.1f} MB",
                        flush=True,
                    )

        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        if samples[-1].requests != done:
            samples.append(Sample(done, time.monotonic() - started, rss_mb(pid)))
    return samples, load.statuses


def slope(points: list[Sample]) -> float:
    """Least-squares growth, MB per 10,000 requests."""
    if len(points) < 2:
        return 0.0
    xs = [p.requests / 10_000 for p in points]
    ys = [p.rss_mb for p in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


def verdict(samples: list[Sample], warmup: int) -> dict[str, Any]:
    steady = [s for s in samples if s.requests >= warmup]
    half = len(steady) // 2
    first, second = steady[: half + 1], steady[half:]
    first_slope, second_slope = slope(first), slope(second)
    levels_off = second_slope <= 0.25 or second_slope <= 0.25 * max(first_slope, 0.0)
    return {
        "rss_start_mb": round(samples[0].rss_mb, 1),
        "rss_after_warmup_mb": round(steady[0].rss_mb, 1) if steady else None,
        "rss_end_mb": round(samples[-1].rss_mb, 1),
        "growth_first_half_mb_per_10k": round(first_slope, 3),
        "growth_second_half_mb_per_10k": round(second_slope, 3),
        "levels_off": levels_off,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--max-seconds", type=float, default=1800)
    parser.add_argument("--sample-every", type=int, default=5000)
    parser.add_argument("--warmup", type=int, default=5000, help="requests before the baseline")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc"]
    with tempfile.TemporaryDirectory(prefix="soak-") as workdir:
        pg_name = f"inventory_soak_{uuid.uuid4().hex[:10]}"
        if args.db == "sqlite":
            url = f"sqlite+aiosqlite:///{Path(workdir) / 'soak.db'}"
        else:
            subprocess.run([*psql, f'CREATE DATABASE "{pg_name}"'], check=True)
            url = PG_ADMIN.rpartition("/")[0] + f"/{pg_name}"
        try:
            return soak(url, workdir, args)
        finally:
            if args.db == "postgresql":
                drop = f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'
                subprocess.run([*psql, drop], check=False)


def soak(url: str, workdir: str, args: argparse.Namespace) -> int:
    cli(url, "demo")
    key = cli(url, "keys", "create", "--role", "admin", "--name", "soak").split()[-1]
    port = free_port()
    env = {
        **os.environ,
        "INVENTORY_DATABASE_URL": url,
        "INVENTORY_HOST": "127.0.0.1",
        "INVENTORY_PORT": str(port),
        "INVENTORY_LOG_LEVEL": "WARNING",
        "INVENTORY_WORKERS": "1",
    }
    log_path = Path(workdir) / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([*CLI, "serve"], env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.stderr.write(log_path.read_text(errors="replace")[-3000:])
                    raise SystemExit("the server did not become ready")
                time.sleep(0.2)
            print(
                f"soak: {args.requests} requests max, {args.max_seconds:.0f} s max, "
                f"concurrency {args.concurrency}, {args.db}, server pid {server.pid}"
            )
            samples, statuses = asyncio.run(drive(base, key, server.pid, args))
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = verdict(samples, args.warmup)
    elapsed = samples[-1].seconds
    result |= {
        "requests": samples[-1].requests,
        "seconds": round(elapsed, 1),
        "requests_per_second": round(samples[-1].requests / elapsed, 1) if elapsed else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "db": args.db,
        "concurrency": args.concurrency,
    }
    print(json.dumps(result, indent=2))
    print(
        "RSS levels off" if result["levels_off"] else "RSS still rising in the second half",
        flush=True,
    )
    if args.json:
        args.json.write_text(
            json.dumps(result | {"samples": [asdict(s) for s in samples]}, indent=2)
        )
    unexpected = {k: v for k, v in statuses.items() if k >= 500}
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
