"""How long the kit board (`GET /api/v1/kits`) takes for a hospital's kits (issue: 500 kits
in <= 200 ms on PostgreSQL).

    .venv/bin/python bench/kit_board_bench.py                  # 500 kits, 3 templates, 30 runs
    .venv/bin/python bench/kit_board_bench.py --kits 20 --runs 3   # a smoke run

A fresh PostgreSQL database, migrated by `inventory-svc migrate`, filled in bulk with SQL:
`--items` items with four lots each (one expired, one short-dated, two in date), three
templates of 20, 25 and 30 slots (every fifth slot takes two interchangeable items), `--kits`
kits spread over 20 wards in every state (70 % ready, 10 % open with units used, 8 %
restocking and half filled, 5 % unsealed and empty, 4 % quarantined, 3 % sealed short by
override), filled with one or two lots per slot (a short-dated lot in one kit in ten, an
expired one in one in fifty), their restock sessions, checks and openings, and the wards' own
stock. Every balance equals its movements: each lot is received from @supplier into the
restock shelf, restocked into the kits, and what an open kit used is issued to @consumed.

Then, in one run and `--runs` times each after one warm-up: raw asyncpg fetching the same
contents (the kits with their last check and open session, their lots, their templates'
slots: three statements, rows only), the service's board (services/kits.board, the route's
code) on its own session, and `GET /api/v1/kits` through the service's ASGI app (API-key
auth, routing, JSON). Median and p95 of each, and their ratio to raw asyncpg; then the
board's own steps timed one by one (its three statements through db/kits.py, the assessment
in Python); `--profile` adds a cProfile of the service's board. Writes
bench/results/kit-board-latest.md (`--results-dir`).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scan_bench

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_MS = 200.0

FILL = """
INSERT INTO items (id, name, base_unit)
  SELECT g, 'Kit drug ' || g, 'each' FROM generate_series(1, {items}) g;
INSERT INTO lots (id, item_id, lot_number, expiry, lot_key, recalled)
  SELECT i * 10 + j, i, 'K' || i || '-' || j, e, 'K' || i || '-' || j || '|' || e::text, false
  FROM generate_series(1, {items}) i, generate_series(0, 3) j,
       LATERAL (SELECT current_date + CASE j WHEN 0 THEN -5 WHEN 1 THEN 20
                                             WHEN 2 THEN 200 + i ELSE 400 + i END AS e) x;
INSERT INTO locations (id, code, name, kind, is_virtual)
  VALUES (1000, 'KIT-SRC', 'Kit restock shelf', 'shelf', false);
INSERT INTO locations (id, code, name, kind, is_virtual)
  SELECT 1000 + w, 'WARD-' || w, 'Ward ' || w, 'satellite', false FROM generate_series(1, 20) w;
INSERT INTO kit_templates (id, code, version, name, kind, check_interval_days)
  VALUES (1, 'ADULT', 1, 'Adult crash cart', 'crash_cart', 30),
         (2, 'PEDS', 1, 'Pediatric crash cart', 'crash_cart', 30),
         (3, 'TRAY', 1, 'General anesthesia tray', 'anesthesia_tray', 7);
INSERT INTO kit_template_slots (id, template_id, position, slot, quantity, min_days_to_expiry)
  SELECT t * 100 + s, t, s, 'Drawer ' || (1 + s / 8) || ': drug slot ' || s, 1 + s % 4,
         CASE WHEN s % 5 = 0 THEN 60 ELSE 30 END
  FROM generate_series(1, 3) t, generate_series(1, 15 + 5 * t) s;
INSERT INTO kit_template_slot_items (template_id, slot_id, item_id)
  SELECT t.template_id, t.id, ((t.template_id - 1) * 17 + t.position + o) % {items} + 1
  FROM kit_template_slots t, (VALUES (0), (40)) v(o)
  WHERE o = 0 OR t.position % 5 = 0
  ORDER BY t.id, o;
