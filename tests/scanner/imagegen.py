"""Synthetic barcode images and videos for the scanner tests (generated, never committed)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp
from PIL import Image

Frame = npt.NDArray[np.uint8]

# Demo data of the service: epinephrine NDC 0409-4921-34 -> GTIN "003" + NDC10 + check digit.
EPI_GTIN = "00304094921341"


def gtin_check_digit(body13: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body13)))
    return str((10 - total % 10) % 10)


def gs1_bracketed(
    gtin: str = EPI_GTIN, expiry: str = "271231", lot: str = "LOT42", serial: str | None = "SN1"
) -> str:
    out = f"(01){gtin}(17){expiry}(10){lot}"
    return out + (f"(21){serial}" if serial else "")


def gs1_plain(
    gtin: str = EPI_GTIN, expiry: str = "271231", lot: str = "LOT42", serial: str | None = "SN1"
) -> str:
    """The same element string as the decoder returns it: FNC1 after variable fields = GS."""
    out = f"01{gtin}17{expiry}10{lot}"
    return out + (f"\x1d21{serial}" if serial else "")


def gs1_datamatrix(bracketed: str, *, scale: int = 8, square: bool = True) -> Frame:
    """GS1 DataMatrix made by zxing-cpp's writer from the bracketed (HRI) form."""
    kwargs: dict[str, object] = {"gs1": True}
    if square:
        kwargs["forceSquare"] = True
    barcode = zxingcpp.create_barcode(bracketed, zxingcpp.BarcodeFormat.DataMatrix, **kwargs)
    return np.array(zxingcpp.write_barcode_to_image(barcode, scale=scale), dtype=np.uint8)


def gs1_128(bracketed: str, *, scale: int = 3) -> Frame:
    barcode = zxingcpp.create_barcode(bracketed, zxingcpp.BarcodeFormat.Code128, gs1=True)
    return np.array(zxingcpp.write_barcode_to_image(barcode, scale=scale), dtype=np.uint8)


def python_barcode(kind: str, data: str, *, module_width: float = 0.3) -> Frame:
    """A linear label as the service/printers make it (python-barcode, Pillow writer)."""
    import barcode
    from barcode.writer import ImageWriter

    buf = io.BytesIO()
    barcode.get(kind, data, writer=ImageWriter()).write(
        buf, options={"module_width": module_width, "module_height": 12.0, "dpi": 200}
    )
    buf.seek(0)
    return np.array(Image.open(buf).convert("L"), dtype=np.uint8)


def code128_label(text: str) -> Frame:
    return python_barcode("code128", text)


def ean13(data12: str) -> Frame:
    return python_barcode("ean13", data12)


# --- frame composition and degradations ---------------------------------------------------


def on_canvas(
    code: Frame,
    size: tuple[int, int] = (640, 480),
    at: tuple[int, int] | None = None,
    background: int = 200,
    max_fraction: float = 0.8,
) -> Frame:
    """Paste a code onto a grey BGR frame (like a pack on a bench), scaled to fit."""
    w, h = size
    canvas = np.full((h, w), background, dtype=np.uint8)
    ch, cw = code.shape[:2]
    ratio = min(1.0, max_fraction * w / cw, max_fraction * h / ch)
    if ratio < 1.0:
        code = cv2.resize(code, (int(cw * ratio), int(ch * ratio)), interpolation=cv2.INTER_AREA)
        ch, cw = code.shape[:2]
    x, y = at if at is not None else ((w - cw) // 2, (h - ch) // 2)
    x = max(0, min(w - cw, x))
    y = max(0, min(h - ch, y))
    canvas[y : y + ch, x : x + cw] = code
    return np.asarray(cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR), dtype=np.uint8)


def rotate(frame: Frame, degrees: float, border: int = 200) -> Frame:
    h, w = frame.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    value = (border, border, border) if frame.ndim == 3 else border
    out = cv2.warpAffine(frame, m, (nw, nh), borderValue=value, flags=cv2.INTER_LINEAR)
    return np.asarray(out, dtype=np.uint8)


def blur(frame: Frame, ksize: int = 5) -> Frame:
    return np.asarray(cv2.GaussianBlur(frame, (ksize, ksize), 0), dtype=np.uint8)


def noisy(frame: Frame, sigma: float = 20.0, seed: int = 7) -> Frame:
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, sigma, frame.shape)
    return np.asarray(np.clip(frame.astype(np.float64) + noise, 0, 255), dtype=np.uint8)


def perspective(frame: Frame, amount: float = 0.08) -> Frame:
    h, w = frame.shape[:2]
    d = amount
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[w * d, h * d], [w * (1 - d / 2), 0], [w, h], [0, h * (1 - d)]])
    m = cv2.getPerspectiveTransform(src, dst)
    out = cv2.warpPerspective(frame, m, (w, h), borderValue=(200, 200, 200))
    return np.asarray(out, dtype=np.uint8)


def blank(size: tuple[int, int] = (640, 480), background: int = 200) -> Frame:
    w, h = size
    return np.full((h, w, 3), background, dtype=np.uint8)


def write_video(path: Path, frames: Sequence[Frame], fps: float = 10.0) -> Path:
    """MJPG in an AVI container: decodable by every OpenCV build (no H.264 licence issues)."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened(), "OpenCV cannot write MJPG video"
    for f in frames:
        writer.write(f if f.ndim == 3 else cv2.cvtColor(f, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def held(
    code: Frame, n: int, *, jitter: int = 6, seed: int = 1, max_fraction: float = 0.5
) -> list[Frame]:
    """n frames of a code held by hand: small random shifts, like a real hold."""
    rng = np.random.default_rng(seed)
    centred = on_canvas(code, max_fraction=max_fraction)
    out = []
    for _ in range(n):
        dx, dy = (int(v) for v in rng.integers(-jitter, jitter + 1, size=2))
        shifted = np.roll(centred, (dy, dx), axis=(0, 1))
        out.append(np.asarray(shifted, dtype=np.uint8))
    return out
