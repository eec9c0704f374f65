"""Unit tests for the pure barcode interpreter (inventory_svc.domain.barcodes)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory_svc.domain.barcodes import (
    BadBarcode,
    BadNdc,
    Barcode,
    format_ndc10,
    gtin_from_ndc,
    interpret,
    ndc10_from_gtin,
    ndc11,
    ndc11_candidates,
    normalize_gtin,
    normalize_identifier,
)

GS = "\x1d"


def mod10(payload: str) -> str:
    """Independent GS1 mod-10 check digit: weights 3, 1, 3, ... from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return str((10 - total % 10) % 10)


# Epinephrine 1 mg/10 mL Abboject, Hospira: NDC 0409-4921-34 (4-4-2 layout).
EPI_NDC = "0409-4921-34"
EPI_NDC10 = "0409492134"
EPI_GTIN = gtin_from_ndc(EPI_NDC)  # unit of use, indicator 0
EPI_CARTON = gtin_from_ndc(EPI_NDC, indicator=5)
EPI_UPC = EPI_GTIN[2:]  # the 12-digit UPC-A printed on the vial
# 5-3-2 and 5-4-1 layouts (labeler 63323 is Fresenius Kabi USA).
NALOXONE_NDC = "63323-187-10"
LAYOUT_541_NDC = "12345-6789-1"

EAN13 = "4006381333931"
EAN8 = "96385074"
SSCC_PAYLOAD = "10614141123456789"
SSCC = SSCC_PAYLOAD + mod10(SSCC_PAYLOAD)


def test_epinephrine_gtins_checked_by_hand() -> None:
    # Payload 0 03 0409492134; digits x weights (3,1,... from the right):
    # 4*3 + 3*1 + 1*3 + 2*1 + 9*3 + 4*1 + 9*3 + 0*1 + 4*3 + 0*1 + 3*3 + 0*1 + 0*3 = 99
    # -> check digit (10 - 9) % 10 = 1. The carton adds 5*3 = 15 -> 114 -> check 6.
    assert EPI_GTIN == "00304094921341"
    assert EPI_CARTON == "50304094921346"
    assert EPI_UPC == "304094921341"
    for gtin in (EPI_GTIN, EPI_CARTON):
        assert gtin[-1] == mod10(gtin[:-1])


def cat(*parts: str) -> str:
    """Spell GS1 element strings one AI at a time for readability."""
    return "".join(parts)


def fields(**values: object) -> dict[str, object]:
    """Expected Barcode.as_dict(): everything None unless given."""
    keys = ("kind", "gtin", "ndc", "lot", "expiry", "serial", "count", "symbology", "label", "sscc")
    unknown = set(values) - set(keys)
    assert not unknown, unknown
    return {key: values.get(key) for key in keys}