INSERT INTO locations (id, code, name, kind, parent_id, is_virtual)
  SELECT 2000 + g, 'KIT-' || lpad(g::text, 4, '0'), 'Kit ' || g,
         CASE WHEN g % 3 = 0 THEN 'anesthesia_tray' ELSE 'crash_cart' END, 1001 + g % 20, false
  FROM generate_series(1, {kits}) g;
INSERT INTO kits (location_id, template_id, status, seal_number, sealed_at, sealed_by,
                  opened_at, flag_reason)
  SELECT 2000 + g, CASE WHEN g % 3 = 0 THEN 3 ELSE g % 3 END, st,
         CASE WHEN st IN ('ready', 'quarantined') THEN 'S' || (100000 + g) END,
         CASE WHEN st IN ('ready', 'quarantined', 'open')
              THEN now() - make_interval(days => g % 25) END,
         CASE WHEN st IN ('ready', 'quarantined', 'open') THEN 'bench' END,
         CASE WHEN st = 'open' THEN now() - make_interval(hours => g % 48) END,
         CASE WHEN st = 'quarantined' THEN 'seal not the recorded one' END
  FROM generate_series(1, {kits}) g,
       LATERAL (SELECT CASE WHEN g % 100 < 70 THEN 'ready' WHEN g % 100 < 80 THEN 'open'
                            WHEN g % 100 < 88 THEN 'restocking' WHEN g % 100 < 93 THEN 'unsealed'
                            WHEN g % 100 < 97 THEN 'quarantined' ELSE 'ready' END AS st) s;
-- What each kit holds: per slot one lot, or two (an older lot for one unit); an open kit used
-- a unit of every third slot, a restocking kit has its first half filled, a short-sealed kit
-- misses its last slot.
CREATE TEMP TABLE fill AS
  SELECT k.location_id AS kit_id, si.item_id, si.item_id * 10 + part.j AS lot_id,
         part.q AS restocked,
         CASE WHEN k.status = 'open' AND ts.position % 3 = 0 AND part.first THEN 1 ELSE 0 END
           AS used
  FROM kits k
  JOIN kit_template_slots ts ON ts.template_id = k.template_id
  JOIN LATERAL (
      SELECT item_id FROM kit_template_slot_items i
      WHERE i.slot_id = ts.id
      ORDER BY (i.id % 2 = k.location_id % 2) DESC, i.id LIMIT 1
  ) si ON true
  CROSS JOIN LATERAL (
      SELECT * FROM (VALUES
        (CASE WHEN k.location_id % 50 = 0 AND ts.position = 2 THEN 0
              WHEN k.location_id % 10 = 0 AND ts.position = 3 THEN 1 ELSE 3 END,
         CASE WHEN ts.quantity >= 2 AND (k.location_id + ts.position) % 3 = 0
              THEN ts.quantity - 1 ELSE ts.quantity END, true),
        (2, CASE WHEN ts.quantity >= 2 AND (k.location_id + ts.position) % 3 = 0
                 THEN 1 ELSE 0 END, false)
      ) p(j, q, first)
      WHERE q > 0
  ) part
  WHERE k.status <> 'unsealed'
    AND NOT (k.status = 'restocking' AND ts.position > 10)
    AND NOT (k.location_id % 100 >= 97 AND ts.position = 1);
INSERT INTO restock_sessions (kit_location_id, source_location_id, template_id, status,
                              opened_by, opened_at, completed_by, completed_at, seal_number,
                              override_reason, override_by)
  SELECT location_id, 1000, template_id, CASE WHEN status = 'restocking' THEN 'open'
                                              ELSE 'completed' END,
         'bench', coalesce(sealed_at, now()) - interval '20 minutes',
         CASE WHEN status <> 'restocking' THEN 'bench' END, sealed_at, seal_number,
         CASE WHEN location_id % 100 >= 97 THEN 'backorder' END,
         CASE WHEN location_id % 100 >= 97 THEN 'bench' END
  FROM kits WHERE status <> 'unsealed';
INSERT INTO kit_checks (kit_location_id, seal_number, intact, seal_matches, checked_by,
                        checked_at)
  SELECT location_id, seal_number, true, status <> 'quarantined', 'bench',
         sealed_at + interval '1 day' * (1 + location_id % 5)
  FROM kits WHERE status IN ('ready', 'quarantined');
