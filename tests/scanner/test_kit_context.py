"""Kit restock in the client, without a server: the context state machine, the request bodies
it builds, the ids' types on the wire, the feedback lines from the kit answers, and the
order in which a stdin session queues everything (server down)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from inventory_svc.domain.limits import REFERENCE_ID
from scanner_client.cli import build_parser, main
from scanner_client.config import MAX_ID, ConfigError, load_config
from scanner_client.context import ScanContext
from scanner_client.feedback import JsonFeedback, RichFeedback, kit_incomplete_line, kit_line
from scanner_client.queue import QueuedScan, ScanQueue
from scanner_client.runner import ScanSession, run_text
from scanner_client.sender import Outcome, SendEvent

ITEM = "]d20100304094921341172712311010LOT1"


def restocking(**kw: Any) -> ScanContext:
    """CMD:RESTOCK, LOC:SHELF-1, KIT:CART-1: what a technician scans first."""
    ctx = ScanContext(device="bench-1", **kw)
    for code in ("CMD:RESTOCK", "LOC:SHELF-1", "KIT:CART-1"):
        ev = ctx.handle(code)
        assert ev is not None and not ev.error
    return ctx


def test_restock_scan_goes_from_the_current_location_into_the_kit_without_a_session() -> None:
    ctx = restocking()
    assert ctx.handle(ITEM) is None and ctx.refusal() is None
    ctx.handle("CMD:QTY:2")
    assert ctx.build_request(ITEM, "t1") == {
        "code": ITEM,
        "action": "restock",
        "location": "SHELF-1",
        "to_location": "CART-1",
        "quantity": 2,
        "device": "bench-1",
        "scanned_at": "t1",
    }


def test_remove_scan_goes_from_the_kit_to_the_current_location() -> None:
    ctx = restocking()
    ctx.handle("CMD:REMOVE")
    body = ctx.build_request(ITEM, "t")
    assert (body["action"], body["location"], body["to_location"]) == (
        "remove",
        "CART-1",
        "SHELF-1",
    )
    # without a current location the server sends it back to the session's source
    bare = ScanContext()
    bare.handle("KIT:CART-1")
    bare.handle("CMD:REMOVE")
    assert bare.refusal() is None
    body = bare.build_request(ITEM, "t")
    assert body["location"] == "CART-1" and "to_location" not in body


def test_kit_selected_in_any_order_and_message_says_where_scans_go() -> None:
    ctx = ScanContext()
    ev = ctx.handle("]C0KIT:CART-1")
    assert ev is not None and ev.kind == "kit" and "CMD:RESTOCK" in ev.message
    ctx.handle("LOC:SHELF-1")
    ev = ctx.handle("CMD:RESTOCK")
    assert ev is not None and ev.message == "action restock with kit CART-1"
    assert ctx.build_request(ITEM, "t")["to_location"] == "CART-1"


def test_transfer_never_goes_into_the_selected_kit() -> None:
    ctx = restocking()
    ev = ctx.handle("CMD:TRANSFER")
    assert ev is not None and "KIT:" in ev.message and "with kit" not in ev.message
    refusal = ctx.refusal()
    assert refusal is not None and refusal.code == "transfer_into_kit"
    assert "CMD:RESTOCK" in refusal.reason and "KIT:" in refusal.reason
    assert "to_location" not in ctx.build_request(ITEM, "t")
    # with the kit cleared, a transfer goes to --to-location (with its pick list) as usual
    ctx = ScanContext(location="STORE", to_location="ADC-3", pick_list=12)
    ctx.handle("KIT:CART-1")
    ctx.handle("KIT:")
    ctx.handle("CMD:TRANSFER")
    assert ctx.refusal() is None
    body = ctx.build_request(ITEM, "t")
    assert (body["location"], body["to_location"], body["pick_list"]) == ("STORE", "ADC-3", 12)
    ctx.handle("CMD:ISSUE")
    body = ctx.build_request(ITEM, "t")
    assert "to_location" not in body and "pick_list" not in body


@pytest.mark.parametrize("action", ["ISSUE", "WASTE", "RECEIVE", "COUNT", "RETURN"])
def test_other_actions_ignore_the_kit(action: str) -> None:
    ctx = restocking()
    ctx.handle(f"CMD:{action}")
    body = ctx.build_request(ITEM, "t")
    assert body["location"] == "SHELF-1" and "to_location" not in body


def test_restock_and_remove_without_a_kit_are_refused_locally() -> None:
    ctx = ScanContext(location="SHELF-1")
    ctx.handle("CMD:RESTOCK")
    refusal = ctx.refusal()
    assert refusal is not None and refusal.code == "no_kit" and "KIT:" in refusal.reason
    ctx.handle("CMD:REMOVE")
    refusal = ctx.refusal()
    assert refusal is not None and refusal.code == "no_kit"
    # a restock session names the kit for the server: the scan may go without KIT:
    ctx = ScanContext(location="SHELF-1", restock_session=5)
    ctx.handle("CMD:RESTOCK")
    assert ctx.refusal() is None
    assert ctx.build_request(ITEM, "t")["restock_session"] == 5
    # the source is needed for a restock
    ctx = ScanContext()
    ctx.handle("KIT:CART-1")
    ctx.handle("CMD:RESTOCK")
    refusal = ctx.refusal()
    assert refusal is not None and refusal.code == "no_location"


def test_cmd_seal_makes_the_next_code_whatever_it_is_the_seal() -> None:
    ctx = restocking()
    ctx.handle("CMD:QTY:3")
    ev = ctx.handle("]C0CMD:SEAL")
    assert ev is not None and ev.kind == "seal" and not ev.error and "CART-1" in ev.message
    # a double read of the CMD:SEAL label is not taken for the seal
    ev = ctx.handle("CMD:SEAL")
    assert ev is not None and ev.kind == "seal" and ctx.seal_armed
    # a seal number that looks like a label or a GTIN is still the seal
    for seal in ("LOC:0012345", "]C0KIT:9", "00012345678905"):
        armed = restocking()
        armed.handle("CMD:SEAL")
        assert armed.handle(seal) is None and armed.refusal() is None
        assert armed.build_request(seal, "t")["code"] == seal.removeprefix("]C0")
        assert armed.location == "SHELF-1" and armed.kit == "CART-1"
    assert ctx.handle("]C0 SEAL-000123 ") is None
    assert ctx.build_request("]C0 SEAL-000123 ", "t2") == {
        "code": "SEAL-000123",
        "action": "seal",
        "location": "CART-1",
        "device": "bench-1",
        "scanned_at": "t2",
    }
    # back to the previous action, the kit still selected, the quantity kept for the next item
    assert not ctx.seal_armed and ctx.action == "restock"
    assert ctx.handle(ITEM) is None
    body = ctx.build_request(ITEM, "t3")
    assert (body["action"], body["to_location"], body["quantity"]) == ("restock", "CART-1", 3)


def test_cmd_seal_from_remove_returns_to_remove_and_carries_the_session() -> None:
    ctx = restocking(restock_session=9)
    ctx.handle("CMD:REMOVE")
    ctx.handle("CMD:SEAL")
    body = ctx.build_request("S-1", "t")
    assert body["action"] == "seal" and body["restock_session"] == 9
    assert ctx.action == "remove"


def test_cmd_seal_without_a_kit_is_an_error_and_arms_nothing() -> None:
    ctx = ScanContext(location="SHELF-1", action="restock")
    ev = ctx.handle("CMD:SEAL")
    assert ev is not None and ev.error and "KIT:" in ev.message
    assert not ctx.seal_armed
    assert ctx.handle("LOC:OTHER") is not None and ctx.location == "OTHER"
    ctx.handle("KIT:CART-1")
    ctx.handle("KIT:")
    ev = ctx.handle("CMD:SEAL")
    assert ev is not None and ev.error


def test_ids_are_integers_on_the_wire() -> None:
    ctx = ScanContext(location="L", kit="K", restock_session=3, count_session=4, pick_list=5)
    for action, field, value in (
        ("RESTOCK", "restock_session", 3),
        ("REMOVE", "restock_session", 3),
        ("COUNT", "count_session", 4),
    ):
        ctx.handle(f"CMD:{action}")
        sent = json.loads(json.dumps(ctx.build_request(ITEM, "t")))
        assert sent[field] == value and type(sent[field]) is int
    ctx.handle("KIT:")
    ctx.handle("CMD:TRANSFER")
    assert type(ctx.build_request(ITEM, "t")["pick_list"]) is int


def test_id_settings_parse_as_int_from_flags_env_and_toml(tmp_path: Path) -> None:
    cfg = load_config({"restock_session": "12", "count_session": 7}, env={})
    assert (cfg.restock_session, cfg.count_session, cfg.pick_list) == (12, 7, None)
    env = {"INVENTORY_SCAN_PICK_LIST": "44", "INVENTORY_SCAN_RESTOCK_SESSION": " 8 "}
    cfg = load_config(env=env)
    assert (cfg.pick_list, cfg.restock_session) == (44, 8)
    toml = tmp_path / "c.toml"
    toml.write_text("[scanner]\nrestock-session = 21\ncount-session = '22'\n")
    cfg = load_config(env={}, config_path=toml)
    assert (cfg.restock_session, cfg.count_session) == (21, 22)
    for bad in ("abc", "1.5", "-3", "0", "12a", "٣", str(REFERENCE_ID.le + 1), True):
        with pytest.raises(ConfigError, match="restock session id"):
            load_config({"restock_session": bad}, env={})
    # the largest id the server takes is the largest the client sends
    assert REFERENCE_ID.le == MAX_ID
    assert load_config({"restock_session": str(REFERENCE_ID.le)}, env={}).restock_session == (
        REFERENCE_ID.le
    )


@pytest.mark.parametrize("flag", ["--restock-session", "--count-session", "--pick-list"])
def test_cli_refuses_a_non_integer_id_with_a_clear_message(
    flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main([flag, "RS-7", "--queue", "/nonexistent/q.db"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert flag in err and "whole number" in err and "RS-7" in err
    args = build_parser().parse_args(["run", flag, "7"])
    assert getattr(args, flag.removeprefix("--").replace("-", "_")) == 7


# --- feedback ---------------------------------------------------------------------------------


def _scan(body: dict[str, Any]) -> QueuedScan:
    return QueuedScan(
        seq=1,
        key="k",
        body=body,
        status="pending",
        captured_at="t",
        attempts=0,
        next_attempt_at=0.0,
        last_error=None,
        http_status=None,
        error_code=None,
        error_detail=None,
        response=None,
        replayed=False,
    )


RESTOCK_BODY = {"code": ITEM, "action": "restock", "location": "SHELF-1", "to_location": "CART-1"}
SHORT_ANSWER: dict[str, Any] = {
    "action": "restock",
    "item": {"name": "Epinephrine"},
    "kit": {
        "code": "CART-1",
        "status": "restocking",
        "short": [
            {"slot": "epinephrine 1 mg", "missing": 2},
            {"slot": "amiodarone", "missing": 1},
        ],
    },
}
INCOMPLETE: dict[str, Any] = {
    "type": "about:blank",
    "status": 409,
    "code": "kit_incomplete",
    "detail": "2 slots short",
    "slots": [
        {"slot": "epinephrine 1 mg", "required": 4, "present": 2, "missing": 2},
        {"slot": "amiodarone", "required": 1, "present": 0, "missing": 1},
    ],
}


def test_kit_line_shows_the_slots_still_short_or_complete() -> None:
    scan = _scan(RESTOCK_BODY)
    assert kit_line(scan, SHORT_ANSWER) == (
        "KIT CART-1 short: epinephrine 1 mg \u00d72, amiodarone \u00d71"
    )
    complete = {**SHORT_ANSWER, "kit": {"code": "CART-1", "status": "restocking", "short": []}}
    assert kit_line(scan, complete) == "KIT CART-1 complete"
    seal = _scan({"code": "S-9", "action": "seal", "location": "CART-1"})
    sealed = {"kit": {"code": "CART-1", "status": "ready", "short": []}}
    assert kit_line(seal, sealed) == "KIT CART-1 sealed with seal S-9 (ready)"
    assert kit_line(scan, {"action": "issue"}) is None
    assert kit_line(scan, None) is None


def test_kit_incomplete_lists_every_short_slot() -> None:
    seal = _scan({"code": "S-9", "action": "seal", "location": "CART-1"})
    assert kit_incomplete_line(seal, INCOMPLETE) == (
        "KIT CART-1 NOT sealed, short: epinephrine 1 mg 2/4 (\u00d72 missing), "
        "amiodarone 0/1 (\u00d71 missing)"
    )
    assert kit_incomplete_line(seal, {"code": "unknown_location"}) is None
    # slots that are not short are left out; if none is short, the refusal's slots are shown
    listed = {**INCOMPLETE, "slots": [*INCOMPLETE["slots"], {"slot": "x", "missing": 0}]}
    assert kit_incomplete_line(seal, listed) == kit_incomplete_line(seal, INCOMPLETE)
    expired = {
        "slots": [{"slot": "atropine", "required": 2, "present": 2, "missing": 0, "expired": 1}]
    }
    assert kit_incomplete_line(seal, expired) == "KIT CART-1 NOT sealed: atropine 2/2 (1 expired)"


def test_terminal_and_json_feedback_carry_the_kit() -> None:
    from rich.console import Console

    scan = _scan(RESTOCK_BODY)
    delivered = SendEvent("delivered", scan, Outcome("delivered", 201, SHORT_ANSWER), "online", 0)
    seal = _scan({"code": "S-9", "action": "seal", "location": "CART-1"})
    refused = SendEvent(
        "rejected",
        seal,
        Outcome("rejected", 409, INCOMPLETE, error_code="kit_incomplete", detail="short"),
        "online",
        0,
    )
    out = io.StringIO()
    rich = RichFeedback(Console(file=out, width=200, color_system=None), bell=False)
    rich.sent(delivered)
    rich.sent(refused)
    text = out.getvalue()
    assert "KIT CART-1 short: epinephrine 1 mg \u00d72, amiodarone \u00d71" in text
    assert "kit_incomplete" in text and "KIT CART-1 NOT sealed, short: epinephrine" in text

    stream = io.StringIO()
    js = JsonFeedback(stream)
    js.sent(delivered)
    js.sent(refused)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["kit"] == SHORT_ANSWER["kit"] and first["kit_line"].startswith("KIT CART-1")
    assert second["error_code"] == "kit_incomplete" and second["slots"] == INCOMPLETE["slots"]
    assert "NOT sealed" in second["kit_line"]


# --- a whole restock into the queue (no server) -----------------------------------------------


class _Collect:
    """A Feedback that keeps what it was told (the runner's only dependency besides the queue)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kw: self.events.append((name, args))


def test_a_stdin_restock_session_queues_items_then_the_seal_in_order(tmp_path: Path) -> None:
    lines = [
        "CMD:RESTOCK",
        "LOC:SHELF-1",
        "CMD:SEAL",  # no kit yet: an error, nothing armed, nothing queued
        "KIT:CART-1",
        "01003040949213411727123110LOT1{GS}21A",
        "CMD:QTY:2",
        "01003040949213411727123110LOT1{GS}21B",
        "CMD:TRANSFER",
        "01003040949213411727123110LOT1{GS}21C",  # refused locally: not into the kit
        "CMD:RESTOCK",
        "CMD:SEAL",
        "SEAL-0042",
        "01003040949213411727123110LOT1{GS}21D",
    ]
    feedback = _Collect()
    with ScanQueue(tmp_path / "q.db") as queue:
        session = ScanSession(queue, ScanContext(device="d"), feedback)
        run_text(io.StringIO("\n".join(lines) + "\n"), session)
        pending = []
        while (head := queue.head()) is not None:
            pending.append(head.body)
            queue.mark_sent(head.seq, 201, {})
        rejections = queue.rejections(10)
    assert [(b["action"], b["location"], b.get("to_location")) for b in pending] == [
        ("restock", "SHELF-1", "CART-1"),
        ("restock", "SHELF-1", "CART-1"),
        ("seal", "CART-1", None),
        ("restock", "SHELF-1", "CART-1"),
    ]
    assert [b.get("quantity") for b in pending] == [None, 2, None, None]
    assert pending[2]["code"] == "SEAL-0042"
    assert [r.error_code for r in rejections] == ["transfer_into_kit"]
    errors = [args[0] for name, args in feedback.events if name == "context" and args[0].error]
    assert len(errors) == 1 and "CMD:SEAL" in errors[0].message
