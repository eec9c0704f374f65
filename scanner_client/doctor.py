"""``inventory-scan doctor``: read a printed test sheet of known codes, say what the scanner
sends wrong and which setting to change.

The sheet holds four codes whose exact transmission is known: a GS1 DataMatrix and a GS1-128
whose lot is followed by FNC1 (so a scanner that drops or replaces GS shows it), a Code128
label and an EAN-13. Their data mixes upper and lower case, digits, ``-`` and ``:`` and the
letters y, z, a, q, m, so CapsLock and a host keyboard layout other than the scanner's show
too. Each read is compared with what the code must give, under every fault we know of, and
the faults found are explained with the setting to change. Pure except for the sheet writer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .wedge import DEFAULT_GS_SUBSTITUTES, GS, restore_gs

GTIN = "00304094921341"


@dataclass(frozen=True)
class SheetCode:
    key: str
    title: str
    format: str  # zxing-cpp format used to print it
    printed: str  # what is encoded (bracketed HRI for GS1)
    aim: str  # the AIM symbology identifier a scanner must send
    data: str  # the data it must send, FNC1 as GS

    @property
    def text(self) -> str:
        return self.aim + self.data


SHEET: tuple[SheetCode, ...] = (
    SheetCode(
        "gs1-datamatrix",
        "GS1 DataMatrix (lot, then GS, then serial)",
        "DataMatrix",
        f"(01){GTIN}(17)271231(10)DOC-Lot9(21)Yzqam5",
        "]d2",
        f"01{GTIN}17271231" + f"10DOC-Lot9{GS}21Yzqam5",
    ),
    SheetCode(
        "gs1-128",
        "GS1-128 (lot, then GS, then serial)",
        "Code128",
        f"(01){GTIN}(10)ab-12(21)ZY7",
        "]C1",
        f"01{GTIN}10ab-12{GS}21ZY7",
    ),
    SheetCode("code128", "Code128 label", "Code128", "LOC:Doctor-Yz-5", "]C0", "LOC:Doctor-Yz-5"),
    SheetCode("ean13", "EAN-13", "EAN13", "400638133393", "]E0", "4006381333931"),
)

# What a host with this keyboard layout types when a scanner emulating a US keyboard sends
# the key for a US character (only the characters on the sheet and the AIM prefix matter).
LAYOUTS: dict[str, dict[str, str]] = {
    "German (QWERTZ)": {"y": "z", "z": "y", "Y": "Z", "Z": "Y", "-": "ß", ":": "Ö", "]": "+"},
    "French (AZERTY)": {
        **{"a": "q", "q": "a", "A": "Q", "Q": "A", "z": "w", "Z": "W", "m": ",", "M": "?"},
        **{":": "M", "-": ")", "]": "$"},
        **dict(zip("1234567890", "&é\"'(-è_çà", strict=True)),
    },
}

ADVICE = {
    "no_aim": (
        "The scanner sends no AIM symbology identifier (]d2, ]C1 ...). Enable 'Transmit AIM "
        "symbology identifier' (also called 'AIM ID prefix' or 'Code ID: AIM') in its "
        "programming guide: without it a GS1 code cannot be told from plain text."
    ),
    "gs_dropped": (
        "The scanner drops FNC1/GS: the lot runs into the serial. Set 'Transmit FNC1 as "
        "<GS>' / 'GS1 FNC1 substitution' to GS (ASCII 29) or to a substitute such as {GS}; "
        "on a keyboard wedge, also 'Function key / Ctrl+] emulation' on."
    ),
    "gs_replaced": (
        "The scanner sends {sub!r} for FNC1/GS, which the client does not know. Run "
        "inventory-scan with --gs-substitute {sub!r} (or INVENTORY_SCAN_GS_SUBSTITUTE), or set "
        "the scanner's 'FNC1 substitution' to GS (ASCII 29) or {{GS}}."
    ),
    "capslock": (
        "Upper and lower case arrive swapped: CapsLock is on (turn it off), or set the scanner's "
        "'Caps Lock mode' to 'Auto / ignore Caps Lock' and 'Case conversion' to off."
    ),
    "layout": (
        "Characters arrive as a {layout} keyboard types them: the host's keyboard layout does "
        "not match the scanner's. Set the scanner's 'Keyboard country' to {layout}, or use the "
        "US layout on this computer, or the scanner's 'Alt+keypad / universal' mode."
    ),
    "unknown": (
        "This read matches no code of the test sheet, even allowing for the known faults: scan "
        "only the sheet's codes; if it was one, the scanner alters data in a way not listed "
        "here (check 'Data formatting' / prefix and suffix settings)."
    ),
    "missing": (
        "Not read: {title}. Enable its symbology in the scanner (GS1 DataMatrix, GS1-128 / "
        "Code128, EAN-13) and scan it."
    ),
}


@dataclass
class Finding:
    code: SheetCode | None
    received: str
    faults: list[str] = field(default_factory=list)  # keys of ADVICE (or "layout:<name>")
    substitute: str | None = None  # what replaced GS, when a substitute did
    restored: str | None = None  # a known substitute the client restores itself

    @property
    def ok(self) -> bool:
        return self.code is not None and not self.faults


@dataclass
class Report:
    findings: list[Finding]
    missing: list[SheetCode]

    @property
    def ok(self) -> bool:
        return not self.missing and all(f.ok for f in self.findings)

    def advice(self) -> list[str]:
        """One sentence per fault found (each once), in the order found."""
        lines: list[str] = []
        for finding in self.findings:
            for fault in finding.faults:
                if fault.startswith("layout:"):
                    line = ADVICE["layout"].format(layout=fault.split(":", 1)[1])
                elif fault == "gs_replaced":
                    line = ADVICE["gs_replaced"].format(sub=finding.substitute)
                else:
                    line = ADVICE[fault]
                if line not in lines:
                    lines.append(line)
        lines += [ADVICE["missing"].format(title=code.title) for code in self.missing]
        return lines


def _typed(text: str, layout: dict[str, str] | None, capslock: bool) -> str:
    out = "".join(layout.get(ch, ch) for ch in text) if layout else text
    return out.swapcase() if capslock else out


def _match(code: SheetCode, received: str) -> Finding | None:
    """The faults that turn ``code`` into ``received``, fewest first; None if none do."""
    layouts: list[tuple[str | None, dict[str, str] | None]] = [(None, None)]
    layouts += [(name, table) for name, table in LAYOUTS.items()]
    options = itertools.product((True, False), layouts, (False, True))
    for with_aim, (layout_name, table), capslock in options:
        faults: list[str] = [] if with_aim else ["no_aim"]
        if layout_name:
            faults.append(f"layout:{layout_name}")
        if capslock:
            faults.append("capslock")
        expected = _typed((code.aim if with_aim else "") + code.data, table, capslock)
        if received == expected:
            return Finding(code, received, faults)
        if GS not in expected:
            continue
        head, _gs, tail = expected.partition(GS)
        if received == head + tail:
            return Finding(code, received, [*faults, "gs_dropped"])
        if (
            received.startswith(head)
            and received.endswith(tail)
            and len(received) > len(head) + len(tail)
        ):
            sub = received[len(head) : len(received) - len(tail)]
            return Finding(code, received, [*faults, "gs_replaced"], substitute=sub)
    return None


def diagnose_read(received: str, substitutes: Sequence[str] = ()) -> Finding:
    """What is wrong with one read of a sheet code (typed line or decoded text)."""
    line = received.rstrip("\r\n")
    restored = restore_gs(line, substitutes)
    for code in SHEET:
        finding = _match(code, restored)
        if finding is not None:
            if restored != line:  # a substitute the client restores: fine, say which
                finding.restored = next(
                    (s for s in (*substitutes, *DEFAULT_GS_SUBSTITUTES) if s and s in line),
                    None,
                )
            finding.received = line
            return finding
    for code in SHEET:  # an unknown substitute: match on the raw line
        finding = _match(code, line)
        if finding is not None:
            return finding
    return Finding(None, line, ["unknown"])


def diagnose(reads: Iterable[str], substitutes: Sequence[str] = ()) -> Report:
    findings = [diagnose_read(r, substitutes) for r in reads if r.strip()]
    seen = {f.code.key for f in findings if f.code is not None}
    return Report(findings, [c for c in SHEET if c.key not in seen])


def render_report(report: Report) -> list[str]:
    """Human lines: each read with its verdict, then what to change."""
    lines = []
    for f in report.findings:
        name = f.code.title if f.code else "unknown code"
        shown = f.received.replace(GS, "<GS>")
        if f.ok:
            note = f" (sends {f.restored!r} for GS; the client restores it)" if f.restored else ""
            lines.append(f"ok      {name}: {shown}{note}")
        else:
            lines.append(f"WRONG   {name}: {shown}  [{', '.join(f.faults)}]")
    for code in report.missing:
        lines.append(f"MISSING {code.title}")
    if report.ok:
        lines.append("The scanner is set up correctly for inventory-scan.")
    else:
        lines.append("Change these settings, then scan the sheet again:")
        lines += [f"  - {advice}" for advice in report.advice()]
    return lines


def write_test_sheet(out: Path) -> list[Path]:
    """The printable test sheet (PDF or PNG) of the four codes, each with its title."""
    import numpy as np
    import zxingcpp
    from PIL import Image, ImageDraw

    from .sheet import DPI, MARGIN, PAGE, _font

    page = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(page)
    draw.text((MARGIN, MARGIN), "inventory-scan doctor: test sheet", fill=0, font=_font(44))
    y = MARGIN + int(0.5 * DPI)
    for code in SHEET:
        fmt = getattr(zxingcpp.BarcodeFormat, code.format)
        gs1 = code.aim in ("]d2", "]C1")
        symbol = (
            zxingcpp.create_barcode(code.printed, fmt, gs1=gs1)
            if gs1
            else (zxingcpp.create_barcode(code.printed, fmt))
        )
        scale = 10 if code.format == "DataMatrix" else 4
        img = Image.fromarray(
            np.asarray(zxingcpp.write_barcode_to_image(symbol, scale=scale), dtype=np.uint8)
        )
        draw.text((MARGIN, y), code.title, fill=0, font=_font(32))
        page.paste(img, (MARGIN + 40, y + 50))
        y += img.height + 140
    return _save(page, out)


def _save(page: object, out: Path) -> list[Path]:
    from PIL import Image

    from .sheet import DPI

    assert isinstance(page, Image.Image)
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".pdf":
        page.convert("RGB").save(out, "PDF", resolution=float(DPI))
    elif suffix == ".png":
        page.save(out, "PNG", dpi=(DPI, DPI))
    else:
        raise ValueError(f"--sheet must end in .pdf or .png, got {out.name!r}")
    return [out]
