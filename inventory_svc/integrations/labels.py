"""Code128 labels the service prints for shelves and kits (python-barcode)."""

from __future__ import annotations

import io

import barcode
from barcode.writer import ImageWriter, SVGWriter

_OPTIONS = {"module_height": 12.0, "font_size": 8, "text_distance": 4.0, "quiet_zone": 4.0}


def _code128(data: str, writer: SVGWriter | ImageWriter) -> barcode.Code128:
    return barcode.Code128(data, writer=writer)


def label_svg(data: str, caption: str) -> bytes:
    out = io.BytesIO()
    _code128(data, SVGWriter()).write(out, {**_OPTIONS}, text=f"{data}  {caption}")
    return out.getvalue()


def label_png(data: str, caption: str) -> bytes:
    out = io.BytesIO()
    _code128(data, ImageWriter()).write(out, {**_OPTIONS, "dpi": 300}, text=f"{data}  {caption}")
    return out.getvalue()