EPI = {"kind": "gs1", "gtin": EPI_GTIN, "ndc": EPI_NDC10}
EPI_FULL = {**EPI, "lot": "LOT1", "expiry": "2027-12-31", "serial": "SER1"}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param(
            cat("]d2", "01", EPI_GTIN, "17271231", "10LOT1", GS, "21SER1"),
            fields(**EPI_FULL, symbology="]d2"),
            id="datamatrix-aim-01-17-10-21",
        ),
        pytest.param(
            cat("01", EPI_GTIN, "17271231", "10LOT1", GS, "21SER1"),
            fields(**EPI_FULL),
            id="datamatrix-no-aim-01-17-10-21",
        ),
        pytest.param(
            cat("]d2", "01", EPI_GTIN, "10LOT1", GS, "17271231", "21SER1"),
            fields(**EPI_FULL, symbology="]d2"),
            id="datamatrix-aim-01-10-17-21",
        ),
        pytest.param(
            cat("01", EPI_GTIN, "10LOT1", GS, "17271231", "21SER1"),
            fields(**EPI_FULL),
            id="datamatrix-no-aim-01-10-17-21",
        ),
        pytest.param(
            f"]d2{GS}01{EPI_GTIN}21SER1{GS}10LOT1{GS}17271231{GS}\r\n",
            fields(**EPI_FULL, symbology="]d2"),
            id="leading-trailing-gs-and-crlf",
        ),
        pytest.param(
            cat("]d2", "01", EPI_CARTON, "17270200", "10L-2"),
            fields(
                kind="gs1",
                gtin=EPI_CARTON,
                ndc=EPI_NDC10,
                lot="L-2",
                expiry="2027-02-28",
                symbology="]d2",
            ),
            id="carton-indicator-5-day-00",
        ),
        pytest.param(
            f"01{EPI_GTIN}17280200",
            fields(**EPI, expiry="2028-02-29"),
            id="day-00-leap-year",
        ),
        pytest.param(
            f"(01){EPI_GTIN}(17)271231(10)LOT1",
            fields(**EPI, lot="LOT1", expiry="2027-12-31"),
            id="hri",
        ),
        pytest.param(
            f" (01) {EPI_GTIN} (10)LOT1 (21)SER1 (17)271231 ",
            fields(**EPI_FULL),
            id="hri-spaces",
        ),
        pytest.param(
            f"https://id.gs1.org/01/{EPI_GTIN}/10/LOT1?17=271231",
            fields(**EPI, lot="LOT1", expiry="2027-12-31"),
            id="digital-link-query-expiry",
        ),
        pytest.param(
            f"]Q1HTTPS://pharma.example.com/p/01/{EPI_UPC}/10/LOT1/21/SER1?17=271231&x=y",
            fields(**EPI_FULL, symbology="]Q1"),
            id="digital-link-other-host-short-gtin",
        ),
        pytest.param(
            cat("]C1", "01", EPI_CARTON, "3024"),
            fields(kind="gs1", gtin=EPI_CARTON, ndc=EPI_NDC10, count=24, symbology="]C1"),
            id="gs1-128-count-ai30",
        ),
        pytest.param(
            f"]C1(00){SSCC}(02){EPI_CARTON}(37)10",
            fields(
                kind="gs1", gtin=EPI_CARTON, ndc=EPI_NDC10, count=10, symbology="]C1", sscc=SSCC
            ),
            id="case-label-02-37-hri",
        ),
        pytest.param(
            cat("]e0", "01", EPI_GTIN),
            fields(**EPI, symbology="]e0"),
            id="databar-gtin-only-is-gs1",
        ),
        pytest.param(
            cat("]Q3", "01", EPI_GTIN, "10LOT1"),
            fields(**EPI, lot="LOT1", symbology="]Q3"),
            id="gs1-qr",
        ),
        pytest.param(
            # GS missing after the lot: biip reads the expiry into the lot; we accept that.
            cat("01", EPI_GTIN, "10LOT1", "17271231"),
            fields(**EPI, lot="LOT117271231"),
            id="missing-gs-absorbed-into-lot",
        ),
        pytest.param(
            f"01{EPI_GTIN}10{'L' * 20}{GS}21SER1",
            fields(**EPI, lot="L" * 20, serial="SER1"),
            id="lot-20-chars",
        ),
        pytest.param(
            f"0100614141123452{GS}10LOT1",
            fields(kind="gs1", gtin="00614141123452", lot="LOT1"),
            id="non-ndc-gs1",
        ),
        pytest.param(EPI_UPC, fields(kind="gtin", gtin=EPI_GTIN, ndc=EPI_NDC10), id="upc-a-ndc"),
        pytest.param(
            f"]E00{EPI_UPC}",
            fields(kind="gtin", gtin=EPI_GTIN, ndc=EPI_NDC10, symbology="]E0"),
            id="upc-a-as-ean13-aim",
        ),
        pytest.param(
            f"]I1{EPI_CARTON}",
            fields(kind="gtin", gtin=EPI_CARTON, ndc=EPI_NDC10, symbology="]I1"),
            id="itf-14",
        ),
        pytest.param(EAN13, fields(kind="gtin", gtin=f"0{EAN13}"), id="ean-13"),
        pytest.param(
            f"]E0{EAN13}", fields(kind="gtin", gtin=f"0{EAN13}", symbology="]E0"), id="ean-13-aim"
        ),
        pytest.param(EAN8, fields(kind="gtin", gtin=f"000000{EAN8}"), id="ean-8"),
        pytest.param(
            f"]E4{EAN8}", fields(kind="gtin", gtin=f"000000{EAN8}", symbology="]E4"), id="ean-8-aim"
        ),
        pytest.param(
            "]E004252614",
            fields(kind="gtin", gtin="00042100005264", symbology="]E0"),
            id="upc-e-expanded",
        ),
        pytest.param(
            f"]d1{EPI_GTIN}",
            fields(kind="gtin", gtin=EPI_GTIN, ndc=EPI_NDC10, symbology="]d1"),
            id="gtin-14-plain-datamatrix",
        ),
        pytest.param("LOC:PHARM-A-01", fields(kind="location", label="PHARM-A-01"), id="loc"),
        pytest.param(
            "]C0LOC:PHARM-A-01",
            fields(kind="location", label="PHARM-A-01", symbology="]C0"),
            id="loc-aim",
        ),
        pytest.param("KIT:CRASH-CART-3", fields(kind="kit", label="CRASH-CART-3"), id="kit"),
        pytest.param(
            "]C0KIT:CRASH-CART-3",
            fields(kind="kit", label="CRASH-CART-3", symbology="]C0"),
            id="kit-aim",
        ),
        pytest.param("CMD:RECEIVE\r\n", fields(kind="command", label="RECEIVE"), id="cmd"),
        pytest.param(
            "]C0CMD:QTY:5", fields(kind="command", label="QTY:5", symbology="]C0"), id="cmd-aim"
        ),
        pytest.param(" LOC: Fridge 2 ", fields(kind="location", label="Fridge 2"), id="loc-spaces"),
    ],
)
def test_interpret(code: str, expected: dict[str, object]) -> None:
    barcode = interpret(code)
    assert barcode.as_dict() == expected
    assert barcode.raw == code.strip()


