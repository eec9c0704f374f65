"""Controlled substances on both databases: the witness a waste needs (missing, the scanner's
own key, a role that may not witness, a revoked key), and the controlled-substance ledger
checked against a brute-force sum of the movements on random scans (Hypothesis)."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient, TestClient

from inventory_svc.app import create_app
from inventory_svc.config import Settings
from inventory_svc.db.engine import create_engine, create_sessionmaker
from inventory_svc.domain.barcodes import gtin_from_ndc
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.roles import Role
from inventory_svc.services.actors import SYSTEM
from inventory_svc.services.keys import create_key, revoke_key
from inventory_svc.services.uow import Transactions
from tests.conftest import Keys
from tests.helpers import assert_problem, gs1, make_location, on_hand, scan

TODAY = datetime.now(UTC).date()
Client = AsyncTestClient[Any]
MORPHINE_GTIN = gtin_from_ndc("0641-6125-25")
SALINE_GTIN = gtin_from_ndc("0409-4888-10")
MORPHINE = gs1(MORPHINE_GTIN, lot="MS1", expiry=TODAY + timedelta(days=300))
SALINE = gs1(SALINE_GTIN, lot="NS1", expiry=TODAY + timedelta(days=300))


async def _setup(client: Client, admin: dict[str, str]) -> None:
    for name, gtin, schedule in (
        ("Morphine 10 mg/mL", MORPHINE_GTIN, "CII"),
        ("Saline 0.9%", SALINE_GTIN, None),
    ):
        response = await client.post(
            "/api/v1/items",
            json={
                "name": name,
                "schedule": schedule,
                "identifiers": [{"kind": "gtin", "value": gtin}],
            },
            headers=admin,
        )
        assert response.status_code == 201, response.text
    await make_location(client, admin, "VAULT")
    for code in (MORPHINE, SALINE):
        assert (await scan(client, admin, code, "receive", "VAULT", quantity=10)).status_code == 201


async def _waste(client: Client, headers: dict[str, str], code: str, witness: str | None) -> Any:
    extra = {"X-Witness-Key": witness} if witness is not None else {}
    return await client.post(
        "/api/v1/scans",
        json={"code": code, "action": "waste", "location": "VAULT"},
        headers={**headers, **extra, "Idempotency-Key": str(uuid.uuid4())},
    )


def _key(header: dict[str, str]) -> str:
    return header["Authorization"].removeprefix("Bearer ")


async def test_a_controlled_waste_needs_another_persons_valid_key(
    client: Client, keys: Keys, engine: Any
) -> None:
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    scanner = await keys.header(Role.SCANNER)
    specialist = await keys.header(Role.SPECIALIST)
    integration = await keys.header(Role.INTEGRATION)
    transactions = Transactions(create_sessionmaker(engine), SiteClock())
    revoked_id, revoked = await transactions.run(SYSTEM, create_key, Role.MANAGER, "gone")
    await transactions.run(SYSTEM, revoke_key, revoked_id)

    refusals = [
        await _waste(client, scanner, MORPHINE, None),  # no witness
        await _waste(client, scanner, MORPHINE, _key(scanner)),  # the scanner's own key
        await _waste(client, scanner, MORPHINE, _key(integration)),  # may not witness
        await _waste(client, scanner, MORPHINE, revoked),  # revoked
        await _waste(client, scanner, MORPHINE, "inv_not-a-key"),  # unknown
    ]
    details = [assert_problem(r, 422, "witness_required")["detail"] for r in refusals]
    assert "X-Witness-Key" in details[0]
    assert "own" in details[1]
    assert "integration" in details[2]
    assert "revoked" in details[3] and "revoked" in details[4]
    assert await on_hand(client, admin, "VAULT") == {"MS1": 10, "NS1": 10}
    rejected = (
        await client.get("/api/v1/scans", params={"status": "rejected"}, headers=admin)
    ).json()
    assert [r["error_code"] for r in rejected] == ["witness_required"] * 5

    witnessed = await _waste(client, scanner, MORPHINE, _key(specialist))
    plain = await _waste(client, scanner, SALINE, None)  # not controlled: no witness needed

    assert witnessed.status_code == 201, witnessed.text
    assert plain.status_code == 201, plain.text
    assert await on_hand(client, admin, "VAULT") == {"MS1": 9, "NS1": 9}
    ledger = (await client.get("/api/v1/controlled/ledger", headers=admin)).json()
    assert [(r["kind"], r["actor"], r["witness"], r["balance"]) for r in ledger] == [
        ("receive", "test admin", None, 10),
        ("waste", "test scanner", "test specialist", 9),
    ]
    assert {r["item_name"] for r in ledger} == {"Morphine 10 mg/mL"}
    # The witness's key is never stored: only the name.
    stored = (await client.get("/api/v1/scans", headers=admin)).json()
    assert _key(specialist) not in str(stored)


async def test_the_ledger_as_csv_and_filtered(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    await _setup(client, admin)
    await make_location(client, admin, "WARD")
    moved = await scan(client, admin, MORPHINE, "transfer", "VAULT", to_location="WARD", quantity=3)
    assert moved.status_code == 201, moved.text

    response = await client.get(
        "/api/v1/controlled/ledger",
        params={"location": "WARD"},
        headers={**admin, "Accept": "text/csv"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [
        (r["location"], r["kind"], r["counterparty"], r["quantity_in"], r["balance"]) for r in rows
    ] == [("WARD", "transfer", "VAULT", "3", "3")]
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (
        await client.get("/api/v1/controlled/ledger", params={"since": later}, headers=admin)
    ).json() == []
    assert (
        await client.get("/api/v1/controlled/ledger", params={"location": "NOPE"}, headers=admin)
    ).json() == []


SHELVES = ("VAULT", "OR-1", "OR-2")
operation = st.tuples(
    st.sampled_from(["receive", "issue", "transfer", "waste"]),
    st.sampled_from(SHELVES),
    st.sampled_from(SHELVES),
    st.sampled_from(["L1", "L2"]),
    st.integers(min_value=1, max_value=4),
)


def test_the_controlled_ledger_equals_a_brute_force_sum(settings: Settings) -> None:
    """Random scans of a scheduled item: each ledger row's balance is the sum of every
    movement of the item into and out of its location up to that row, and the last one per
    location is what `/stock` holds."""
    with TestClient(app=create_app(settings), timeout=60) as client:
        admin, witness = asyncio.run(_headers(settings))
        for shelf in SHELVES:
            made = client.post(
                "/api/v1/locations",
                json={"code": shelf, "name": shelf, "kind": "shelf"},
                headers=admin,
            )
            assert made.status_code == 201
        serial = iter(range(1, 10_000))

        @hypothesis_settings(
            max_examples=10, deadline=None, suppress_health_check=list(HealthCheck)
        )
        @given(st.lists(operation, min_size=1, max_size=20))
        def run(operations: list[tuple[str, str, str, str, int]]) -> None:
            n = next(serial)
            gtin = gtin_from_ndc(f"{20000 + n:05d}-{n % 1000:03d}-01")
            item = client.post(
                "/api/v1/items",
                json={
                    "name": f"Opioid {n}",
                    "schedule": "CII",
                    "identifiers": [{"kind": "gtin", "value": gtin}],
                },
                headers=admin,
            )
            assert item.status_code == 201, item.text
            item_id = item.json()["id"]
            for action, here, there, lot, quantity in operations:
                body: dict[str, Any] = {
                    "code": gs1(gtin, lot=lot, expiry=TODAY + timedelta(days=100)),
                    "action": action,
                    "location": here,
                    "quantity": quantity,
                }
                if action == "transfer":
                    if here == there:
                        continue
                    body["to_location"] = there
                headers = {**admin, **witness, "Idempotency-Key": str(uuid.uuid4())}
                response = client.post("/api/v1/scans", json=body, headers=headers)
                assert response.status_code in (201, 409), response.text
            movements = client.get(
                "/api/v1/movements", params={"item": item_id, "limit": 1000}, headers=admin
            ).json()
            ledger = client.get(
                "/api/v1/controlled/ledger", params={"item": item_id}, headers=admin
            ).json()
            # Brute force: for every row, sum the movements up to and including its own.
            order = {m["id"]: i for i, m in enumerate(movements)}
            for row in ledger:
                upto = [m for m in movements if order[m["id"]] <= order[row["movement"]]]
                expected = sum(
                    m["quantity"]
                    * (
                        (m["to_location"] == row["location"])
                        - (m["from_location"] == row["location"])
                    )
                    for m in upto
                )
                assert row["balance"] == expected, (row, upto)
                assert row["witness"] == ("test witness" if row["kind"] == "waste" else None)
            touching = {
                (m["id"], place)
                for m in movements
                for place in (m["from_location"], m["to_location"])
                if not place.startswith("@")
            }
            assert {(r["movement"], r["location"]) for r in ledger} == touching
            last: dict[str, int] = defaultdict(int)
            for row in ledger:
                last[row["location"]] = row["balance"]
            stock = client.get("/api/v1/stock", params={"item": item_id}, headers=admin).json()
            held: dict[str, int] = defaultdict(int)
            for row in stock:
                held[row["location"]] += row["quantity"]
            assert {k: v for k, v in last.items() if v} == dict(held)

        run()


async def _headers(settings: Settings) -> tuple[dict[str, str], dict[str, str]]:
    engine = create_engine(settings)
    try:
        transactions = Transactions(create_sessionmaker(engine), SiteClock())
        _, admin = await transactions.run(SYSTEM, create_key, Role.ADMIN, "ledger test")
        _, witness = await transactions.run(SYSTEM, create_key, Role.SPECIALIST, "test witness")
    finally:
        await engine.dispose()
    return {"Authorization": f"Bearer {admin}"}, {"X-Witness-Key": witness}
