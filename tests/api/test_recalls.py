"""Recalls on both databases: every unit found down to the kit slot, every action refused,
quarantine keeping the ledger balanced, and expiring stock with kits included."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.config import Settings
from inventory_svc.db.engine import create_sessionmaker
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.roles import Role
from inventory_svc.services import expiry_sweep
from tests.api.test_ledger_properties import _ledger_violations
from tests.conftest import Keys
from tests.helpers import (
    EPINEPHRINE_GTIN,
    EPINEPHRINE_NDC,
    assert_problem,
    gs1,
    make_item,
    make_location,
    on_hand,
    scan,
)

TODAY = datetime.now(UTC).date()
Client = AsyncTestClient[Any]


@dataclass(frozen=True)
class LaterClock(SiteClock):
    """The site's clock `days` from now: the sweep on a later day."""

    days: int = 0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(days=self.days)


def epi(lot: str, days: int) -> str:
    return gs1(EPINEPHRINE_GTIN, lot=lot, expiry=TODAY + timedelta(days=days))


async def _spread(client: Client, admin: dict[str, str]) -> int:
    """Lot BAD received with two expiries into a storeroom bin and a satellite, two sealed
    crash carts holding it, a good lot GOOD beside it; a little of BAD issued to a patient."""
    item = await make_item(client, admin)
    await make_location(client, admin, "MAIN", "storeroom")
    await make_location(client, admin, "MAIN-B1", "bin", parent="MAIN")
    await make_location(client, admin, "SAT", "satellite")
    await make_location(client, admin, "QUAR", "quarantine", parent="MAIN")
    await make_location(client, admin, "ICU", "satellite")
    for code, where, quantity in (
        (epi("BAD", 300), "MAIN-B1", 20),
        (epi("BAD", 400), "SAT", 5),
        (epi("GOOD", 500), "MAIN-B1", 10),
    ):
        assert (
            await scan(client, admin, code, "receive", where, quantity=quantity)
        ).status_code == 201
    assert (await scan(client, admin, epi("BAD", 400), "issue", "SAT")).status_code == 201
    template = await client.post(
        "/api/v1/kit-templates",
        json={
            "code": "CART",
            "name": "Crash cart",
            "kind": "crash_cart",
            "lines": [{"slot": "Drawer 1: Epinephrine", "items": [item["id"]], "quantity": 2}],
        },
        headers=admin,
    )
    assert template.status_code == 201, template.text
    for kit in ("CART-1", "CART-2"):
        created = await client.post(
            "/api/v1/kits",
            json={"code": kit, "template": "CART", "home_location": "ICU"},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        filled = await scan(
            client, admin, epi("BAD", 300), "restock", "MAIN-B1", to_location=kit, quantity=2
        )
        assert filled.status_code == 201, filled.text
        assert (await scan(client, admin, f"SEAL-{kit}", "seal", kit)).status_code == 201
    return int(item["id"])


async def test_a_recall_finds_every_unit_refuses_every_move_and_quarantines_it(
    client: Client, keys: Keys, settings: Settings
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _spread(client, admin)
    manager = await keys.header(Role.MANAGER)

    created = await client.post(
        "/api/v1/recalls",
        json={
            "ndc": EPINEPHRINE_NDC,
            "lots": ["BAD"],
            "reason": "particulate matter",
            "source": "FDA Z-1234",
        },
        headers=manager,
    )
    assert created.status_code == 201, created.text
    recall = created.json()
    got = {
        (a["location"], a["kit"], a["slot"], a["expiry"], a["quantity"]) for a in recall["affected"]
    }
    day = lambda days: (TODAY + timedelta(days=days)).isoformat()  # noqa: E731
    assert got == {
        ("CART-1", "CART-1", "Drawer 1: Epinephrine", day(300), 2),
        ("CART-2", "CART-2", "Drawer 1: Epinephrine", day(300), 2),
        ("MAIN-B1", None, None, day(300), 16),
        ("SAT", None, None, day(400), 4),
    }
    assert recall["outstanding"] == 24
    # the kits are no longer ready: their lot is recalled
    kit = (await client.get("/api/v1/kits/CART-1", headers=admin)).json()
    assert kit["ready"] is False and kit["slots"][0]["expired"] == 2

    # every move of it is refused, stock unchanged; moving it into quarantine is allowed
    scanner = await keys.header(Role.SCANNER)
    for response in (
        await scan(client, scanner, epi("BAD", 400), "issue", "SAT"),
        await scan(client, admin, epi("BAD", 300), "transfer", "MAIN-B1", to_location="SAT"),
        await scan(client, admin, epi("BAD", 300), "restock", "MAIN-B1", to_location="CART-1"),
        await scan(client, admin, epi("BAD", 300), "receive", "MAIN-B1"),
        await scan(client, admin, epi("BAD", 999), "receive", "MAIN-B1"),  # a new expiry
        await scan(client, admin, epi("BAD", 400), "return", "SAT"),
    ):
        assert_problem(response, 422, "recalled_lot")
    assert (await scan(client, admin, epi("BAD", 400), "return", "QUAR")).status_code == 201
    statuses = {
        (row["location"], row["lot"]): row["status"]
        for row in (await client.get("/api/v1/stock", headers=admin)).json()
    }
    assert statuses[("SAT", "BAD")] == "recalled" and statuses[("MAIN-B1", "GOOD")] == "ok"

    quarantined = await client.post(f"/api/v1/recalls/{recall['id']}/quarantine", headers=manager)
    assert quarantined.status_code == 200, quarantined.text
    body = quarantined.json()
    assert body["quarantine_location"] == "QUAR" and body["moved"] == 20
    assert body["kits_flagged"] == ["CART-1", "CART-2"]
    assert {(p["kit"], p["quantity"]) for p in body["pull_list"]} == {("CART-1", 2), ("CART-2", 2)}
    assert await on_hand(client, admin, "MAIN-B1") == {"GOOD": 10}
    quar = (await client.get("/api/v1/stock", params={"location": "QUAR"}, headers=admin)).json()
    assert sorted((r["expiry"], r["quantity"]) for r in quar) == [(day(300), 16), (day(400), 5)]
    board = (
        await client.get("/api/v1/kits", params={"status": "quarantined"}, headers=admin)
    ).json()
    assert [row["code"] for row in board] == ["CART-1", "CART-2"]
    for kit_code in ("CART-1", "CART-2"):
        pulled = await scan(
            client, scanner, epi("BAD", 300), "remove", kit_code, to_location="QUAR", quantity=2
        )
        assert pulled.status_code == 201, pulled.text
    live = (await client.get(f"/api/v1/recalls/{recall['id']}", headers=admin)).json()
    assert live["outstanding"] == 0 and live["quarantined_at"]
    assert all(a["quarantined"] for a in live["affected"])
    types = [
        e["type"]
        for e in (
            await client.get("/api/v1/events", params={"type": "recall.*"}, headers=admin)
        ).json()
    ]
    assert types == ["recall.created", "recall.quarantined"]
    assert await _ledger_violations(settings) == []


async def test_recalling_every_lot_and_the_request_rules(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    item = await _spread(client, admin)
    every = await client.post(
        "/api/v1/recalls", json={"item": item, "lots": ["*"], "reason": "withdrawn"}, headers=admin
    )
    assert every.status_code == 201, every.text
    assert {a["lot"] for a in every.json()["affected"]} == {"BAD", "GOOD"}
    # later receipts of any lot are refused too
    assert_problem(
        await scan(client, admin, epi("NEW", 600), "receive", "MAIN-B1"), 422, "recalled_lot"
    )
    for body, status, code in (
        ({"lots": ["X"], "reason": "r"}, 400, "validation_error"),  # no item
        (
            {"item": item, "gtin": EPINEPHRINE_GTIN, "lots": ["X"], "reason": "r"},
            400,
            "validation_error",
        ),
        ({"item": item, "lots": ["*", "X"], "reason": "r"}, 400, "validation_error"),
        ({"item": item, "lots": [], "reason": "r"}, 400, "validation_error"),
        ({"item": 999999, "lots": ["X"], "reason": "r"}, 422, "unknown_item"),
        ({"gtin": "00000000000017", "lots": ["X"], "reason": "r"}, 422, "unknown_item"),
        ({"gtin": "12345678901234", "lots": ["X"], "reason": "r"}, 400, "validation_error"),
        ({"item": item, "lots": ["X" * 21], "reason": "r"}, 400, "validation_error"),
    ):
        assert_problem(await client.post("/api/v1/recalls", json=body, headers=admin), status, code)
    listed = (await client.get("/api/v1/recalls", headers=admin)).json()
    assert [r["lots"] for r in listed] == [["*"]]
    assert_problem(await client.get("/api/v1/recalls/999", headers=admin), 404, "not_found")
    assert_problem(
        await client.post("/api/v1/recalls/999/quarantine", headers=admin), 404, "not_found"
    )


async def test_quarantine_needs_a_named_location_when_there_are_several(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    item = await _spread(client, admin)
    await make_location(client, admin, "QUAR-2", "quarantine")
    recall = (
        await client.post(
            "/api/v1/recalls", json={"item": item, "lots": ["BAD"], "reason": "r"}, headers=admin
        )
    ).json()
    url = f"/api/v1/recalls/{recall['id']}/quarantine"
    assert_problem(await client.post(url, headers=admin), 400, "validation_error")
    assert_problem(
        await client.post(url, json={"quarantine_location": "SAT"}, headers=admin),
        422,
        "unknown_location",
    )
    done = await client.post(url, json={"quarantine_location": "QUAR-2"}, headers=admin)
    assert done.status_code == 200, done.text
    moved = (await client.get("/api/v1/stock", params={"location": "QUAR-2"}, headers=admin)).json()
    assert sum(r["quantity"] for r in moved) == 20


async def test_expiring_lists_kits_too_earliest_first(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    await _spread(client, admin)
    assert (
        await scan(client, admin, epi("SOON", 5), "receive", "SAT", quantity=3)
    ).status_code == 201
    rows = (
        await client.get("/api/v1/expiring", params={"expiring_within_days": 350}, headers=admin)
    ).json()
    # days are counted from the server's today, which a run crossing midnight puts one
    # day after this module's TODAY
    late = 5 - rows[0]["days_left"]
    assert late in (0, 1)
    assert [(r["location"], r["lot"], r["days_left"] + late) for r in rows] == [
        ("SAT", "SOON", 5),
        ("CART-1", "BAD", 300),
        ("CART-2", "BAD", 300),
        ("MAIN-B1", "BAD", 300),
    ]
    assert rows[1]["kit"] == "CART-1"
    without_kits = (
        await client.get(
            "/api/v1/expiring",
            params={"expiring_within_days": 350, "include_kits": "false"},
            headers=admin,
        )
    ).json()
    assert all(r["kit"] is None for r in without_kits) and len(without_kits) == 2
    under_main = (
        await client.get(
            "/api/v1/expiring",
            params={"expiring_within_days": 350, "location": "MAIN"},
            headers=admin,
        )
    ).json()
    assert [r["location"] for r in under_main] == ["MAIN-B1"]


async def test_the_expiry_sweep_raises_each_notice_once(
    client: Client, keys: Keys, engine: AsyncEngine
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _spread(client, admin)
    for code in (epi("SOON", 5), epi("MONTH", 25), epi("OLD", -2)):
        assert (await scan(client, admin, code, "receive", "SAT", quantity=1)).status_code in (
            201,
            422,  # an expired lot cannot be received: it is booked below instead
        )
    # a third cart sealed with a lot that expires before its next check (in 30 days)
    assert (
        await scan(client, admin, epi("CART", 12), "receive", "MAIN-B1", quantity=2)
    ).status_code == 201
    created = await client.post(
        "/api/v1/kits",
        json={"code": "CART-3", "template": "CART", "home_location": "ICU"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    filled = await scan(
        client, admin, epi("CART", 12), "restock", "MAIN-B1", to_location="CART-3", quantity=2
    )
    assert filled.status_code == 201, filled.text
    assert (await scan(client, admin, "SEAL-3", "seal", "CART-3")).status_code == 201
    sessions = create_sessionmaker(engine)
    clock = SiteClock()
    # two sweeps of the same day, one after the other and then side by side: one set of events
    first = await expiry_sweep.run_once(sessions, clock)
    assert first > 0
    assert await expiry_sweep.run_once(sessions, clock) == 0
    events = (await client.get("/api/v1/events", params={"type": "lot.*"}, headers=admin)).json()
    got = sorted((e["data"]["lot_number"], e["data"].get("threshold_days")) for e in events)
    assert got == [("CART", 30), ("MONTH", 30), ("SOON", 7)]
    # tomorrow: nothing new crossed, nothing raised again
    tomorrow = LaterClock(days=1)
    assert await expiry_sweep.run_once(sessions, tomorrow) == 0
    # CART-3 expires before its check; the carts with lot BAD (300 days out) do not
    expiring_kits = (
        await client.get("/api/v1/events", params={"type": "kit.expiring"}, headers=admin)
    ).json()
    assert [e["data"]["kit"] for e in expiring_kits] == ["CART-3"]
    # 19 days on, SOON has expired and MONTH reached 7 days: once each, two sweeps at once
    later = LaterClock(days=19)
    results = await asyncio.gather(
        expiry_sweep.run_once(sessions, later), expiry_sweep.run_once(sessions, later)
    )
    assert sorted(results)[0] == 0
    events = (await client.get("/api/v1/events", params={"type": "lot.*"}, headers=admin)).json()
    got = sorted((e["type"], e["data"]["lot_number"]) for e in events)
    assert got == [
        ("lot.expired", "CART"),
        ("lot.expired", "SOON"),
        ("lot.expiring", "CART"),
        ("lot.expiring", "MONTH"),
        ("lot.expiring", "MONTH"),
        ("lot.expiring", "SOON"),
    ]


async def test_an_issue_of_a_later_lot_is_warned_not_fefo(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    await _spread(client, admin)
    # SAT holds BAD (recalled? not yet) at 400 days; add an earlier and a later lot
    assert (
        await scan(client, admin, epi("EARLY", 100), "receive", "SAT", quantity=2)
    ).status_code == 201
    assert (
        await scan(client, admin, epi("LATE", 600), "receive", "SAT", quantity=2)
    ).status_code == 201
    late = await scan(client, admin, epi("LATE", 600), "issue", "SAT")
    assert late.status_code == 201, late.text
    assert [(w["code"], "EARLY" in w["detail"]) for w in late.json()["warnings"]] == [
        ("not_fefo", True)
    ]
    early = await scan(client, admin, epi("EARLY", 100), "issue", "SAT")
    assert [w["code"] for w in early.json()["warnings"]] == []
    fefo = await scan(client, admin, EPINEPHRINE_GTIN, "issue", "SAT")  # no lot: FEFO itself
    assert [w["code"] for w in fefo.json()["warnings"]] == []
    assert fefo.json()["movements"][0]["lot"] == "EARLY"
