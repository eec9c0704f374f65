"""Typed rows of counts, the controlled-substance ledger, reversals and imports, as the API
answers with them (the schemas are these Structs)."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from inventory_svc.domain.records import BalanceLine, MovementLine
from inventory_svc.domain.vocabulary import CountStatus


class CountLineOut(msgspec.Struct):
    """Counted against expected for one lot (`lot` None: the item counted as a whole from
    barcodes without a lot). `expected` and `difference` are null for the counter of a
    blind count that is still open."""

    item: int
    item_name: str
    schedule: str | None
    lot: str | None
    expiry: date | None
    counted: int
    expected: int | None
    difference: int | None


class CountAdjustmentOut(msgspec.Struct):
    """A `count_adjust` movement a commit wrote (or, before the commit, would write):
    `quantity` > 0 into the location, < 0 out of it."""

    item: int
    lot: str
    expiry: date | None
    quantity: int
    movement: int | None = None
    lot_id: int | None = None


class CountOut(msgspec.Struct):
    id: int
    location: str
    status: CountStatus
    blind: bool
    opened_by: str | None
    opened_at: datetime
    committed_by: str | None
    committed_at: datetime | None
    reason: str | None
    expected_visible: bool
    lines: list[CountLineOut]
    adjustments: list[CountAdjustmentOut] | None
    """What the commit wrote (committed), or would write now (open; null when hidden)."""


class ControlledLedgerRow(msgspec.Struct):
    """One movement of a scheduled item seen from one real location, with the location's
    running balance of the item after it (the perpetual inventory an audit asks for)."""

    movement: int
    occurred_at: datetime
    item: int
    item_name: str
    schedule: str
    location: str
    kind: str
    counterparty: str
    lot: str
    expiry: date | None
    quantity_in: int
    quantity_out: int
    balance: int
    actor: str | None
    witness: str | None
    scan: int | None
    reference: str | None


class ReversalOut(msgspec.Struct):
    """A reversal: the new scan row and its movements, opposite to the original's."""

    id: int
    reverses: int
    status: str
    action: str
    reason: str
    actor: str | None
    movements: list[MovementLine]
    balances: list[BalanceLine]


class ImportProblem(msgspec.Struct):
    """A refused row: its line in the file (the header is line 1), a code and why."""

    line: int
    code: str
    detail: str


class ImportReport(msgspec.Struct):
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    refused: list[ImportProblem]
    seconds: float
    rows_per_second: float


__all__ = [
    "ControlledLedgerRow",
    "CountAdjustmentOut",
    "CountLineOut",
    "CountOut",
    "ImportProblem",
    "ImportReport",
    "ReversalOut",
]
