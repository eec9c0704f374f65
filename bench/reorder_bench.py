"""How long the reorder list takes on a hospital-sized ledger (issue: <= 300 ms on 2 cores).

    .venv/bin/python bench/reorder_bench.py                      # 20,000 items, 50 locations
    .venv/bin/python bench/reorder_bench.py --items 2000 --movements-per-par 4   # a quick one

A fresh PostgreSQL database, migrated by `inventory-svc migrate`, filled in bulk with SQL:
`--items` items bought from one supplier (terms for each), a storeroom holding par levels for
every item (bought), `--locations - 1` satellites and cabinets each refilled from the
storeroom for `--items-per-satellite` items, one lot per item, a balance for every par level,
and a year of movements (issues to @consumed from every par location, refills from the
storeroom), then VACUUM ANALYZE. Then the service's own reorder list
(services/reorders.reorder_list, the route's code) is timed: the whole list, one satellite,
and the storeroom, `--runs` (15) each after a warm-up (median and worst), and the SQL statement
alone (the rest is building the lines in Python); and the whole list over HTTP from `inventory-
svc serve`. Writes bench/results/reorder-latest.md. Run it on a quiet machine: other work on 2
cores doubles it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scan_bench

RESULTS = Path(__file__).resolve().parent / "results"

FILL = """
INSERT INTO suppliers (id, code, name) VALUES (1, 'WHOLESALE', 'Wholesaler');
INSERT INTO items (id, name, base_unit, preferred_supplier_id)
  SELECT g, 'Item ' || g, 'each', 1 FROM generate_series(1, {items}) g;
INSERT INTO supplier_items (supplier_id, item_id, pack_size, min_order_quantity,
                            lead_time_days, unit_cost_cents)
  SELECT 1, g, 1 + g % 12, 1 + g % 24, g % 7, 50 + g % 5000 FROM generate_series(1, {items}) g;
INSERT INTO locations (id, code, name, kind, is_virtual)
  SELECT 1000 + g, CASE WHEN g = 0 THEN 'STORE' ELSE 'SAT-' || g END, 'L' || g,
         CASE WHEN g = 0 THEN 'storeroom' ELSE 'satellite' END, false
  FROM generate_series(0, {locations} - 1) g;
INSERT INTO lots (id, item_id, lot_number, expiry, lot_key, recalled)
  SELECT g, g, 'L' || g, current_date + 30 + g % 700,
         'L' || g || '|' || (current_date + 30 + g % 700)::text, g % 997 = 0
  FROM generate_series(1, {items}) g;
INSERT INTO par_levels (item_id, location_id, par, reorder_point, source_supplier_id)
  SELECT g, 1000, 200, 80, 1 FROM generate_series(1, {items}) g;
INSERT INTO par_levels (item_id, location_id, par, reorder_point, source_location_id)
  SELECT 1 + (s * 7919 + k) % {items}, 1000 + s, 20, 8, 1000
  FROM generate_series(1, {locations} - 1) s, generate_series(1, {per_satellite}) k;
INSERT INTO balances (item_id, location_id, lot_id, quantity)
  SELECT item_id, location_id, item_id, (item_id * 31 + location_id) % 250 FROM par_levels;
INSERT INTO movements (kind, item_id, lot_id, from_location_id, to_location_id, quantity,
                       occurred_at, recorded_at)
  SELECT CASE WHEN refill THEN 'transfer' ELSE 'issue' END, p.item_id, p.item_id,
         CASE WHEN refill THEN 1000 ELSE p.location_id END,
         CASE WHEN refill THEN p.location_id ELSE c.id END,
         1 + k % 4, now() - make_interval(days => (p.id * 13 + k * 37) % 365), now()
  FROM par_levels p
  CROSS JOIN (SELECT id FROM locations WHERE code = '@consumed') c
  CROSS JOIN LATERAL (
      SELECT k, (k % 5 = 0 AND p.location_id <> 1000) AS refill
      FROM generate_series(1, {per_par}) k
  ) g;
