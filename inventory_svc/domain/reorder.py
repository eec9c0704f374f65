"""Reorder maths: which stock is usable until a new order arrives, how much is used per day,
and how much to order. Pure functions over plain numbers; the database sums the ledger
(db/reorders.py), these turn the sums into the numbers on the reorder list.

- usable on hand: not recalled, not in a quarantine location, and not expiring before an
  order placed today could arrive: expiry on or after `today + lead time` (a lot is usable
  through its expiry date, so with no lead time this is "not expired");
- daily usage: the units used over the trailing window (today and the `usage_days - 1`
  site days before it) divided by `usage_days`;
- days of supply: usable / daily usage (none without usage);
- a line is listed when usable + on order <= reorder point;
- suggested quantity: par - usable - on order, rounded up to whole packs, and at least the
  minimum order (itself rounded up to whole packs); nothing when nothing is missing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from fractions import Fraction
from typing import NamedTuple

DEFAULT_USAGE_DAYS = 30


def usable_expiry_cutoff(today: date, lead_time_days: int) -> date:
    """The earliest expiry still usable when an order placed today arrives."""
    return today + timedelta(days=lead_time_days)


def is_usable(
    expiry: date | None, recalled: bool, quarantined: bool, today: date, lead_time_days: int
) -> bool:
    if recalled or quarantined:
        return False
    return expiry is None or expiry >= usable_expiry_cutoff(today, lead_time_days)


def usage_window_start(today: date, usage_days: int, zone: tzinfo) -> datetime:
    """The UTC instant the trailing window opens: the site's midnight `usage_days - 1` days
    before today (the window is today so far and the whole days before it)."""
    first_day = today - timedelta(days=usage_days - 1)
    return datetime.combine(first_day, time(), tzinfo=zone).astimezone(UTC)


def daily_usage(used: int, usage_days: int) -> Fraction:
    return Fraction(used, usage_days)


def days_of_supply(usable: int, per_day: Fraction) -> Fraction | None:
    return Fraction(usable) / per_day if per_day > 0 else None


def needs_reorder(usable: int, on_order: int, reorder_point: int) -> bool:
    return usable + on_order <= reorder_point


def round_up(quantity: int, multiple: int) -> int:
    return -(-quantity // multiple) * multiple


def suggested_quantity(
    par: int, usable: int, on_order: int, pack_size: int = 1, min_order: int = 1
) -> int:
    """What to order (or pick) to bring the location back to par: what is missing, at least
    the minimum order, rounded up to whole packs."""
    missing = par - usable - on_order
    if missing <= 0:
        return 0
    return round_up(max(missing, min_order), pack_size)


class ReorderFigures(NamedTuple):
    """A named tuple, not a frozen dataclass: built 10,000 times for a hospital's list, and a
    frozen dataclass's constructor is several times slower."""

    usable: int
    on_order: int
    daily_usage: float
    days_of_supply: float | None
    suggested_quantity: int
    line_cost_cents: int | None


def figures(
    *,
    par: int,
    usable: int,
    on_order: int,
    used: int,
    usage_days: int,
    pack_size: int = 1,
    min_order: int = 1,
    unit_cost_cents: int | None = None,
) -> ReorderFigures:
    """Every derived number of one reorder line, from the ledger's sums.

    The list shows floats rounded for people, so the exact ratios (`daily_usage`,
    `days_of_supply`) are taken here by integer true division: Python rounds an int / int
    quotient correctly, exactly as float(Fraction(...)) does, at a fraction of the cost
    (10,000 lines: tests/unit/test_reorder_maths.py checks they agree)."""
    suggested = suggested_quantity(par, usable, on_order, pack_size, min_order)
    return ReorderFigures(  # in the fields' order: cheaper than keywords, 10,000 times
        usable,
        on_order,
        round(used / usage_days, 3),
        round(usable * usage_days / used, 1) if used > 0 else None,
        suggested,
        None if unit_cost_cents is None else suggested * unit_cost_cents,
    )


def check_par_level(par: int, reorder_point: int, maximum: int | None) -> str | None:
    """Why the numbers cannot be a par level, or None: reorder point <= par <= max."""
    if reorder_point > par:
        return f"reorder_point ({reorder_point}) must not exceed par ({par})."
    if maximum is not None and par > maximum:
        return f"par ({par}) must not exceed max ({maximum})."
    return None