def test_interpret_returns_dates_not_strings() -> None:
    barcode = interpret(f"01{EPI_GTIN}17270200")
    assert barcode == Barcode(kind="gs1", raw=barcode.raw, gtin=EPI_GTIN, ndc=EPI_NDC10,
                              expiry=date(2027, 2, 28))  # fmt: skip


@pytest.mark.parametrize(
    ("code", "why"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("  \t", "empty", id="whitespace"),
        pytest.param("\r\n", "empty", id="crlf"),
        pytest.param("\x00\x01\x02", "non-printable", id="nul-bytes"),
        pytest.param(bytes(range(256)).decode("latin-1"), "non-printable", id="binary"),
        pytest.param(f"01{EPI_GTIN}\x0017271231", "non-printable", id="embedded-nul"),
        pytest.param("hello world", "Unrecognised", id="garbage"),
        pytest.param("\u0663\u0660\u0664" * 4, "Unrecognised", id="non-ascii-digits"),
        pytest.param("LOC:", "label", id="loc-empty"),
        pytest.param("]C0KIT:   ", "label", id="kit-blank"),
        pytest.param(f"CMD:QTY{GS}5", "label", id="cmd-with-gs"),
        pytest.param("]", "symbology", id="aim-bare"),
        pytest.param("]d", "symbology", id="aim-incomplete"),
        pytest.param("]Y", "symbology", id="aim-system-expansion-broken"),
        pytest.param("]!0123", "symbology", id="aim-unknown"),
        pytest.param("]d2", "no data", id="aim-only"),
        pytest.param(f"]d201{EPI_GTIN[:-1]}2", "check digit", id="gs1-bad-check-digit"),
        pytest.param(f"{EPI_UPC[:-1]}9", "check digit", id="upc-bad-check-digit"),
        pytest.param(f"{EAN13[:-1]}0", "check digit", id="ean13-bad-check-digit"),
        pytest.param(f"01{EPI_GTIN}17271301", "17", id="month-13"),
        pytest.param(f"01{EPI_GTIN}17270230", "date", id="feb-30"),
        pytest.param(f"(01){EPI_GTIN}(17)270230", "date", id="hri-feb-30"),
        pytest.param(f"https://id.gs1.org/01/{EPI_GTIN}?17=271340", "17", id="dl-bad-date"),
        pytest.param(f"01{EPI_GTIN}10{'L' * 21}", "10", id="lot-21-chars-last"),
        pytest.param(f"01{EPI_GTIN}10{'L' * 20}21SER1", "too long", id="lot-overflows-into-ai"),
        pytest.param(f"(01){EPI_GTIN}(10){'L' * 21}", "10", id="hri-lot-21-chars"),
        pytest.param(f"00{SSCC}", "no GTIN", id="sscc-only"),
        pytest.param(f"(00){SSCC}(10)LOT1", "no GTIN", id="hri-sscc-only"),
        pytest.param(f"https://id.gs1.org/00/{SSCC}", "no GTIN", id="dl-sscc-only"),
        pytest.param(f"https://id.gs1.org/01/{EPI_GTIN[:-1]}0", "check digit", id="dl-bad-gtin"),
        pytest.param("https://example.com/about", "Digital Link", id="dl-plain-url"),
        pytest.param("http://[::1/01/1", "Digital Link", id="dl-broken-url"),
        pytest.param(f"(01){EPI_GTIN}()(17)271231", "stray", id="hri-stray-text"),
        pytest.param(f"(01){EPI_GTIN}(9999)X", "HRI|human-readable", id="hri-unknown-ai"),
        pytest.param(f"01{EPI_GTIN}10A{GS}10B", "twice", id="conflicting-duplicate-ai"),
        pytest.param(f"]C1(01){EPI_CARTON}(37)10", "cannot appear with", id="count-37-with-01"),
        pytest.param(f"]d2{EPI_GTIN}", "GS1", id="gs1-symbology-bare-digits"),
        pytest.param("12345678901", "GS1|AI", id="eleven-digits"),
        pytest.param("0" * 14, "all-zero", id="all-zero-gtin"),
        pytest.param("]E012345678", "UPC-E", id="upc-e-bad"),
    ],
)
def test_interpret_rejects(code: str, why: str) -> None:
    with pytest.raises(BadBarcode, match=why) as excinfo:
        interpret(code)
    assert excinfo.value.detail == str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)


