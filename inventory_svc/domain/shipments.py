"""Shipment notices (ASN) and how a receipt is checked against them. Pure; services/
shipments.py stores notices and services/purchasing.receive_against applies the checks.

A notice is the supplier's statement of what is in the truck: lots, expiries, quantities
(base units), case labels (SSCC) and serials. It never refuses a receipt: a receipt that
differs from it is booked (the units are on the dock) with warnings on the scan and the PO,
for the buyer to settle with the supplier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import msgspec
from biip import ParseError
from biip.sscc import Sscc

from inventory_svc.domain import limits
from inventory_svc.domain.barcodes import normalize_gtin
from inventory_svc.domain.errors import BadBarcodeError, BadRequest
from inventory_svc.domain.purchasing import ReceiptWarning
from inventory_svc.domain.records import ItemRef
from inventory_svc.domain.vocabulary import ReceiptWarningCode


@dataclass(frozen=True, slots=True)
class NoticeLine:
    """One line of a notice as sent (GTIN as printed, any GS1 length)."""

    gtin: str
    lot: str
    expiry: date | None
    quantity: int
    serials: tuple[str, ...] = ()
    sscc: str | None = None


@dataclass(frozen=True, slots=True)
class CheckedLine:
    """A notice line ready to store: GTIN-14, SSCC verified, serials unique."""

    line: int
    gtin: str
    lot: str
    expiry: date | None
    quantity: int
    serials: tuple[str, ...]
    sscc: str | None


def sscc_check_digit_ok(sscc: str) -> bool:
    """18 digits whose GS1 check digit is right (biip, like every scanned SSCC)."""
    if len(sscc) != 18 or not sscc.isascii() or not sscc.isdigit():
        return False
    try:
        Sscc.parse(sscc)
    except ParseError:
        return False
    return True


def check_notice(lines: Sequence[NoticeLine]) -> list[CheckedLine]:
    """The notice's lines, checked: at least one and at most MAX_SHIPMENT_LINES; each GTIN
    and SSCC with a valid check digit (422 bad_barcode, as a scanned one would be); serials
    unique within the notice and no more than the line's units."""
    if not lines:
        raise BadRequest("A shipment notice has at least one line.")
    if len(lines) > limits.MAX_SHIPMENT_LINES:
        raise BadRequest(f"A shipment notice has at most {limits.MAX_SHIPMENT_LINES} lines.")
    checked: list[CheckedLine] = []
    seen_serials: set[tuple[str, str]] = set()
    for n, line in enumerate(lines, start=1):
        try:
            gtin = normalize_gtin(line.gtin)
        except BadBarcodeError as error:
            raise BadBarcodeError(f"Line {n}: {error.detail}") from error
        if line.sscc is not None and not sscc_check_digit_ok(line.sscc):
            raise BadBarcodeError(f"Line {n}: SSCC {line.sscc} has a wrong check digit.")
        if not limits.SHIPPED_QUANTITY.allows(line.quantity):
            raise BadRequest(
                f"Line {n}: quantity must be {limits.SHIPPED_QUANTITY.ge} to "
                f"{limits.SHIPPED_QUANTITY.le}."
            )
        if len(line.serials) > line.quantity:
            raise BadRequest(f"Line {n}: {len(line.serials)} serials for {line.quantity} units.")
        for serial in line.serials:
            if (gtin, serial) in seen_serials:
                raise BadRequest(f"Line {n}: serial {serial} of GTIN {gtin} is listed twice.")
            seen_serials.add((gtin, serial))
        checked.append(
            CheckedLine(n, gtin, line.lot, line.expiry, line.quantity, line.serials, line.sscc)
        )
    return checked


def lines_not_on_order(
    number: str, lines: Sequence[CheckedLine], items: dict[str, int], ordered_items: set[int]
) -> list[tuple[int | None, ReceiptWarning]]:
    """A notice line whose GTIN is unknown, or names an item the PO does not order, is a
    warning, not a refusal: the truck comes all the same (a wholesaler may substitute a pack
    size), and a refused notice would lose its other lines' lots for the receiving check."""
    warnings: list[tuple[int | None, ReceiptWarning]] = []
    for line in lines:
        item_id = items.get(line.gtin)
        if item_id is None:
            warnings.append(
                (
                    None,
                    ReceiptWarning(
                        ReceiptWarningCode.NOT_ON_ORDER,
                        f"Line {line.line}: no item has GTIN {line.gtin} (not on purchase order "
                        f"{number}).",
                    ),
                )
            )
        elif item_id not in ordered_items:
            warnings.append(
                (
                    item_id,
                    ReceiptWarning(
                        ReceiptWarningCode.NOT_ON_ORDER,
                        f"Line {line.line}: GTIN {line.gtin} (item {item_id}) is not on purchase "
                        f"order {number}.",
                    ),
                )
            )
    return warnings


