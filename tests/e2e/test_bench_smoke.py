"""`bench/scan_bench.py --quick` runs the whole scan ladder on PostgreSQL: it captures the
statements the service sends, replays them with raw asyncpg, drives the service in-process
and over HTTP, and reports ratios. Timings are never asserted: only that every step ran,
that the capture found statements, and that the replay left the ledger the service would
have left."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import PG_ADMIN_URL, REQUIRE_PG

pytestmark = [pytest.mark.e2e, pytest.mark.pg]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "scan_bench.py"
STEPS = ("1", "2", "3", "4a", "4b", "5", "2i", "3i", "2c", "3c")


def _admin_dsn() -> str:
    if PG_ADMIN_URL is None:
        if REQUIRE_PG:
            pytest.fail("PostgreSQL is required (INVENTORY_TEST_REQUIRE_PG=1) but not reachable")
        pytest.skip("no PostgreSQL reachable (set INVENTORY_TEST_PG_URL)")
    return PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://", 1)


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scan_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("scan_bench", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _run_bench(script: Path, results_dir: Path, *args: str, timeout: int) -> str:
    """Runs a bench script against the test PostgreSQL, writing its results to
    `results_dir` (never over the committed ones); fails with the end of its output, else
    answers what it printed."""
    run = subprocess.run(
        [
            sys.executable,
            str(script),
            *args,
            "--pg-admin-dsn",
            _admin_dsn(),
            "--results-dir",
            str(results_dir),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout


@pytest.mark.timeout(600)
def test_the_quick_bench_captures_replays_and_reports_ratios(tmp_path: Path) -> None:
    printed = _run_bench(BENCH, tmp_path, "--quick", timeout=540)

    [results_file] = tmp_path.glob("scan-*.json")
    results = json.loads(results_file.read_text())
    assert (tmp_path / "scan-latest.md").read_text().count("|") > 20

    # The capture found what the service sends for a scan, with at least one write.
    transfer = results["capture"]["transfer"]
    assert transfer["statements"], "no statement captured from the service"
    assert transfer["round_trips"] >= 1
    assert transfer["rows_per_scan"]["scans"] == 1
    assert transfer["rows_per_scan"]["movements"] >= 1

    # Each replay of it wrote what the service's scan wrote: same rows per scan, same rows
    # returned by every statement, and the ledger still adds up.
    checks = results["checks"]
    for kind in ("transfer", "issue", "contention"):
        replay = checks[f"replay_{kind}"]
        assert replay["replays"] > 0
        assert replay["diverged"] == 0
        per_scan = results["capture"][kind]["rows_per_scan"]
        for table, added in replay["rows_added"].items():
            assert added == per_scan[table] * replay["replays"], (kind, table)
        assert replay["shape_ok"]
    assert checks["ledger_ok"], checks["ledger_problems"]
    assert checks["contention_balances_exact"]

    # Every step of the ladder ran and is printed with its ratio to step 1.
    steps = {phase["step"]: phase for phase in results["phases"]}
    assert set(STEPS) <= set(steps)
    assert all(steps[step]["scans"] > 0 for step in STEPS)
    for step in STEPS:
        line = re.search(rf"^{re.escape(step)}\s+.*?\s(\d+\.\d\d)x\s", printed, re.MULTILINE)
        assert line, f"no ratio printed for step {step}:\n{printed}"
    assert "round trips" in printed


def test_a_captured_sqlalchemy_transaction_replays_with_ids_of_its_own() -> None:
    """The capture and the replay, on a transaction of the shape the service used to send
    (SQLAlchemy: BEGIN, prepared statements, COMMIT; an id returned by one statement and
    used by the next, also inside JSON): whatever the scan path sends today."""
    asyncio.run(_capture_and_replay(_bench_module(), _admin_dsn()))


async def _capture_and_replay(bench: ModuleType, admin_dsn: str) -> None:
    dsn, url = await bench.create_database(admin_dsn)
    try:
        conn = await asyncpg.connect(dsn)
        await conn.execute(
            "CREATE TABLE parent (id bigserial PRIMARY KEY, key text UNIQUE NOT NULL,"
            " at timestamptz NOT NULL);"
            "CREATE TABLE child (id bigserial PRIMARY KEY,"
            " parent_id bigint NOT NULL REFERENCES parent, note text NOT NULL)"
        )
        await bench.spread_sequences(dsn)
        recorder = bench.Recorder()
        recorder.install_logger()
        engine = create_async_engine(url)
        key = "capture-key"
        try:
            async with engine.connect():  # the dialect's first-connect queries, not captured
                pass
            recorder.patch()
            async with recorder.window(0.0), engine.begin() as sa:
                parent = await sa.scalar(
                    text("INSERT INTO parent (key, at) VALUES (:key, :at) RETURNING id"),
                    {"key": key, "at": datetime.now(UTC)},
                )
                note = json.dumps({"parent": parent, "key": key})
                await sa.execute(
                    text("INSERT INTO child (parent_id, note) VALUES (:parent, :note)"),
                    {"parent": parent, "note": note},
                )
        finally:
            recorder.unpatch()
            recorder.remove_logger()
            await engine.dispose()

        template = bench.Template(recorder.calls, key)
        calls = [(c.via, c.method, c.sql.split()[0], c.logged) for c in template.calls]
        # BEGIN/COMMIT come through the query logger; the prepared statements SQLAlchemy
        # executes do not, and are captured by the wrappers.
        assert calls[0] == ("connection", "execute", "BEGIN;", True)
        assert calls[-1] == ("connection", "execute", "COMMIT;", True)
        executed = [c for c in calls if c[1] != "prepare"]
        assert [c[2] for c in executed] == ["BEGIN;", "INSERT", "INSERT", "COMMIT;"]
        assert [c[3] for c in executed] == [True, False, False, True]
        assert template.round_trips == 4

        for n in range(3):
            assert await bench.replay_once(conn, template, f"replay-{n}")
        rows = await conn.fetch(
            "SELECT p.id, p.key, c.parent_id, c.note FROM parent p"
            " JOIN child c ON c.parent_id = p.id ORDER BY p.id"
        )
        assert [r["key"] for r in rows] == ["capture-key", "replay-0", "replay-1", "replay-2"]
        assert len({r["id"] for r in rows}) == 4
        for row in rows:  # each replay used the id its own INSERT returned, in JSON too
            assert json.loads(row["note"]) == {"parent": row["id"], "key": row["key"]}
        await conn.close()
    finally:
        await bench.drop_database(admin_dsn, dsn)


KIT_BENCH = BENCH.parent / "kit_board_bench.py"


@pytest.mark.timeout(300)
def test_the_kit_board_bench_fills_a_consistent_ledger_and_times_every_layer(
    tmp_path: Path,
) -> None:
    """`bench/kit_board_bench.py` at a tiny size: the bulk fill keeps every balance equal to
    its movements, and raw asyncpg, the service and the app all list every kit, each with
    its ratio to raw asyncpg and the service's steps timed one by one."""
    _run_bench(KIT_BENCH, tmp_path, "--kits", "24", "--runs", "2", timeout=240)
    report = (tmp_path / "kit-board-latest.md").read_text()
    assert "24 kits" in report and "ledger consistent" in report
    rows = re.findall(r"^\| (.+?) \| 24 \| [\d.]+ ms \| [\d.]+ ms \| ([\d.]+)x \|$", report, re.M)
    assert [label for label, _ in rows] == [
        "raw asyncpg (3 statements, rows only)",
        "service: kits.board()",
        "GET /api/v1/kits (ASGI app)",
    ]
    assert rows[0][1] == "1.0"
    assert len(re.findall(r"^\| (db\.|domain ).+ \| [\d.]+ ms \|$", report, re.M)) == 4


