"""Issue 10's classes of barcode faults, one parametrised test per class, and properties.

The vectors (with where each comes from) are in tests/unit/barcode_vectors.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_svc.domain.barcodes import FNC1_MISSING, BadBarcode, interpret
from tests.unit.barcode_vectors import (
    BAD,
    CARRIERS,
    CASE_LABELS,
    FNC1,
    GS,
    NOTHING_SILENT,
    Vector,
    check,
)


def _params(vectors: list[Vector]) -> list[Any]:
    return [pytest.param(code, expected, id=vid) for vid, code, expected in vectors]


@pytest.mark.parametrize(("code", "expected"), _params(CASE_LABELS))
def test_case_and_pallet_labels(code: str, expected: Any) -> None:
    right, what = check(code, expected)
    assert right, what


@pytest.mark.parametrize(("code", "expected"), _params(CARRIERS))
def test_every_gs1_carrier(code: str, expected: Any) -> None:
    right, what = check(code, expected)
    assert right, what


@pytest.mark.parametrize(("code", "expected"), _params(NOTHING_SILENT))
def test_nothing_is_silently_changed(code: str, expected: Any) -> None:
    right, what = check(code, expected)
    assert right, what


@pytest.mark.parametrize(("code", "expected"), _params(FNC1))
def test_fnc1_missing_is_judged_by_the_service(code: str, expected: Any) -> None:
    right, what = check(code, expected)
    assert right, what


def test_fnc1_warning_names_the_scanner_setting() -> None:
    barcode = interpret("]d20100304094921341" + "10LOT121SER1")
    ((code, detail),) = barcode.warnings
    assert code == FNC1_MISSING
    assert "(21)SER1" in detail
    assert "Transmit FNC1 as <GS>" in detail and "--gs-substitute" in detail


@pytest.mark.parametrize(
    "code",
    [
        "010030409492134130",  # AI 30 with no digits (biip allows N..8 to be empty)
        "(01)00304094921341(30)0",
        "(00)106141412345678908(02)50304094921346(37)0",
    ],
)
def test_an_empty_or_zero_count_is_refused(code: str) -> None:
    with pytest.raises(BadBarcode, match="empty or zero"):
        interpret(code)


def test_case_label_refusals_say_why() -> None:
    with pytest.raises(BadBarcode, match=r"\(37\).*\(01\)"):
        interpret("(01)50304094921346(37)10")
    with pytest.raises(BadBarcode, match=r"\(37\)"):
        interpret("(00)106141412345678908(02)50304094921346")
    with pytest.raises(BadBarcode, match="space"):
        interpret("(01)00304094921341(10)LOT 1")


# --- properties ----------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "]d2", "]C1", "]E3", "]J1", "]J0", "]e0", "]L2", "]", "|", GS, "(", ")", " ", "\r\n",
        "00", "01", "02", "10", "17", "21", "30", "37", "715", "7003", "0", "9",
        "00304094921341", "50304094921346", "90304094921344", "106141412345678908",
        "271231", "2712311430", "0409492134", "LOT 1", "L" * 20, "LOC:",
        "https://id.gs1.org", "/00/", "/01/", "?02=", "&37=", "?17=", "&17=", "%20", "%C3%A9",
    ]
)  # fmt: skip
SCANS = st.one_of(st.text(), st.lists(FRAGMENTS, max_size=14).map("".join))


@settings(max_examples=600, deadline=None)
@given(SCANS)
def test_no_input_crashes_the_interpreter(code: str) -> None:
    try:
        barcode = interpret(code)
    except BadBarcode as exc:
        assert exc.detail
        return
    assert barcode.raw == code.strip()
    if barcode.kind in ("gs1", "gtin"):
        assert barcode.gtin is not None and len(barcode.gtin) == 14
        assert barcode.count is None or barcode.count > 0


GS1_CHARS = st.text("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-./_", min_size=1)
VALUES = GS1_CHARS.map(lambda t: t[:20])
DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2049, 12, 31))
GTINS = st.sampled_from(["00304094921341", "50304094921346", "00614141123452", "90304094921344"])


@st.composite
def messages(draw: st.DrawFn) -> list[tuple[str, str]]:
    """A valid GS1 message as (AI, value) pairs: a trade item or a case label."""
    gtin = draw(GTINS)
    fields: list[tuple[str, str]]
    if draw(st.booleans()):
        fields = [("01", gtin)]
        if draw(st.booleans()):
            fields.append(("30", str(draw(st.integers(1, 99_999_999)))))
    else:
        fields = [("00", "106141412345678908"), ("02", gtin)]
        fields.append(("37", str(draw(st.integers(1, 99_999_999)))))
    if draw(st.booleans()):
        fields.append(("17", draw(DATES).strftime("%y%m%d")))
    elif draw(st.booleans()):
        fields.append(("7003", draw(DATES).strftime("%y%m%d") + "1430"))
    for ai in ("10", "21"):
        if draw(st.booleans()):
            fields.append((ai, draw(VALUES)))
    if draw(st.booleans()):
        fields.append(("715", "0409492134"))
    return draw(st.permutations(fields))


@settings(max_examples=300, deadline=None)
@given(messages(), st.sampled_from(["", "]d2", "]C1", "]Q3", "]J1", "]e0"]))
def test_hri_form_equals_element_string(fields: list[tuple[str, str]], aim: str) -> None:
    variable = {"10", "21", "30", "37", "715", "7003"}
    element_string = aim + "".join(
        ai + value + (GS if ai in variable and i < len(fields) - 1 else "")
        for i, (ai, value) in enumerate(fields)
    )
    hri = "".join(f"({ai}){value}" for ai, value in fields)
    from_es, from_hri = interpret(element_string).as_dict(), interpret(hri).as_dict()
    assert {**from_es, "symbology": None} == from_hri
    if GS in element_string:  # every separator present: nothing can have been swallowed
        assert interpret(element_string).warnings == ()


def test_bad_expectation_marker_is_used() -> None:
    assert any(expected == BAD for _vid, _code, expected in CASE_LABELS)
