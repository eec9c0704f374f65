"""Response classification, backoff, retry ordering (unit level), configuration and masking.

Delivery against the real server is in test_e2e.py; here httpx.MockTransport only plays the
failure modes a healthy server never produces on demand (503, 429 with Retry-After ...).
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
        (403, {}, problem("forbidden", 403), "config"),
        (302, {"Location": "https://x"}, None, "config"),
        (408, {}, None, "retry"),
        (425, {}, None, "retry"),
        (429, {"Retry-After": "7"}, None, "retry"),
        (500, {}, None, "retry"),
        (503, {}, problem("unavailable", 503), "retry"),
    ],
)
def test_classify(status: int, headers: dict[str, str], body: object, kind: str) -> None:
    out = classify(status, httpx.Headers(headers), body)
    assert out.kind == kind
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
    """A scripted sequence of responses (or exceptions) for MockTransport."""

    def __init__(self, steps: list[object]) -> None:
        self.steps: Iterator[object] = iter(steps)
        self.seen: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
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
    assert sender.queue.counts() == {"pending": 0, "sent": 1, "rejected": 1}


def test_unauthorized_keeps_scans_pending(tmp_path: Path) -> None:
    script = Script([httpx.Response(401, json=problem("unauthorized", 401))])
    sender = make_sender(tmp_path, script, [])
    sender.queue.enqueue({"code": "A", "action": "receive", "location": "L"})
    assert not sender.drain(timeout=5)
    assert sender.state == "unauthorized"
    assert sender.queue.pending_count() == 1


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
