"""Idempotency-Key on writes other than scans (acknowledge, shipment notices), on both
databases: a retry answers the first answer, marked `Idempotent-Replayed`, and applies
nothing again; the key with another request is `409 idempotency_key_reused`; concurrent
twins apply once; a refused write leaves its key free."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx

from inventory_svc.domain.roles import Role
from tests.api.purchasing_setup import TODAY, Client, purchase_order
from tests.conftest import Keys
from tests.helpers import EPINEPHRINE_GTIN, assert_problem

ACK = {"supplier_reference": "SO-1", "lines": [{"line": 1, "confirmed": 80, "backordered": 20}]}
NOTICE = {
    "lines": [
        {
            "gtin": EPINEPHRINE_GTIN,
            "lot": "A1",
            "expiry": (TODAY + timedelta(days=300)).isoformat(),
            "quantity": 50,
        }
    ],
    "reference": "ASN-1",
}


async def _events(client: httpx.AsyncClient, headers: dict[str, str], type_: str) -> list[Any]:
    response = await client.get("/api/v1/events", params={"type": type_}, headers=headers)
    assert response.status_code == 200, response.text
    events: list[Any] = response.json()
    return events


async def test_a_retried_acknowledgement_answers_the_first_answer_once(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    number = (await purchase_order(client, admin))["number"]
    integration = {**await keys.header(Role.INTEGRATION), "Idempotency-Key": "ack-1"}
    url = f"/api/v1/purchase-orders/{number}/acknowledge"
    first = await client.post(url, json=ACK, headers=integration)
    assert first.status_code == 200, first.text
    assert "Idempotent-Replayed" not in first.headers
    assert first.json()["status"] == "acknowledged"
    # Same key, same request (other spacing and key order): the first answer, unchanged.
    again = await client.post(
        url,
        content=b'{ "lines": [{"backordered": 20, "line": 1, "confirmed": 80}],'
        b' "supplier_reference": "SO-1" }',
        headers={**integration, "Content-Type": "application/json"},
    )
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(await _events(client, admin, "purchase_order.acknowledged")) == 1
    # Without the key the retry is what it is: the PO is no longer submitted.
    plain = {k: v for k, v in integration.items() if k != "Idempotency-Key"}
    assert_problem(await client.post(url, json=ACK, headers=plain), 409, "invalid_transition")
    # The key with another body, or on another PO, is refused and changes nothing.
    other = {**ACK, "supplier_reference": "SO-2"}
    assert_problem(
        await client.post(url, json=other, headers=integration), 409, "idempotency_key_reused"
    )
    elsewhere = (
        await client.post(
            "/api/v1/purchase-orders",
            json={"supplier": "CARD", "location": "MAIN", "lines": [{"item": 1, "ordered": 100}]},
            headers=admin,
        )
    ).json()["number"]
    await client.post(f"/api/v1/purchase-orders/{elsewhere}/submit", headers=admin)
    reused = await client.post(
        f"/api/v1/purchase-orders/{elsewhere}/acknowledge", json=ACK, headers=integration
    )
    assert_problem(reused, 409, "idempotency_key_reused")
    order = (await client.get(f"/api/v1/purchase-orders/{number}", headers=admin)).json()
    assert (order["supplier_reference"], order["lines"][0]["confirmed"]) == ("SO-1", 80)
    # Keys belong to their caller: the manager's "ack-1" is a key of its own.
    manager = {**await keys.header(Role.MANAGER), "Idempotency-Key": "ack-1"}
    theirs = await client.post(
        f"/api/v1/purchase-orders/{elsewhere}/acknowledge", json=ACK, headers=manager
    )
    assert theirs.status_code == 200, theirs.text
    assert "Idempotent-Replayed" not in theirs.headers


async def test_a_refused_write_leaves_its_key_free(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    number = (await purchase_order(client, admin, submit=False))["number"]
    headers = {**admin, "Idempotency-Key": "early"}
    url = f"/api/v1/purchase-orders/{number}/acknowledge"
    assert_problem(await client.post(url, json=ACK, headers=headers), 409, "invalid_transition")
    await client.post(f"/api/v1/purchase-orders/{number}/submit", headers=admin)
    later = await client.post(url, json=ACK, headers=headers)
    assert later.status_code == 200, later.text
    assert "Idempotent-Replayed" not in later.headers


async def test_a_retried_shipment_notice_is_kept_once(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    number = (await purchase_order(client, admin))["number"]
    headers = {**await keys.header(Role.INTEGRATION), "Idempotency-Key": str(uuid.uuid4())}
    url = f"/api/v1/purchase-orders/{number}/shipments"
    first = await client.post(url, json=NOTICE, headers=headers)
    assert first.status_code == 201, first.text
    again = await client.post(url, json=NOTICE, headers=headers)
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    changed = {**NOTICE, "reference": "ASN-2"}
    assert_problem(
        await client.post(url, json=changed, headers=headers), 409, "idempotency_key_reused"
    )
    listed = (await client.get(url, headers=admin)).json()
    assert [s["id"] for s in listed] == [first.json()["id"]]
    # Without a key, two posts are two notices.
    plain = await keys.header(Role.INTEGRATION)
    assert (await client.post(url, json=NOTICE, headers=plain)).status_code == 201
    assert len((await client.get(url, headers=admin)).json()) == 2


async def test_hostile_idempotency_keys(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    number = (await purchase_order(client, admin))["number"]
    url = f"/api/v1/purchase-orders/{number}/shipments"
    # A header is bytes: UTF-8 "é" is two of them, read as two characters (Latin-1).
    for key in (b"", b"k" * 201, ("é" * 101).encode()):
        refused = await client.post(url, json=NOTICE, headers={**admin, "Idempotency-Key": key})
        assert_problem(refused, 400, "validation_error")
    longest: dict[str, Any] = {**admin, "Idempotency-Key": ("é" * 100).encode()}
    first = await client.post(url, json=NOTICE, headers=longest)
    assert first.status_code == 201, first.text
    again = await client.post(url, json=NOTICE, headers=longest)
    assert (again.status_code, again.headers["Idempotent-Replayed"]) == (201, "true")
    assert len((await client.get(url, headers=admin)).json()) == 1


async def test_concurrent_twins_with_one_key_apply_once(
    live_client: httpx.AsyncClient, keys: Keys
) -> None:
    """Twelve simultaneous posts of one notice with one key, and twelve of one
    acknowledgement: one notice, one acknowledgement, every other answer a replay."""
    admin = await keys.header(Role.ADMIN)
    number = (await purchase_order(live_client, admin))["number"]
    integration = await keys.header(Role.INTEGRATION)
    notice_headers = {**integration, "Idempotency-Key": "twin-notice"}
    ack_headers = {**integration, "Idempotency-Key": "twin-ack"}
    base = f"/api/v1/purchase-orders/{number}"
    notices, acks = await asyncio.gather(
        asyncio.gather(
            *(
                live_client.post(f"{base}/shipments", json=NOTICE, headers=notice_headers)
                for _ in range(12)
            )
        ),
        asyncio.gather(
            *(
                live_client.post(f"{base}/acknowledge", json=ACK, headers=ack_headers)
                for _ in range(12)
            )
        ),
    )
    assert Counter(r.status_code for r in notices) == {201: 12}, [r.text for r in notices]
    assert Counter(r.status_code for r in acks) == {200: 12}, [r.text for r in acks]
    for answers in (notices, acks):
        replayed = [r.headers.get("Idempotent-Replayed") == "true" for r in answers]
        assert replayed.count(False) == 1
        assert len({r.text for r in answers}) == 1
    listed = (await live_client.get(f"{base}/shipments", headers=admin)).json()
    assert len(listed) == 1
    assert len(await _events(live_client, admin, "purchase_order.acknowledged")) == 1
