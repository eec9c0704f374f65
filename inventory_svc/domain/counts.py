"""Cycle-count arithmetic (DESIGN §2, count session): what a count's commit adjusts.

Pure functions over plain values. Each item-lot is compared with its balance at its first
count scan (`baseline`): the units counted replace that balance, and movements after the
first scan stay on top, so the adjustment of a lot is `counted - baseline` whatever moved
since (never taking more than is on hand now). Lots at the location that nobody counted
count as zero. A barcode without a lot counts the item as a whole: its first scan takes the
baseline of every lot of the item on the shelf (the lots it stands for, its *pool*), and the
commit settles the difference on the pool's latest-expiring lots first, or adds a surplus to
the latest-expiring lot the item has; it never invents a lot number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class LotOnShelf:
    """A lot of an item at the counted location, with its on-hand now."""

    item_id: int
    lot_id: int
    lot_number: str
    expiry: date | None
    on_hand: int


@dataclass(frozen=True, slots=True)
class CountedLine:
    """A count line: `lot_id` None is the item counted as a whole (barcodes without lot);
    a lot line with `counted` 0 was only snapshotted by such a scan (it is in the pool)."""

    item_id: int
    lot_id: int | None
    counted: int
    baseline: int


@dataclass(frozen=True, slots=True)
class LotRef:
    lot_id: int
    lot_number: str
    expiry: date | None


@dataclass(frozen=True, slots=True)
class Adjustment:
    """`quantity` units of a lot into the location (> 0, from `@adjustment`) or out of it
    (< 0, to `@adjustment`)."""

    item_id: int
    lot_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class LineView:
    """One line of a count as shown: counted against expected (lot None: the item as a
    whole, expected being the baseline of the lots it stands for)."""

    item_id: int
    lot_id: int | None
    counted: int
    expected: int

    @property
    def difference(self) -> int:
        return self.counted - self.expected


def latest_expiring_first(lots: Iterable[LotRef]) -> list[LotRef]:
    """Lots without an expiry never expire: they come first, then the latest expiry."""
    return sorted(
        lots,
        key=lambda lot: (lot.expiry is not None, -(lot.expiry or date.min).toordinal(), lot.lot_id),
    )


@dataclass(frozen=True, slots=True)
class Settlement:
    lines: list[LineView]
    adjustments: list[Adjustment]


def settle(
    lines: Sequence[CountedLine],
    shelf: Sequence[LotOnShelf],
    lot_refs: dict[int, LotRef],
    fallback_lots: dict[int, LotRef],
) -> Settlement:
    """The lines shown and the adjustments a commit writes.

    `shelf`: every balance row of the location (zero ones included); `lot_refs`: the lots
    the lines and the shelf name; `fallback_lots`: per item counted as a whole, its
    latest-expiring lot anywhere, or its lot without number (where a surplus goes when the
    shelf has none of it; an item missing there keeps its surplus unbooked)."""
    on_hand = {(lot.item_id, lot.lot_id): lot.on_hand for lot in shelf}
    items = sorted({line.item_id for line in lines} | {lot.item_id for lot in shelf})
    views: list[LineView] = []
    adjustments: list[Adjustment] = []

    def adjust(item_id: int, lot_id: int, delta: int) -> None:
        delta = max(delta, -on_hand.get((item_id, lot_id), 0))  # never below zero
        if delta:
            adjustments.append(Adjustment(item_id, lot_id, delta))

    lines_of: dict[int, list[CountedLine]] = defaultdict(list)
    for line in lines:
        lines_of[line.item_id].append(line)
    shelf_of: dict[int, list[LotOnShelf]] = defaultdict(list)
    for lot in shelf:
        shelf_of[lot.item_id].append(lot)
    for item_id in items:
        item_lines = lines_of[item_id]
        whole = next((line for line in item_lines if line.lot_id is None), None)
        by_lot = {line.lot_id: line for line in item_lines if line.lot_id is not None}
        explicit = {lot: line for lot, line in by_lot.items() if line.counted > 0}
        pool = {lot: line for lot, line in by_lot.items() if line.counted == 0}
        for lot_id, line in sorted(explicit.items()):
            views.append(LineView(item_id, lot_id, line.counted, line.baseline))
            adjust(item_id, lot_id, line.counted - line.baseline)
        if whole is None:
            # Lots nobody counted count as zero (their snapshot, or what is on hand now).
            for lot_id, line in sorted(pool.items()):
                views.append(LineView(item_id, lot_id, 0, line.baseline))
                adjust(item_id, lot_id, -line.baseline)
            for lot in shelf_of[item_id]:
                if lot.lot_id not in by_lot and lot.on_hand > 0:
                    views.append(LineView(item_id, lot.lot_id, 0, lot.on_hand))
                    adjust(item_id, lot.lot_id, -lot.on_hand)
            continue
        # Counted as a whole: lots that arrived after its first scan stay as they are.
        expected = sum(line.baseline for line in pool.values())
        views.append(LineView(item_id, None, whole.counted, expected))
        difference = whole.counted - expected
        if difference < 0:
            remaining = -difference
            for ref in latest_expiring_first(lot_refs[lot_id] for lot_id in pool):
                take = min(remaining, pool[ref.lot_id].baseline)
                if take:
                    adjust(item_id, ref.lot_id, -take)
                    remaining -= take
        elif difference > 0:
            candidates = [lot_refs[lot_id] for lot_id in pool] or [
                lot_refs[lot_id] for lot_id in explicit
            ]
            ordered = latest_expiring_first(candidates)
            target = ordered[0] if ordered else fallback_lots.get(item_id)
            if target is not None:
                adjust(item_id, target.lot_id, difference)
    return Settlement(views, adjustments)


__all__ = [
    "Adjustment",
    "CountedLine",
    "LineView",
    "LotOnShelf",
    "LotRef",
    "Settlement",
    "latest_expiring_first",
    "settle",
]
