"""Decoding generated images: what the client would send for each pack/label, under stress."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pytest

from scanner_client.decoding import Decoded, Decoder, DecoderUnavailable, load_pyzbar
from tests.scanner import imagegen as ig
from tests.scanner.conftest import pyzbar_skip_reason

GS1_TEXT = "]d2" + ig.gs1_plain()
LOC_TEXT = "]C0LOC:MAIN-A1"
EAN_TEXT = "]E04006381333931"

Variant = Callable[[ig.Frame], ig.Frame]
VARIANTS: dict[str, Variant] = {
    "plain": lambda f: f,
    "rotated-17": lambda f: ig.rotate(f, 17),
    "rotated-90": lambda f: ig.rotate(f, 90),
    "rotated-180": lambda f: ig.rotate(f, 180),
    "blurred": lambda f: ig.blur(f, 5),
    "noisy": lambda f: ig.noisy(f, 25),
    "perspective": lambda f: ig.perspective(f, 0.08),
    "blurred+noisy": lambda f: ig.noisy(ig.blur(f, 3), 15),
}
# Linear codes are read along scan lines: zxing-cpp and zbar both lose a short Code128 label
# beyond ~12 degrees of skew (try_rotate covers 90/180/270), so 1D labels get 10 degrees.
LINEAR_VARIANTS: dict[str, Variant] = {
    **{k: v for k, v in VARIANTS.items() if k != "rotated-17"},
    "rotated-10": lambda f: ig.rotate(f, 10),
}


@pytest.fixture(scope="module")
def zx() -> Decoder:
    return Decoder("zxing")


def test_gtin_of_demo_epinephrine_has_a_valid_check_digit() -> None:
    # "003" + NDC10 0409492134 + check digit: 1 (not 3)
    assert "003" + "0409492134" + ig.gtin_check_digit("0030409492134") == ig.EPI_GTIN


@pytest.mark.parametrize("variant", VARIANTS)
def test_gs1_datamatrix(zx: Decoder, variant: str) -> None:
    frame = VARIANTS[variant](ig.on_canvas(ig.gs1_datamatrix(ig.gs1_bracketed())))
    found = zx.decode(frame)
    assert [d.text for d in found] == [GS1_TEXT]
    d = found[0]
    assert d.symbology == "]d2" and d.is_gs1 and d.format == "DataMatrix"
    assert "\x1d21SN1" in d.content  # FNC1 after the variable lot arrives as ASCII 29
    assert len(d.position) == 4


@pytest.mark.parametrize("variant", LINEAR_VARIANTS)
def test_code128_location_label(zx: Decoder, variant: str) -> None:
    frame = LINEAR_VARIANTS[variant](ig.on_canvas(ig.code128_label("LOC:MAIN-A1")))
    found = zx.decode(frame)
    assert [d.text for d in found] == [LOC_TEXT]
    assert not found[0].is_gs1


@pytest.mark.parametrize("variant", LINEAR_VARIANTS)
def test_ean13(zx: Decoder, variant: str) -> None:
    frame = LINEAR_VARIANTS[variant](ig.on_canvas(ig.ean13("400638133393")))
    assert [d.text for d in zx.decode(frame)] == [EAN_TEXT]


def test_gs1_128_keeps_fnc1_as_gs_and_reports_c1(zx: Decoder) -> None:
    frame = ig.on_canvas(ig.gs1_128("(01)00304094921341(10)LOT42(21)SN9"), size=(1280, 480))
    (d,) = zx.decode(frame)
    assert d.text == "]C1010030409492134110LOT42\x1d21SN9"
    assert d.is_gs1


def test_gs1_datamatrix_without_serial_and_small_in_a_720p_frame(zx: Decoder) -> None:
    code = ig.gs1_datamatrix(ig.gs1_bracketed(serial=None), scale=4)
    frame = ig.on_canvas(code, size=(1280, 720), at=(900, 500))
    assert [d.text for d in zx.decode(frame)] == ["]d2" + ig.gs1_plain(serial=None)]


def test_rectangular_datamatrix_is_read(zx: Decoder) -> None:
    """zxing-cpp 3.1 reports rectangular (DMRE) GS1 symbols as ]d8; sent unchanged."""
    frame = ig.on_canvas(ig.gs1_datamatrix(ig.gs1_bracketed(), square=False))
    (d,) = zx.decode(frame)
    assert d.content == ig.gs1_plain()
    assert d.symbology.startswith("]d") and d.is_gs1


def test_two_packs_in_one_frame(zx: Decoder) -> None:
    import numpy as np

    a = ig.on_canvas(ig.gs1_datamatrix(ig.gs1_bracketed(serial="A1"), scale=5), max_fraction=0.4)
    b = ig.on_canvas(ig.gs1_datamatrix(ig.gs1_bracketed(serial="B2"), scale=5), max_fraction=0.4)
    frame = np.hstack([a, b])
    texts = sorted(d.text for d in zx.decode(frame))
    assert texts == sorted(["]d2" + ig.gs1_plain(serial="A1"), "]d2" + ig.gs1_plain(serial="B2")])


def test_nothing_in_view(zx: Decoder) -> None:
    assert zx.decode(ig.noisy(ig.blank(), 30)) == []


def test_formats_restrict_what_is_read() -> None:
    only_dm = Decoder("zxing", ["DataMatrix"])
    assert only_dm.decode(ig.on_canvas(ig.ean13("400638133393"))) == []
    assert only_dm.decode(ig.on_canvas(ig.gs1_datamatrix(ig.gs1_bracketed())))


def test_unknown_format_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown barcode format"):
        Decoder("zxing", ["NoSuchCode"])


# Skipped only on a developer machine without libzbar0; CI installs it, so there it must run.
needs_pyzbar = pytest.mark.skipif(
    pyzbar_skip_reason() is not None and not os.environ.get("CI"),
    reason=str(pyzbar_skip_reason()),
)


@needs_pyzbar
@pytest.mark.parametrize("variant", ["plain", "blurred", "noisy", "rotated-180"])
def test_pyzbar_reads_1d_with_aim_identifiers(variant: str) -> None:
    pz = Decoder("pyzbar")
    frame = VARIANTS[variant](ig.on_canvas(ig.ean13("400638133393")))
    assert [d.text for d in pz.decode(frame)] == [EAN_TEXT]
    frame = VARIANTS[variant](ig.on_canvas(ig.code128_label("LOC:MAIN-A1")))
    assert [d.text for d in pz.decode(frame)] == [LOC_TEXT]


@needs_pyzbar
def test_pyzbar_gs1_128_is_sent_for_the_service_to_judge() -> None:
    """zbar hides FNC1 in first position: the client sends ]C0 and judges no GS1 itself."""
    frame = ig.on_canvas(ig.gs1_128("(01)00304094921341(10)L1(21)S1"), size=(1280, 480))
    (d,) = Decoder("pyzbar").decode(frame)
    assert d.text == "]C0010030409492134110L1\x1d21S1"
    assert d.decoder == "pyzbar"


@needs_pyzbar
def test_pyzbar_cannot_read_datamatrix_but_both_can() -> None:
    frame = ig.on_canvas(ig.gs1_datamatrix(ig.gs1_bracketed()))
    assert Decoder("pyzbar").decode(frame) == []
    assert [d.text for d in Decoder("both").decode(frame)] == [GS1_TEXT]


@needs_pyzbar
def test_both_falls_back_to_pyzbar_only_when_zxing_finds_nothing() -> None:
    both = Decoder("both")
    (d,) = both.decode(ig.on_canvas(ig.ean13("400638133393")))
    assert d.decoder == "zxing"


def test_missing_zbar_message_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real = importlib.import_module

    def fake(name: str, package: str | None = None) -> object:
        if name == "pyzbar.pyzbar":
            raise ImportError("Unable to find zbar shared library")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(DecoderUnavailable, match="apt-get install libzbar0"):
        load_pyzbar()


@needs_pyzbar
def test_on_a_live_camera_pyzbar_gets_only_every_fourth_empty_frame() -> None:
    """An empty 720p frame costs zxing ~27 ms and pyzbar ~70 ms more: throttle the second."""
    calls: list[int] = []

    class CountingFallback:
        def decode(self, gray: object) -> list[Decoded]:
            calls.append(1)
            return []

    camera = Decoder("both", fallback_every=4)
    camera._fallback = CountingFallback()  # type: ignore[assignment]
    blank = np.full((480, 640), 255, dtype=np.uint8)
    for _ in range(8):
        assert camera.decode(blank) == []
    assert len(calls) == 2
    with pytest.raises(ValueError, match="at least 1"):
        Decoder("both", fallback_every=0)
