"""Recall rules: which lots a recall names, and where the affected stock goes.

Pure: a recall names an item and lot numbers (or every lot, `*`). A lot number matches every
expiry it was received with and every later receipt of it, so the recall is kept by number,
not by lot row.
"""

from __future__ import annotations

from collections.abc import Sequence

from inventory_svc.domain.errors import BadRequest

ALL_LOTS = "*"
"""Every lot of the item, those received later included."""


def recalled_numbers(lots: Sequence[str]) -> tuple[str, ...]:
    """The lot numbers a recall names, de-duplicated in the order given; `*` stands alone."""
    numbers = tuple(dict.fromkeys(lot.strip() for lot in lots))
    if ALL_LOTS in numbers and len(numbers) > 1:
        raise BadRequest("A recall of every lot (`*`) names no other lot numbers.")
    if not numbers:
        raise BadRequest("A recall names at least one lot number, or `*` for every lot.")
    return numbers


def matches(lot_number: str, recalled: Sequence[str]) -> bool:
    return ALL_LOTS in recalled or lot_number in recalled
