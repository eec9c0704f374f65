"""The count arithmetic (domain/counts.py) without a database: lots counted, not counted,
counted as a whole item, and movements after the first count scan."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from inventory_svc.domain.counts import (
    Adjustment,
    CountedLine,
    LotOnShelf,
    LotRef,
    latest_expiring_first,
    settle,
)

EARLY, LATE = date(2027, 1, 31), date(2028, 6, 30)
REFS = {1: LotRef(1, "A", EARLY), 2: LotRef(2, "B", LATE), 3: LotRef(3, "C", None)}


def _shelf(**on_hand: int) -> list[LotOnShelf]:
    ids = {"A": 1, "B": 2, "C": 3}
    return [LotOnShelf(7, ids[lot], lot, REFS[ids[lot]].expiry, q) for lot, q in on_hand.items()]


def test_a_counted_lot_replaces_its_balance_at_the_first_scan() -> None:
    # 9 counted when 10 were on hand; 2 issued since (on hand now 8): one is missing.
    result = settle([CountedLine(7, 1, 9, 10)], _shelf(A=8), REFS, {})
    assert result.adjustments == [Adjustment(7, 1, -1)]
    assert [(v.counted, v.expected, v.difference) for v in result.lines] == [(9, 10, -1)]


def test_lots_not_counted_count_as_zero() -> None:
    result = settle([CountedLine(7, 1, 10, 10)], _shelf(A=10, B=4), REFS, {})
    assert result.adjustments == [Adjustment(7, 2, -4)]


def test_an_item_counted_as_a_whole_settles_latest_expiry_first() -> None:
    lines = [CountedLine(7, None, 5, 0), CountedLine(7, 1, 0, 4), CountedLine(7, 2, 0, 3)]
    short = settle(lines, _shelf(A=4, B=3), REFS, {})
    assert short.adjustments == [Adjustment(7, 2, -2)]  # 7 expected, 5 counted: B first
    lines[0] = CountedLine(7, None, 1, 0)
    shorter = settle(lines, _shelf(A=4, B=3), REFS, {})
    assert shorter.adjustments == [Adjustment(7, 2, -3), Adjustment(7, 1, -3)]
    lines[0] = CountedLine(7, None, 9, 0)
    surplus = settle(lines, _shelf(A=4, B=3), REFS, {})
    assert surplus.adjustments == [Adjustment(7, 2, 2)]


def test_a_whole_item_surplus_with_nothing_on_the_shelf_goes_to_the_fallback_lot() -> None:
    result = settle([CountedLine(7, None, 3, 0)], [], REFS, {7: REFS[1]})
    assert result.adjustments == [Adjustment(7, 1, 3)]
    assert settle([CountedLine(7, None, 3, 0)], [], REFS, {}).adjustments == []


def test_no_adjustment_takes_a_balance_below_zero() -> None:
    # 5 counted of 10; 8 issued since: only 2 left to take.
    assert settle([CountedLine(7, 1, 5, 10)], _shelf(A=2), REFS, {}).adjustments == [
        Adjustment(7, 1, -2)
    ]


def test_lots_without_expiry_come_first_then_the_latest() -> None:
    assert [lot.lot_number for lot in latest_expiring_first(REFS.values())] == ["C", "B", "A"]


@given(
    counted=st.integers(0, 50),
    baseline=st.integers(0, 50),
    moved_since=st.integers(-50, 50),
)
def test_after_the_commit_the_shelf_holds_what_was_counted_plus_what_moved_since(
    counted: int, baseline: int, moved_since: int
) -> None:
    now = baseline + moved_since
    if now < 0:
        return
    result = settle([CountedLine(7, 1, counted, baseline)], _shelf(A=now), REFS, {})
    change = sum(adjustment.quantity for adjustment in result.adjustments)
    assert now + change == max(counted + moved_since, 0)
