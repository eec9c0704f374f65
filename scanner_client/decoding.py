"""Decode barcodes in camera frames: zxing-cpp first, pyzbar optionally for hard 1D frames.

What we produce per code is what the service expects in ``code``: the AIM symbology
identifier followed by the decoded text, with FNC1 as ASCII 29 (zxing-cpp's
``TextMode.Plain``) and nothing else changed. zxing-cpp reads DataMatrix (GS1 DataMatrix is
what DSCSA packs carry); pyzbar cannot, so it is only a second chance for linear codes.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .config import DEFAULT_FORMATS
from .wedge import looks_like_gs1

Frame = npt.NDArray[np.uint8]
Point = tuple[int, int]

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

    def decode(self, gray: Frame) -> list[Decoded]:
        zx = self._zx
        out: list[Decoded] = []
        for r in zx.read_barcodes(gray, formats=self._formats, text_mode=zx.TextMode.Plain):
            if not r.valid:
                continue
            p = r.position
            corners = tuple(
                (int(pt.x), int(pt.y))
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
        return out


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
            # zbar (via pyzbar) does not expose the FNC1-in-first-position flag, so GS1-128
            # is recognised by its content (valid GTIN/SSCC element string).
            gs1 = looks_like_gs1(content) and fmt in ("Code128", "DataBar", "DataBarExp")
            if gs1 and fmt == "Code128":
                sym = "]C1"
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
    ) -> None:
        if backend not in ("zxing", "pyzbar", "both"):
            raise ValueError(f"unknown decoder {backend!r}")
        if fallback_every < 1:
            raise ValueError("fallback_every must be at least 1")
        self.backend = backend
        self.formats = tuple(formats)
        self.fallback_every = fallback_every
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
        gray = to_gray(frame)
        found = self._primary.decode(gray)
        if found or self._fallback is None:
            return found
        self._empty_frames += 1
        if self._empty_frames % self.fallback_every:
            return found
        return self._fallback.decode(gray)
