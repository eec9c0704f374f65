"""Sparklines drawn on the server: a polyline's points from a series of numbers.

Pure arithmetic so that the reorder page needs no charting script and the picture is the
same with JavaScript off; unit-tested in tests/unit/test_sparkline.py."""

from __future__ import annotations

from collections.abc import Sequence

WIDTH = 120
HEIGHT = 24
PAD = 2.0
"""Room kept at the top and bottom so a stroke on the extremes is not clipped."""


def _fmt(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def points(
    values: Sequence[float], width: float = WIDTH, height: float = HEIGHT, pad: float = PAD
) -> str:
    """SVG polyline points ("x,y x,y ...") spreading `values` evenly from x=0 to x=width,
    the largest value at y=pad and zero at y=height-pad (the SVG y axis points down).
    Negative values count as zero: usage is never negative, and a bad value must not draw
    outside the box. An empty series draws nothing; a single value a flat line."""
    if not values:
        return ""
    ys = [max(float(v), 0.0) for v in values]
    if len(ys) == 1:
        ys = ys * 2
    top = max(ys)
    span = height - 2 * pad
    step = width / (len(ys) - 1)
    return " ".join(
        f"{_fmt(i * step)},{_fmt(height - pad - (y / top * span if top > 0 else 0.0))}"
        for i, y in enumerate(ys)
    )


def summary(values: Sequence[float]) -> str:
    """The words a screen reader gets instead of the picture."""
    if not values:
        return "no usage recorded"
    total = sum(max(v, 0) for v in values)
    peak = max(max(v, 0) for v in values)
    return f"{_fmt(total)} used over {len(values)} days, at most {_fmt(peak)} in a day"
