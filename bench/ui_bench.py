"""How long the web UI's pages take to render on the demo data (issue: under 100 ms each).

    .venv/bin/python bench/ui_bench.py            # SQLite (the embedded default)
    .venv/bin/python bench/ui_bench.py --pg       # and PostgreSQL (a fresh database)

A fresh database migrated by `inventory-svc migrate`, the demo data (`serve --demo`'s), an
admin logged in through the real login form; then every page is requested in-process (the
Litestar app as an ASGI application: session check, services, templates; no sockets),
`--runs` times after one warm-up, median and 95th percentile. Writes
bench/results/ui-latest.md. Run it on a quiet machine: other work on 2 cores slows it.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scan_bench
from litestar.testing import AsyncTestClient

from inventory_svc.app import create_app
from inventory_svc.config import Settings
from inventory_svc.db.engine import create_engine, create_sessionmaker
from inventory_svc.demo import load_demo
from inventory_svc.domain.roles import Role
from inventory_svc.services.actors import SYSTEM
from inventory_svc.services.uow import Transactions
from inventory_svc.services.users import create_user

RESULTS = Path(__file__).resolve().parent / "results"
_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


async def _first(client: AsyncTestClient[Any], path: str, pattern: str) -> str:
    found = re.findall(pattern, (await client.get(path)).text)
    return html.unescape(found[0])


async def time_pages(url: str, runs: int) -> dict[str, tuple[float, float]]:
    settings = Settings(database_url=url)
    engine = create_engine(settings)
    try:
        transactions = Transactions(create_sessionmaker(engine), settings.clock)
        await load_demo(transactions, SYSTEM)
        password = await create_user(transactions, SYSTEM, "bench", Role.ADMIN)
    finally:
        await engine.dispose()
    async with AsyncTestClient(app=create_app(settings), timeout=60) as client:
        form = await client.get("/ui/login")
        token = html.unescape(_CSRF.findall(form.text)[0])
        login = await client.post(
            "/ui/login",
            data={"name": "bench", "password": password, "_csrf": token},
            follow_redirects=False,
        )
        assert login.status_code == 303, login.text
        kit = await _first(client, "/ui/kits", r'href="/ui/kits/([A-Z0-9-]+)"')
        place = await _first(client, "/ui/labels", r'name="location" value="([^"]+)"')
        paths = [
            "/ui",
            "/ui/stock",
            "/ui/stock?q=Epinephrine",
            f"/ui/stock/locations/{place}",
            "/ui/stock/items/1",
            "/ui/reorder",
            "/ui/purchase-orders",
            "/ui/kits",
            f"/ui/kits/{kit}",
            "/ui/recalls",
            "/ui/counts",
            "/ui/labels",
            "/ui/events",
            "/ui/admin",
        ]
        results = {}
        for path in paths:
            times = []
            for _ in range(runs + 1):  # the first warms caches and is not counted
                started = time.perf_counter()
                response = await client.get(path, follow_redirects=False)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            counted = sorted(times[1:])
            results[path] = (
                statistics.median(counted),
                counted[min(len(counted) - 1, round(0.95 * (len(counted) - 1)))],
            )
    return results


async def run(args: argparse.Namespace) -> str:
    tables: dict[str, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite+aiosqlite:///{workdir}/ui-bench.db"
        await scan_bench.run_cli(url, Path(workdir), "migrate")
        tables["SQLite"] = await time_pages(url, args.runs)
        if args.pg:
            dsn, pg_url = await scan_bench.create_database(args.pg_admin_dsn)
            try:
                await scan_bench.run_cli(pg_url, Path(workdir), "migrate")
                tables["PostgreSQL"] = await time_pages(pg_url, args.runs)
            finally:
                await scan_bench.drop_database(args.pg_admin_dsn, dsn)
    names = list(tables)
    lines = [
        "# Web UI page timing (bench/ui_bench.py)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, 2 cores, the demo data, in-process, "
        f"{args.runs} runs per page after one warm-up (median / 95th percentile):",
        "",
        "| page | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    for path in tables[names[0]]:
        cells = [f"{tables[n][path][0]:.0f} / {tables[n][path][1]:.0f} ms" for n in names]
        lines.append(f"| `{path}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL too (a fresh database)")
    parser.add_argument("--pg-admin-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    report = asyncio.run(run(parser.parse_args()))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ui-latest.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