RECALL_BENCH = BENCH.parent / "recall_bench.py"


@pytest.mark.timeout(300)
def test_the_recall_bench_lists_quarantines_and_keeps_the_ledger(tmp_path: Path) -> None:
    """`bench/recall_bench.py` at a tiny size: every create and read lists every balance of
    the lot (kits included), every quarantine moves all but the kits' (checked by the bench,
    which exits non-zero otherwise), the ledger adds up before and after, and each layer is
    reported with its ratio to raw asyncpg, then the service's statements one by one."""
    _run_bench(
        RECALL_BENCH,
        tmp_path,
        "--balances",
        "60",
        "--kits",
        "6",
        "--noise-items",
        "40",
        "--noise-per-item",
        "3",
        "--rounds",
        "2",
        "--runs",
        "2",
        timeout=240,
    )
    report = (tmp_path / "recall-latest.md").read_text()
    assert "60 balances of the recalled lot" in report
    assert "ledger consistent before and after every quarantine" in report
    rows = re.findall(
        r"^\| (.+?) \| ([\d,]+) \| (\d+) \| [\d.]+ ms \| [\d.]+ ms \| [\d.]+ ms \| ([\d.]+)x \|$",
        report,
        re.M,
    )
    assert [(label, int(n), int(count)) for label, n, count, _ in rows] == [
        ("raw asyncpg: the holdings statement (rows only)", 60, 6),
        ("raw asyncpg: the quarantine, 2 set-based statements (rolled back)", 54, 3),
        ("POST /api/v1/recalls (ASGI app)", 60, 2),
        ("GET /api/v1/recalls/{id} (ASGI app)", 60, 2),
        ("POST /api/v1/recalls/{id}/quarantine (ASGI app)", 54, 1),
        ("service: recalls.create_recall()", 60, 2),
        ("service: recalls.get_recall()", 60, 2),
        ("service: recalls.quarantine()", 54, 1),
    ]
    assert rows[0][3] == "1.0" and rows[1][3] == "1.0"
    assert "Where one service quarantine() spends" in report
    assert re.search(r"^\| `INSERT INTO movements .+` \| \d+ \| [\d.]+ ms \|$", report, re.M)


REORDER_BENCH = BENCH.parent / "reorder_bench.py"


@pytest.mark.timeout(300)
def test_the_reorder_bench_times_every_list_and_the_http_route(tmp_path: Path) -> None:
    """bench/reorder_bench.py on a small hospital: it fills, lists and reports (not timed)."""
    _run_bench(
        REORDER_BENCH,
        tmp_path,
        "--items",
        "300",
        "--locations",
        "4",
        "--items-per-satellite",
        "60",
        "--movements-per-par",
        "2",
        "--runs",
        "2",
        timeout=280,
    )
    report = (tmp_path / "reorder-latest.md").read_text()
    rows = {
        cells[0]: int(cells[1].replace(",", ""))
        for line in report.splitlines()
        if line.startswith("| ") and not line.startswith("| list") and "---" not in line
        for cells in [[cell.strip() for cell in line.strip("|").split("|")]]
    }
    assert set(rows) == {"whole list", "one satellite", "storeroom"}
    # The whole list holds the storeroom's lines and each satellite's.
    assert rows["whole list"] > rows["storeroom"] > 0 and rows["one satellite"] > 0
    assert "over HTTP (`GET /reorder-list`" in report
