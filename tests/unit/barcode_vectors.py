"""Barcode vectors per class of issue 10, each with where it comes from.

Shared by tests/unit/test_barcode_classes.py and runnable on its own to count how many the
interpreter gets right per class (``python -m tests.unit.barcode_vectors``). A vector's
expectation is either ``BAD`` (must be refused with BadBarcode) or the fields of
``Barcode.as_dict()`` (plus ``warnings``: the warning codes) that must come out.
"""

from __future__ import annotations

from typing import Any

GS = "\x1d"
BAD = "bad"
EPI = "00304094921341"  # NDC 0409-4921-34 unit of use (see tests/helpers.py)
EPI_CARTON = "50304094921346"

Vector = tuple[str, str, Any]  # (id, code, expectation)

CASE_LABELS: list[Vector] = [
    # biip's documentation (biip/gs1_digital_link_uris.py docstring): a case Digital Link.
    (
        "biip-dl-sscc-02-37",
        "https://id.gs1.org/00/106141412345678908?02=00614141123452&37=25&10=ABC123",
        {"sscc": "106141412345678908", "gtin": "00614141123452", "count": 25, "lot": "ABC123"},
    ),
    # The same data as a GS1-128 element string (GS1 General Specifications' SSCC example).
    (
        "gs1-128-sscc-02-37-10",
        f"]C100106141412345678908020061414112345237{25}{GS}10ABC123",
        {"sscc": "106141412345678908", "gtin": "00614141123452", "count": 25, "lot": "ABC123"},
    ),
    # zint backend/tests/test_png.c, gs1_128_cc_fig12 (ISO/IEC 24723 figure 12): linear
    # [00]030123456789012340, 2D part [02]13012345678909[37]24[10]1234567ABCDEFG, as one read.
    (
        "zint-fig12-composite-one-read",
        f"]C100030123456789012340{GS}021301234567890937{24}{GS}101234567ABCDEFG",
        {
            "sscc": "030123456789012340",
            "gtin": "13012345678909",
            "count": 24,
            "lot": "1234567ABCDEFG",
        },
    ),
    (
        "zint-fig12-hri",
        "(00)030123456789012340(02)13012345678909(37)24(10)1234567ABCDEFG",
        {"sscc": "030123456789012340", "gtin": "13012345678909", "count": 24},
    ),
    # A pharmacy case of 12 epinephrine cartons, with expiry (made here).
    (
        "pharma-case-hri",
        f"(00)106141412345678908(02){EPI_CARTON}(37)12(17)271231(10)L7",
        {
            "sscc": "106141412345678908",
            "gtin": EPI_CARTON,
            "count": 12,
            "lot": "L7",
            "expiry": "2027-12-31",
            "ndc": "0409492134",
        },
    ),
    # GS1 General Specifications 4.14 (invalid pairs): 37 only with 02, never with 01.
    ("37-with-01", f"(01){EPI_CARTON}(37)10", BAD),
    ("37-with-01-element-string", f"]C101{EPI_CARTON}3710", BAD),
    ("02-with-01", f"(01){EPI_CARTON}(02){EPI}(37)10", BAD),
    ("02-without-37", f"(00)106141412345678908(02){EPI_CARTON}", BAD),
    ("sscc-bad-check-digit", f"(00)106141412345678909(02){EPI_CARTON}(37)1", BAD),
]

CARRIERS: list[Vector] = [
    # DotCode, GS1 General Specifications 5.1.2 (]J1 = GS1 DotCode).
    (
        "dotcode-j1",
        f"]J101{EPI}17271231" + "10LOT1",
        {"gtin": EPI, "lot": "LOT1", "expiry": "2027-12-31"},
    ),
    # zint backend/tests/data/png/upca_2addon_ggs_5.2.6.6-5.png read by zxing-cpp with add-on:
    # ]E3 001234567890524 (UPC-A 012345678905 + add-on 24).
    ("upc-a-2-addon-e3", "]E3001234567890524", {"kind": "gtin", "gtin": "00012345678905"}),
    # EAN-13 + 5-digit add-on (zxing-cpp test/samples/ean13-... add-on style), made here.
    ("ean13-5-addon-e3", "]E3977138452401752499", {"gtin": "09771384524017"}),
    ("ean8-2-addon-e3", "]E49638507412", BAD),  # ]E4 is EAN-8 alone: 10 digits are not one
    # zint iso24723_fig10 (frontend_qt/tests/..., ISO/IEC 24723 figure 10): DataBar Limited
    # [01]00012345678905[10]ABCDEF with CC [21]12345678, transmitted as one ]e0 read.
    (
        "zint-iso24723-fig10-one-read",
        "]e00100012345678905" + f"10ABCDEF{GS}2112345678",
        {"gtin": "00012345678905", "lot": "ABCDEF", "serial": "12345678"},
    ),
    # The same, the two parts joined by '|' as the GS1 Syntax Engine / zint take composites.
    (
        "composite-pipe",
        "0100012345678905" + "10ABCDEF|2112345678",
        {"gtin": "00012345678905", "lot": "ABCDEF", "serial": "12345678"},
    ),
    # EAN-13 composite: the linear part sent as ]E0 digits, then the 2D part's ]e0 read.
    (
        "ean13-composite-inline-aim",
        f"]E0{EPI[1:]}]e017271231" + "10LOT1",
        {"gtin": EPI, "lot": "LOT1", "expiry": "2027-12-31"},
    ),
    # GS1-128 whose FNC1 separators arrive as inline ]C1 (scanner setting "transmit AIM for
    # each FNC1"), made here.
    (
        "gs1-128-inline-c1",
        f"]C101{EPI}10LOT1]C12112345",
        {"gtin": EPI, "lot": "LOT1", "serial": "12345"},
    ),
    # AI 7003 (GS1 General Specifications 3.9.11): expiry date and time.
    ("ai-7003", f"(01){EPI}(7003)2712311430(10)L", {"expiry": "2027-12-31", "lot": "L"}),
    ("ai-7003-17-wins", f"(01){EPI}(17)271130(7003)2712311430", {"expiry": "2027-11-30"}),
    # AI 715 (NHRN, US FDA NDC), GS1 General Specifications 3.9.14: NDC beside a GTIN.
    (
        "ai-715-ndc",
        "(01)00614141123452(715)0409492134",
        {"gtin": "00614141123452", "ndc": "0409492134"},
    ),
    ("ai-715-ndc-dashed", "(01)00614141123452(715)0409-4921-34", {"ndc": "0409492134"}),
]