INSERT INTO kit_openings (kit_location_id, reason, seal_number, reference, opened_by,
                          opened_at)
  SELECT location_id, 'code blue', 'S' || (100000 + location_id - 2000),
         'CB-' || location_id, 'bench', opened_at
  FROM kits WHERE status = 'open';
INSERT INTO balances (item_id, location_id, lot_id, quantity)
  SELECT item_id, kit_id, lot_id, restocked - used FROM fill;
INSERT INTO movements (kind, item_id, lot_id, from_location_id, to_location_id, quantity,
                       reference, occurred_at)
  SELECT 'restock', f.item_id, f.lot_id, 1000, f.kit_id, f.restocked,
         'restock-session:' || r.id, now() - interval '30 days'
  FROM fill f JOIN restock_sessions r ON r.kit_location_id = f.kit_id;
INSERT INTO movements (kind, item_id, lot_id, from_location_id, to_location_id, quantity,
                       reference, occurred_at)
  SELECT 'issue', f.item_id, f.lot_id, f.kit_id, c.id, f.used, 'CB-' || f.kit_id,
         now() - interval '1 day'
  FROM fill f CROSS JOIN (SELECT id FROM locations WHERE code = '@consumed') c
  WHERE f.used > 0;
-- The restock shelf and the wards: every lot received, 50 units of each left on the shelf,
-- 12 of each in every ward.
INSERT INTO movements (kind, item_id, lot_id, from_location_id, to_location_id, quantity,
                       occurred_at)
  SELECT 'receive', l.item_id, l.id, s.id, 1000,
         50 + coalesce((SELECT sum(restocked) FROM fill f WHERE f.lot_id = l.id), 0),
         now() - interval '60 days'
  FROM lots l CROSS JOIN (SELECT id FROM locations WHERE code = '@supplier') s;
INSERT INTO balances (item_id, location_id, lot_id, quantity)
  SELECT item_id, 1000, id, 50 FROM lots;
INSERT INTO movements (kind, item_id, lot_id, from_location_id, to_location_id, quantity,
                       occurred_at)
  SELECT 'receive', l.item_id, l.id, s.id, 1000 + w, 12, now() - interval '50 days'
  FROM lots l, generate_series(1, 20) w, (SELECT id FROM locations WHERE code = '@supplier') s;
INSERT INTO balances (item_id, location_id, lot_id, quantity)
  SELECT item_id, 1000 + w, id, 12 FROM lots, generate_series(1, 20) w;
"""

# Raw asyncpg: the same contents the board reads, as rows (no assessment, no JSON).
RAW_KITS = """
SELECT l.id, l.code, l.name, l.kind, p.code AS home, t.id AS template_id, t.code AS template,
       t.version, t.name AS template_name, t.check_interval_days, k.status, k.seal_number,
       k.sealed_at, k.sealed_by, k.opened_at, k.flag_reason,
       (SELECT max(c.checked_at) FROM kit_checks c WHERE c.kit_location_id = k.location_id),
       (SELECT r.id FROM restock_sessions r
        WHERE r.kit_location_id = k.location_id AND r.status = 'open')
