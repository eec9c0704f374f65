"""After any sequence of scans, the ledger balances: every real balance equals the sum of its
movements, none is negative, and virtual locations (whose balance is derived) store none. No
sequence creates stock: a return is applied exactly when the lot's issues, net of returns,
cover it; a scan naming the outside world is refused; real stock never exceeds receipts."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from sqlalchemy import text

from inventory_svc.app import create_app
from inventory_svc.config import Settings
from inventory_svc.db.engine import create_engine, create_sessionmaker
from inventory_svc.domain.barcodes import gtin_from_ndc
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.roles import Role
from inventory_svc.services.actors import SYSTEM
from inventory_svc.services.keys import create_key
from inventory_svc.services.uow import Transactions
from tests.helpers import gs1

TODAY = datetime.now(UTC).date()
SHELVES = ("A1", "A2", "SAT")
LOTS = {
    "L1": TODAY + timedelta(days=200),
    "L2": TODAY + timedelta(days=20),
    "L3": TODAY + timedelta(days=700),
}

operation = st.tuples(
    st.sampled_from(["receive", "issue", "transfer", "waste", "return"]),
    st.sampled_from(SHELVES),
    st.sampled_from([*SHELVES, "@supplier", "@consumed", "@waste", "@adjustment"]),
    st.sampled_from([*LOTS, None]),
    st.integers(min_value=1, max_value=5),
)


_NET = """
    SELECT location_id, lot_id, SUM(q) AS net FROM (
        SELECT to_location_id AS location_id, lot_id, quantity AS q FROM movements
        UNION ALL
        SELECT from_location_id, lot_id, -quantity FROM movements
    ) legs GROUP BY location_id, lot_id
"""


async def _ledger_violations(settings_: Settings) -> list[str]:
    """Every real balance is its net movements (a location with movements has its row, a row
    has its movements); no real balance is negative; virtual locations store no balance and
    their derived one has the outside world's sign."""
    engine = create_engine(settings_)
    async with engine.connect() as conn:
        drift = (
            await conn.execute(
                text(
                    f"""
                    SELECT n.location_id, n.lot_id, n.net, b.quantity
                    FROM ({_NET}) n JOIN locations l ON l.id = n.location_id
                    LEFT JOIN balances b
                      ON b.location_id = n.location_id AND b.lot_id = n.lot_id
                    WHERE NOT l.is_virtual AND n.net <> COALESCE(b.quantity, 0)
                    UNION ALL
                    SELECT b.location_id, b.lot_id, NULL, b.quantity
                    FROM balances b LEFT JOIN ({_NET}) n
                      ON n.location_id = b.location_id AND n.lot_id = b.lot_id
                    WHERE b.quantity <> COALESCE(n.net, 0)
                    """
                )
            )
        ).all()
        negative = (await conn.execute(text("SELECT id FROM balances WHERE quantity < 0"))).all()
        stored_virtual = (
            await conn.execute(
                text(
                    "SELECT b.id FROM balances b JOIN locations l ON l.id = b.location_id"
                    " WHERE l.is_virtual"
                )
            )
        ).all()
        # The outside world: the supplier only gives, patients and waste only take (net).
        wrong_sign = (
            await conn.execute(
                text(
                    f"SELECT l.code, n.lot_id, n.net FROM ({_NET}) n"
                    " JOIN locations l ON l.id = n.location_id"
                    " WHERE (l.code = '@supplier' AND n.net > 0)"
                    " OR (l.code IN ('@consumed', '@waste') AND n.net < 0)"
                    " OR (l.code = '@adjustment' AND n.net <> 0)"
                )
            )
        ).all()
    await engine.dispose()
    return (
        [f"drift {r}" for r in drift]
        + [f"negative {r}" for r in negative]
        + [f"stored virtual balance {r}" for r in stored_virtual]
        + [f"outside world {r}" for r in wrong_sign]
    )


