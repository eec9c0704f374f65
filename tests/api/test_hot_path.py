"""The lean hot path (db/moves.py): a moving scan is one read and one write on PostgreSQL,
exact under contention on one lot from many shelves, and the same ledger as the SQLite path
for any sequence of scans."""

from __future__ import annotations

import asyncio
import random
import shutil
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import event, text

from inventory_svc.app import create_app
from inventory_svc.config import Settings
from inventory_svc.db.engine import create_engine
from tests.conftest import Keys, _reset_pg
from tests.helpers import (
    EPINEPHRINE_CARTON_GTIN,
    EPINEPHRINE_GTIN,
    gs1,
    make_item,
    make_location,
    on_hand,
    scan,
)

TODAY = datetime.now(UTC).date()
NEXT_YEAR = TODAY + timedelta(days=365)
SHELVES = ("A1", "A2", "A3", "A4")


class StatementLog:
    """Every statement the app's PostgreSQL connections send, BEGIN and COMMIT included
    (asyncpg's query logger sees all of them, whatever sent them)."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self._watched: set[int] = set()

    def watch(self, dbapi_connection: Any, *_: Any) -> None:
        driver = dbapi_connection.driver_connection
        if id(driver) not in self._watched:
            self._watched.add(id(driver))
            driver.add_query_logger(lambda record: self.statements.append(record.query))


@pytest.mark.pg
async def test_a_moving_scan_is_one_read_and_one_write(
    pg_database_url: str, keys_for_pg: Keys
) -> None:
    settings = Settings(database_url=pg_database_url, log_level="WARNING", timezone="UTC")
    app = create_app(settings)
    log = StatementLog()
    async with AsyncTestClient(app=app, timeout=60) as client:
        event.listen(app.state.engine.sync_engine, "checkout", log.watch)
        admin = await keys_for_pg.header()
        await make_item(client, admin)
        for shelf in SHELVES[:2]:
            await make_location(client, admin, shelf, "shelf")
        code = gs1(EPINEPHRINE_GTIN, lot="HP1", expiry=NEXT_YEAR)
        assert (await scan(client, admin, code, "receive", "A1", quantity=50)).status_code == 201
        await client.get("/api/v1/items", headers=admin)  # the key is in the cache from here
        for action, extra, barcode in (
            ("receive", {}, code),  # a lot the ledger knows
            ("transfer", {"to_location": "A2"}, code),
            ("issue", {}, code),
            ("issue", {}, EPINEPHRINE_GTIN),  # no lot on the barcode: FEFO
            ("waste", {}, EPINEPHRINE_CARTON_GTIN),
        ):
            log.statements.clear()
            response = await scan(client, admin, barcode, action, "A1", **extra)
            assert response.status_code == 201, response.text
            sent = [s.split(None, 1)[0].upper() for s in log.statements]
            assert sent == ["WITH", "WITH"], (action, log.statements)


@pytest.fixture
async def keys_for_pg(pg_database_url: str) -> AsyncIterator[Keys]:
    await _reset_pg(pg_database_url)
    engine = create_engine(Settings(database_url=pg_database_url))
    yield Keys(engine)
    await engine.dispose()


async def test_sixty_issues_of_one_lot_from_many_shelves_apply_exactly_forty(
    live_client: httpx.AsyncClient, keys: Keys
) -> None:
    """40 units of one lot over four shelves, 60 issues at once spread over them: exactly 40
    apply, every shelf ends at zero, and replays of the applied ones change nothing."""
    admin = await keys.header()
    await make_item(live_client, admin)
    code = gs1(EPINEPHRINE_GTIN, lot="MANY", expiry=NEXT_YEAR)
    for shelf in SHELVES:
        await make_location(live_client, admin, shelf, "shelf")
        received = await scan(live_client, admin, code, "receive", shelf, quantity=10)
        assert received.status_code == 201, received.text
    scanner = await keys.header("scanner")
    sends = [(str(uuid.uuid4()), SHELVES[i % 4], i % 2 == 0) for i in range(60)]

    async def issue(key: str, shelf: str, named: bool) -> httpx.Response:
        barcode = code if named else EPINEPHRINE_GTIN  # the lot named, or picked FEFO
        response: httpx.Response = await scan(
            live_client, scanner, barcode, "issue", shelf, key=key
        )
        return response

    responses = await asyncio.gather(*(issue(*send) for send in sends))
    outcomes = Counter((r.status_code, r.json().get("code", "applied")) for r in responses)
    assert outcomes == {(201, "applied"): 40, (409, "insufficient_stock"): 20}
    for shelf in SHELVES:
        assert await on_hand(live_client, admin, shelf) == {}

    applied = [
        (send, r.json()) for send, r in zip(sends, responses, strict=True) if r.status_code == 201
    ]
    replays = await asyncio.gather(*(issue(*send) for send, _ in applied[:20]))
    for (_, first), replay in zip(applied, replays, strict=False):
        assert replay.status_code == 200
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json() == first
    movements = (
        await live_client.get(
            "/api/v1/movements", params={"lot": "MANY", "limit": 1000}, headers=admin
        )
    ).json()
    assert Counter(m["kind"] for m in movements) == {"receive": 4, "issue": 40}
    assert sum(m["quantity"] for m in movements if m["kind"] == "issue") == 40


# --- the differential test: the PostgreSQL statement and the SQLite path, same ledger ----

LOTS = {"D1": TODAY + timedelta(days=400), "D2": TODAY + timedelta(days=15), "D3": None}
ACTIONS = ("receive", "issue", "transfer", "waste", "return")


def _random_scans(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    scans = []
    for _ in range(count):
        action = rng.choice(ACTIONS)
        lot = rng.choice([*LOTS, None])
        gtin = rng.choice([EPINEPHRINE_GTIN, EPINEPHRINE_GTIN, EPINEPHRINE_CARTON_GTIN])
        code = gtin if lot is None else gs1(gtin, lot=lot, expiry=LOTS[lot])
        here, there = rng.sample(SHELVES, 2)
        body: dict[str, Any] = {
            "code": code,
            "action": action,
            "location": here,
            "quantity": rng.randint(1, 6),
        }
        if action == "transfer":
            body["to_location"] = there
        scans.append(body)
    return scans


async def _run_sequence(url: str, scans: list[dict[str, Any]]) -> dict[str, Any]:
    settings = Settings(database_url=url, log_level="WARNING", timezone="UTC")
    engine = create_engine(settings)
    keys = Keys(engine)
    answers = []
    async with AsyncTestClient(app=create_app(settings), timeout=60) as client:
        admin = await keys.header()
        await make_item(client, admin)
        for shelf in SHELVES:
            await make_location(client, admin, shelf, "shelf")
        for body in scans:
            response = await client.post(
                "/api/v1/scans", json=body, headers={**admin, "Idempotency-Key": str(uuid.uuid4())}
            )
            answer = response.json()
            if response.status_code == 201:
                for line in answer["movements"]:
                    del line["id"]
                del answer["id"]
            answers.append(
                (
                    response.status_code,
                    answer.get("code"),
                    answer.get("movements"),
                    answer.get("balances"),
                )
            )
    async with engine.connect() as conn:
        balances = sorted(
            tuple(str(value) for value in row)
            for row in await conn.execute(
                text(
                    "SELECT l.code, t.lot_number, t.expiry, b.quantity FROM balances b"
                    " JOIN locations l ON l.id = b.location_id JOIN lots t ON t.id = b.lot_id"
                )
            )
        )
        movements = [
            tuple(row)
            for row in await conn.execute(
                text(
                    "SELECT m.kind, f.code, d.code, t.lot_number, m.quantity FROM movements m"
                    " JOIN locations f ON f.id = m.from_location_id"
                    " JOIN locations d ON d.id = m.to_location_id"
                    " JOIN lots t ON t.id = m.lot_id ORDER BY m.id"
                )
            )
        ]
        events = (
            await conn.execute(text("SELECT count(*) FROM events WHERE type = 'stock.changed'"))
        ).scalar_one()
    await engine.dispose()
    return {"answers": answers, "balances": balances, "movements": movements, "events": events}


@pytest.mark.pg
@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_postgresql_and_sqlite_keep_the_same_ledger(
    seed: int, pg_database_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    scans = _random_scans(seed, 60)
    sqlite_file = tmp_path / "differential.db"
    shutil.copyfile(sqlite_template, sqlite_file)
    await _reset_pg(pg_database_url)
    on_sqlite = await _run_sequence(f"sqlite+aiosqlite:///{sqlite_file}", scans)
    on_postgresql = await _run_sequence(pg_database_url, scans)
    applied = sum(1 for status, *_ in on_sqlite["answers"] if status == 201)
    assert applied > 10, "the sequence should move stock, not only be refused"
    assert on_sqlite["events"] == applied
    for part in ("answers", "balances", "movements", "events"):
        assert on_postgresql[part] == on_sqlite[part], part
