"""Interpret the text a scanner sends us as a domain `Barcode`.

Pure domain code (no I/O). GS1 syntax, dates and check digits are delegated to biip; this
module only decides which parser applies, enforces our stricter rules and maps the result.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Literal

from biip import BiipException
from biip.checksums import gs1_standard_check_digit
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin
from biip.symbology import GS1Symbology, SymbologyIdentifier
from biip.upc import Upc

from inventory_svc.domain.errors import BadBarcodeError

__all__ = [
    "BadBarcode",
    "BadNdc",
    "Barcode",
    "BarcodeKind",
    "format_ndc10",
    "gtin_from_ndc",
    "interpret",
    "ndc10_from_gtin",
    "ndc11",
    "ndc11_candidates",
    "normalize_gtin",
    "normalize_identifier",
]

BarcodeKind = Literal["gs1", "gtin", "location", "kit", "command"]

GS = "\x1d"  # FNC1 as transmitted by scanners
_LABEL_PREFIXES: dict[str, BarcodeKind] = {"LOC:": "location", "KIT:": "kit", "CMD:": "command"}
_GTIN_LENGTHS = frozenset({8, 12, 13, 14})
_GTIN_KINDS = frozenset({"gtin", "upc", "ean"})
_NDC_COMPANY_PREFIX = "03"  # GS1 US prefix reserved for NDC/NHRIC-based GTINs
_NDC10_LAYOUTS: tuple[tuple[int, int, int], ...] = ((4, 4, 2), (5, 3, 2), (5, 4, 1))
_NDC11_LAYOUT = (5, 4, 2)


BadBarcode = BadBarcodeError
"""Raised for anything we cannot interpret; `detail` is a sentence for the operator."""


class BadNdc(BadBarcode):
    """An NDC that is malformed, or whose 10-digit form cannot be told from the 11-digit one."""


@dataclass(frozen=True, slots=True)
class Barcode:
    """One interpreted scan. Identifier fields are already normalised for storage/lookup."""

    kind: BarcodeKind
    raw: str
    symbology: str | None = None
    gtin: str | None = None
    ndc: str | None = None
    lot: str | None = None
    expiry: date | None = None
    serial: str | None = None
    count: int | None = None
    label: str | None = None

    def as_dict(self) -> dict[str, object]:
        """JSON-able view for API responses (`raw` is left out: the client already has it)."""
        return {
            "kind": self.kind,
            "gtin": self.gtin,
            "ndc": self.ndc,
            "lot": self.lot,
            "expiry": self.expiry.isoformat() if self.expiry else None,
            "serial": self.serial,
            "count": self.count,
            "symbology": self.symbology,
            "label": self.label,
        }


# biip reports bad input as ParseError but also leaks ValueError/IndexError.
_BIIP_ERRORS = (BiipException, ValueError, LookupError)


@contextmanager
def _biip_errors(what: str) -> Iterator[None]:
    try:
        yield
    except BadBarcode:
        raise
    except _BIIP_ERRORS as exc:
        raise BadBarcode(f"{what}: {exc}") from exc


# --- scans -------------------------------------------------------------------------------


def interpret(code: str) -> Barcode:
    """Interpret one scan; raises BadBarcode (only) for anything unknown or malformed.

    Dispatch is by content, the AIM prefix only breaks ties: bare 8/12/13/14 digits are a
    GTIN unless the prefix says GS1 element string (]C1, ]d2, ]Q3, ]e0, ]J1). Our own
    LOC:/KIT:/CMD: labels are matched case-sensitively, under any AIM prefix.
    """
    raw = code.strip()
    if not raw:
        raise BadBarcode("The scan is empty.")
    if not all(ch.isprintable() or ch == GS for ch in raw):
        raise BadBarcode("The scan contains control or non-printable characters.")
    symbology, content = _split_symbology(raw)
    sym = symbology.value if symbology else None

    for prefix, kind in _LABEL_PREFIXES.items():
        if content.startswith(prefix):
            return Barcode(kind=kind, raw=raw, symbology=sym, label=_label(prefix, content))
    if content[:8].lower().startswith(("http://", "https://")):
        with _biip_errors("Not a valid GS1 Digital Link"):
            uri = GS1DigitalLinkURI.parse(content)
        return _gs1_barcode(raw, sym, uri.element_strings)
    if content.startswith("("):
        return _gs1_barcode(raw, sym, _parse_hri(content))
    gs1_symbology = symbology.gs1_symbology if symbology else None
    if (
        _is_digits(content)
        and len(content) in _GTIN_LENGTHS
        and gs1_symbology not in GS1Symbology.with_gs1_messages()
    ):
        if gs1_symbology is GS1Symbology.EAN_13 and len(content) == 8:
            # ]E0 with 8 digits is UPC-E (EAN-8 would be ]E4): expand to UPC-A first.
            with _biip_errors("Not a valid UPC-E"):
                content = Upc.parse(content).as_upc_a()
        gtin = normalize_gtin(content)
        return Barcode(kind="gtin", raw=raw, symbology=sym, gtin=gtin, ndc=ndc10_from_gtin(gtin))
    if not _is_digits(content[0]):
        raise BadBarcode("Unrecognised barcode: not a product, location, kit or command code.")
    return _gs1_barcode(raw, sym, _parse_element_string(content))


def interpret_stock(code: str) -> Barcode:
    """A scan that must name stock: our LOC:/KIT:/CMD: labels set a scanner's context and
    are refused here, they are not packs."""
    barcode = interpret(code)
    if barcode.kind in ("location", "kit", "command"):
        raise BadBarcode(
            f"{code!r} is a {barcode.kind} label: it sets the scanner's context, it is not stock."
        )
    return barcode


def may_fall_back_to_ndc(gtin: str | None) -> bool:
    """An NDC alone says nothing about pack size, so only unit-of-use GTINs (indicator 0)
    may be found by their NDC; a carton GTIN must be registered with its units."""
    return bool(gtin and gtin[0] == "0")


def _split_symbology(raw: str) -> tuple[SymbologyIdentifier | None, str]:
    if not raw.startswith("]"):
        return None, raw
    try:
        symbology = SymbologyIdentifier.extract(raw)
    except _BIIP_ERRORS:
        symbology = None
    if symbology is None or not symbology.modifiers:
        raise BadBarcode(f"Unknown or incomplete AIM symbology identifier {raw[:3]!r}.")
    content = raw[len(symbology) :].strip()  # also drops a leading FNC1 sent as GS
    if not content:
        raise BadBarcode(f"The scan has a symbology identifier {symbology.value} but no data.")
    return symbology, content


def _label(prefix: str, content: str) -> str:
    label = content[len(prefix) :].strip()
    if not label or not label.isprintable():
        raise BadBarcode(f"{prefix} label without a printable code.")
    return label


def _parse_hri(content: str) -> list[GS1ElementString]:
    with _biip_errors("Not a valid GS1 human-readable string"):
        message = GS1Message.parse_hri(content)
    # biip's HRI regex silently skips text it cannot match; we do not.
    if message.as_hri() != "".join(content.split()):
        raise BadBarcode("The GS1 human-readable string contains stray text.")
    return message.element_strings


def _parse_element_string(content: str) -> list[GS1ElementString]:
    """Parse raw GS1 element strings, requiring GS after every variable-length field.

    Like biip's GS1Message.parse, plus that check: without it an over-long lot (> 20 chars)
    would be cut at 20 and its tail read as the next AI. A lot that swallowed later AIs
    because GS was missing but stays within 20 chars cannot be told from a real lot, so it
    is accepted as biip parses it.
    """
    elements: list[GS1ElementString] = []
    rest = content
    while rest:
        with _biip_errors("Not a valid GS1 barcode"):
            element = GS1ElementString.extract(rest)
        elements.append(element)
        rest = rest[len(element) :]
        if element.ai.separator_required and rest and not rest.startswith(GS):
            raise BadBarcode(
                f"GS1 field ({element.ai.ai}) {element.ai.data_title} is too long "
                "or not followed by a separator."
            )
        rest = rest.lstrip(GS)
    return elements


def _gs1_barcode(raw: str, symbology: str | None, elements: Sequence[GS1ElementString]) -> Barcode:
    """Map parsed AIs to a Barcode; a GS1 code is only useful to us if it names a product."""
    values: dict[str, GS1ElementString] = {}
    for element in elements:
        if values.setdefault(element.ai.ai, element).value != element.value:
            raise BadBarcode(f"GS1 field ({element.ai.ai}) appears twice with different values.")
    if "01" not in values:
        raise BadBarcode("The GS1 barcode has no GTIN (AI 01).")
    gtin = normalize_gtin(values["01"].value)
    expiry = values["17"].date if "17" in values else None
    count = values.get("30", values.get("37"))  # 30 and 37 never legitimately co-occur
    return Barcode(
        kind="gs1",
        raw=raw,
        symbology=symbology,
        gtin=gtin,
        ndc=ndc10_from_gtin(gtin),
        lot=values["10"].value if "10" in values else None,
        expiry=expiry,
        serial=values["21"].value if "21" in values else None,
        count=int(count.value) if count is not None else None,
    )


# --- GTIN / NDC helpers -----------------------------------------------------------------


def _is_digits(text: str) -> bool:
    # str.isdigit() alone accepts non-ASCII digits such as "٣".
    return text.isascii() and text.isdigit()


def normalize_gtin(digits: str) -> str:
    """GTIN-8/12/13/14 -> GTIN-14, the single form we store and compare; check digit verified."""
    value = digits.strip()
    if not _is_digits(value) or len(value) not in _GTIN_LENGTHS:
        raise BadBarcode(f"{digits!r} is not a GTIN: expected 8, 12, 13 or 14 digits.")
    if int(value) == 0:
        raise BadBarcode("An all-zero GTIN is not a product.")
    with _biip_errors("Invalid GTIN"):
        return Gtin.parse(value).as_gtin_14()


def ndc10_from_gtin(gtin14: str) -> str | None:
    """NDC10 digits embedded in a US drug GTIN (any packaging indicator), else None.

    Accepts any GTIN length; raises BadBarcode if it is not a valid GTIN at all.
    """
    gtin = normalize_gtin(gtin14)
    return gtin[3:13] if gtin[1:3] == _NDC_COMPANY_PREFIX else None


def gtin_from_ndc(ndc: str, indicator: int = 0) -> str:
    """GTIN-14 for an NDC (dashed 10-digit, bare NDC10, or 11-digit 5-4-2) at a packaging level.

    Indicator 9 (variable measure) is rejected: it never applies to NDC-labelled drugs.
    """
    if not 0 <= indicator <= 8:
        raise BadNdc(f"Packaging indicator must be 0-8, got {indicator}.")
    text = ndc.strip()
    ndc10 = text if _is_digits(text) and len(text) == 10 else "".join(_ndc10_parts(text))
    payload = f"{indicator}{_NDC_COMPANY_PREFIX}{ndc10}"
    return f"{payload}{gs1_standard_check_digit(payload)}"


def ndc11(ndc: str) -> str:
    """Printed NDC -> 11-digit 5-4-2 form with dashes, the HIPAA/billing form used as a key.

    Bare 10 digits are rejected (their layout is unknown); bare 11 digits are read as 5-4-2.
    """
    return _as_ndc11(_ndc_parts(ndc))


def ndc11_candidates(ndc10: str) -> list[str]:
    """All 5-4-2 NDCs that NDC10 digits (e.g. from a GTIN) may stand for.

    Order is 4-4-2, 5-3-2, 5-4-1; more than one may be a real product, so look each up.
    """
    digits = _require_ndc10(ndc10)
    candidates = [_as_ndc11(_split(digits, layout)) for layout in _NDC10_LAYOUTS]
    return list(dict.fromkeys(candidates))


def format_ndc10(ndc10: str, like: str) -> str:
    """Dash NDC10 digits the way a known printed NDC of the same labeler/product is dashed.

    `like` may be 10-digit dashed or 11-digit. An 11-digit `like` that is one of the
    digits' own candidates fixes the layout even when its padding zero is ambiguous;
    otherwise its padding zero must be unambiguous.
    """
    digits = _require_ndc10(ndc10)
    like11 = ndc11(like)
    layouts = [lay for lay in _NDC10_LAYOUTS if _as_ndc11(_split(digits, lay)) == like11]
    layout = layouts[0] if layouts else tuple(len(part) for part in _ndc10_parts(like))
    return "-".join(_split(digits, layout))


def normalize_identifier(kind: str, value: str) -> str:
    """Canonical stored form of a product identifier typed in or imported (not scanned)."""
    if kind in _GTIN_KINDS:
        return normalize_gtin(value)
    if kind == "ndc":
        return ndc11(value)
    if kind == "internal":
        text = value.strip()
        if not text or not text.isprintable():
            raise BadBarcode("An internal identifier must be non-empty printable text.")
        return text
    raise BadBarcode(f"Unknown identifier kind {kind!r}.")


def _require_ndc10(ndc10: str) -> str:
    if not (_is_digits(ndc10) and len(ndc10) == 10):
        raise BadNdc(f"{ndc10!r} is not 10 NDC digits.")
    return ndc10


def _split(digits: str, layout: Sequence[int]) -> tuple[str, ...]:
    parts: list[str] = []
    start = 0
    for width in layout:
        parts.append(digits[start : start + width])
        start += width
    return tuple(parts)


def _as_ndc11(parts: Sequence[str]) -> str:
    return "-".join(part.zfill(width) for part, width in zip(parts, _NDC11_LAYOUT, strict=True))


def _ndc_parts(ndc: str) -> tuple[str, ...]:
    """Split a printed NDC into its three segments (any 10-digit layout, or 5-4-2)."""
    text = ndc.strip()
    parts = (
        _split(text, _NDC11_LAYOUT)
        if _is_digits(text) and len(text) == 11
        else tuple(text.split("-"))
    )
    layout = tuple(len(part) for part in parts)
    if not all(_is_digits(part) for part in parts) or (
        layout not in _NDC10_LAYOUTS and layout != _NDC11_LAYOUT
    ):
        raise BadNdc(f"{ndc!r} is not an NDC: expected 4-4-2, 5-3-2, 5-4-1 or 5-4-2 digits.")
    return parts


def _ndc10_parts(ndc: str) -> tuple[str, ...]:
    """Segments of the 10-digit NDC; for a 5-4-2 NDC drop its one padding zero."""
    parts = _ndc_parts(ndc)
    if len("".join(parts)) == 10:
        return parts
    padded = [i for i, part in enumerate(parts) if part.startswith("0")]
    if len(padded) != 1:
        why = "has no padding zero" if not padded else "is ambiguous"
        raise BadNdc(f"11-digit NDC {ndc!r} {why}: cannot tell its 10-digit form.")
    return tuple(part[1:] if i == padded[0] else part for i, part in enumerate(parts))
