"""The pure ASN rules: what a notice must hold, and which warnings a receipt against a PO
with shipment notices gets (domain/shipments.py), without a database."""

from __future__ import annotations

from datetime import date

import pytest

from inventory_svc.domain import limits
from inventory_svc.domain.errors import BadBarcodeError, BadRequest
from inventory_svc.domain.shipments import (
    NoticeLine,
    ReceiptFacts,
    ShippedLot,
    check_notice,
    check_receipt,
    lines_not_on_order,
    sscc_check_digit_ok,
)

GTIN = "00304094921341"
EXPIRY = date(2031, 1, 31)
SHIPPED = (ShippedLot("A1", EXPIRY, 60), ShippedLot("A1", EXPIRY, 40), ShippedLot("B2", None, 5))


def _facts(
    *,
    shipped: tuple[ShippedLot, ...] = SHIPPED,
    received_before: int = 0,
    known: tuple[date | None, ...] = (),
    sscc_seen: bool = False,
    notices: bool = True,
) -> ReceiptFacts:
    return ReceiptFacts(notices, shipped, received_before, known, sscc_seen)


def _codes(
    facts: ReceiptFacts, lot: str = "A1", expiry: date | None = EXPIRY, **kw: object
) -> list[str]:
    quantity = kw.pop("quantity", 10)
    sscc = kw.pop("sscc", None)
    assert isinstance(quantity, int) and (sscc is None or isinstance(sscc, str))
    warnings = check_receipt("PO-1", facts, lot=lot, expiry=expiry, quantity=quantity, sscc=sscc)
    return [str(w.code) for w in warnings]


def test_a_receipt_as_shipped_is_clean() -> None:
    assert _codes(_facts()) == []
    assert _codes(_facts(received_before=90), quantity=10) == []  # 100 shipped over two lines


def test_more_than_the_notices_shipped_of_a_lot_is_an_over_shipment() -> None:
    assert _codes(_facts(received_before=90), quantity=11) == ["over_shipment"]


def test_a_lot_the_notices_do_not_name_is_not_shipped() -> None:
    assert _codes(_facts(), lot="ZZ") == ["lot_not_shipped"]
    # No notice on the PO at all: nothing to compare with.
    assert _codes(_facts(shipped=(), notices=False), lot="ZZ") == []
    # Notices for other items only: this item's lot was not shipped.
    assert _codes(_facts(shipped=(), notices=True), lot="ZZ") == ["lot_not_shipped"]


def test_another_expiry_than_shipped_or_stored_is_a_conflict() -> None:
    assert _codes(_facts(), expiry=date(2031, 2, 28)) == ["expiry_conflict"]
    # A shipped lot without expiry, or a scan without one, has nothing to conflict with.
    assert _codes(_facts(), lot="B2", expiry=date(2040, 1, 1), quantity=1) == []
    assert _codes(_facts(), expiry=None) == []
    # Without notices the lot's stored expiries are the reference.
    facts = _facts(shipped=(), notices=False, known=(EXPIRY, None))
    assert _codes(facts, expiry=date(2032, 1, 1)) == ["expiry_conflict"]
    assert _codes(facts, expiry=EXPIRY) == []


def test_a_case_label_received_twice_is_a_duplicate_and_warnings_come_in_order() -> None:
    facts = _facts(received_before=100, sscc_seen=True)
    assert _codes(facts, sscc="106141411234567897", expiry=date(2031, 3, 1)) == [
        "duplicate_sscc",
        "expiry_conflict",
        "over_shipment",
    ]
    assert _codes(_facts(sscc_seen=True)) == []  # no SSCC on this scan


def test_a_notice_is_checked_line_by_line() -> None:
    lines = check_notice(
        [
            NoticeLine("304094921341", "A1", EXPIRY, 5, ("S1",), "106141411234567897"),
            NoticeLine(GTIN, "", None, 1),
        ]
    )
    assert [(line.line, line.gtin) for line in lines] == [(1, GTIN), (2, GTIN)]
    with pytest.raises(BadRequest):
        check_notice([])
    with pytest.raises(BadRequest):
        check_notice([NoticeLine(GTIN, "A", None, 1)] * (limits.MAX_SHIPMENT_LINES + 1))
    with pytest.raises(BadBarcodeError, match="Line 2"):
        check_notice([NoticeLine(GTIN, "A", None, 1), NoticeLine("00304094921342", "A", None, 1)])
    with pytest.raises(BadBarcodeError, match="SSCC"):
        check_notice([NoticeLine(GTIN, "A", None, 1, (), "106141411234567890")])
    with pytest.raises(BadRequest, match="2 serials for 1"):
        check_notice([NoticeLine(GTIN, "A", None, 1, ("S1", "S2"))])
    with pytest.raises(BadRequest, match="listed twice"):
        check_notice(
            [NoticeLine(GTIN, "A", None, 2, ("S1",)), NoticeLine(GTIN, "B", None, 2, ("S1",))]
        )
    for quantity in (0, limits.SHIPPED_QUANTITY.le + 1):
        with pytest.raises(BadRequest):
            check_notice([NoticeLine(GTIN, "A", None, quantity)])


def test_sscc_check_digits() -> None:
    assert sscc_check_digit_ok("106141411234567897")
    for bad in (
        "106141411234567890",
        "10614141123456789",
        "1061414112345678970",
        "١٠٦١٤١٤١١٢٣٤٥٦٧٨٩٧",
    ):
        assert not sscc_check_digit_ok(bad)


def test_notice_lines_not_on_the_order_are_warnings_with_their_item() -> None:
    lines = check_notice(
        [
            NoticeLine(GTIN, "A", None, 1),
            NoticeLine("00300000000018", "B", None, 1),
            NoticeLine("00312345678906", "C", None, 1),
        ]
    )
    items = {GTIN: 1, "00300000000018": 2}
    warnings = lines_not_on_order("PO-1", lines, items, ordered_items={1})
    assert [(item, str(w.code)) for item, w in warnings] == [
        (2, "not_on_order"),
        (None, "not_on_order"),
    ]
    assert "Line 3" in warnings[1][1].detail