FROM locations l
JOIN kits k ON k.location_id = l.id
JOIN kit_templates t ON t.id = k.template_id
LEFT JOIN locations p ON p.id = l.parent_id
ORDER BY l.code
"""
RAW_CONTENTS = """
SELECT b.location_id, b.item_id, i.name, lo.id, lo.lot_number, lo.expiry, lo.recalled, b.quantity
FROM balances b JOIN lots lo ON lo.id = b.lot_id JOIN items i ON i.id = b.item_id
WHERE b.location_id = ANY($1::int[]) AND b.quantity > 0
ORDER BY b.location_id, lo.expiry, lo.id
"""
RAW_SLOTS = """
SELECT s.template_id, s.position, s.slot, s.quantity, s.min_days_to_expiry, si.item_id, i.name
FROM kit_template_slots s
JOIN kit_template_slot_items si ON si.slot_id = s.id
JOIN items i ON i.id = si.item_id
WHERE s.template_id = ANY($1::int[])
ORDER BY s.template_id, s.position, si.id
"""


async def fill(dsn: str, kits: int, items: int) -> dict[str, int]:
    """The data set, in bulk (integers from the command line, formatted into the script)."""
    if items < 80:
        raise SystemExit("--items must be at least 80 (the templates' slots take that many)")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(FILL.format(kits=int(kits), items=int(items)))
        await conn.execute("ANALYZE")
        counts = {
            table: int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
            for table in ("kits", "kit_template_slots", "balances", "movements")
        }
        counts["kit lots"] = int(
            await conn.fetchval(
                "SELECT count(*) FROM balances b JOIN kits k ON k.location_id = b.location_id"
                " WHERE b.quantity > 0"
            )
        )
        return counts
    finally:
        await conn.close()


async def ledger_problems(dsn: str) -> list[str]:
    """Balances that are not their net movements (the bulk fill must keep the ledger)."""
    conn = await asyncpg.connect(dsn)
    try:
        return await scan_bench.ledger_problems(conn)
    finally:
        await conn.close()


async def timed(runs: int, call: Callable[[], Awaitable[int]]) -> tuple[list[float], int]:
    """`runs` timings in ms after one warm-up (not counted), and the rows of the last."""
    rows = await call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        rows = await call()
        times.append((time.perf_counter() - started) * 1000)
    return times, rows


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return statistics.median(ordered), p95


async def _profile(call: Callable[[], Awaitable[int]], runs: int) -> str:
    """Where the service's board spends its time: cProfile over `runs` calls, the functions
    with the most time of their own, then the most cumulative time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        await call()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    return out.getvalue()


async def breakdown(sessions: Any, runs: int) -> dict[str, float]:
    """The board's own steps, timed one by one (median ms): its three statements through
    db/kits.py (each with its rows turned into the typed rows) and the assessment of every
    kit in Python (domain/kits.summarize, the board's counts-only accounting)."""
    from datetime import date

    from inventory_svc.db import kits as db
    from inventory_svc.domain.kits import is_ready, summarize

    steps: dict[str, list[float]] = {}

    def lap(name: str, started: float) -> float:
        now = time.perf_counter()
        steps.setdefault(name, []).append((now - started) * 1000)
        return now

    today = date.today()
    for n in range(runs + 1):
        async with sessions() as session:
            started = time.perf_counter()
            found = await db.kits(session)
            started = lap("db.kits(): kits, last check, open session (columns)", started)
            contents = await db.contents(session, None)
            started = lap("db.contents(): every kit's lots, as KitLot", started)
            slots = await db.slots_of(session, {kit.template_id for kit in found})
            started = lap("db.slots_of(): the templates' slots", started)
            rules: dict[int, Any] = {}
            for kit in found:
                if kit.template_id not in rules:
                    head = db.TemplateHead(
                        kit.template_id,
                        kit.template_code,
                        kit.template_version,
                        kit.template_name,
                        kit.kind,
                        kit.check_interval_days,
                        datetime.min,
                    )
                    rules[kit.template_id] = db.rules_of(head, slots.get(kit.template_id, []))
                summary = summarize(
                    rules[kit.template_id], contents.get(kit.location_id, ()), today
                )
                is_ready(kit.status, summary)
            lap("domain summarize() of every kit (Python)", started)
        if n == 0:
            steps.clear()  # the warm-up
    return {name: statistics.median(times) for name, times in steps.items()}


