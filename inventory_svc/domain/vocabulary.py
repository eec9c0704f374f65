"""The service's vocabularies, each defined once. Request schemas, response types and the
database's values all come from these enums (scan actions are `ledger.Action`, roles
`roles.Role`, event types `events.EventType`)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class LocationKind(StrEnum):
    STOREROOM = "storeroom"
    SHELF = "shelf"
    BIN = "bin"
    SATELLITE = "satellite"
    ADC = "adc"
    QUARANTINE = "quarantine"
    CRASH_CART = "crash_cart"
    ANESTHESIA_TRAY = "anesthesia_tray"
    KIT = "kit"
    """Any other kit (intubation, malignant hyperthermia ...): its template names it."""


VIRTUAL_KIND: Final = "virtual"
"""The kind of the virtual locations, which only the migrations create."""


KIT_KINDS = frozenset({LocationKind.CRASH_CART, LocationKind.ANESTHESIA_TRAY, LocationKind.KIT})


class VirtualLocation(StrEnum):
    """The outside world, as locations: for every lot, all balances sum to zero."""

    SUPPLIER = "@supplier"
    CONSUMED = "@consumed"
    WASTE = "@waste"
    ADJUSTMENT = "@adjustment"


class IdentifierKind(StrEnum):
    GTIN = "gtin"
    UPC = "upc"
    EAN = "ean"
    NDC = "ndc"
    INTERNAL = "internal"


GTIN_KINDS = frozenset({IdentifierKind.GTIN, IdentifierKind.UPC, IdentifierKind.EAN})
"""One number space: all stored as GTIN-14."""


class LotStatus(StrEnum):
    OK = "ok"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    RECALLED = "recalled"


class ScanStatus(StrEnum):
    """How a scan was decided: the scan log row is written once, when it is."""

    APPLIED = "applied"
    REJECTED = "rejected"


class PurchaseOrderStatus(StrEnum):
    """A purchase order's lifecycle (domain/purchasing.py says which step may follow which)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class ReceiptWarningCode(StrEnum):
    """Why a receipt against a PO was not as ordered or as shipped: answered on the scan and
    kept on the PO (stock is booked all the same; the buyer settles it with the supplier)."""

    NOT_ON_ORDER = "not_on_order"
    OVER_RECEIVED = "over_received"
    LOT_NOT_SHIPPED = "lot_not_shipped"
    """The PO has shipment notices for the item, none for this lot."""
    EXPIRY_CONFLICT = "expiry_conflict"
    """The lot was shipped (or is already known) with another expiry: both are kept, as
    separate lots; nothing overwrites a lot's expiry."""
    OVER_SHIPMENT = "over_shipment"
    """More of the lot received than the shipment notices announced."""
    DUPLICATE_SSCC = "duplicate_sscc"
    """A case label (SSCC) already received."""


class PickListStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"


class KitStatus(StrEnum):
    """A kit's workflow state. Whether it may be used is the live verdict `ready` on top of
    this (nothing expired, recalled, short-dated or missing today)."""

    UNSEALED = "unsealed"
    """New, never sealed."""
    READY = "ready"
    """Sealed after a complete restock."""
    OPEN = "open"
    """Seal broken: opened for a case or a code blue, or stock issued from it."""
    RESTOCKING = "restocking"
    """A restock session is open."""
    QUARANTINED = "quarantined"
    """Flagged by a check (seal missing or not the recorded one): restock and reseal it."""


class CountStatus(StrEnum):
    OPEN = "open"
    COMMITTED = "committed"


class RestockSessionStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"


class Schedule(StrEnum):
    """US DEA controlled-substance schedules."""

    CI = "CI"
    CII = "CII"
    CIII = "CIII"
    CIV = "CIV"
    CV = "CV"


CONTROLLED_SCHEDULES = frozenset(Schedule)
"""Items with any of these schedules are controlled: a waste needs a witness, a count
variance a manager's reason."""

WITNESS_ROLES = frozenset({"specialist", "manager", "admin"})
"""Roles whose key may witness a controlled-substance waste."""


class DeliveryStatus(StrEnum):
    """A webhook delivery of one event to one subscription (services/webhooks.py)."""

    PENDING = "pending"
    """Not delivered yet: waiting for its turn or, after a failed attempt, for its backoff."""
    DELIVERED = "delivered"
    """The receiver answered 2xx."""
    DEAD = "dead"
    """Every attempt failed: left aside so the next event goes; a manager may redeliver it."""