# --- NDC / GTIN helpers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ndc", "indicator", "gtin"),
    [
        (EPI_NDC, 0, "00304094921341"),
        (EPI_NDC10, 0, "00304094921341"),
        ("00409-4921-34", 0, "00304094921341"),
        ("00409492134", 0, "00304094921341"),
        (f" {EPI_NDC} ", 5, "50304094921346"),
        (NALOXONE_NDC, 0, gtin_from_ndc("6332318710")),
        ("63323-0187-10", 1, gtin_from_ndc("6332318710", 1)),
        (LAYOUT_541_NDC, 0, gtin_from_ndc("1234567891")),
        ("12345-6789-01", 0, gtin_from_ndc("1234567891")),
    ],
)
def test_gtin_from_ndc(ndc: str, indicator: int, gtin: str) -> None:
    result = gtin_from_ndc(ndc, indicator)
    assert result == gtin
    assert len(result) == 14
    assert result[0] == str(indicator)
    assert result[1:3] == "03"
    assert result[-1] == mod10(result[:-1])


@pytest.mark.parametrize(
    ("ndc", "indicator"),
    [
        ("00409-0921-34", 0),  # two padding candidates: 0409-0921-34 or 00409-921-34
        ("12345-6789-12", 0),  # no padding zero: not derived from a 10-digit NDC
        ("0409-4921-3", 0),
        ("0409-4921-34-1", 0),
        ("0409\u20134921\u201334", 0),  # en dashes
        ("abcd-efgh-ij", 0),
        ("040949213", 0),
        ("", 0),
        (EPI_NDC, 9),
        (EPI_NDC, -1),
    ],
)
def test_gtin_from_ndc_rejects(ndc: str, indicator: int) -> None:
    with pytest.raises(BadNdc):
        gtin_from_ndc(ndc, indicator)


@pytest.mark.parametrize(
    ("gtin", "ndc10"),
    [
        (EPI_GTIN, EPI_NDC10),
        (EPI_CARTON, EPI_NDC10),
        (EPI_UPC, EPI_NDC10),
        (f"0{EPI_UPC}", EPI_NDC10),
        (EAN13, None),
        (EAN8, None),
        ("00614141123452", None),
    ],
)
def test_ndc10_from_gtin(gtin: str, ndc10: str | None) -> None:
    assert ndc10_from_gtin(gtin) == ndc10


