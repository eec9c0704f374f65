"""``inventory-scan command-sheet``: a printable page of context barcodes (Code128).

Technicians keep it at the bench and switch action/quantity/location by scanning instead of
typing. Barcodes come from python-barcode; Pillow composes the page and writes PNG or PDF.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SHEET_ACTIONS = (
    "RECEIVE",
    "ISSUE",
    "TRANSFER",
    "RESTOCK",
    "REMOVE",
    "COUNT",
    "LOOKUP",
    "WASTE",
    "RETURN",
)
#: Labels that are not actions: (barcode data, caption).
SHEET_COMMANDS = (("CMD:SEAL", "Seal kit (then scan the seal)"), ("KIT:", "Clear kit"))
DEFAULT_QUANTITIES = (2, 3, 5, 10, 20, 25, 50, 100)
DPI = 200
PAGE = (int(8.27 * DPI), int(11.69 * DPI))  # A4 portrait
MARGIN = int(0.5 * DPI)
COLUMNS = 2


@dataclass(frozen=True)
class Label:
    data: str  # what the barcode encodes, e.g. "CMD:RECEIVE"
    caption: str  # what a person reads above it


def sheet_labels(
    locations: Sequence[str] = (),
    kits: Sequence[str] = (),
    quantities: Sequence[int] = DEFAULT_QUANTITIES,
) -> list[Label]:
    labels = [Label(f"CMD:{a}", a.title()) for a in SHEET_ACTIONS]
    labels += [Label(data, caption) for data, caption in SHEET_COMMANDS]
    labels += [Label(f"CMD:QTY:{q}", f"Quantity {q} (next scan)") for q in quantities]
    labels += [Label(f"LOC:{c}", f"Location {c}") for c in locations]
    labels += [Label(f"KIT:{c}", f"Kit {c}") for c in kits]
    return labels


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    import barcode

    path = os.path.join(os.path.dirname(barcode.__file__), "fonts", "DejaVuSansMono.ttf")
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return ImageFont.load_default()


def render_code128(
    data: str, *, module_width_mm: float = 0.33, height_mm: float = 10.0
) -> Image.Image:
    """A Code128 symbol with its text underneath, at the sheet's resolution."""
    from barcode import Code128
    from barcode.writer import ImageWriter

    buf = io.BytesIO()
    Code128(data, writer=ImageWriter()).write(
        buf,
        options={
            "module_width": module_width_mm,
            "module_height": height_mm,
            "quiet_zone": 4.0,
            "font_size": 8,
            "text_distance": 3.5,
            "dpi": DPI,
        },
    )
    buf.seek(0)
    return Image.open(buf).convert("L")


def render_pages(
    labels: Sequence[Label], title: str = "inventory-scan commands"
) -> list[Image.Image]:
    """Lay the labels out on as many A4 pages as needed."""
    cell_w = (PAGE[0] - 2 * MARGIN) // COLUMNS
    caption_font = _font(int(0.16 * DPI))
    title_font = _font(int(0.22 * DPI))
    rendered = [(label, render_code128(label.data)) for label in labels]
    cell_h = max(img.height for _l, img in rendered) + int(0.3 * DPI)
    top = MARGIN + int(0.4 * DPI)
    rows_per_page = max(1, (PAGE[1] - top - MARGIN) // cell_h)
    per_page = rows_per_page * COLUMNS
    pages: list[Image.Image] = []
    for start in range(0, len(rendered), per_page):
        page = Image.new("L", PAGE, 255)
        draw = ImageDraw.Draw(page)
        n = start // per_page + 1
        total = (len(rendered) + per_page - 1) // per_page
        suffix = f"  (page {n}/{total})" if total > 1 else ""
        draw.text((MARGIN, MARGIN), title + suffix, fill=0, font=title_font)
        for i, (label, img) in enumerate(rendered[start : start + per_page]):
            col, row = i % COLUMNS, i // COLUMNS
            x = MARGIN + col * cell_w
            y = top + row * cell_h
            draw.text((x + 10, y), label.caption, fill=0, font=caption_font)
            if img.width > cell_w - 10:  # very long location codes: shrink to fit the column
                ratio = (cell_w - 10) / img.width
                img = img.resize((cell_w - 10, int(img.height * ratio)), Image.Resampling.NEAREST)
            page.paste(img, (x, y + int(0.22 * DPI)))
        pages.append(page)
    return pages


def write_sheet(out: Path, labels: Sequence[Label]) -> list[Path]:
    """Write PDF (all pages in one file) or PNG (FILE.png, FILE-2.png, ...); returns paths."""
    pages = render_pages(labels)
    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pdf":
        rgb = [p.convert("RGB") for p in pages]
        rgb[0].save(out, "PDF", resolution=float(DPI), save_all=True, append_images=rgb[1:])
        return [out]
    if suffix == ".png":
        paths = []
        for i, page in enumerate(pages):
            path = out if i == 0 else out.with_name(f"{out.stem}-{i + 1}{out.suffix}")
            page.save(path, "PNG", dpi=(DPI, DPI))
            paths.append(path)
        return paths
    raise ValueError(f"--out must end in .pdf or .png, got {out.name!r}")
