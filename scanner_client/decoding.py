"""Decode barcodes in camera frames: zxing-cpp first, pyzbar optionally for hard 1D frames.

What we produce per code is what the service expects in ``code``: the AIM symbology
identifier followed by the decoded text, with FNC1 as ASCII 29 (zxing-cpp's
``TextMode.Plain``) and nothing else changed. zxing-cpp reads DataMatrix (GS1 DataMatrix is
what DSCSA packs carry); pyzbar cannot, so it is only a second chance for linear codes.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .config import DEFAULT_FORMATS

Frame = npt.NDArray[np.uint8]
Point = tuple[int, int]

#: Enlargements tried, in order, when a frame shows no code at all.
UPSCALE_STEPS = (1.5, 3.0)
#: Largest side (pixels) an enlarged frame may have: beyond, a retry costs a camera frame.
UPSCALE_MAX_SIDE = 2000

ZBAR_INSTALL_HINT = (
    "pyzbar needs the zbar shared library. Install it: Debian/Ubuntu `sudo apt-get install "
    "libzbar0`, Fedora `sudo dnf install zbar-libs`, macOS `brew install zbar`; "
    "or use --decoder zxing."
)


class DecoderUnavailable(RuntimeError):
    """A decoder backend cannot be loaded; the message says how to install it."""


@dataclass(frozen=True)
class Decoded:
    """One code found in a frame."""

    text: str  # symbology identifier + content: what the client sends
    symbology: str  # AIM symbology identifier, e.g. "]d2"
    content: str  # decoded text, FNC1 as ASCII 29
    format: str  # e.g. "DataMatrix", "Code128", "EAN13"
    position: tuple[Point, ...]  # corners, clockwise from top-left (for the preview)
    is_gs1: bool
    decoder: str  # "zxing" | "pyzbar"


def to_gray(frame: Frame) -> Frame:
    """Decoders binarise luminance; converting once here is cheaper than per decoder."""
    if frame.ndim == 2:
        return frame
    import cv2

    code = cv2.COLOR_BGRA2GRAY if frame.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return np.asarray(cv2.cvtColor(frame, code), dtype=np.uint8)


class ZxingBackend:
    name = "zxing"

    def __init__(self, formats: Sequence[str]) -> None:
        import zxingcpp

        self._zx = zxingcpp
        try:
            self._formats = zxingcpp.barcode_formats_from_str(",".join(formats))
        except ValueError as exc:
            raise ValueError(f"unknown barcode format in {list(formats)}: {exc}") from exc
        matrix = set(zxingcpp.barcode_formats_list(zxingcpp.barcode_formats_from_str("AllMatrix")))
        names = [f.name for f in self._formats if f in matrix]
        self._matrix_formats = zxingcpp.barcode_formats_from_str(",".join(names)) if names else None

    def decode(
        self, gray: Frame, *, scale: float = 1.0, matrix_only: bool = False
    ) -> list[Decoded]:
        """Codes in ``gray``; ``scale`` is how much it was enlarged (positions are mapped
        back), ``matrix_only`` restricts a retry to 2D symbols."""
        zx = self._zx
        formats = self._formats
        if matrix_only:
            if self._matrix_formats is None:
                return []
            formats = self._matrix_formats
        out: list[Decoded] = []
        results = zx.read_barcodes(
            gray,
            formats=formats,
            text_mode=zx.TextMode.Plain,
            ean_add_on_symbol=zx.EanAddOnSymbol.Read,
        )
        for r in results:
            if not r.valid:
                continue
            p = r.position
            corners = tuple(
                (int(pt.x / scale), int(pt.y / scale))
                for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
            )
            sym = r.symbology_identifier
            out.append(
                Decoded(
                    text=sym + r.text,
                    symbology=sym,
                    content=r.text,
                    format=r.format.name,
                    position=corners,
                    is_gs1=r.content_type == zx.ContentType.GS1,
                    decoder=self.name,
                )
            )
        return _without_add_on_duplicates(out)


def _without_add_on_duplicates(found: list[Decoded]) -> list[Decoded]:
    """Reading add-ons, zxing-cpp may report an EAN/UPC both alone (]E0) and with its add-on
    (]E3): that is one symbol, sent once, with its add-on."""
    with_add_on = [d.content for d in found if d.symbology == "]E3"]
    return [
        d
        for d in found
        if not (
            d.symbology in ("]E0", "]E4")
            and any(full.startswith(d.content) for full in with_add_on)
        )
    ]


def is_ean_upc(d: Decoded) -> bool:
    """EAN/UPC: a blurred frame can misread one into another valid number."""
    return d.symbology.startswith("]E")


def _box(d: Decoded) -> tuple[int, int, int, int]:
    xs = [x for x, _y in d.position]
    ys = [y for _x, y in d.position]
    return min(xs), min(ys), max(xs), max(ys)


def _same_symbol(a: Decoded, b: Decoded) -> bool:
    """Two EAN/UPC reads lying along the same bars, closer than half the symbol's width."""
    ax0, ay0, ax1, ay1 = _box(a)
    bx0, by0, bx1, by1 = _box(b)
    for lo0, lo1, hi0, hi1, across in (
        (ay0, ay1, by0, by1, (ax0, ax1, bx0, bx1)),  # bars vertical: compare along y
        (ax0, ax1, bx0, bx1, (ay0, ay1, by0, by1)),  # bars horizontal: compare along x
    ):
        length = max(lo1 - lo0, hi1 - hi0, 1)
        overlap = min(lo1, hi1) - max(lo0, hi0)
        c0, c1, d0, d1 = across
        width = max(c1 - c0, d1 - d0, 1)
        gap = max(d0 - c1, c0 - d1, 0)
        if overlap >= 0.8 * length and width < length and gap < 0.5 * width:
            return True
    return False