def test_ndc10_from_gtin_rejects_invalid_gtin() -> None:
    with pytest.raises(BadBarcode, match="check digit"):
        ndc10_from_gtin(EPI_GTIN[:-1] + "0")


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        (EPI_NDC, "00409-4921-34"),
        (NALOXONE_NDC, "63323-0187-10"),
        (LAYOUT_541_NDC, "12345-6789-01"),
        ("00409-4921-34", "00409-4921-34"),
        ("00409-0921-34", "00409-0921-34"),  # valid 11-digit even if its 10-digit form is not
        ("00409492134", "00409-4921-34"),
        (f"  {EPI_NDC}\n", "00409-4921-34"),
    ],
)
def test_ndc11(printed: str, expected: str) -> None:
    assert ndc11(printed) == expected


@pytest.mark.parametrize("bad", [EPI_NDC10, "0409-4921", "4-4921-34", "0409-4921-3x", "NDC"])
def test_ndc11_rejects(bad: str) -> None:
    with pytest.raises(BadNdc):
        ndc11(bad)


def test_ndc11_candidates() -> None:
    assert ndc11_candidates(EPI_NDC10) == ["00409-4921-34", "04094-0921-34", "04094-9213-04"]
    with pytest.raises(BadNdc):
        ndc11_candidates("040949213")


@pytest.mark.parametrize(
    ("ndc10", "like", "expected"),
    [
        (EPI_NDC10, EPI_NDC, EPI_NDC),
        (EPI_NDC10, "00409-4921-34", EPI_NDC),
        ("0409492110", "0409-4921-34", "0409-4921-10"),
        ("6332318710", NALOXONE_NDC, NALOXONE_NDC),
        ("6332318710", "63323-0187-10", NALOXONE_NDC),
        ("1234567891", LAYOUT_541_NDC, LAYOUT_541_NDC),
        # Padding of 00409-0921-34 alone is ambiguous, but only 4-4-2 yields it from these digits.
        ("0409092134", "00409-0921-34", "0409-0921-34"),
    ],
)
def test_format_ndc10(ndc10: str, like: str, expected: str) -> None:
    assert format_ndc10(ndc10, like=like) == expected


@pytest.mark.parametrize(("ndc10", "like"), [(EPI_NDC10, "00409-0921-34"), ("04094921", EPI_NDC)])
def test_format_ndc10_rejects(ndc10: str, like: str) -> None:
    with pytest.raises(BadNdc):
        format_ndc10(ndc10, like=like)


@pytest.mark.parametrize(
    ("digits", "gtin14"),
    [
        (EAN8, f"000000{EAN8}"),
        (EPI_UPC, EPI_GTIN),
        (EAN13, f"0{EAN13}"),
        (EPI_CARTON, EPI_CARTON),
        (f" {EPI_UPC} ", EPI_GTIN),
    ],
)
def test_normalize_gtin(digits: str, gtin14: str) -> None:
    assert normalize_gtin(digits) == gtin14


@pytest.mark.parametrize(
    "bad", ["", "1234567", "30409492134", EPI_UPC[:-1] + "0", "3O4094921341", "0" * 12, "٣" * 12]
)
def test_normalize_gtin_rejects(bad: str) -> None:
    with pytest.raises(BadBarcode):
        normalize_gtin(bad)


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("gtin", EPI_CARTON, EPI_CARTON),
        ("upc", EPI_UPC, EPI_GTIN),
        ("ean", EAN8, f"000000{EAN8}"),
        ("ndc", EPI_NDC, "00409-4921-34"),
        ("internal", "  FORMULARY-123 ", "FORMULARY-123"),
    ],
)
def test_normalize_identifier(kind: str, value: str, expected: str) -> None:
    assert normalize_identifier(kind, value) == expected


@pytest.mark.parametrize(
    ("kind", "value"),
    [("isbn", EAN13), ("GTIN", EPI_GTIN), ("internal", "  "), ("gtin", "123"), ("ndc", "1")],
)
def test_normalize_identifier_rejects(kind: str, value: str) -> None:
    with pytest.raises(BadBarcode):
        normalize_identifier(kind, value)


