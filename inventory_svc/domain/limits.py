"""One definition of every field's limits.

The request schemas (msgspec types in `api/schemas.py` and the scan request) and the database
columns (`db/models.py`) both take their numbers from here, so whatever the API accepts fits
where it is stored, on SQLite (which would store anything) and PostgreSQL (which refuses)
alike. `tests/unit/test_limits.py` walks both and fails when they disagree.

Pure Python: no msgspec, SQLAlchemy or Litestar here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from inventory_svc.domain.errors import TimestampOutOfRange

CODE_PATTERN = r"^[A-Za-z0-9._-]+$"
"""Location, kit and supplier codes: printed on Code128 labels (`LOC:<code>`) and used in URL
paths (`/locations/{code}/label.svg`), so ASCII letters, digits, `-`, `_` and `.` only."""

CODE_REF_PATTERN = r"^@?[A-Za-z0-9._-]+$"
"""A code as a scan or a filter names it: a real code or a virtual one (`@supplier`), which
the ledger then refuses by name (`invalid_movement`) rather than as a malformed request."""

TEXT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]+$"
"""Names and other free text: any character but the C0/C1 control characters (PostgreSQL
text cannot hold NUL at all; the others break labels, logs and CSV)."""

OPTIONAL_TEXT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
"""As TEXT_PATTERN, the empty string included (the lot filter: '' is stock without a lot)."""

NO_NUL_PATTERN = r"^[^\x00]*$"
"""Scanned text searched for (`GET /items?q=`): GS (FNC1) and other control characters are
part of GS1 codes, NUL is not and no database compares it."""


@dataclass(frozen=True, slots=True)
class Text:
    """A string field: its length bounds (characters) and the pattern every value matches."""

    max_length: int
    min_length: int = 1
    pattern: str | None = TEXT_PATTERN
    description: str | None = None

    def allows(self, value: str) -> bool:
        return self.min_length <= len(value) <= self.max_length and (
            self.pattern is None or re.search(self.pattern, value) is not None
        )

    @property
    def constraints(self) -> dict[str, Any]:
        """Keyword arguments for `msgspec.Meta` / Litestar parameters."""
        constraints: dict[str, Any] = {
            "min_length": self.min_length,
            "max_length": self.max_length,
        }
        if self.pattern is not None:
            constraints["pattern"] = self.pattern
        if self.description is not None:
            constraints["description"] = self.description
        return constraints


@dataclass(frozen=True, slots=True)
class IntRange:
    """An integer field: inclusive bounds that its column (INTEGER or BIGINT) can hold."""

    ge: int
    le: int

    def allows(self, value: int) -> bool:
        return self.ge <= value <= self.le

    @property
    def constraints(self) -> dict[str, int]:
        return {"ge": self.ge, "le": self.le}


# --- integers: what the column types hold ----------------------------------------------------

INT32 = IntRange(-(2**31), 2**31 - 1)
INT64 = IntRange(-(2**63), 2**63 - 1)

REFERENCE_ID = IntRange(1, INT32.le)
"""Ids of reference data (items, locations, suppliers): INTEGER columns."""
LEDGER_ID = IntRange(0, INT64.le)
"""Ids of the ledger and the scan log (movements, scans): BIGINT columns; 0 pages from the start."""
OFFSET = IntRange(0, INT32.le)
SESSION_ID = IntRange(1, 2**53)
"""Restock and count session ids a scan names: integers every JSON client reads exactly."""

QUANTITY = IntRange(1, 100_000)
"""Units one scan moves (before the identifier's pack size multiplies them)."""
UNITS = IntRange(1, 100_000)
"""Base units one scan of an identifier means (unit of use 1, a carton e.g. 25)."""

# --- text ----------------------------------------------------------------------------------------

LOCATION_CODE = Text(
    64, pattern=CODE_PATTERN, description="Letters, digits, '-', '_' and '.' (e.g. MAIN-A1)."
)
LOCATION_REF = Text(64, pattern=CODE_REF_PATTERN, description="A location's code.")
LOCATION_KIND = Text(32)
SUPPLIER_CODE = Text(
    64, pattern=CODE_PATTERN, description="Letters, digits, '-', '_' and '.' (e.g. cardinal)."
)
NAME = Text(200, description="Printable text, no control characters.")
STRENGTH = Text(100, description="e.g. 1 mg/10 mL.")
FORM = Text(100, description="e.g. prefilled syringe.")
BASE_UNIT = Text(50, description="The unit quantities count, e.g. syringe.")
SCHEDULE = Text(8)
IDENTIFIER_KIND = Text(16)
IDENTIFIER = Text(64, description="As printed on the package.")
ACCOUNT_NUMBER = Text(64, description="The pharmacy's account number with the supplier.")
DEVICE = Text(200, description="The scanner or workstation that sent the scan.")
ACTOR = Text(200)
REFERENCE = Text(200, description="A purchase order, restock session or count it belongs to.")
LOT_NUMBER = Text(20, min_length=0, pattern=OPTIONAL_TEXT_PATTERN, description="GS1 AI 10.")
SEARCH = Text(
    4096,
    min_length=0,
    pattern=NO_NUL_PATTERN,
    description="A name, an identifier, or a scanned code as the scanner sent it.",
)
SCAN_CODE = Text(4096, min_length=0, pattern=None)
"""The scanned text exactly as sent (GS and all): kept even when refused; NUL, which no
database stores in text, is replaced when it is recorded."""
IDEMPOTENCY_KEY = Text(200, pattern=None)
SCAN_ACTION = Text(32)
MOVEMENT_KIND = Text(32)
SCAN_STATUS = Text(16)
ERROR_CODE = Text(64)
API_KEY_NAME = Text(200)
ROLE = Text(32)

# --- reorders: supplier items, par levels, purchase orders ------------------------------------

PAR_QUANTITY = IntRange(0, 10_000_000)
"""Par, reorder point and max of a par level, in base units."""
PACK_SIZE = IntRange(1, 100_000)
"""Base units per orderable pack: what order quantities are rounded up to."""
MIN_ORDER_QUANTITY = IntRange(1, 10_000_000)
LEAD_TIME_DAYS = IntRange(0, 365)
COST_CENTS = IntRange(0, 100_000_000)
"""Money is integer cents everywhere (a base unit's cost; a line's cost is BIGINT)."""
ORDER_QUANTITY = IntRange(0, 10_000_000)
"""Base units on one purchase order line (ordered, confirmed, backordered)."""
USAGE_DAYS = IntRange(1, 365)
MAX_PO_LINES = 1000
MAX_PAR_LEVELS_PER_REQUEST = 10_000
SUPPLIER_ITEM_CODE = Text(64, description="The supplier's own catalogue number for the item.")
PO_NUMBER = Text(32, description="A purchase order's number, e.g. PO-000042.")
SUPPLIER_REFERENCE = Text(200, description="The supplier's reference for its acknowledgement.")
PO_STATUS = Text(32)
PICK_LIST_STATUS = Text(32)

# --- kits: templates, seals, restock sessions ----------------------------------------------------

KIT_TEMPLATE_CODE = Text(
    64, pattern=CODE_PATTERN, description="Letters, digits, '-', '_' and '.' (e.g. ADULT-CART)."
)
KIT_SLOT = Text(
    100, description="The slot's name as printed on the checklist, e.g. Drawer 1: Epinephrine 1 mg."
)
SLOT_QUANTITY = IntRange(1, 10_000)
"""Base units a kit slot requires."""
MIN_DAYS_TO_EXPIRY = IntRange(0, 3650)
CHECK_INTERVAL_DAYS = IntRange(1, 365)
MAX_TEMPLATE_LINES = 200
MAX_ITEMS_PER_SLOT = 20
SEAL_NUMBER = Text(64, description="The numbered breakaway seal's number, as printed or scanned.")
KIT_REASON = Text(500, description="Why: the case or code-blue number, an override's reason.")
KIT_STATUS = Text(32)
TEMPLATE_VERSION = IntRange(1, INT32.le)

# --- counts, controlled substances, reversals, imports (issue 15) --------------------------

COUNT_STATUS = Text(32)
COUNT_REASON = Text(
    500, description="A manager's sign-off of count variances on scheduled (controlled) items."
)
REVERSAL_REASON = Text(500, description="Why the scan is reversed, e.g. scanned the wrong item.")
COUNTED = IntRange(0, INT64.le)
"""Units counted on one count line (a sum of count scans: BIGINT)."""
MAX_IMPORT_BYTES = 20 * 1024 * 1024
"""A go-live CSV sent to `POST /imports/...` (a hospital's item master is a few MB)."""
MAX_IMPORT_ROWS = 200_000

# --- recalls --------------------------------------------------------------------------------------

RECALL_REASON = Text(500, description="The manufacturer's reason, e.g. particulate matter.")
RECALL_SOURCE = Text(200, description="Who issued it: the manufacturer's or FDA's reference.")
RECALL_LOT = Text(20, description="A lot number (GS1 AI 10), or `*` for every lot.")
MAX_RECALL_LOTS = 1000
EXPIRY_DAYS = IntRange(0, 3650)
SERIAL = Text(20, description="A pack's serial number (GS1 AI 21).")

MAX_IDENTIFIERS_PER_ITEM = 50
"""A product has a handful of identifiers (unit, inner pack, carton, NDC, internal)."""

# --- webhooks ------------------------------------------------------------------------------

WEBHOOK_URL = Text(
    2048,
    pattern=r"^[^\x00-\x20\x7f-\x9f]+$",
    description="An http(s) URL, no spaces or control characters.",
)
WEBHOOK_SECRET = Text(
    200,
    min_length=16,
    description="Shared secret the receiver verifies signatures with (16 characters or more).",
)
WEBHOOK_EVENT_PATTERN = Text(
    64,
    pattern=r"^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$",
    description="An event type (`stock.changed`), a prefix (`purchase_order.*`) or `*`.",
)
MAX_WEBHOOK_EVENTS = 50
WEBHOOK_EVENT_TYPE = Text(64)
DELIVERY_STATUS = Text(16)
DELIVERY_ERROR = Text(500)
"""Why an attempt failed (timeout, refused destination, ...), as recorded: cut to fit."""

# --- people who log in to the web UI ------------------------------------------------------------

USER_NAME = Text(64, pattern=r"^[A-Za-z0-9._@-]+$", description="A login name.")
"""Typed at a login form and shown in events as `user:<name>`: letters, digits, `.`, `_`,
`@`, `-` (no look-alike unicode names, no spaces to trim or not)."""
PASSWORD = Text(1024, pattern=None, description="A password, as typed.")
"""Argon2 hashes any length; the bound keeps a login from hashing a megabyte."""
LOGIN_FAILURES_BEFORE_LOCK = 5
LOGIN_LOCK_MINUTES = 15
"""After this many failed logins in a row the user is locked for this long (or until an
admin unlocks); the right password does not log in while locked."""
SESSION_IDLE_MINUTES = 60
SESSION_ABSOLUTE_HOURS = 12
"""A UI session ends after an hour unused, and after a shift however busy."""
SESSION_TOUCH_SECONDS = 60
"""A session's last use is written at most once a minute, not on every page."""
GENERATED_PASSWORD_BYTES = 18
"""A first or reset password: 18 random bytes, 24 URL-safe characters (144 bits)."""

# --- shipment notices (ASN) and idempotent integration writes -----------------------------------

GTIN_TEXT = Text(14, pattern=r"^[0-9]{8,14}$", description="GTIN-8/12/13/14 digits.")
SSCC = Text(18, pattern=r"^[0-9]{18}$", description="The case label's SSCC (GS1 AI 00).")
SHIPMENT_REFERENCE = Text(
    200, description="The shipper's reference: the X12 856 BSN number or the wholesaler's id."
)
SHIPPED_QUANTITY = IntRange(1, 10_000_000)
"""Base units of one lot in one notice line (ORDER_QUANTITY's bound: a line never ships more
than a PO can order)."""
MAX_SHIPMENT_LINES = 1000
MAX_SERIALS_PER_SHIPMENT_LINE = 1000
OPERATION = Text(64)
"""The name an idempotent write is kept under (e.g. `acknowledgePurchaseOrder`)."""

# --- timestamps ----------------------------------------------------------------------------------

EARLIEST_TIMESTAMP = datetime.min.replace(tzinfo=UTC)
LATEST_TIMESTAMP = datetime.max.replace(tzinfo=UTC)


def as_utc(value: datetime) -> datetime:
    """`value` in UTC (naive values are taken as UTC). Raises TimestampOutOfRange for a time
    that UTC cannot express, such as 9999-12-31T23:59:59-14:00."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as error:
        raise TimestampOutOfRange(
            f"{value.isoformat()} is outside the supported range "
            f"({EARLIEST_TIMESTAMP.isoformat()} to {LATEST_TIMESTAMP.isoformat()})."
        ) from error
