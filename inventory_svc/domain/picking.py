"""Refill (pick) lists: which lots to take from where. Pure.

The source's usable stock (not expired, recalled or quarantined) is taken earliest expiry
first (FEFO) across its shelves and bins; the picks are then listed in walking order, by
bin code, and the lines by their first bin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class StockAt:
    location: str
    lot: str
    expiry: date | None
    quantity: int


def _fefo(stock: StockAt) -> tuple[bool, date, str, str]:
    return (stock.expiry is None, stock.expiry or date.max, stock.location, stock.lot)


def suggest_picks(stock: Sequence[StockAt], wanted: int) -> list[StockAt]:
    """Up to `wanted` units, earliest expiry first, in walking order (by bin). Fewer when the
    source holds fewer: the line shows how many are short."""
    picks = []
    remaining = wanted
    for held in sorted(stock, key=_fefo):
        if remaining <= 0:
            break
        if held.quantity <= 0:
            continue
        take = min(held.quantity, remaining)
        picks.append(StockAt(held.location, held.lot, held.expiry, take))
        remaining -= take
    return sorted(picks, key=lambda pick: (pick.location, *_fefo(pick)))


def walk_key(first_bins: Sequence[str | None], line: int) -> tuple[bool, str, int]:
    """Lines ordered by the first bin they visit; lines with nothing to pick last."""
    first = first_bins[0] if first_bins else None
    return (first is None, first or "", line)