# --- properties ------------------------------------------------------------------------------

FRAGMENTS = st.sampled_from(
    [
        "]d2", "]C1", "]E0", "]Q3", "]e0", "]C0", "]", GS, "(", ")", "\r\n", " ",
        "00", "01", "10", "17", "21", "30", "37", "99", "0", "9",
        EPI_GTIN, EPI_UPC, EAN8, SSCC, "271231", "270200", "271340",
        "LOT1", "L" * 20, "LOC:", "KIT:", "CMD:", "https://id.gs1.org", "/01/", "/10/",
        "?17=", "&", "%2F", "[::", "\u0663", "\x00",
    ]
)  # fmt: skip
SCANS = st.one_of(st.text(), st.lists(FRAGMENTS, max_size=12).map("".join))


@settings(max_examples=500, deadline=None)
@given(SCANS)
def test_interpret_returns_barcode_or_raises_bad_barcode(code: str) -> None:
    try:
        barcode = interpret(code)
    except BadBarcode as exc:
        assert exc.detail
        return
    assert barcode.raw == code.strip()
    assert barcode.kind in {"gs1", "gtin", "location", "kit", "command"}
    if barcode.kind in {"gs1", "gtin"}:
        assert barcode.gtin is not None
        assert len(barcode.gtin) == 14
        assert barcode.gtin[-1] == mod10(barcode.gtin[:-1])
        assert barcode.ndc == ndc10_from_gtin(barcode.gtin)
    else:
        assert barcode.label
    assert set(barcode.as_dict()) == set(fields())


NDC10 = st.text("0123456789", min_size=10, max_size=10)


@given(NDC10, st.integers(min_value=0, max_value=8))
def test_ndc_gtin_round_trip(ndc10: str, indicator: int) -> None:
    gtin = gtin_from_ndc(ndc10, indicator)
    assert gtin[-1] == mod10(gtin[:-1])
    assert ndc10_from_gtin(gtin) == ndc10
    assert interpret(gtin).ndc == ndc10
    if indicator == 0:
        assert interpret(gtin[2:]).gtin == gtin  # as the 12-digit UPC-A


@given(NDC10, st.sampled_from([EPI_NDC, NALOXONE_NDC, LAYOUT_541_NDC]))
def test_every_printed_layout_is_a_candidate(ndc10: str, like: str) -> None:
    printed = format_ndc10(ndc10, like=like)
    assert printed.replace("-", "") == ndc10
    assert ndc11(printed) in ndc11_candidates(ndc10)
    assert gtin_from_ndc(printed) == gtin_from_ndc(ndc10)


LOTS = st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=20)


@settings(deadline=None)
@given(
    gtin=st.sampled_from([EPI_GTIN, EPI_CARTON, "00614141123452"]),
    lot=LOTS,
    serial=LOTS,
    expiry=st.dates(min_value=date(2000, 1, 1), max_value=date(2069, 12, 31)),
    order=st.permutations(["10", "17", "21"]),
    aim=st.sampled_from(["", "]d2", "]C1", "]Q3"]),
)
def test_generated_gs1_messages_parse_back(
    gtin: str, lot: str, serial: str, expiry: date, order: list[str], aim: str
) -> None:
    values = {"10": lot, "17": expiry.strftime("%y%m%d"), "21": serial}
    # Fixed-length 17 needs no separator; variable-length 10/21 do unless last.
    element_string = f"{aim}01{gtin}" + "".join(
        f"{ai}{values[ai]}{GS if ai != '17' and i < 2 else ''}" for i, ai in enumerate(order)
    )
    hri = f"(01){gtin}" + "".join(f"({ai}){values[ai]}" for ai in order)
    dl = f"https://id.example/01/{gtin}/10/{lot}/21/{serial}?17={values['17']}"
    for code in (element_string, hri, dl):
        barcode = interpret(code)
        assert (barcode.kind, barcode.gtin, barcode.lot, barcode.serial, barcode.expiry) == (
            "gs1",
            gtin,
            lot,
            serial,
            expiry,
        ), code
