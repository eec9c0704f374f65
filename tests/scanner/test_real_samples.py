"""The client's decoder on real-world sample images (../shared/barcode-samples), and what the
service makes of each text; 1D two-frame consensus; several codes in one frame.

Expected texts: zxing-cpp's test/samples/<folder>/<name>.result.txt (the `zxing_` files) and
zint's backend/tests/test_png.c data (the `zint_` files), with the AIM identifier zxing-cpp
reports. A composite's 2D part (zint fig12) is not decoded by zxing-cpp 3.1: only its linear
part is read, and the service refuses an SSCC alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from inventory_svc.domain.barcodes import BadBarcode, interpret
from scanner_client.debounce import Debouncer, LinearConsensus
from scanner_client.decoding import Decoder
from scanner_client.runner import run_frames
from scanner_client.sources import FrameItem

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "barcode-samples"
GS = "\x1d"
BAD = "bad"
GS1_FIGURE = (
    "01095040000591012112345678p901"
    + GS
    + "101234567p"
    + GS
    + "171411208200http://www.gs1.org/demo/"
)
VIAL = "0108903819987659"  # GS1 DataMatrix on the vials of zxing-cpp issue #794

# file -> (text the client sends, service's reading: fields or BAD)
EXPECTED: dict[str, tuple[str, Any]] = {
    "zint_ean13_ggs_5.2.2.1-1.png": ("]E09771384524017", {"gtin": "09771384524017"}),
    "zint_ean8_gss_5.2.2.2-1.png": ("]E412345670", {"gtin": "00000012345670"}),
    "zint_gs1_128_cc_fig12.png": ("]C100030123456789012340", BAD),  # 2D part unread
    "zint_upca_2addon_ggs_5.2.6.6-5.png": ("]E3001234567890524", {"gtin": "00012345678905"}),
    "zxing_code128-1_1.png": ("]C1168901", BAD),
    "zxing_code128-1_5.png": ("]C18101054321120021123456", BAD),  # a coupon, no product
    "zxing_databarltd-1_01.webp": ("]e00100068510889102", {"gtin": "00068510889102"}),
    "zxing_datamatrix-1_gs1-figure-4.15.1-2-32x32.png": (
        "]d2" + GS1_FIGURE,
        {
            "gtin": "09504000059101",
            "serial": "12345678p901",
            "lot": "1234567p",
            "expiry": "2014-11-20",
        },
    ),
    "zxing_datamatrix-3_794.png": (
        f"]d2{VIAL}21S1ND6MPPFCGG6B869XES{GS}1731063010BNav4Cam2",
        {"gtin": "08903819987659", "lot": "BNav4Cam2", "expiry": "2031-06-30"},
    ),
    "zxing_datamatrix-4_gs1-figure-4.15.1-2-44x20.png": ("]d8" + GS1_FIGURE, {"lot": "1234567p"}),
    # the small photos (~200 px): read only once enlarged
    "zxing_datamatrix-5_issue794-12-1.webp": (
        f"]d2{VIAL}21S1ND6MPPFCGG6B869XES{GS}1731063010BNav4Cam2",
        {"serial": "S1ND6MPPFCGG6B869XES"},
    ),
    "zxing_datamatrix-5_issue794-13-4.webp": (
        f"]d2{VIAL}21XY061M5Z9NHXP10R20NN{GS}1731063010BNav4Cam2",
        {"serial": "XY061M5Z9NHXP10R20NN", "lot": "BNav4Cam2"},
    ),
    "zxing_datamatrix-5_issue794-3-2.webp": (
        f"]d2{VIAL}21Y2GNX9ZR37SE0DAAT436{GS}1731063010BNav4Cam2",
        {"serial": "Y2GNX9ZR37SE0DAAT436"},
    ),
    # one symbol; zxing-cpp also misreads a sliver of it as 7034759003930 (dropped)
    "zxing_ean13-1_35.webp": ("]E05030159003930", {"gtin": "05030159003930"}),
    "zxing_ean13-1_4.webp": ("]E05449000039231", {"gtin": "05449000039231"}),
    "zxing_ean8-1_1.png": ("]E448512343", {"gtin": "00000048512343"}),
    "zxing_qrcode-2_gs1-figure-4.15.1-2.png": ("]Q3" + GS1_FIGURE, {"gtin": "09504000059101"}),
    "zxing_rss14-1_0120358468019312.webp": ("]e00120358468019312", {"gtin": "20358468019312"}),
    "zxing_rss14-1_1.png": ("]e00104412345678909", {"gtin": "04412345678909"}),
    "zxing_rss14-1_4.png": ("]e00120012345678909", {"gtin": "20012345678909"}),
    "zxing_rss14-2_2.png": ("]e00100821935106427", {"gtin": "00821935106427"}),
    "zxing_rssexpanded-1_10.png": (
        "]e0019889876543210615991231310300175010" + f"12A{GS}422123{GS}21123456{GS}423012345678901",
        {"gtin": "98898765432106", "lot": "12A", "serial": "123456"},
    ),
    "zxing_rssexpanded-3_15.png": ("]e0010001234567890510ABC123", {"lot": "ABC123"}),
    "zxing_rssexpanded-3_16.png": (
        "]e0011234567890123110UNIVERSITY-OF-DEUSTO",
        {"lot": "UNIVERSITY-OF-DEUSTO"},
    ),
    "zxing_rssexpanded-3_4.png": ("]e00191234567980129310201223315000101", {"count": None}),
    "zxing_upca-1_2.webp": ("]E00036602301467", {"gtin": "00036602301467"}),
    "zxing_upca-2_48.webp": ("]E01077778003259", {"gtin": "01077778003259"}),
    "zxing_upca-5_03.webp": ("]E00312547701310", {"gtin": "00312547701310", "ndc": "1254770131"}),
    "zxing_upce-1_1.png": ("]E00012345000065", {"gtin": "00012345000065"}),
    "zxing_upce-2_01.webp": ("]E00050968000093", {"gtin": "00050968000093"}),
}

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no samples at {SAMPLES}")


def _image(name: str) -> Any:
    frame = cv2.imread(str(SAMPLES / name), cv2.IMREAD_COLOR)
    assert frame is not None, name
    return np.asarray(frame, dtype=np.uint8)


@pytest.fixture(scope="module")
def zx() -> Decoder:
    return Decoder("zxing")


def test_every_sample_is_listed() -> None:
    files = {p.name for p in SAMPLES.iterdir() if p.suffix != ".md"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_sample_is_decoded_and_interpreted(zx: Decoder, name: str) -> None:
    text, reading = EXPECTED[name]
    assert [d.text for d in zx.decode(_image(name))] == [text]
    try:
        barcode = interpret(text).as_dict()
    except BadBarcode:
        assert reading == BAD
        return
    assert reading != BAD, barcode
    assert {key: barcode[key] for key in reading} == reading


def test_small_photos_need_the_upscale_retry(zx: Decoder) -> None:
    no_retry = Decoder("zxing", upscale_budget=0.0)
    for name in ("zxing_datamatrix-5_issue794-13-4.webp", "zxing_datamatrix-5_issue794-3-2.webp"):
        assert no_retry.decode(_image(name)) == []
        (found,) = zx.decode(_image(name))
        assert found.format == "DataMatrix"
        h, w = _image(name).shape[:2]
        assert all(0 <= x <= w and 0 <= y <= h for x, y in found.position)  # frame coords


def test_one_symbol_read_two_ways_keeps_the_whole_read(zx: Decoder) -> None:
    found = zx.decode(_image("zxing_ean13-1_35.webp"))
    assert [d.text for d in found] == ["]E05030159003930"]
    ((kept, dropped),) = zx.dropped
    assert (kept.text, dropped.text) == ("]E05030159003930", "]E07034759003930")


# --- the capture loop: 1D consensus, several codes in one frame --------------------------


class _Feedback:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warning(self, message: str) -> None:
        self.warnings.append(message)


class _Session:
    def __init__(self) -> None:
        self.feedback = _Feedback()
        self.codes: list[str] = []

    def handle_code(self, code: str, *, typed: bool = False) -> None:
        self.codes.append(code)


def _camera(frames: list[Any], session: _Session, zx: Decoder) -> None:
    items = [FrameItem(t / 30, f) for t, f in enumerate(frames)]
    run_frames(items, zx, session, debouncer=Debouncer(), consensus=LinearConsensus())  # type: ignore[arg-type]


def test_a_camera_ean_counts_only_when_two_frames_agree(zx: Decoder) -> None:
    ean = _image("zxing_ean13-1_4.webp")
    once = _Session()
    _camera([ean], once, zx)
    assert once.codes == []
    held = _Session()
    _camera([ean, ean, ean], held, zx)
    assert held.codes == ["]E05449000039231"]


def test_a_2d_code_needs_no_second_frame(zx: Decoder) -> None:
    session = _Session()
    _camera([_image("zxing_datamatrix-3_794.png")], session, zx)
    assert len(session.codes) == 1


def test_a_blurred_misread_in_one_frame_is_never_sent() -> None:
    consensus = LinearConsensus()
    frames = [
        ["]E05449000039231"],
        ["]E07034759003930"],
        ["]E05449000039231"],
        ["]E05449000039231"],
    ]
    passed = [consensus.frame(texts) for texts in frames]
    assert passed == [[], [], [], ["]E05449000039231"]]
    assert consensus.frame(["]d2010030409492134110L"]) == ["]d2010030409492134110L"]


def test_two_codes_in_one_frame_are_two_scans_and_said_so(zx: Decoder) -> None:
    a, b = _image("zxing_datamatrix-3_794.png"), _image("zxing_ean8-1_1.png")
    h = max(a.shape[0], b.shape[0])
    pad = [np.full((h, 40, 3), 255, np.uint8)]
    frame = np.hstack(
        [np.vstack([x, np.full((h - x.shape[0], x.shape[1], 3), 255, np.uint8)]) for x in (a, b)]
        + pad
    )
    session = _Session()
    _camera([frame, frame], session, zx)
    assert sorted(session.codes) == sorted(
        [EXPECTED["zxing_datamatrix-3_794.png"][0], "]E448512343"]
    )
    assert any("2 different codes in one frame" in w for w in session.feedback.warnings)


def test_image_folder_sends_each_image_as_read(tmp_path: Path, zx: Decoder) -> None:
    session = _Session()
    items = [FrameItem(0.0, _image("zxing_ean13-1_35.webp"), "35.webp")]
    run_frames(items, zx, session, debouncer=None)  # type: ignore[arg-type]
    assert session.codes == ["]E05030159003930"]
    assert any("read two ways" in w for w in session.feedback.warnings)