"""


async def fill(
    dsn: str, items: int, locations: int, per_satellite: int, per_par: int
) -> dict[str, int]:
    """The data set, in bulk (integers from the command line, formatted into the script)."""
    script = FILL.format(
        items=int(items),
        locations=int(locations),
        per_satellite=int(per_satellite),
        per_par=int(per_par),
    )
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(script)
        # As autovacuum leaves a settled database: otherwise it is still working through the
        # million rows just written while the list is timed, on the same 2 cores.
        await conn.execute("VACUUM ANALYZE")
        return {
            table: await conn.fetchval(f"SELECT count(*) FROM {table}")
            for table in ("items", "par_levels", "balances", "movements")
        }
    finally:
        await conn.close()


async def time_list(url: str, runs: int) -> dict[str, tuple[float, float, float, int]]:
    """Per list: median and worst of the whole call, the median of its SQL statement alone
    (db/reorders.reorder_sums, rows fetched), and its lines."""
    from inventory_svc.config import Settings
    from inventory_svc.db import reorders as reorders_db
    from inventory_svc.db.engine import create_engine, create_sessionmaker
    from inventory_svc.domain import reorder
    from inventory_svc.services import reorders

    settings = Settings(database_url=url, timezone="UTC")
    clock = settings.clock
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine, read_only=True)
    results = {}
    try:
        for label, location in (
            ("whole list", None),
            ("one satellite", "SAT-1"),
            ("storeroom", "STORE"),
        ):
            times, sql_times, lines = [], [], 0
            for _ in range(runs + 1):  # the first run warms caches and is not counted
                async with sessions() as session:
                    started = time.perf_counter()
                    found = await reorders.reorder_list(session, clock, location=location)
                    times.append((time.perf_counter() - started) * 1000)
                    lines = len(found)
                async with sessions() as session:
                    place = (
                        None
                        if location is None
                        else (await reorders.location_ids(session, [location]))[location]
                    )
                    now = clock.now()
                    today = clock.today(now)
                    started = time.perf_counter()
                    await reorders_db.reorder_sums(
                        session,
                        today=today,
                        window_start=reorder.usage_window_start(today, 30, clock.zone),
                        window_end=now,
                        location_id=place,
                    )
                    sql_times.append((time.perf_counter() - started) * 1000)
            counted = times[1:]
            results[label] = (
                statistics.median(counted),
                max(counted),
                statistics.median(sql_times[1:]),
                lines,
            )
    finally:
        await engine.dispose()
    return results


async def time_http(url: str, workdir: Path, runs: int) -> tuple[float, float, int]:
    """The whole list as a manager's browser or script gets it: `GET /reorder-list` (JSON)
    from `inventory-svc serve` with its defaults, background jobs included. Median and worst
    of `runs` after one warm-up, and the body's size."""
    import httpx

    out = await scan_bench.run_cli(
        url, workdir, "keys", "create", "--role", "manager", "--name", "reorder-bench"
    )
    headers = {"Authorization": f"Bearer {out.split()[-1]}"}
    async with (
        scan_bench.live_server(url, workdir, None) as server,
        httpx.AsyncClient(base_url=server.base, headers=headers, timeout=60) as client,
    ):
        times, size = [], 0
        for _ in range(runs + 1):
            started = time.perf_counter()
            answer = await client.get("/api/v1/reorder-list")
            times.append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
            size = len(answer.content)
    return statistics.median(times[1:]), max(times[1:]), size


async def run(args: argparse.Namespace) -> str:
    dsn, url = await scan_bench.create_database(args.pg_admin_dsn)
    workdir = Path("/tmp") / f"reorder_bench_{int(time.time())}"
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        await scan_bench.run_cli(url, workdir, "migrate")
        started = time.perf_counter()
        counts = await fill(
            dsn, args.items, args.locations, args.items_per_satellite, args.movements_per_par
        )
        filled = time.perf_counter() - started
        timings = await time_list(url, args.runs)
        over_http = await time_http(url, workdir, args.runs)
    finally:
        await scan_bench.drop_database(args.pg_admin_dsn, dsn)
    lines = [
        "# Reorder list timing (bench/reorder_bench.py)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, PostgreSQL, 2 cores. Data: "
        + ", ".join(f"{n:,} {table}" for table, n in counts.items())
        + f" ({args.locations} locations; filled in {filled:.0f} s). The service's reorder list, "
        f"{args.runs} runs after one warm-up:",
        "",
        "| list | lines | median | worst | of which the SQL statement (median) |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {label} | {n:,} | {median:.0f} ms | {worst:.0f} ms | {sql:.0f} ms |"
        for label, (median, worst, sql, n) in timings.items()
    ]
    median, worst, size = over_http
    lines += [
        "",
        f"The whole list over HTTP (`GET /reorder-list`, JSON, {size / 1e6:.1f} MB, from "
        f"`inventory-svc serve` with its defaults): median {median:.0f} ms, worst {worst:.0f} ms.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--locations", type=int, default=50)
    parser.add_argument("--items-per-satellite", type=int, default=2_000)
    parser.add_argument("--movements-per-par", type=int, default=8)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--pg-admin-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args()
    report = asyncio.run(run(args))
    args.results_dir.mkdir(exist_ok=True)
    (args.results_dir / "reorder-latest.md").write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
