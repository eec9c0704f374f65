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
    USER_CREATED = "user.created"
    """A person who logs in to the web UI was created (CLI or admin page); never a password."""
    USER_DISABLED = "user.disabled"
    USER_PASSWORD_RESET = "user.password_reset"
    USER_LOCKED = "user.locked"
    """Too many failed logins in a row: the user is locked `until` (or an admin unlocks)."""
    USER_UNLOCKED = "user.unlocked"
    PURCHASE_ORDER_SUBMITTED = "purchase_order.submitted"
    PURCHASE_ORDER_ACKNOWLEDGED = "purchase_order.acknowledged"
    PURCHASE_ORDER_CANCELLED = "purchase_order.cancelled"
    PURCHASE_ORDER_PARTIALLY_RECEIVED = "purchase_order.partially_received"
    PURCHASE_ORDER_RECEIVED = "purchase_order.received"
    PURCHASE_ORDER_SHIPPED = "purchase_order.shipped"
    """A shipment notice (ASN) for the PO was posted: what is on its way, lot by lot."""
    PICK_LIST_COMPLETED = "pick_list.completed"
    KIT_OPENED = "kit.opened"
    """A kit's seal was broken: opened for a case or a code blue, or stock issued from it."""
    KIT_RESTOCKED = "kit.restocked"
    """A restock session completed and the kit was sealed."""
    KIT_OVERRIDE = "kit.override"
    """A manager sealed a kit that was not complete, with a reason."""
    KIT_FLAGGED = "kit.flagged"
    """A check found the seal broken or not the recorded one: the kit is quarantined."""
    COUNT_COMMITTED = "count.committed"
    """A cycle count was committed: its `count_adjust` movements and the balances after."""
    IMPORT_COMPLETED = "import.completed"
    """A go-live CSV (item master or opening stock) was loaded: how many rows did what."""
    RECALL_CREATED = "recall.created"
    """Lots recalled: where every unit of them is, kits and slots included."""
    RECALL_QUARANTINED = "recall.quarantined"
    """A recall's stock outside kits moved to quarantine; the kits holding some flagged."""
    LOT_EXPIRING = "lot.expiring"
    """A lot in stock reached an expiry threshold (90, 30, 7 days): once per lot and threshold."""
    LOT_EXPIRED = "lot.expired"
    """A lot still in stock expired: once per lot."""
    KIT_EXPIRING = "kit.expiring"
    """A sealed kit's expiry falls before its next check is due: once per kit and expiry."""
    STOCK_BELOW_REORDER_POINT = "stock.below_reorder_point"
    """Once per crossing: a par level's usable + on order went to or below its reorder point
    (services/reorder_watch.py); another only after it has been above it again."""


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
