"""Response classification, backoff, retry ordering (unit level), configuration and masking.

Delivery against the real server is in test_e2e.py and test_parking.py; here
httpx.MockTransport only plays the failure modes a healthy server never produces on demand
(503, 429 with Retry-After, a 500 on one scan ...).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scanner_client.config import ConfigError, Secret, load_config
from scanner_client.queue import ScanQueue
from scanner_client.sender import ApiClient, Sender, SendEvent, backoff_delay, classify


def problem(code: str, status: int) -> dict[str, object]:
    return {"type": "about:blank", "title": "t", "status": status, "detail": "d", "code": code}


@pytest.mark.parametrize(
    ("status", "headers", "body", "kind"),
    [
        (201, {}, {"id": 1}, "delivered"),
        (200, {"Idempotent-Replayed": "true"}, {"id": 1}, "delivered"),
        (422, {}, problem("unknown_item", 422), "rejected"),
        (409, {}, problem("idempotency_key_reused", 409), "rejected"),
        (400, {}, problem("validation_error", 400), "rejected"),
        (404, {}, problem("unknown_location", 404), "rejected"),
        (404, {}, None, "config"),
        (405, {}, None, "config"),
        (401, {}, problem("unauthorized", 401), "config"),
        (401, {}, None, "config"),
        (403, {}, problem("forbidden", 403), "rejected"),  # this scan's action, not the key
        (403, {}, {"detail": "<html>proxy says no</html>"}, "config"),  # not the service
        (403, {}, None, "config"),
        (302, {"Location": "https://x"}, None, "config"),
        (408, {}, None, "retry"),
        (425, {}, None, "retry"),
        (429, {"Retry-After": "7"}, None, "retry"),
        (500, {}, problem("internal_error", 500), "retry"),
        (502, {}, None, "retry"),
        (504, {}, None, "retry"),
        (503, {}, problem("service_unavailable", 503), "retry"),
        (500, {"Retry-After": "1"}, problem("internal_error", 500), "retry"),
    ],
)
def test_classify(status: int, headers: dict[str, str], body: object, kind: str) -> None:
    out = classify(status, httpx.Headers(headers), body)
    assert out.kind == kind
    # only a 5xx other than 503 and without Retry-After counts toward parking
    assert out.server_error == (status in (500, 502, 504) and "Retry-After" not in headers)
    if status == 200:
        assert out.replayed
    if status == 429:
        assert out.retry_after == 7.0
    if kind == "rejected":
        assert out.error_code == body["code"]  # type: ignore[index]


def test_backoff_grows_is_jittered_and_capped() -> None:
    rng = random.Random(1)
    for failures in range(1, 12):
        ceiling = min(30.0, 0.5 * 2 ** (failures - 1))
        samples = [backoff_delay(failures, 0.5, 30.0, rng) for _ in range(50)]
        assert all(ceiling / 2 <= s <= ceiling for s in samples)
        if failures > 2:
            assert len({round(s, 6) for s in samples}) > 10  # jitter


class Script:
    """A scripted sequence of responses (or exceptions) for MockTransport.

    ``GET /health`` (asked before parking) answers ``health`` and consumes no step.
    """

    def __init__(self, steps: list[object], health: int | Exception = 200) -> None:
        self.steps: Iterator[object] = iter(steps)
        self.seen: list[tuple[str, str]] = []
        self.health = health
        self.health_checks = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/health":
            self.health_checks += 1
            if isinstance(self.health, Exception):
                raise self.health
            return httpx.Response(self.health)
        self.seen.append((request.headers["Idempotency-Key"], request.content.decode()))
        step = next(self.steps)
        if isinstance(step, Exception):
            raise step
        assert isinstance(step, httpx.Response)
        return step


def make_sender(tmp_path: Path, script: Script, events: list[SendEvent]) -> Sender:
    q = ScanQueue(tmp_path / "q.db")
    client = ApiClient("http://srv", Secret("k"), transport=httpx.MockTransport(script))
    return Sender(q, client, events.append, backoff_base=0.01, backoff_cap=0.05)


def test_retries_network_and_5xx_then_delivers_in_order(tmp_path: Path) -> None:
    script = Script(
        [
            httpx.ConnectError("refused"),
            httpx.Response(503),
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(201, json={"id": 1}),
            httpx.Response(200, json={"id": 2}, headers={"Idempotent-Replayed": "true"}),
        ]
    )
    events: list[SendEvent] = []
    sender = make_sender(tmp_path, script, events)
    a = sender.queue.enqueue({"code": "A", "action": "receive", "location": "L"})
    b = sender.queue.enqueue({"code": "B", "action": "receive", "location": "L"})
    assert sender.drain(timeout=10)
    keys = [k for k, _ in script.seen]
    assert keys == [a.key] * 4 + [b.key]  # the head blocks until delivered: strict order
    assert sender.queue.get(a.seq).attempts == 4
    assert sender.queue.get(b.seq).replayed
    assert [e.kind for e in events if e.kind != "state"] == [
        "retry",
        "retry",
        "retry",
        "delivered",
        "delivered",
    ]


def test_rejection_is_kept_and_does_not_block(tmp_path: Path) -> None:
    script = Script(
        [
            httpx.Response(422, json=problem("unknown_item", 422)),
            httpx.Response(201, json={"id": 2}),
        ]
    )
    sender = make_sender(tmp_path, script, [])
    a = sender.queue.enqueue({"code": "A", "action": "receive", "location": "L"})
    sender.queue.enqueue({"code": "B", "action": "receive", "location": "L"})
    assert sender.drain(timeout=5)
    assert sender.queue.get(a.seq).status == "rejected"
    assert sender.queue.counts() == {
        "pending": 0,
        "sent": 1,
        "rejected": 1,
        "parked": 0,
        "dropped": 0,
    }


def test_unauthorized_keeps_scans_pending(tmp_path: Path) -> None:
    script = Script([httpx.Response(401, json=problem("unauthorized", 401))])
    sender = make_sender(tmp_path, script, [])
    sender.queue.enqueue({"code": "A", "action": "receive", "location": "L"})
    assert not sender.drain(timeout=5)
    assert sender.state == "unauthorized"
    assert sender.queue.pending_count() == 1


def test_forbidden_scan_is_rejected_and_the_queue_moves_on(tmp_path: Path) -> None:
    script = Script(
        [
            httpx.Response(403, json=problem("forbidden", 403)),
            httpx.Response(201, json={"id": 2}),
        ]
    )
    sender = make_sender(tmp_path, script, [])
    a = sender.queue.enqueue({"code": "A", "action": "transfer", "location": "L"})
    b = sender.queue.enqueue({"code": "B", "action": "receive", "location": "L"})
    assert sender.drain(timeout=5)
    rejected = sender.queue.get(a.seq)
    assert (rejected.status, rejected.http_status, rejected.error_code) == (
        "rejected",
        403,
        "forbidden",
    )
    assert sender.queue.get(b.seq).status == "sent"
    assert sender.state == "online"


def test_three_server_errors_park_the_scan_and_the_queue_moves_on(tmp_path: Path) -> None:
    boom = problem("internal_error", 500)
    script = Script(
        [
            httpx.Response(500, json=boom),
            httpx.ConnectError("refused"),  # neither counts nor resets
            httpx.Response(503, headers={"Retry-After": "0"}),
            httpx.Response(502),
            httpx.Response(500, json=boom),
            httpx.Response(201, json={"id": 2}),
            httpx.Response(201, json={"id": 3}),
        ]
    )
    events: list[SendEvent] = []
    sender = make_sender(tmp_path, script, events)
    a, b, c = (
        sender.queue.enqueue({"code": x, "action": "receive", "location": "L"}) for x in "ABC"
    )
    assert sender.drain(timeout=10)
    keys = [k for k, _ in script.seen]
    assert keys == [a.key] * 5 + [b.key, c.key]
    parked = sender.queue.get(a.seq)
    assert (parked.status, parked.http_status, parked.error_code, parked.server_errors) == (
        "parked",
        500,
        "internal_error",
        3,
    )
    assert parked.attempts == 5
    assert script.health_checks == 1  # asked once, when the third server error came
    assert [e.kind for e in events if e.kind != "state"] == [
        "retry",
        "retry",
        "retry",
        "retry",
        "parked",
        "delivered",
        "delivered",
    ]
    states = [e.state for e in events if e.kind == "state"]
    assert states == ["server_error", "offline", "server_error", "online"]
    (park,) = [e for e in events if e.kind == "parked"]
    assert park.parked == 1 and park.server_errors == 3
    assert park.scan is not None and park.scan.seq == a.seq
    assert sender.queue.counts()["parked"] == 1 and sender.queue.pending_count() == 0


def test_busy_or_unreachable_server_never_parks(tmp_path: Path) -> None:
    steps: list[object] = []
    for _ in range(4):
        steps += [
            httpx.Response(503, json=problem("service_unavailable", 503)),
            httpx.Response(500, headers={"Retry-After": "0"}, json=problem("internal_error", 500)),
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(408),
            httpx.ConnectError("refused"),
            httpx.ReadTimeout("slow"),
        ]
    script = Script([*steps, httpx.Response(201, json={"id": 1}), httpx.Response(201)])
    sender = make_sender(tmp_path, script, [])
    a = sender.queue.enqueue({"code": "A", "action": "receive", "location": "L"})
    b = sender.queue.enqueue({"code": "B", "action": "receive", "location": "L"})
    assert sender.drain(timeout=30)
    assert [k for k, _ in script.seen] == [a.key] * 25 + [b.key]  # strict order throughout
    assert sender.queue.get(a.seq).server_errors == 0
    assert sender.queue.counts()["parked"] == 0 and sender.queue.counts()["sent"] == 2
    assert script.health_checks == 0


@pytest.mark.parametrize("health", [502, 504, httpx.ConnectError("refused")])
def test_server_errors_during_an_outage_do_not_park(
    tmp_path: Path, health: int | Exception
) -> None:
    # A reverse proxy answering 502 for every request while the app is down: /health fails
    # too, so it is an outage, not this scan's fault. Parking would scatter the whole queue.
    script = Script([httpx.Response(502)] * 5 + [httpx.Response(201)] * 2, health=health)
    sender = make_sender(tmp_path, script, [])
    a = sender.queue.enqueue({"code": "A", "action": "receive", "location": "L"})
    b = sender.queue.enqueue({"code": "B", "action": "receive", "location": "L"})
    assert sender.drain(timeout=10)
    assert [k for k, _ in script.seen] == [a.key] * 6 + [b.key]
    assert script.health_checks == 3  # at the 3rd, 4th and 5th server error
    assert sender.queue.counts()["parked"] == 0


def test_drain_gives_up_at_its_deadline(tmp_path: Path) -> None:
    script = Script([httpx.ConnectError("refused")] * 1000)
    sender = make_sender(tmp_path, script, [])
    sender.queue.enqueue({"code": "A", "action": "receive", "location": "L"})
    assert not sender.drain(timeout=0.3)
    assert sender.queue.pending_count() == 1 and sender.state == "offline"


# --- configuration -----------------------------------------------------------------------


def test_secret_and_config_never_show_the_key() -> None:
    cfg = load_config({"token": "inv_supersecretkey123456"}, env={})
    assert "supersecret" not in repr(cfg)
    assert "supersecret" not in str(cfg.token)
    assert "supersecret" not in repr(ApiClient("http://x", cfg.token))
    assert cfg.token.get() == "inv_supersecretkey123456"


def test_precedence_toml_env_flags(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text(
        '[scanner]\nserver = "http://toml:1"\nlocation = "TOML-LOC"\naction = "issue"\n'
        'gs-substitute = ["@@", "##"]\ndebounce = 1.5\n'
    )
    env = {"INVENTORY_SCAN_LOCATION": "ENV-LOC", "INVENTORY_SCAN_TOKEN": "envkey"}
    cfg = load_config({"action": "count"}, env=env, config_path=toml)
    assert cfg.server == "http://toml:1"
    assert cfg.location == "ENV-LOC"
    assert cfg.action == "count"
    assert cfg.gs_substitutes == ("@@", "##")
    assert cfg.debounce == 1.5
    assert cfg.token.get() == "envkey"


def test_config_file_from_env_and_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    cfg = load_config({}, env={})
    assert cfg.queue == tmp_path / "data" / "inventory-scan" / "queue.db"
    assert cfg.source == "stdin" and cfg.action == "receive"
    toml = tmp_path / "x.toml"
    toml.write_text('source = "images:/tmp"\n')
    assert load_config({}, env={"INVENTORY_SCAN_CONFIG": str(toml)}).source == "images:/tmp"


@pytest.mark.parametrize(
    "flags",
    [{"action": "steal"}, {"decoder": "magic"}, {"server": "ftp://x"}, {"debounce": "-1"}],
)
def test_bad_settings_are_reported(flags: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        load_config(flags, env={})


def test_broken_toml_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("server = \n")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_config({}, env={}, config_path=bad)