def one_read_per_symbol(
    found: list[Decoded],
) -> tuple[list[Decoded], list[tuple[Decoded, Decoded]]]:
    """Where one EAN/UPC symbol was read as two different numbers (zxing-cpp's sample
    ean13-1/35 reads 5030159003930 and, from a sliver of its bars, 7034759003930), keep
    the read covering the larger part of the symbol and report the other as dropped."""
    kept: list[Decoded] = []
    dropped: list[tuple[Decoded, Decoded]] = []
    area = {id(d): _area(d) for d in found}
    for d in sorted(found, key=lambda d: -area[id(d)]):
        rival = next(
            (k for k in kept if is_ean_upc(d) and is_ean_upc(k) and k.text != d.text
             and _same_symbol(k, d)),
            None,
        )  # fmt: skip
        if rival is None:
            kept.append(d)
        else:
            dropped.append((rival, d))
    order = {id(d): i for i, d in enumerate(found)}
    return sorted(kept, key=lambda d: order[id(d)]), dropped


def _area(d: Decoded) -> int:
    x0, y0, x1, y1 = _box(d)
    return max(x1 - x0, 1) * max(y1 - y0, 1)


# zxing-cpp format name -> zbar symbol name (zbar has no DataMatrix reader)
_ZBAR_SYMBOLS = {
    "Code128": "CODE128",
    "EAN13": "EAN13",
    "EAN8": "EAN8",
    "UPCA": "UPCA",
    "UPCE": "UPCE",
    "QRCode": "QRCODE",
    "DataBar": "DATABAR",
    "DataBarExp": "DATABAR_EXP",
    "Code39": "CODE39",
    "Code93": "CODE93",
    "ITF": "I25",
    "Codabar": "CODABAR",
}
# zbar symbol name -> (zxing-style format name, AIM identifier)
_ZBAR_AIM = {
    "CODE128": ("Code128", "]C0"),
    "EAN13": ("EAN13", "]E0"),
    "EAN8": ("EAN8", "]E4"),
    "UPCA": ("UPCA", "]E0"),
    "UPCE": ("UPCE", "]E0"),
    "QRCODE": ("QRCode", "]Q1"),
    "DATABAR": ("DataBar", "]e0"),
    "DATABAR_EXP": ("DataBarExp", "]e0"),
    "CODE39": ("Code39", "]A0"),
    "CODE93": ("Code93", "]G0"),
    "I25": ("ITF", "]I0"),
    "CODABAR": ("Codabar", "]F0"),
}


def load_pyzbar() -> Any:
    """Import pyzbar lazily: it loads libzbar at import time and fails without it."""
    try:
        return importlib.import_module("pyzbar.pyzbar")
    except ImportError as exc:  # pyzbar missing, or libzbar missing (pyzbar raises ImportError)
        raise DecoderUnavailable(f"{ZBAR_INSTALL_HINT} ({exc})") from exc
    except OSError as exc:  # a broken libzbar
        raise DecoderUnavailable(f"{ZBAR_INSTALL_HINT} ({exc})") from exc