def test_ledger_invariants_hold_after_any_scan_sequence(settings: Settings) -> None:
    """Synchronous on purpose: Hypothesis drives the examples, the portal client the app."""
    with TestClient(app=create_app(settings), timeout=60) as client:
        admin = asyncio.run(_admin_header(settings))
        for shelf in SHELVES:
            response = client.post(
                "/api/v1/locations",
                json={"code": shelf, "name": shelf, "kind": "shelf"},
                headers=admin,
            )
            assert response.status_code == 201
        serial = iter(range(1, 10_000))

        @hypothesis_settings(
            max_examples=15, deadline=None, suppress_health_check=list(HealthCheck)
        )
        @given(st.lists(operation, min_size=1, max_size=25))
        def run(operations: list[tuple[str, str, str, str | None, int]]) -> None:
            # A fresh item per example keeps examples independent inside one database.
            n = next(serial)
            gtin = gtin_from_ndc(f"{10000 + n:05d}-{n % 1000:03d}-01")
            response = client.post(
                "/api/v1/items",
                json={"name": f"Drug {n}", "identifiers": [{"kind": "gtin", "value": gtin}]},
                headers=admin,
            )
            assert response.status_code == 201, response.text
            expected: dict[tuple[str, str], int] = defaultdict(int)
            issued: dict[str, int] = defaultdict(int)  # per lot, net of returns
            received: dict[str, int] = defaultdict(int)
            for action, here, there, lot, quantity in operations:
                code = gs1(gtin, lot=lot, expiry=LOTS[lot]) if lot else gtin
                body = {"code": code, "action": action, "location": here, "quantity": quantity}
                if action == "transfer":
                    body["to_location"] = there
                response = client.post(
                    "/api/v1/scans",
                    json=body,
                    headers={**admin, "Idempotency-Key": str(uuid.uuid4())},
                )
                named_lot = lot or ""
                if action == "transfer" and there.startswith("@"):
                    assert response.json()["code"] == "invalid_movement"
                    continue
                if action == "return":
                    # Exactly when the lot's net issues cover it; a lot never seen is 0.
                    assert (response.status_code == 201) == (issued[named_lot] >= quantity), (
                        response.text
                    )
                if response.status_code != 201:
                    assert response.json()["code"] in {
                        "insufficient_stock",
                        "invalid_movement",
                        "return_exceeds_issued",
                    }
                    continue
                for movement in response.json()["movements"]:
                    source, target = movement["from_location"], movement["to_location"]
                    moved, moved_lot = movement["quantity"], movement["lot"]
                    if not source.startswith("@"):
                        expected[(source, moved_lot)] -= moved
                    if not target.startswith("@"):
                        expected[(target, moved_lot)] += moved
                    issued[moved_lot] += moved if target == "@consumed" else 0
                    issued[moved_lot] -= moved if source == "@consumed" else 0
                    received[moved_lot] += moved if source == "@supplier" else 0
            for moved_lot, units in received.items():
                on_shelves = sum(v for (_, lot_), v in expected.items() if lot_ == moved_lot)
                assert on_shelves + issued[moved_lot] <= units
            assert all(units >= 0 for units in issued.values())
            stock = client.get("/api/v1/stock", params={"gtin": gtin}, headers=admin).json()
            assert {(r["location"], r["lot"]): r["quantity"] for r in stock} == {
                key: value for key, value in expected.items() if value
            }
            assert all(value >= 0 for value in expected.values())
            assert asyncio.run(_ledger_violations(settings)) == []

        run()


async def _admin_header(settings_: Settings) -> dict[str, str]:
    engine = create_engine(settings_)
    try:
        transactions = Transactions(create_sessionmaker(engine), SiteClock())
        _, plain = await transactions.run(SYSTEM, create_key, Role.ADMIN, "property test")
    finally:
        await engine.dispose()
    return {"Authorization": f"Bearer {plain}"}