NOTHING_SILENT: list[Vector] = [
    ("hri-lot-with-space", f"(01){EPI}(10)LOT 1", BAD),
    ("hri-lot-with-space-then-ai", f"(01){EPI}(10)LOT 1(17)271231", BAD),
    ("element-string-lot-with-space", f"01{EPI}10LOT 1", BAD),
    ("dl-lot-with-space", f"https://id.gs1.org/01/{EPI}/10/LOT%201", BAD),
    ("dl-lot-with-e-acute", f"https://id.gs1.org/01/{EPI}/10/L%C3%A9", BAD),
    ("dl-query-twice-different", f"https://id.gs1.org/01/{EPI}?17=271231&17=281231", BAD),
    ("dl-path-and-query-different", f"https://id.gs1.org/01/{EPI}/10/A?10=B", BAD),
    (
        "dl-query-twice-same",
        f"https://id.gs1.org/01/{EPI}?17=271231&17=271231",
        {"expiry": "2027-12-31"},
    ),
    # Indicator 9 = variable measure: never an NDC-labelled drug (GS1 General Spec. 3.3.2).
    (
        "indicator-9-no-ndc",
        "90304094921349"[:-1] + "4",
        {"gtin": "90304094921344", "ndc": None},
    ),
    ("indicator-9-gs1-no-ndc", "(01)90304094921344(10)L", {"ndc": None}),
]

FNC1: list[Vector] = [
    # The lot swallowed the serial: no GS arrived (zxing-cpp prints such data for scanners
    # without FNC1 transmission); the service warns, naming the setting.
    (
        "lot-swallowed-serial",
        f"]d201{EPI}17271231" + "10LOT121SER1",
        {"lot": "LOT121SER1", "warnings": ["fnc1_missing"]},
    ),
    ("lot-swallowed-expiry", f"01{EPI}10LOT117271231", {"warnings": ["fnc1_missing"]}),
    ("with-gs-no-warning", f"]d201{EPI}10LOT1{GS}21SER1", {"warnings": []}),
    ("lot-last-no-warning", f"]d201{EPI}17271231" + "10LOT1", {"warnings": []}),
]

CLASSES: dict[str, list[Vector]] = {
    "case labels": CASE_LABELS,
    "carriers": CARRIERS,
    "nothing silently changed": NOTHING_SILENT,
    "fnc1 missing (service)": FNC1,
}


def check(code: str, expected: Any) -> tuple[bool, str]:
    """(right?, what came out) for one vector against the current interpreter."""
    from inventory_svc.domain.barcodes import BadBarcode, interpret

    try:
        barcode = interpret(code)
    except BadBarcode as exc:
        return expected == BAD, f"BadBarcode: {exc}"
    if expected == BAD:
        return False, f"accepted: {barcode.as_dict()}"
    got: dict[str, Any] = dict(barcode.as_dict())
    got["warnings"] = [w[0] for w in getattr(barcode, "warnings", ())]
    wrong = {k: got.get(k, "<missing>") for k, v in expected.items() if got.get(k, "?") != v}
    return not wrong, f"wrong {wrong}" if wrong else "ok"


def main() -> None:
    total_ok = total = 0
    for name, vectors in CLASSES.items():
        results = [(vid, *check(code, exp)) for vid, code, exp in vectors]
        ok = sum(1 for _vid, right, _ in results if right)
        total_ok += ok
        total += len(results)
        print(f"{name}: {ok}/{len(results)} right")
        for vid, right, what in results:
            if not right:
                print(f"   x {vid}: {what}")
    print(f"all: {total_ok}/{total}")


if __name__ == "__main__":
    main()
