"""Webhook delivery to a real HTTP receiver on 127.0.0.1: signed (checked with the README's
own receiver code), in order, retried through 500s, timeouts and dropped connections, dead
after the last attempt and redelivered on request, never to a local address unless allowed,
and never twice at once with two dispatchers running."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.app import create_app
from inventory_svc.config import Settings, WebhookSettings
from inventory_svc.db.engine import SessionMaker, create_engine, create_sessionmaker
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.roles import Role
from inventory_svc.domain.webhooks import SIGNATURE_HEADER
from inventory_svc.services import webhooks
from inventory_svc.worker import JOBS, Runner
from tests.conftest import Keys
from tests.helpers import EPINEPHRINE_GTIN, gs1, make_item, make_location, scan

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- webhook-receiver-example -->"
SECRET = "whsec-test-0123456789"
CLOCK = SiteClock()

FAST = WebhookSettings(
    timeout=0.5, max_attempts=10, base_delay=0.01, max_delay=0.05, allow_private=True
)
"""Settings a test can wait out: half a second per call, retries within 50 ms."""


def readme_receiver() -> dict[str, Any]:
    """The README's receiver example, run as it is printed there (not as `__main__`)."""
    text = README.read_text()
    assert MARKER in text, "the README lost its webhook receiver example"
    block = re.search(r"```python\n(.*?)```", text[text.index(MARKER) :], re.DOTALL)
    assert block is not None
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(block.group(1), str(README), "exec"), namespace)
    return namespace


VERIFY: Callable[..., bool] = readme_receiver()["verify"]


# --- a receiver that can be told to fail -------------------------------------------------------


@dataclasses.dataclass
class Received:
    event: dict[str, Any]
    verified: bool
    started: float
    path: str = ""
    ended: float = 0.0
    answer: str = ""


