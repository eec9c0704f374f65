"""Code128 labels the service prints for shelves and kits (python-barcode).

A label is the location's name as a title, the barcode, and the scanned text beneath it, on
a canvas as wide as the widest of them: long names are never cut off.
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

import barcode
from barcode.writer import ImageWriter, SVGWriter
from PIL import Image, ImageDraw, ImageFont

_OPTIONS = {"module_height": 12.0, "font_size": 8, "text_distance": 4.0, "quiet_zone": 4.0}
_DPI = 300
_TITLE_MM = 4.0  # title font height
_MARGIN_MM = 3.0


def _mm_to_px(mm: float) -> int:
    return round(mm / 25.4 * _DPI)


def _printable(caption: str) -> str:
    """Names are printable text (domain/limits), but one stored before that rule may hold
    control characters, which XML cannot carry and fonts cannot draw."""
    return "".join(c if c.isprintable() else " " if c.isspace() else "" for c in caption)


def label_png(data: str, caption: str) -> bytes:
    caption = _printable(caption)
    code = barcode.Code128(data, writer=ImageWriter()).render({**_OPTIONS, "dpi": _DPI})
    font = ImageFont.load_default(size=_mm_to_px(_TITLE_MM))
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    left, top, right, bottom = (round(v) for v in probe.textbbox((0, 0), caption, font=font))
    margin = _mm_to_px(_MARGIN_MM)
    width = max(code.width, right - left + 2 * margin)
    title_height = bottom - top + margin
    canvas = Image.new("RGB", (width, title_height + code.height + margin), "white")
    ImageDraw.Draw(canvas).text(
        ((width - (right - left)) // 2 - left, margin // 2 - top), caption, fill="black", font=font
    )
    canvas.paste(code, ((width - code.width) // 2, title_height))
    out = io.BytesIO()
    canvas.save(out, format="PNG", dpi=(_DPI, _DPI))
    return out.getvalue()


def label_svg(data: str, caption: str) -> bytes:
    caption = _printable(caption)
    raw = io.BytesIO()
    barcode.Code128(data, writer=SVGWriter()).write(raw, dict(_OPTIONS))
    inner = raw.getvalue().decode()
    size = re.search(r'<svg[^>]*width="([\d.]+)mm" height="([\d.]+)mm"', inner)
    if size is None:  # pragma: no cover - python-barcode always writes both
        raise RuntimeError("unexpected SVG from python-barcode")
    code_width, code_height = float(size[1]), float(size[2])
    # Monospace-ish estimate of the title's width; generous so nothing is clipped.
    title_width = len(caption) * _TITLE_MM * 0.62 + 2 * _MARGIN_MM
    width = max(code_width, title_width)
    title_height = _TITLE_MM + _MARGIN_MM
    body = inner[inner.index("<svg") :]
    body = re.sub(
        r"^<svg ", f'<svg x="{(width - code_width) / 2:.3f}mm" y="{title_height:.3f}mm" ', body
    )
    svg = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg version="1.1" xmlns="http://www.w3.org/2000/svg" width="{width:.3f}mm" '
        f'height="{title_height + code_height:.3f}mm">\n'
        '<rect width="100%" height="100%" style="fill:white"/>\n'
        f'<text x="50%" y="{_MARGIN_MM / 2 + _TITLE_MM:.3f}mm" text-anchor="middle" '
        f'style="font-family:sans-serif;font-size:{_TITLE_MM:.1f}mm">{escape(caption)}</text>\n'
        f"{body}\n</svg>\n"
    )
    return svg.encode()
