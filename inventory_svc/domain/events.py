"""Domain events: what a use case tells the outside world it changed.

Use cases raise them on their unit of work; the unit of work writes them to the outbox (the
`events` table) in the same transaction as the change, so an event exists exactly when its
change does. The event log doubles as the audit trail: each event names its actor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    STOCK_CHANGED = "stock.changed"
    """Exactly one per applied scan that moves stock, with the balances after it."""
    SCAN_REJECTED = "scan.rejected"
    ITEM_CHANGED = "item.changed"
    LOCATION_CHANGED = "location.changed"
    SUPPLIER_CHANGED = "supplier.changed"
    KEY_CREATED = "key.created"
    KEY_REVOKED = "key.revoked"
    PURCHASE_ORDER_SUBMITTED = "purchase_order.submitted"
    PURCHASE_ORDER_ACKNOWLEDGED = "purchase_order.acknowledged"
    PURCHASE_ORDER_CANCELLED = "purchase_order.cancelled"
    PURCHASE_ORDER_PARTIALLY_RECEIVED = "purchase_order.partially_received"
    PURCHASE_ORDER_RECEIVED = "purchase_order.received"
    PICK_LIST_COMPLETED = "pick_list.completed"


@dataclass(frozen=True, slots=True)
class DomainEvent:
    type: EventType
    data: Mapping[str, Any] = field(default_factory=dict)


def type_filter(pattern: str) -> tuple[str, bool]:
    """`stock.changed` matches that type exactly; `kit.*` every type starting `kit.`; `*`
    everything. Returns (text, is_prefix)."""
    if pattern == "*":
        return "", True
    if pattern.endswith(".*"):
        return pattern[:-1], True
    return pattern, False
