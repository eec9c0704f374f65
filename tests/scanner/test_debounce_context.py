"""Pure parts: debounce (time injected) and the LOC/KIT/CMD state machine."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner_client.context import ScanContext
from scanner_client.debounce import Debouncer, TextDebouncer


def feed(deb: Debouncer, frames: list[tuple[float, list[str]]]) -> list[str]:
    out: list[str] = []
    for t, texts in frames:
        out += deb.frame(t, texts)
    return out


def test_held_code_counts_once_however_long() -> None:
    deb = Debouncer(window=2.0)
    frames = [(i / 30, ["A"]) for i in range(30 * 10)]  # 10 s at 30 fps
    assert feed(deb, frames) == ["A"]


def test_code_seen_again_after_window_counts_again_without_leaving() -> None:
    deb = Debouncer(window=2.0, absent_frames=1000)  # never "leaves"
    assert feed(deb, [(0.0, ["A"]), (1.9, ["A"]), (4.0, ["A"])]) == ["A", "A"]


def test_leaving_the_view_then_returning_counts_twice() -> None:
    deb = Debouncer(window=2.0, absent_frames=3, absent_seconds=0.8)
    frames = [(i / 10, ["A"]) for i in range(10)]
    frames += [(1.0 + i / 10, []) for i in range(10)]  # gone for 1 s (< window)
    frames += [(2.0 + i / 10, ["A"]) for i in range(10)]
    assert feed(deb, frames) == ["A", "A"]


def test_short_dropouts_are_not_leaving() -> None:
    deb = Debouncer(window=2.0, absent_frames=3, absent_seconds=0.8)
    frames = []
    for i in range(100):
        frames.append((i / 30, [] if i % 10 in (4, 5) else ["A"]))
    assert feed(deb, frames) == ["A"]


def test_different_codes_each_count() -> None:
    deb = Debouncer()
    assert feed(deb, [(0.0, ["A", "B"]), (0.1, ["A", "B"]), (0.2, ["B", "C"])]) == [
        "A",
        "B",
        "C",
    ]


@given(st.lists(st.sampled_from(["A", "B", "C"]), min_size=1, max_size=200))
def test_continuous_view_never_double_counts(seq: list[str]) -> None:
    """Codes continuously in view (every frame) count exactly once each."""
    deb = Debouncer(window=2.0)
    present = sorted(set(seq))
    out = feed(deb, [(i / 30, present) for i in range(len(seq))])
    assert sorted(out) == present


def test_text_debouncer_defaults_off_and_window_when_set() -> None:
    off = TextDebouncer()
    assert all(off.accept(t, "X") for t in (0.0, 0.1, 0.2))
    on = TextDebouncer(2.0)
    assert [on.accept(t, "X") for t in (0.0, 0.5, 1.0, 3.5)] == [True, False, False, True]
    assert on.accept(3.6, "Y")


# --- context ---------------------------------------------------------------------------------


def test_context_codes_are_local_and_item_scans_carry_the_context() -> None:
    ctx = ScanContext(device="bench-1")
    assert ctx.handle("]C0LOC:MAIN-A1").kind == "location"  # type: ignore[union-attr]
    assert ctx.handle("CMD:ISSUE").kind == "action"  # type: ignore[union-attr]
    assert ctx.handle("]d2010030409492134117271231") is None
    body = ctx.build_request("]d2010030409492134117271231", "2026-01-01T00:00:00.000Z")
    assert body == {
        "code": "]d2010030409492134117271231",
        "action": "issue",
        "location": "MAIN-A1",
        "device": "bench-1",
        "scanned_at": "2026-01-01T00:00:00.000Z",
    }


def test_quantity_applies_to_the_next_scan_only() -> None:
    ctx = ScanContext(location="MAIN-A1")
    ev = ctx.handle("CMD:QTY:12")
    assert ev is not None and ev.kind == "quantity" and not ev.error
    assert ctx.build_request("X", "t")["quantity"] == 12
    assert "quantity" not in ctx.build_request("X", "t")


@pytest.mark.parametrize("bad", ["CMD:QTY:0", "CMD:QTY:-1", "CMD:QTY:abc", "CMD:QTY:"])
def test_bad_quantity_is_an_error_and_changes_nothing(bad: str) -> None:
    ctx = ScanContext(location="L")
    ev = ctx.handle(bad)
    assert ev is not None and ev.error
    assert ctx.next_quantity is None


def test_kit_is_used_by_restock_and_remove_only() -> None:
    ctx = ScanContext(location="MAIN-A1")
    ctx.handle("KIT:CC-01")
    ctx.handle("CMD:RESTOCK")
    body = ctx.build_request("X", "t")
    assert (body["location"], body["to_location"]) == ("MAIN-A1", "CC-01")
    ctx.handle("CMD:REMOVE")
    body = ctx.build_request("X", "t")
    assert (body["location"], body["to_location"]) == ("CC-01", "MAIN-A1")
    ctx.handle("CMD:ISSUE")
    body = ctx.build_request("X", "t")
    assert body["location"] == "MAIN-A1" and "to_location" not in body
    ctx.handle("KIT:")
    ctx.handle("CMD:RESTOCK")
    assert "to_location" not in ctx.build_request("X", "t")


@pytest.mark.parametrize(
    "action", ["RECEIVE", "ISSUE", "TRANSFER", "RESTOCK", "REMOVE", "COUNT", "LOOKUP", "WASTE"]
)
def test_all_command_actions(action: str) -> None:
    ctx = ScanContext()
    ev = ctx.handle(f"]C0CMD:{action}")
    assert ev is not None and not ev.error
    assert ctx.action == action.lower()


def test_unknown_command_and_plain_codes_with_colons() -> None:
    ctx = ScanContext()
    ev = ctx.handle("CMD:DANCE")
    assert ev is not None and ev.error and ctx.action == "receive"
    assert ctx.handle("http://example.org/x") is None  # a QR URL is not context
    assert ctx.handle("]C0loc:main-b2") is not None and ctx.location == "main-b2"


def test_missing_location_is_reported_except_for_lookup() -> None:
    ctx = ScanContext()
    assert ctx.missing() is not None
    ctx.handle("CMD:LOOKUP")
    assert ctx.missing() is None
    assert "location" not in ctx.build_request("X", "t")


def test_sessions_and_po_are_sent_with_matching_actions() -> None:
    ctx = ScanContext(location="L", purchase_order="PO-1", count_session=7)
    assert ctx.build_request("X", "t")["purchase_order"] == "PO-1"
    ctx.handle("CMD:COUNT")
    body = ctx.build_request("X", "t")
    assert body["count_session"] == 7 and "purchase_order" not in body