class PyzbarBackend:
    name = "pyzbar"

    def __init__(self, formats: Sequence[str]) -> None:
        self._pz = load_pyzbar()
        names = [_ZBAR_SYMBOLS[f] for f in formats if f in _ZBAR_SYMBOLS]
        self._symbols = [self._pz.ZBarSymbol[n] for n in names] or None

    def decode(self, gray: Frame) -> list[Decoded]:
        out: list[Decoded] = []
        for r in self._pz.decode(gray, symbols=self._symbols):
            fmt, sym = _ZBAR_AIM.get(r.type, (str(r.type), "]Z0"))
            content = r.data.decode("utf-8", errors="replace")
            if fmt == "UPCA" and len(content) == 12:
                content = "0" + content  # AIM: UPC-A is transmitted as EAN-13 under ]E0
            # zbar (via pyzbar) does not expose the FNC1-in-first-position flag: a Code128 is
            # sent as ]C0 and the service, which reads GS1 by content, judges it. DataBar
            # always carries GS1 element strings.
            gs1 = fmt in ("DataBar", "DataBarExp")
            corners = tuple((int(p.x), int(p.y)) for p in r.polygon)
            out.append(Decoded(sym + content, sym, content, fmt, corners, gs1, self.name))
        return out


class Decoder:
    """One entry point for the configured backend(s): ``zxing``, ``pyzbar`` or ``both``.

    With ``both``, pyzbar runs only on frames where zxing-cpp found nothing (hard frames):
    on a good frame it would only cost time. A live camera mostly shows empty frames, so there
    it gets every ``fallback_every``-th of them only, keeping the frame rate up.
    """

    def __init__(
        self,
        backend: str = "zxing",
        formats: Sequence[str] = DEFAULT_FORMATS,
        *,
        fallback_every: int = 1,
        upscale_budget: float = 0.08,
    ) -> None:
        if backend not in ("zxing", "pyzbar", "both"):
            raise ValueError(f"unknown decoder {backend!r}")
        if fallback_every < 1:
            raise ValueError("fallback_every must be at least 1")
        self.backend = backend
        self.formats = tuple(formats)
        self.fallback_every = fallback_every
        self.upscale_budget = upscale_budget
        self.dropped: list[tuple[Decoded, Decoded]] = []
        self._empty_frames = 0
        self._primary: ZxingBackend | PyzbarBackend
        self._fallback: PyzbarBackend | None = None
        if backend == "pyzbar":
            self._primary = PyzbarBackend(self.formats)
        else:
            self._primary = ZxingBackend(self.formats)
        if backend == "both":
            self._fallback = PyzbarBackend(self.formats)

    def decode(self, frame: Frame) -> list[Decoded]:
        """Every code in the frame, one read per symbol; ``self.dropped`` then lists the
        (kept, dropped) pairs where one EAN/UPC symbol was read two ways."""
        found, self.dropped = one_read_per_symbol(self._decode(frame))
        return found

    def _decode(self, frame: Frame) -> list[Decoded]:
        started = time.perf_counter()
        gray = to_gray(frame)
        found = self._primary.decode(gray)
        if not found and isinstance(self._primary, ZxingBackend):
            found = self._upscaled(gray, started)
        if found or self._fallback is None:
            return found
        self._empty_frames += 1
        if self._empty_frames % self.fallback_every:
            return found
        return self._fallback.decode(gray)

    def _upscaled(self, gray: Frame, started: float) -> list[Decoded]:
        """A small or distant 2D symbol (a 200 px photo of a vial's DataMatrix) often reads
        once enlarged: retry at larger scales, 2D formats only, while the frame's time
        budget lasts and the enlarged frame stays within UPSCALE_MAX_SIDE pixels."""
        import cv2

        assert isinstance(self._primary, ZxingBackend)
        for scale in UPSCALE_STEPS:
            if time.perf_counter() - started > self.upscale_budget:
                break
            if max(gray.shape[:2]) * scale > UPSCALE_MAX_SIDE:
                break
            big = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
            found = self._primary.decode(
                np.asarray(big, dtype=np.uint8), scale=scale, matrix_only=True
            )
            if found:
                return found
        return []