@dataclass(frozen=True, slots=True)
class ShippedLot:
    """What the PO's notices announced of one item: a lot, its expiry, the units in total."""

    lot: str
    expiry: date | None
    quantity: int


@dataclass(frozen=True, slots=True)
class ReceiptFacts:
    """What a receipt against a PO is checked with (read in the scan's transaction)."""

    po_has_notices: bool
    shipped: Sequence[ShippedLot]
    """The item's shipped lots on this PO."""
    received_before: int
    """Units of this lot of the item already received against the PO."""
    known_expiries: Sequence[date | None]
    """Expiries this item's lot number is already stored with (any receipt, any PO)."""
    sscc_seen: bool
    """The scanned case label (SSCC) was received before."""


def check_receipt(
    number: str,
    facts: ReceiptFacts,
    *,
    lot: str,
    expiry: date | None,
    quantity: int,
    sscc: str | None,
) -> list[ReceiptWarning]:
    """Warnings for `quantity` units of one lot received against the PO, in this order:
    `duplicate_sscc`, `lot_not_shipped`, `expiry_conflict`, `over_shipment`. Without any
    notice on the PO only the lot's stored expiry and the SSCC are checked."""
    warnings: list[ReceiptWarning] = []
    if sscc is not None and facts.sscc_seen:
        warnings.append(
            ReceiptWarning(
                ReceiptWarningCode.DUPLICATE_SSCC,
                f"Case label SSCC {sscc} was already received; check for a double scan.",
            )
        )
    same_lot = [shipped for shipped in facts.shipped if shipped.lot == lot]
    shown = lot or "(none)"
    if facts.po_has_notices and not same_lot:
        warnings.append(
            ReceiptWarning(
                ReceiptWarningCode.LOT_NOT_SHIPPED,
                f"Lot {shown} is not on purchase order {number}'s shipment notices.",
            )
        )
    stated = [shipped.expiry for shipped in same_lot] if same_lot else facts.known_expiries
    expected = {known for known in stated if known is not None}
    if expiry is not None and expected and expiry not in expected:
        listed = ", ".join(sorted(str(known) for known in expected))
        warnings.append(
            ReceiptWarning(
                ReceiptWarningCode.EXPIRY_CONFLICT,
                f"Lot {shown} scanned with expiry {expiry}, expected {listed}: kept as a "
                "separate lot; no expiry was changed.",
            )
        )
    if same_lot:
        shipped_units = sum(shipped.quantity for shipped in same_lot)
        if facts.received_before + quantity > shipped_units:
            warnings.append(
                ReceiptWarning(
                    ReceiptWarningCode.OVER_SHIPMENT,
                    f"Lot {shown}: {facts.received_before + quantity} units received, "
                    f"{shipped_units} shipped.",
                )
            )
    return warnings


# --- what the API answers ------------------------------------------------------------------------


class ReceiptWarningOut(msgspec.Struct):
    code: str
    detail: str


class ShipmentLineOut(msgspec.Struct):
    line: int
    gtin: str
    item: ItemRef | None
    """None: no item has the GTIN (a `not_on_order` warning was kept on the PO)."""
    lot: str
    expiry: date | None
    quantity: int
    serials: list[str]
    sscc: str | None


class ShipmentOut(msgspec.Struct):
    id: int
    purchase_order: str
    reference: str | None
    created_by: str
    created_at: datetime
    lines: list[ShipmentLineOut]
    warnings: list[ReceiptWarningOut] = []
    """The notice's own warnings (lines not on the order) in the answer to its POST; a
    listing leaves them empty: the PO keeps them (`GET /purchase-orders/{number}`)."""


class ReceiptOut(msgspec.Struct):
    """One receipt against a PO: a `receive` movement naming it (FHIR: a SupplyDelivery)."""

    movement: int
    scan: int | None
    purchase_order: str
    item: ItemRef
    gtin: str | None
    """The item's first GTIN (the one a FHIR coding carries)."""
    ndc: str | None
    lot: str
    expiry: date | None
    quantity: int
    location: str
    actor: str | None
    occurred_at: datetime
