"""Domain errors: each carries a stable `code` and the HTTP status it maps to.

services/problems.py turns every one of them into an RFC 9457 problem body, in one place.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"
    status: ClassVar[int] = 422
    title: ClassVar[str] = "Request cannot be applied"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class BadRequest(DomainError):
    code = "validation_error"
    status = 400
    title = "Invalid request"


class UnstorableValue(BadRequest):
    """A value the database refused (too long for its column, out of range, NUL in text):
    the request's fault. Validation against domain/limits should have refused it first."""


class TimestampOutOfRange(BadRequest):
    """A time UTC cannot express (timestamps are stored in UTC), e.g. 9999-12-31T23:59:59-14:00."""


class BadBarcodeError(DomainError, ValueError):
    """The one barcode error: raised by the interpreter, answered as 422 as it is."""

    code = "bad_barcode"
    status = 422
    title = "Barcode not understood"


class UnknownItem(DomainError):
    code = "unknown_item"
    status = 422
    title = "No item has this identifier"


class UnknownLocation(DomainError):
    code = "unknown_location"
    status = 422
    title = "No such location"


class ExpiredLot(DomainError):
    code = "expired_lot"
    status = 422
    title = "Lot is expired"


class RecalledLot(DomainError):
    code = "recalled_lot"
    status = 422
    title = "Lot is recalled"


class InsufficientStock(DomainError):
    code = "insufficient_stock"
    status = 409
    title = "Not enough stock"


class UnsupportedAction(DomainError):
    code = "unsupported_action"
    status = 422
    title = "Action not supported here"


class InvalidMovement(DomainError):
    code = "invalid_movement"
    status = 422
    title = "Movement not allowed"


class QuantityTooLarge(DomainError):
    code = "quantity_too_large"
    status = 422
    title = "Quantity too large for one scan"


class ReturnExceedsIssued(DomainError):
    code = "return_exceeds_issued"
    status = 409
    title = "More returned than was issued"


class IdempotencyKeyRequired(DomainError):
    code = "idempotency_key_required"
    status = 400
    title = "Idempotency-Key header required"


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title = "Conflict"


class DuplicateIdentifier(Conflict):
    code = "duplicate_identifier"
    title = "Identifier already belongs to an item"


class DuplicateLocation(Conflict):
    code = "duplicate_location"
    title = "Location code already exists"


class DuplicateSupplier(Conflict):
    code = "duplicate_supplier"
    title = "Supplier code already exists"


class UnknownSupplier(DomainError):
    code = "unknown_supplier"
    status = 422
    title = "No such supplier"


class InvalidTransition(Conflict):
    """A purchase order (session, count) asked to take a step its status does not allow."""

    code = "invalid_transition"
    title = "Not allowed in this status"


class BelowMinShelfLife(DomainError):
    """A lot that expires before its kit slot's minimum remaining shelf life."""

    code = "below_min_shelf_life"
    title = "Expires too soon for this kit"


class NotInTemplate(DomainError):
    """An item that no slot of the kit's template accepts."""

    code = "not_in_template"
    title = "Not in the kit's template"


class DuplicateSerial(Conflict):
    """A serialised pack (GTIN + serial) scanned in that is already in stock or has left to
    a patient or waste: the same physical pack cannot arrive twice."""

    code = "duplicate_serial"
    title = "This pack was already received"


class SlotFull(Conflict):
    """A kit slot already holds its required quantity (never more, even with two scanners)."""

    code = "slot_full"
    title = "Kit slot is full"


class SessionClosed(Conflict):
    """A restock session that has been completed takes no more scans."""

    code = "session_closed"
    title = "Restock session is closed"


class KitIncomplete(Conflict):
    """A kit that cannot be sealed: a slot is short or holds unusable stock (`slots`)."""

    code = "kit_incomplete"
    title = "Kit is not complete"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "Idempotency-Key already used for a different request"


class WitnessRequired(DomainError):
    """A controlled-substance waste without a valid witness: another person's active key,
    role specialist or above, in `X-Witness-Key`."""

    code = "witness_required"
    status = 422
    title = "A witness is required"


class CountReasonRequired(DomainError):
    """A count commit that would adjust a scheduled (controlled) item without a manager's
    `reason` (with `items`: the scheduled items with a variance)."""

    code = "count_reason_required"
    status = 422
    title = "Controlled-substance count variance needs a reason"


class DatabaseUnavailable(DomainError):
    code = "database_unavailable"
    status = 503
    title = "Database unreachable"


class ServiceUnavailable(DomainError):
    """The database is down, restarting, saturated or holding a lock too long."""

    code = "service_unavailable"
    status = 503
    title = "Service unavailable"


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    title = "Not allowed for this role"


class Unauthorized(DomainError):
    code = "unauthorized"
    status = 401
    title = "Missing or invalid API key"


class RateLimited(DomainError):
    """`retry_after` (seconds) also goes out as the Retry-After header."""

    code = "rate_limited"
    status = 429
    title = "Too many requests for this API key"


class DestinationRefused(DomainError):
    """A webhook URL whose host is, or resolves to, an address the service may not call
    (loopback, private, link-local ...; INVENTORY_WEBHOOK_ALLOW_PRIVATE lifts that), or a
    host outside INVENTORY_WEBHOOK_ALLOWED_HOSTS."""

    code = "destination_refused"
    status = 422
    title = "Webhook destination not allowed"
