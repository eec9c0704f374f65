"""Purchase orders: the lifecycle, what each line still expects, and how a receipt fills the
lines. Pure; services/purchasing.py applies it in a unit of work.

    draft -> submitted -> acknowledged -> partially_received -> received
    draft | submitted | acknowledged -> cancelled

A receipt may also arrive before the acknowledgement (submitted -> partially_received /
received). Every other step is `409 invalid_transition`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

import msgspec

from inventory_svc.domain.errors import BadRequest, InvalidTransition
from inventory_svc.domain.records import ItemRef, PurchaseOrderOut
from inventory_svc.domain.vocabulary import PurchaseOrderStatus as Status
from inventory_svc.domain.vocabulary import ReceiptWarningCode


class PoAction(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    ACKNOWLEDGE = "acknowledge"
    CANCEL = "cancel"
    RECEIVE = "receive"
    SHIP = "ship"
    """The supplier's shipment notice (ASN): only for what may still be received."""


_RECEIVING = (Status.SUBMITTED, Status.ACKNOWLEDGED, Status.PARTIALLY_RECEIVED)

ALLOWED: dict[PoAction, tuple[Status, ...]] = {
    PoAction.EDIT: (Status.DRAFT,),
    PoAction.SUBMIT: (Status.DRAFT,),
    PoAction.ACKNOWLEDGE: (Status.SUBMITTED,),
    PoAction.CANCEL: (Status.DRAFT, Status.SUBMITTED, Status.ACKNOWLEDGED),
    PoAction.RECEIVE: _RECEIVING,
    PoAction.SHIP: _RECEIVING,
}

RESULT: dict[PoAction, Status | None] = {
    PoAction.EDIT: Status.DRAFT,
    PoAction.SUBMIT: Status.SUBMITTED,
    PoAction.ACKNOWLEDGE: Status.ACKNOWLEDGED,
    PoAction.CANCEL: Status.CANCELLED,
    PoAction.RECEIVE: None,  # partially_received or received: apply_receipt decides
    PoAction.SHIP: None,  # a notice changes no status
}

ON_ORDER_STATUSES = _RECEIVING
"""POs whose outstanding quantities count as on order (drafts do not)."""


def check_transition(number: str, status: Status, action: PoAction) -> None:
    if status not in ALLOWED[action]:
        allowed = ", ".join(s.value for s in ALLOWED[action])
        raise InvalidTransition(
            f"Purchase order {number} is {status.value}: {action.value} needs {allowed}.",
            current_status=status.value,
        )


@dataclass(frozen=True, slots=True)
class PoLine:
    line: int
    item_id: int
    ordered: int
    confirmed: int | None = None
    backordered: int = 0
    received: int = 0

    @property
    def expected(self) -> int:
        """What the supplier will deliver: ordered until acknowledged, then what it confirmed
        plus what it backordered (a backorder is still coming)."""
        return self.ordered if self.confirmed is None else self.confirmed + self.backordered

    @property
    def outstanding(self) -> int:
        return max(self.expected - self.received, 0)


def expected_quantity(ordered: int, confirmed: int | None, backordered: int) -> int:
    return PoLine(0, 0, ordered, confirmed, backordered).expected


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    line: int
    confirmed: int
    backordered: int = 0


def acknowledge_lines(lines: Sequence[PoLine], given: Sequence[Acknowledgement]) -> list[PoLine]:
    """The lines after the supplier's acknowledgement: lines it names get its confirmed and
    backordered quantities (together at most what was ordered); the others are confirmed
    as ordered."""
    by_line = {a.line: a for a in given}
    if len(by_line) != len(given):
        raise BadRequest("A line is acknowledged twice.")
    known = {line.line for line in lines}
    if unknown := sorted(set(by_line) - known):
        raise BadRequest(f"The purchase order has no line {unknown[0]}.")
    result = []
    for line in lines:
        ack = by_line.get(line.line)
        if ack is None:
            result.append(replace(line, confirmed=line.ordered, backordered=0))
            continue
        if ack.confirmed < 0 or ack.backordered < 0:
            raise BadRequest(f"Line {line.line}: quantities cannot be negative.")
        if ack.confirmed + ack.backordered > line.ordered:
            raise BadRequest(
                f"Line {line.line}: confirmed ({ack.confirmed}) plus backordered "
                f"({ack.backordered}) exceed the {line.ordered} ordered."
            )
        result.append(replace(line, confirmed=ack.confirmed, backordered=ack.backordered))
    return result


@dataclass(frozen=True, slots=True)
class ReceiptWarning:
    code: str
    detail: str


@dataclass(frozen=True, slots=True)
class Receipt:
    lines: list[PoLine]
    """The lines after the receipt (the same order)."""
    filled: list[tuple[int, int]]
    """(line number, units) booked against each line."""
    status: Status
    warnings: list[ReceiptWarning]


def apply_receipt(
    number: str, status: Status, lines: Sequence[PoLine], item_id: int, quantity: int
) -> Receipt:
    """`quantity` units of `item_id` received against the PO: they fill its lines for the
    item in line order up to what each still expects; anything beyond goes on the item's
    last line with an `over_received` warning. An item that is not on the PO fills nothing
    (`not_on_order`). A draft, cancelled or received PO takes no receipt."""
    check_transition(number, status, PoAction.RECEIVE)
    result = list(lines)
    warnings: list[ReceiptWarning] = []
    filled: list[tuple[int, int]] = []
    positions = [i for i, line in enumerate(result) if line.item_id == item_id]
    if not positions:
        warnings.append(
            ReceiptWarning(
                ReceiptWarningCode.NOT_ON_ORDER,
                f"Item {item_id} is not on purchase order {number}.",
            )
        )
    else:
        left = quantity
        for i in positions:
            take = min(left, result[i].outstanding)
            if take:
                result[i] = replace(result[i], received=result[i].received + take)
                filled.append((result[i].line, take))
                left -= take
        if left:
            last = positions[-1]
            result[last] = replace(result[last], received=result[last].received + left)
            filled.append((result[last].line, left))
            warnings.append(
                ReceiptWarning(
                    ReceiptWarningCode.OVER_RECEIVED,
                    f"{left} units more than purchase order {number} expects of item "
                    f"{item_id} (line {result[last].line}).",
                )
            )
    complete = all(line.received >= line.expected for line in result)
    new_status = Status.RECEIVED if complete else Status.PARTIALLY_RECEIVED
    if not filled:
        new_status = status  # nothing arrived for this PO
    return Receipt(result, filled, new_status, warnings)


class PurchaseOrderWarningOut(msgspec.Struct):
    """A receipt that was not as ordered, kept on the PO: `scan` is the receiving scan's id
    (GET /scans), `at` when it was applied."""

    code: str
    detail: str
    item: ItemRef | None
    scan: int | None
    at: datetime


class PurchaseOrderDetail(PurchaseOrderOut):
    """One purchase order as GET /purchase-orders/{number} shows it: with the warnings its
    receipts and shipment notices raised (vocabulary.ReceiptWarningCode), oldest first."""

    warnings: list[PurchaseOrderWarningOut] = []