async def measure(
    dsn: str,
    url: str,
    token: str,
    runs: int,
    workdir: Path,
    profile: bool = False,
    results_profile: list[str] | None = None,
    stages: dict[str, float] | None = None,
) -> dict[str, tuple[list[float], int]]:
    from datetime import date

    from inventory_svc.config import Settings
    from inventory_svc.db.engine import create_engine, create_sessionmaker
    from inventory_svc.services import kits

    results: dict[str, tuple[list[float], int]] = {}
    conn = await asyncpg.connect(dsn)
    try:

        async def raw() -> int:
            async with conn.transaction(readonly=True):
                found = await conn.fetch(RAW_KITS)
                await conn.fetch(RAW_CONTENTS, [row["id"] for row in found])
                await conn.fetch(RAW_SLOTS, list({row["template_id"] for row in found}))
            return len(found)

        results["raw asyncpg (3 statements, rows only)"] = await timed(runs, raw)
    finally:
        await conn.close()

    settings = Settings(database_url=url, timezone="UTC")
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine, read_only=True)
    try:

        async def service() -> int:
            async with sessions() as session:
                return len(await kits.board(session, date.today()))

        results["service: kits.board()"] = await timed(runs, service)
        if stages is not None:
            stages.update(await breakdown(sessions, runs))
        if profile and results_profile is not None:
            results_profile.append(await _profile(service, runs))
    finally:
        await engine.dispose()

    with (workdir / "app.log").open("w") as log:
        async with scan_bench.InProcessApp(url, log) as app:
            app.authorise(token)

            async def http() -> int:
                status, body = await app.request("GET", "/api/v1/kits")
                if status != 200:
                    raise RuntimeError(f"GET /api/v1/kits answered {status}: {body}")
                return len(body)

            results["GET /api/v1/kits (ASGI app)"] = await timed(runs, http)
    return results


async def run(args: argparse.Namespace) -> tuple[str, bool]:
    dsn, url = await scan_bench.create_database(args.pg_admin_dsn)
    workdir = Path("/tmp") / f"kit_board_bench_{int(time.time())}"
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        await scan_bench.run_cli(url, workdir, "migrate")
        token = (
            await scan_bench.run_cli(
                url, workdir, "keys", "create", "--role", "scanner", "--name", "kit-bench"
            )
        ).split()[-1]
        started = time.perf_counter()
        counts = await fill(dsn, args.kits, args.items)
        filled = time.perf_counter() - started
        problems = await ledger_problems(dsn)
        profiles: list[str] = []
        stages: dict[str, float] = {}
        results = await measure(dsn, url, token, args.runs, workdir, args.profile, profiles, stages)
        for text in profiles:
            (workdir / "board-profile.txt").write_text(text)
            print(f"profile of the service's board: {workdir / 'board-profile.txt'}")
    finally:
        await scan_bench.drop_database(args.pg_admin_dsn, dsn)
    raw_median = statistics.median(next(iter(results.values()))[0])
    lines = [
        "# Kit board timing (bench/kit_board_bench.py)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, PostgreSQL, 2 cores. Data: "
        + ", ".join(f"{n:,} {table}" for table, n in counts.items())
        + f" (filled in {filled:.1f} s; ledger "
        + ("consistent" if not problems else f"INCONSISTENT: {problems[:3]}")
        + f"). {args.runs} runs each after one warm-up; target {TARGET_MS:.0f} ms:",
        "",
        "| what | kits | median | p95 | vs raw |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, (times, rows) in results.items():
        median, p95 = summary(times)
        lines.append(
            f"| {label} | {rows:,} | {median:.1f} ms | {p95:.1f} ms | {median / raw_median:.1f}x |"
        )
    lines += [
        "",
        "Where the service's time goes (the same steps as services/kits.board, timed one by one):",
        "",
        "| step | median |",
        "| --- | --- |",
        *(f"| {name} | {ms:.1f} ms |" for name, ms in stages.items()),
    ]
    http_median = statistics.median(list(results.values())[-1][0])
    lines += [
        "",
        f"Board over the app: {http_median:.0f} ms median "
        + ("(within" if http_median <= TARGET_MS else "(OVER")
        + f" the {TARGET_MS:.0f} ms target).",
    ]
    return "\n".join(lines) + "\n", not problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kits", type=int, default=500)
    parser.add_argument("--items", type=int, default=80)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the service's board (into /tmp)"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    parser.add_argument("--pg-admin-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    report, consistent = asyncio.run(run(args))
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "kit-board-latest.md").write_text(report)
    print(report)
    return 0 if consistent else 1


if __name__ == "__main__":
    raise SystemExit(main())