class Receiver:
    """A real HTTP server in a thread. `script` answers the next requests in turn ("ok",
    "500", "slow" past the dispatcher's timeout, "close" without an answer, "redirect");
    then `default`."""

    def __init__(self) -> None:
        self.script: list[str] = []
        self.default = "ok"
        self.delay = 0.0
        self.got: list[Received] = []
        self.arrived = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                seen = Received(
                    json.loads(body),
                    VERIFY(SECRET, body, self.headers.get(SIGNATURE_HEADER, "")),
                    time.monotonic(),
                    self.path,
                )
                with receiver.lock:
                    mode = receiver.script.pop(0) if receiver.script else receiver.default
                    receiver.got.append(seen)
                receiver.arrived.set()
                if receiver.delay:
                    time.sleep(receiver.delay)
                seen.ended = time.monotonic()
                seen.answer = mode
                if mode == "close":
                    self.close_connection = True
                    return
                if mode == "slow":
                    time.sleep(FAST.timeout * 2)
                if mode == "redirect":  # to a path that would answer 204: not followed
                    self.send_response(307)
                    self.send_header("Location", "/elsewhere")
                else:
                    self.send_response(500 if mode == "500" else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"

    def ids(self) -> list[int]:
        with self.lock:
            return [r.event["id"] for r in self.got]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
async def hooks(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    """The API, allowed to subscribe 127.0.0.1 (INVENTORY_WEBHOOK_ALLOW_PRIVATE)."""
    app = create_app(dataclasses.replace(settings, webhooks=FAST))
    async with AsyncTestClient(app=app, timeout=60) as client:
        yield client


@pytest.fixture
def sessions(engine: AsyncEngine) -> SessionMaker:
    return create_sessionmaker(engine)


async def subscribe(
    client: AsyncTestClient[Any], admin: dict[str, str], url: str, events: list[str]
) -> int:
    made = await client.post(
        "/api/v1/webhooks", json={"url": url, "secret": SECRET, "events": events}, headers=admin
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


async def deliveries(
    client: AsyncTestClient[Any], admin: dict[str, str], webhook: int, **params: Any
) -> list[dict[str, Any]]:
    listed = await client.get(
        f"/api/v1/webhooks/{webhook}/deliveries", params=params, headers=admin
    )
    assert listed.status_code == 200, listed.text
    return list(listed.json())


async def dispatch_until(
    sessions: SessionMaker,
    done: Callable[[], bool],
    settings: WebhookSettings = FAST,
    seconds: float = 15,
) -> int:
    """Dispatcher rounds until `done()`; returns the rounds it took."""
    deadline = time.monotonic() + seconds
    rounds = 0
    while not done():
        assert time.monotonic() < deadline, "the dispatcher did not get there in time"
        await webhooks.dispatch(sessions, CLOCK, settings)
        rounds += 1
        await asyncio.sleep(0.01)
    return rounds


async def settle(sessions: SessionMaker, settings: WebhookSettings = FAST) -> None:
    """Rounds until one does nothing and no delivery is waiting for a backoff."""
    for _ in range(500):
        if await webhooks.dispatch(sessions, CLOCK, settings) == 0:
            await asyncio.sleep(settings.max_delay)
            if await webhooks.dispatch(sessions, CLOCK, settings) == 0:
                return
    raise AssertionError("the dispatcher never went idle")


# --- tests ----------------------------------------------------------------------------------------


async def test_the_worker_job_delivers_a_signed_event_within_seconds_of_its_commit(
    hooks: AsyncTestClient[Any],
    keys: Keys,
    receiver: Receiver,
    sessions: SessionMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INVENTORY_WEBHOOK_ALLOW_PRIVATE", "true")
    assert any(job.name == webhooks.JOB_NAME for job in JOBS)
    admin = await keys.header(Role.MANAGER)
    before = await make_location(hooks, admin, "BEFORE")  # before the subscription: not sent
    assert before["code"] == "BEFORE"
    await subscribe(hooks, admin, receiver.url, ["location.*"])
    runner = Runner(sessions, CLOCK, idle_sleep=0.2)
    runner.start()
    try:
        committed = time.monotonic()
        await make_location(hooks, admin, "AFTER")
        await asyncio.to_thread(receiver.arrived.wait, 10)
    finally:
        await runner.close()
    assert len(receiver.got) == 1
    got = receiver.got[0]
    assert got.started - committed < 3.0
    print(f"\nwebhook latency, commit to receiver: {got.started - committed:.3f} s")
    assert got.verified
    assert set(got.event) == {"id", "type", "occurred_at", "data"}
    assert got.event["type"] == "location.changed"
    assert got.event["data"]["location"]["code"] == "AFTER"
    feed = (await hooks.get("/api/v1/events", params={"type": "location.*"}, headers=admin)).json()
    assert got.event["id"] == feed[-1]["id"]
    assert got.event["occurred_at"] == feed[-1]["occurred_at"]


async def test_a_failed_delivery_is_retried_after_500_timeout_and_a_dropped_connection(
    hooks: AsyncTestClient[Any], keys: Keys, receiver: Receiver, sessions: SessionMaker
) -> None:
    admin = await keys.header(Role.MANAGER)
    webhook = await subscribe(hooks, admin, receiver.url, ["*"])
    receiver.script = ["500", "slow", "close", "redirect"]
    await make_location(hooks, admin, "WARD-1")

    await dispatch_until(sessions, lambda: len(receiver.got) >= 5)
    await settle(sessions)

    (delivery,) = await deliveries(hooks, admin, webhook)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 5
    history = delivery["history"]
    assert [a["status_code"] for a in history] == [500, None, None, 307, 204]
    assert history[0]["error"] == "HTTP 500"
    assert history[1]["error"].startswith("timeout")
    assert history[1]["duration_ms"] >= FAST.timeout * 1000 * 0.9
    assert "RemoteProtocolError" in history[2]["error"] or "unreachable" in history[2]["error"]
    assert history[3]["error"] == "HTTP 307"
    assert history[4]["error"] is None
    assert {r.path for r in receiver.got} == {"/hook"}  # the redirect was not followed
    assert {r.event["id"] for r in receiver.got} == {delivery["event_id"]}  # the same event
    assert all(r.verified for r in receiver.got)
    async with sessions() as session:
        assert await webhooks.failing_deliveries(session) == 0


async def test_each_subscription_gets_its_events_in_feed_order_while_one_waits(
    hooks: AsyncTestClient[Any], keys: Keys, receiver: Receiver, sessions: SessionMaker
) -> None:
    admin = await keys.header(Role.MANAGER)
    webhook = await subscribe(hooks, admin, receiver.url, ["location.changed"])
    receiver.script = ["500", "500", "close"]  # the first event fails three times
    for n in range(6):
        await make_location(hooks, admin, f"ORD-{n}")

    await dispatch_until(sessions, lambda: len(receiver.got) >= 9)
    await settle(sessions)

    sent = receiver.ids()
    assert sent[:4] == [sent[0]] * 4  # nothing overtook the first event while it failed
    assert sent[3:] == sorted(set(sent))  # then each once, in feed order
    listed = await deliveries(hooks, admin, webhook)
    assert [d["event_id"] for d in listed] == sent[3:]
    assert {d["status"] for d in listed} == {"delivered"}
    page = await deliveries(hooks, admin, webhook, after=listed[1]["id"], limit=2)
    assert page == listed[2:4]
    assert await deliveries(hooks, admin, webhook, status="dead") == []


async def test_a_dead_delivery_lets_the_next_go_and_is_redelivered_on_request(
    hooks: AsyncTestClient[Any], keys: Keys, receiver: Receiver, sessions: SessionMaker
) -> None:
    admin = await keys.header(Role.MANAGER)
    webhook = await subscribe(hooks, admin, receiver.url, ["location.*"])
    twice = dataclasses.replace(FAST, max_attempts=2)
    receiver.default = "500"
    for code in ("DEAD-1", "DEAD-2"):
        await make_location(hooks, admin, code)

    await dispatch_until(sessions, lambda: len(receiver.got) >= 4, twice)
    await settle(sessions, twice)
    dead = await deliveries(hooks, admin, webhook, status="dead")
    assert [(d["attempts"], d["last_status_code"]) for d in dead] == [(2, 500), (2, 500)]
    assert len(receiver.got) == 4  # two attempts each, no more
    async with sessions() as session:
        assert await webhooks.failing_deliveries(session) == 2

    receiver.default = "ok"
    again = await hooks.post(f"/api/v1/webhooks/{webhook}/redeliver-dead", headers=admin)
    assert again.status_code == 200 and again.json() == {"redelivered": 2}, again.text
    await settle(sessions, twice)
    listed = await deliveries(hooks, admin, webhook)
    assert [d["status"] for d in listed] == ["delivered", "delivered"]
    assert [len(d["history"]) for d in listed] == [3, 3]  # attempts before redelivery are kept
    assert receiver.ids()[4:] == [d["event_id"] for d in listed]
    async with sessions() as session:
        assert await webhooks.failing_deliveries(session) == 0

    # One delivered delivery sent again on request; a pending one cannot be.
    first = listed[0]["id"]
    one = await hooks.post(
        f"/api/v1/webhooks/{webhook}/deliveries/{first}/redeliver", headers=admin
    )
    assert one.status_code == 200 and one.json()["status"] == "pending", one.text
    refused = await hooks.post(
        f"/api/v1/webhooks/{webhook}/deliveries/{first}/redeliver", headers=admin
    )
    assert refused.status_code == 409 and refused.json()["code"] == "invalid_transition"
    await settle(sessions, twice)
    assert receiver.ids()[-1] == listed[0]["event_id"]
    nothing = await hooks.post(f"/api/v1/webhooks/{webhook}/redeliver-dead", headers=admin)
    assert nothing.json() == {"redelivered": 0}


async def test_a_receiver_that_is_down_does_not_hold_up_another_subscription(
    hooks: AsyncTestClient[Any], keys: Keys, receiver: Receiver, sessions: SessionMaker
) -> None:
    admin = await keys.header(Role.MANAGER)
    with socket.socket() as unused:  # a port nobody listens on: connection refused
        unused.bind(("127.0.0.1", 0))
        down_port = unused.getsockname()[1]
    down = await subscribe(hooks, admin, f"http://127.0.0.1:{down_port}/", ["*"])
    await subscribe(hooks, admin, receiver.url, ["*"])
    slow = dataclasses.replace(FAST, base_delay=30, max_delay=30)
    for n in range(3):
        await make_location(hooks, admin, f"UP-{n}")

    await dispatch_until(sessions, lambda: len(receiver.got) >= 3, slow)

    assert len(receiver.ids()) == len(set(receiver.ids())) == 3
    waiting = await deliveries(hooks, admin, down)
    assert [d["status"] for d in waiting] == ["pending"] * 3
    assert waiting[0]["attempts"] == 1
    assert "ConnectError" in waiting[0]["last_error"]
    assert [d["attempts"] for d in waiting[1:]] == [0, 0]  # behind the head, untried


async def test_a_local_destination_is_refused_at_delivery_time_when_not_allowed(
    hooks: AsyncTestClient[Any], keys: Keys, receiver: Receiver, sessions: SessionMaker
) -> None:
    """Subscribed while private addresses were allowed; the setting changed since, or the
    name now resolves to this machine: nothing is sent."""
    admin = await keys.header(Role.MANAGER)
    name = socket.gethostname()
    resolved = {info[4][0] for info in socket.getaddrinfo(name, None)}
    if not resolved or not all(a.startswith("127.") or a == "::1" for a in resolved):
        pytest.skip(f"{name} does not resolve to loopback only here")
    by_name = await subscribe(hooks, admin, f"http://{name}:{receiver.port}/hook", ["*"])
    by_address = await subscribe(hooks, admin, receiver.url, ["*"])
    await make_location(hooks, admin, "SSRF")
    strict = dataclasses.replace(FAST, allow_private=False, max_attempts=1)

    await settle(sessions, strict)

    assert receiver.got == []
    for webhook, shown in ((by_name, f"{name} (127."), (by_address, "127.0.0.1 is")):
        (delivery,) = await deliveries(hooks, admin, webhook)
        assert delivery["status"] == "dead"
        assert delivery["last_error"].startswith("destination_refused: " + shown)
        assert "loopback" in delivery["last_error"]


async def test_two_dispatchers_never_send_one_event_twice_at_once(
    hooks: AsyncTestClient[Any],
    keys: Keys,
    receiver: Receiver,
    settings: Settings,
    sessions: SessionMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two replicas (each its own engine and pool) race over three subscriptions, each
    leasing one subscription and sending two deliveries a round, so both do work."""
    monkeypatch.setattr(webhooks, "CLAIM_BATCH", 1)
    monkeypatch.setattr(webhooks, "PER_ROUND", 2)
    admin = await keys.header(Role.MANAGER)
    for n in range(3):
        await subscribe(hooks, admin, f"{receiver.url}/{n}", ["*"])
    for n in range(8):
        await make_location(hooks, admin, f"RACE-{n}")
    receiver.delay = 0.02  # calls overlap if both dispatchers took the same subscription
    other = create_engine(settings)
    work = [0, 0]
    try:
        replicas = [sessions, create_sessionmaker(other)]
        deadline = time.monotonic() + 30

        # A timeout long enough that a busy machine never turns a slow answer into a retry
        # (delivery is at least once: a retry after a timeout may repeat an event by design);
        # what this test checks is the claim: no event is sent twice *at once*.
        patient = dataclasses.replace(FAST, timeout=10.0)

        async def replica(n: int) -> None:
            while len(receiver.got) < 24 and time.monotonic() < deadline:
                work[n] += await webhooks.dispatch(replicas[n], CLOCK, patient)
                await asyncio.sleep(0)

        await asyncio.gather(replica(0), replica(1))
        await settle(sessions)
    finally:
        await other.dispose()

    assert work[0] > 0 and work[1] > 0, work
    got = list(receiver.got)
    pairs = [(r.path, r.event["id"]) for r in got]
    assert len(got) == 24 and len(set(pairs)) == 24  # 3 subscriptions x 8 events, each once
    for path in {r.path for r in got}:
        calls = sorted((r for r in got if r.path == path), key=lambda r: r.started)
        ids = [r.event["id"] for r in calls]
        assert ids == sorted(ids)  # in feed order, per subscription
        assert all(a.ended <= b.started for a, b in itertools.pairwise(calls))
    for webhook in (1, 2, 3):  # a fresh database per test: ids 1..3
        listed = await deliveries(hooks, admin, webhook)
        assert [(d["status"], d["attempts"]) for d in listed] == [("delivered", 1)] * 8


async def test_a_purchase_order_reaches_the_erp_in_order_after_its_receiver_was_down(
    hooks: AsyncTestClient[Any], keys: Keys, receiver: Receiver, sessions: SessionMaker
) -> None:
    """Submitted, acknowledged, then the receipts (each `stock.changed` and the PO's step),
    while the ERP's endpoint dropped every connection for a second: each event arrives once
    answered, in feed order, signed; nothing missed, nothing delivered twice."""
    admin = await keys.header(Role.ADMIN)
    supplier = await hooks.post(
        "/api/v1/suppliers", json={"code": "CARD", "name": "Cardinal"}, headers=admin
    )
    assert supplier.status_code == 201, supplier.text
    item = (await make_item(hooks, admin))["id"]
    await make_location(hooks, admin, "MAIN", "storeroom")
    webhook = await subscribe(hooks, admin, receiver.url, ["purchase_order.*", "stock.changed"])
    receiver.default = "close"  # the ERP is down

    order = await hooks.post(
        "/api/v1/purchase-orders",
        json={"supplier": "CARD", "location": "MAIN", "lines": [{"item": item, "ordered": 30}]},
        headers=admin,
    )
    number = order.json()["number"]
    submitted = await hooks.post(f"/api/v1/purchase-orders/{number}/submit", headers=admin)
    assert submitted.status_code == 200, submitted.text
    acknowledged = await hooks.post(
        f"/api/v1/purchase-orders/{number}/acknowledge",
        json={"supplier_reference": "SO-1"},
        headers=await keys.header(Role.INTEGRATION),
    )
    assert acknowledged.status_code == 200, acknowledged.text
    expiry = datetime.now(UTC).date() + timedelta(days=300)
    shipped = await hooks.post(
        f"/api/v1/purchase-orders/{number}/shipments",
        json={
            "reference": "ASN-1",
            "lines": [
                {"gtin": EPINEPHRINE_GTIN, "lot": "ERP1", "expiry": str(expiry), "quantity": 30}
            ],
        },
        headers={**await keys.header(Role.INTEGRATION), "Idempotency-Key": "asn-1"},
    )
    assert shipped.status_code == 201, shipped.text
    code = gs1(EPINEPHRINE_GTIN, lot="ERP1", expiry=expiry)
    for quantity in (20, 10):
        received = await scan(
            hooks, admin, code, "receive", "MAIN", quantity=quantity, purchase_order=number
        )
        assert received.status_code == 201, received.text
        assert received.json().get("warnings") in (None, []), received.text  # as shipped

    patient = dataclasses.replace(FAST, max_attempts=1000)  # a second down is no dead letter
    down_until = time.monotonic() + 1.0
    while time.monotonic() < down_until:  # rounds while the ERP is down
        await webhooks.dispatch(sessions, CLOCK, patient)
        await asyncio.sleep(0.02)
    failed = len(receiver.got)
    receiver.default = "ok"
    await settle(sessions, patient)

    feed = (await hooks.get("/api/v1/events", headers=admin)).json()
    wanted = [
        e for e in feed if e["type"].startswith("purchase_order.") or e["type"] == "stock.changed"
    ]
    answered = [r for r in receiver.got if r.answer == "ok"]
    assert [r.event["id"] for r in answered] == [e["id"] for e in wanted]
    assert [r.event["type"] for r in answered] == [
        "purchase_order.submitted",
        "purchase_order.acknowledged",
        "purchase_order.shipped",
        "stock.changed",
        "purchase_order.partially_received",
        "stock.changed",
        "purchase_order.received",
    ]
    assert [r.event["data"] for r in answered] == [e["data"] for e in wanted]
    assert all(r.verified for r in receiver.got)
    assert failed >= 3 and all(r.answer == "close" for r in receiver.got[:failed])
    assert {r.event["id"] for r in receiver.got[:failed]} == {wanted[0]["id"]}  # head waited
    listed = await deliveries(hooks, admin, webhook)
    assert [d["status"] for d in listed] == ["delivered"] * len(wanted)
    assert sum(d["attempts"] for d in listed) == len(receiver.got)
    duplicated = len(answered) - len({r.event["id"] for r in answered})
    assert duplicated == 0
    print(
        f"\nwebhook e2e: events={len(wanted)} attempted={len(receiver.got)} "
        f"retried={len(receiver.got) - len(wanted)} duplicated={duplicated}"
    )
