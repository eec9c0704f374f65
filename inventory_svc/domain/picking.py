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


@dataclass(frozen=True, slots=True)
class PickLine:
    """A pick-list line as filling needs it: `from_source` says whether the scan's source
    lies in the line's source location (or below it)."""

    line: int
    item_id: int
    requested: int
    picked: int
    from_source: bool


@dataclass(frozen=True, slots=True)
class Picked:
    filled: list[tuple[int, int]]
    """(line, units) booked against each line."""
    complete: bool
    warnings: list[tuple[str, str]]


def apply_pick(
    pick_list_id: int, lines: Sequence[PickLine], item_id: int, quantity: int, *, to_list: bool
) -> Picked:
    """A `transfer` naming the pick list fills its lines for the item whose source holds the
    scan's source, in line order, up to what each still needs; what is left over is an
    `over_picked` warning. A transfer that is not to the list's location (or below it), or of
    an item the list has no line for from that source, fills nothing and says so: the stock
    moves all the same, as the technician scanned it."""
    if not to_list:
        return Picked(
            [],
            False,
            [
                (
                    "not_for_pick_list",
                    f"This transfer does not go to pick list {pick_list_id}'s location.",
                )
            ],
        )
    matching = [line for line in lines if line.item_id == item_id and line.from_source]
    if not matching:
        return Picked(
            [],
            False,
            [
                (
                    "not_on_pick_list",
                    f"Pick list {pick_list_id} has no line for this item from here.",
                )
            ],
        )
    filled: list[tuple[int, int]] = []
    left = quantity
    for line in matching:
        take = min(left, max(line.requested - line.picked, 0))
        if take:
            filled.append((line.line, take))
            left -= take
    warnings = []
    if left:
        warnings.append(
            ("over_picked", f"{left} units more than pick list {pick_list_id} asks for.")
        )
    after = {line.line: line.picked for line in lines}
    for number, units in filled:
        after[number] += units
    complete = all(after[line.line] >= line.requested for line in lines)
    return Picked(filled, complete, warnings)
