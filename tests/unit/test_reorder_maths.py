"""The reorder maths and the purchase-order lifecycle, pure (domain/reorder.py,
domain/purchasing.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory_svc.domain import purchasing, reorder
from inventory_svc.domain.errors import BadRequest, InvalidTransition
from inventory_svc.domain.purchasing import Acknowledgement, PoAction, PoLine, apply_receipt
from inventory_svc.domain.vocabulary import PurchaseOrderStatus as Status

TODAY = date(2026, 11, 29)


# --- usable stock ---


def test_a_lot_is_usable_when_it_lasts_until_an_order_placed_today_arrives() -> None:
    assert reorder.usable_expiry_cutoff(TODAY, 5) == date(2026, 12, 4)
    assert reorder.is_usable(date(2026, 12, 4), False, False, TODAY, 5)
    assert not reorder.is_usable(date(2026, 12, 3), False, False, TODAY, 5)
    # No lead time: usable through its expiry date, like the stock report.
    assert reorder.is_usable(TODAY, False, False, TODAY, 0)
    assert not reorder.is_usable(TODAY - timedelta(days=1), False, False, TODAY, 0)
    assert reorder.is_usable(None, False, False, TODAY, 365)


def test_recalled_and_quarantined_stock_is_never_usable() -> None:
    assert not reorder.is_usable(None, True, False, TODAY, 0)
    assert not reorder.is_usable(None, False, True, TODAY, 0)


# --- usage ---


def test_the_usage_window_starts_at_the_sites_midnight() -> None:
    chicago = ZoneInfo("America/Chicago")
    # 30 days: today and the 29 before it; Chicago's midnight is 06:00 UTC in winter.
    assert reorder.usage_window_start(TODAY, 30, chicago) == datetime(2026, 10, 31, 5, tzinfo=UTC)
    assert reorder.usage_window_start(TODAY, 1, UTC) == datetime(2026, 11, 29, tzinfo=UTC)


def test_daily_usage_and_days_of_supply() -> None:
    assert reorder.daily_usage(45, 30) == Fraction(3, 2)
    assert reorder.days_of_supply(30, Fraction(3, 2)) == 20
    assert reorder.days_of_supply(30, Fraction(0)) is None
    numbers = reorder.figures(par=100, usable=10, on_order=0, used=7, usage_days=30)
    assert numbers.daily_usage == 0.233
    assert numbers.days_of_supply == 42.9
    assert (
        reorder.figures(par=1, usable=0, on_order=0, used=0, usage_days=30).days_of_supply is None
    )


# --- how much to order ---


@pytest.mark.parametrize(
    ("par", "usable", "on_order", "pack", "moq", "expected"),
    [
        (100, 20, 0, 1, 1, 80),
        (100, 20, 0, 12, 1, 84),  # rounded up to whole packs
        (100, 95, 0, 1, 20, 20),  # at least the minimum order
        (100, 95, 0, 12, 20, 24),  # the minimum itself in whole packs
        (100, 20, 30, 10, 1, 50),  # what is on order counts
        (100, 60, 40, 10, 20, 0),  # nothing missing: nothing to order
        (100, 120, 0, 10, 20, 0),
        (10, 0, 0, 25, 1, 25),
    ],
)
def test_the_suggested_quantity(
    par: int, usable: int, on_order: int, pack: int, moq: int, expected: int
) -> None:
    assert reorder.suggested_quantity(par, usable, on_order, pack, moq) == expected


@given(
    par=st.integers(0, 10_000),
    usable=st.integers(0, 10_000),
    on_order=st.integers(0, 10_000),
    pack=st.integers(1, 500),
    moq=st.integers(1, 2_000),
)
def test_a_suggestion_fills_to_par_in_whole_packs_and_no_more_than_needed(
    par: int, usable: int, on_order: int, pack: int, moq: int
) -> None:
    quantity = reorder.suggested_quantity(par, usable, on_order, pack, moq)
    missing = par - usable - on_order
    if missing <= 0:
        assert quantity == 0
        return
    assert quantity % pack == 0
    assert quantity >= missing and quantity >= moq
    # One pack less would fall short of what is missing or of the minimum order.
    assert quantity - pack < max(missing, moq)


def test_a_line_is_listed_at_or_below_its_reorder_point() -> None:
    assert reorder.needs_reorder(usable=3, on_order=2, reorder_point=5)
    assert not reorder.needs_reorder(usable=3, on_order=3, reorder_point=5)


def test_line_cost_is_integer_cents() -> None:
    numbers = reorder.figures(
        par=100, usable=10, on_order=0, used=0, usage_days=30, pack_size=10, unit_cost_cents=199
    )
    assert (numbers.suggested_quantity, numbers.line_cost_cents) == (90, 17_910)
    assert (
        reorder.figures(par=1, usable=0, on_order=0, used=0, usage_days=1).line_cost_cents is None
    )


def test_par_levels_keep_reorder_point_within_par_within_max() -> None:
    assert reorder.check_par_level(10, 5, 20) is None
    assert reorder.check_par_level(10, 10, 10) is None
    assert reorder.check_par_level(10, 11, None) is not None
    assert reorder.check_par_level(21, 5, 20) is not None


# --- the purchase-order lifecycle ---

LEGAL = {
    (Status.DRAFT, PoAction.EDIT),
    (Status.DRAFT, PoAction.SUBMIT),
    (Status.DRAFT, PoAction.CANCEL),
    (Status.SUBMITTED, PoAction.ACKNOWLEDGE),
    (Status.SUBMITTED, PoAction.CANCEL),
    (Status.SUBMITTED, PoAction.RECEIVE),
    (Status.ACKNOWLEDGED, PoAction.CANCEL),
    (Status.ACKNOWLEDGED, PoAction.RECEIVE),
    (Status.PARTIALLY_RECEIVED, PoAction.RECEIVE),
    # A shipment notice (ASN) only for what may still be received.
    (Status.SUBMITTED, PoAction.SHIP),
    (Status.ACKNOWLEDGED, PoAction.SHIP),
    (Status.PARTIALLY_RECEIVED, PoAction.SHIP),
}
EVERY_STEP = [(status, action) for status in Status for action in PoAction]


@pytest.mark.parametrize(
    ("status", "action"), EVERY_STEP, ids=[f"{s.value}-{a.value}" for s, a in EVERY_STEP]
)
def test_every_step_is_allowed_exactly_where_the_lifecycle_says(
    status: Status, action: PoAction
) -> None:
    if (status, action) in LEGAL:
        purchasing.check_transition("PO-1", status, action)
    else:
        with pytest.raises(InvalidTransition) as refused:
            purchasing.check_transition("PO-1", status, action)
        assert (refused.value.code, refused.value.status) == ("invalid_transition", 409)


def test_expected_is_ordered_until_acknowledged_then_confirmed_plus_backordered() -> None:
    assert purchasing.expected_quantity(100, None, 0) == 100
    assert purchasing.expected_quantity(100, 60, 30) == 90
    assert PoLine(1, 7, 100, 60, 30, received=50).outstanding == 40
    assert PoLine(1, 7, 100, 60, 30, received=95).outstanding == 0


def test_an_acknowledgement_confirms_named_lines_and_the_rest_as_ordered() -> None:
    lines = [PoLine(1, 7, 100), PoLine(2, 8, 10)]
    acked = purchasing.acknowledge_lines(lines, [Acknowledgement(1, 60, 30)])
    assert [(x.confirmed, x.backordered) for x in acked] == [(60, 30), (10, 0)]
    with pytest.raises(BadRequest):
        purchasing.acknowledge_lines(lines, [Acknowledgement(1, 90, 11)])
    with pytest.raises(BadRequest):
        purchasing.acknowledge_lines(lines, [Acknowledgement(3, 1)])
    with pytest.raises(BadRequest):
        purchasing.acknowledge_lines(lines, [Acknowledgement(1, 1), Acknowledgement(1, 2)])


# --- receipts ---


def test_a_partial_receipt_then_the_rest() -> None:
    lines = [PoLine(1, 7, 100, confirmed=100), PoLine(2, 8, 10, confirmed=10)]
    first = apply_receipt("PO-1", Status.ACKNOWLEDGED, lines, 7, 40)
    assert (first.status, first.filled, first.warnings) == (
        Status.PARTIALLY_RECEIVED,
        [(1, 40)],
        [],
    )
    second = apply_receipt("PO-1", first.status, first.lines, 7, 60)
    assert second.status == Status.PARTIALLY_RECEIVED  # line 2 still open
    third = apply_receipt("PO-1", second.status, second.lines, 8, 10)
    assert third.status == Status.RECEIVED
    assert [x.received for x in third.lines] == [100, 10]


def test_an_over_receipt_is_booked_with_a_warning() -> None:
    lines = [PoLine(1, 7, 10)]
    receipt = apply_receipt("PO-1", Status.SUBMITTED, lines, 7, 14)
    assert receipt.lines[0].received == 14
    assert receipt.filled == [(1, 10), (1, 4)]
    assert [w.code for w in receipt.warnings] == ["over_received"]
    assert receipt.status == Status.RECEIVED


def test_an_item_not_on_the_order_fills_nothing_and_warns() -> None:
    lines = [PoLine(1, 7, 10)]
    receipt = apply_receipt("PO-1", Status.SUBMITTED, lines, 99, 5)
    assert receipt.lines == lines
    assert [w.code for w in receipt.warnings] == ["not_on_order"]
    assert receipt.status == Status.SUBMITTED


def test_a_receipt_fills_an_items_lines_in_order_and_counts_backorders() -> None:
    lines = [PoLine(1, 7, 10, confirmed=5, backordered=5), PoLine(2, 7, 10)]
    receipt = apply_receipt("PO-1", Status.ACKNOWLEDGED, lines, 7, 15)
    assert receipt.filled == [(1, 10), (2, 5)]
    assert receipt.status == Status.PARTIALLY_RECEIVED


@pytest.mark.parametrize("status", [Status.DRAFT, Status.CANCELLED, Status.RECEIVED])
def test_a_receipt_against_a_po_that_takes_none_is_invalid_transition(status: Status) -> None:
    with pytest.raises(InvalidTransition):
        apply_receipt("PO-1", status, [PoLine(1, 7, 10)], 7, 1)


# --- pick lists ---


def test_picks_take_earliest_expiry_first_and_are_listed_by_bin() -> None:
    from inventory_svc.domain.picking import StockAt, suggest_picks, walk_key

    stock = [
        StockAt("B2", "L1", date(2027, 1, 1), 10),
        StockAt("B1", "L2", date(2028, 1, 1), 10),
        StockAt("B3", "L3", date(2026, 12, 31), 4),
        StockAt("B0", "L4", None, 50),
    ]
    assert suggest_picks(stock, 12) == [
        StockAt("B2", "L1", date(2027, 1, 1), 8),
        StockAt("B3", "L3", date(2026, 12, 31), 4),
    ]
    everything = suggest_picks(stock, 100)
    assert sum(pick.quantity for pick in everything) == 74  # 26 short
    assert [pick.location for pick in everything] == ["B0", "B1", "B2", "B3"]
    assert suggest_picks(stock, 0) == []
    assert walk_key([], 1) > walk_key(["B9"], 2) > walk_key(["B1"], 3)


@given(
    used=st.integers(min_value=0, max_value=10**12),
    usable=st.integers(min_value=0, max_value=10**12),
    usage_days=st.integers(min_value=1, max_value=3650),
)
def test_the_lists_floats_are_the_exact_ratios_rounded(
    used: int, usable: int, usage_days: int
) -> None:
    """figures() divides integers for speed; the numbers are those of the exact fractions."""
    numbers = reorder.figures(par=0, usable=usable, on_order=0, used=used, usage_days=usage_days)
    per_day = reorder.daily_usage(used, usage_days)
    supply = reorder.days_of_supply(usable, per_day)
    assert numbers.daily_usage == round(float(per_day), 3)
    assert numbers.days_of_supply == (None if supply is None else round(float(supply), 1))
