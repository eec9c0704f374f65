"""The reorder page's sparklines: points that stay in the box and keep the series' shape."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory_svc.ui import sparkline


def _pairs(points: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in points.split())]


def test_the_busiest_day_is_at_the_top_and_an_idle_day_at_the_bottom() -> None:
    drawn = _pairs(sparkline.points([0, 5, 10], width=100, height=20, pad=2))
    assert drawn == [(0, 18), (50, 10), (100, 2)]


def test_days_are_spread_evenly_across_the_width() -> None:
    xs = [x for x, _ in _pairs(sparkline.points([1] * 31, width=120))]
    assert xs[0] == 0 and xs[-1] == 120
    gaps = {round(b - a, 1) for a, b in itertools.pairwise(xs)}
    assert gaps == {4.0}


def test_no_usage_is_a_flat_line_on_the_floor() -> None:
    drawn = _pairs(sparkline.points([0] * 30, height=24, pad=2))
    assert {y for _, y in drawn} == {22.0}


def test_an_empty_series_draws_nothing_and_one_day_draws_a_flat_line() -> None:
    assert sparkline.points([]) == ""
    assert _pairs(sparkline.points([7], width=10)) == [(0, 2), (10, 2)]


def test_negative_values_never_draw_below_the_box() -> None:
    drawn = _pairs(sparkline.points([-5, 3], height=24, pad=2))
    assert drawn[0][1] == 22.0


@given(st.lists(st.integers(min_value=-10, max_value=10**9), min_size=1, max_size=400))
def test_every_point_stays_inside_the_box(values: list[int]) -> None:
    for x, y in _pairs(sparkline.points(values, width=120, height=24, pad=2)):
        assert 0 <= x <= 120
        assert 2 <= y <= 22


@pytest.mark.parametrize(
    ("values", "words"),
    [([], "no usage recorded"), ([1, 2, 0], "3 used over 3 days, at most 2 in a day")],
)
def test_the_summary_reads_the_series_for_a_screen_reader(values: list[int], words: str) -> None:
    assert sparkline.summary(values) == words
