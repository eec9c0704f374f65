"""Interpret the text a scanner sends us as a domain `Barcode`.

Pure domain code (no I/O). GS1 syntax, dates and check digits are delegated to biip; this
module only decides which parser applies, enforces our stricter rules and maps the result.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from biip import BiipException
from biip.checksums import gs1_standard_check_digit
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin
from biip.symbology import GS1Symbology, SymbologyIdentifier
from biip.upc import Upc

from inventory_svc.domain import limits
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

BarcodeKind = Literal["gs1", "gtin", "location", "kit", "command", "seal"]

GS = "\x1d"  # FNC1 as transmitted by scanners
_LABEL_PREFIXES: dict[str, BarcodeKind] = {"LOC:": "location", "KIT:": "kit", "CMD:": "command"}
_GTIN_LENGTHS = frozenset({8, 12, 13, 14})
_GTIN_KINDS = frozenset({"gtin", "upc", "ean"})
_NDC_COMPANY_PREFIX = "03"  # GS1 US prefix reserved for NDC/NHRIC-based GTINs
_NDC10_LAYOUTS: tuple[tuple[int, int, int], ...] = ((4, 4, 2), (5, 3, 2), (5, 4, 1))
_NDC11_LAYOUT = (5, 4, 2)
_NDC12_LAYOUT = (6, 4, 2)  # the FDA's uniform 12-digit NDC
_VARIABLE_MEASURE = "9"  # GTIN indicator digit of variable-measure trade items
# An AIM symbology identifier inside the data: ']' is no GS1 character (GS1 General
# Specifications, figure 7.11-1), so inline it can only be a separator a scanner sent for FNC1
# (GS1-128 "]C1") or the start of a composite's second component ("]e0").
_INLINE_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")
# A composite's two components joined by '|' (the GS1 Syntax Engine's and zint's input form).
_COMPOSITE_BAR = "|"
# DotCode (]J0 plain, ]J1 GS1): biip does not know its symbology character.
_DOTCODE = re.compile(r"\]J[0-9]")
# EAN/UPC with an add-on (]E3): EAN-13 (UPC-A as 0 + 12) + 2 or 5 digits, EAN-8 + 2 or 5.
_ADD_ON_LENGTHS = {15: 13, 18: 13, 10: 8}

# AIs a medicine pack or case label carries after a lot or serial: only these are taken for
# a swallowed field (a lot ending in "94..." is not company-internal data run into it).
_PACK_AIS = frozenset({"10", "11", "15", "16", "17", "21", "22", "30", "37", "240", "7003", "715"})
FNC1_MISSING = "fnc1_missing"
FNC1_ADVICE = (
    "Set the scanner to transmit FNC1 as GS (ASCII 29): in its programming guide the "
    "setting is called 'GS1 FNC1 / GS substitution' or 'Transmit FNC1 as <GS>'; if it can "
    "only type a substitute such as {GS} or ^], give that to inventory-scan with "
    "--gs-substitute. Also enable 'Transmit AIM symbology identifier'. "
    "`inventory-scan doctor` checks the whole set-up."
)


BadBarcode = BadBarcodeError
"""Raised for anything we cannot interpret; `detail` is a sentence for the operator."""


class BadNdc(BadBarcode):
    """An NDC that is malformed, or whose 10-digit form cannot be told from the 11-digit one."""


@dataclass(frozen=True, slots=True)
class Barcode:
    """One interpreted scan. Identifier fields are already normalised for storage/lookup.

    A case or pallet label (SSCC + content GTIN in AI 02 + count in AI 37) has `gtin` from
    AI 02, `count` from AI 37 and its SSCC in `sscc`. `warnings` are (code, detail) pairs the
    scan answer carries (e.g. `fnc1_missing`).
    """

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
    sscc: str | None = None
    warnings: tuple[tuple[str, str], ...] = ()

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
            "sscc": self.sscc,
        }


@dataclass(frozen=True, slots=True)
class _Aim:
    """The AIM symbology identifier a scan starts with."""

    value: str
    gs1: bool  # the symbology carries GS1 element strings (]C1, ]d2, ]Q3, ]e0, ]J1, ...)
    gs1_symbology: GS1Symbology | None = None


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


@functools.lru_cache(maxsize=4096)
def interpret(code: str) -> Barcode:
    """Interpret one scan; raises BadBarcode (only) for anything unknown or malformed.

    Pure and its answer immutable, so it is cached: a delivery is the same carton code
    scanned again and again, and parsing it is a fifth of a scan's CPU (profiled).

    Dispatch is by content, the AIM prefix only breaks ties: bare 8/12/13/14 digits are a
    GTIN unless the prefix says GS1 element string (]C1, ]d2, ]Q3, ]e0, ]J1). Our own
    LOC:/KIT:/CMD: labels are matched case-sensitively, under any AIM prefix.
    """
    raw = code.strip()
    if not raw:
        raise BadBarcode("The scan is empty.")
    if not all(ch.isprintable() or ch == GS for ch in raw):
        raise BadBarcode("The scan contains control or non-printable characters.")
    aim, content = _split_symbology(raw)
    sym = aim.value if aim else None

    for prefix, kind in _LABEL_PREFIXES.items():
        if content.startswith(prefix):
            return Barcode(kind=kind, raw=raw, symbology=sym, label=_label(prefix, content))
    if content[:8].lower().startswith(("http://", "https://")):
        return _gs1_barcode(raw, sym, _parse_digital_link(content))
    if content.startswith("("):
        return _gs1_barcode(raw, sym, _parse_hri(content))
    gs1_symbology = aim.gs1_symbology if aim else None
    if gs1_symbology is GS1Symbology.EAN_13_WITH_ADD_ON and _is_digits(content):
        return _gtin_barcode(raw, sym, _without_add_on(content))
    if _is_digits(content) and len(content) in _GTIN_LENGTHS and not (aim and aim.gs1):
        if gs1_symbology is GS1Symbology.EAN_13 and len(content) == 8:
            # ]E0 with 8 digits is UPC-E (EAN-8 would be ]E4): expand to UPC-A first.
            with _biip_errors("Not a valid UPC-E"):
                content = Upc.parse(content).as_upc_a()
        return _gtin_barcode(raw, sym, content)
    content = _join_components(content)
    if not content or not _is_digits(content[0]):
        raise BadBarcode("Unrecognised barcode: not a product, location, kit or command code.")
    elements, fnc1_missing = _parse_element_string(content)
    barcode = _gs1_barcode(raw, sym, elements)
    if fnc1_missing:
        return _with_warning(barcode, FNC1_MISSING, fnc1_missing)
    return barcode


def interpret_stock(code: str) -> Barcode:
    """A scan that must name stock: our LOC:/KIT:/CMD: labels set a scanner's context and
    are refused here, they are not packs."""
    barcode = interpret(code)
    if barcode.kind in ("location", "kit", "command"):
        raise BadBarcode(
            f"{code!r} is a {barcode.kind} label: it sets the scanner's context, it is not stock."
        )
    return barcode


def interpret_seal(code: str) -> Barcode:
    """A `seal` scan's code is the breakaway seal's own number, as its barcode reads: any
    printable text up to the seal number's limit; our own labels are not seals."""
    number = code.strip()
    if not limits.SEAL_NUMBER.allows(number):
        raise BadBarcode(
            f"{code!r} is not a seal number: 1 to {limits.SEAL_NUMBER.max_length} printable "
            "characters (a pack's GS1 code is scanned as stock, not as a seal)."
        )
    if any(number.startswith(prefix) for prefix in _LABEL_PREFIXES):
        raise BadBarcode(f"{code!r} is a label of this service, not a seal.")
    return Barcode(kind="seal", raw=code, label=number)


def may_fall_back_to_ndc(gtin: str | None) -> bool:
    """An NDC alone says nothing about pack size, so only unit-of-use GTINs (indicator 0)
    may be found by their NDC; a carton GTIN must be registered with its units."""
    return bool(gtin and gtin[0] == "0")


def _with_warning(barcode: Barcode, code: str, detail: str) -> Barcode:
    return Barcode(
        kind=barcode.kind,
        raw=barcode.raw,
        symbology=barcode.symbology,
        gtin=barcode.gtin,
        ndc=barcode.ndc,
        lot=barcode.lot,
        expiry=barcode.expiry,
        serial=barcode.serial,
        count=barcode.count,
        label=barcode.label,
        sscc=barcode.sscc,
        warnings=(*barcode.warnings, (code, detail)),
    )


def _gtin_barcode(raw: str, symbology: str | None, digits: str) -> Barcode:
    gtin = normalize_gtin(digits)
    return Barcode(kind="gtin", raw=raw, symbology=symbology, gtin=gtin, ndc=ndc10_from_gtin(gtin))


def _without_add_on(digits: str) -> str:
    """]E3 data: the EAN-13/UPC-A or EAN-8 followed by its 2- or 5-digit add-on, which is
    no part of the product's identity (a price or an issue number)."""
    main = _ADD_ON_LENGTHS.get(len(digits))
    if main is None:
        raise BadBarcode(
            f"]E3 data of {len(digits)} digits is not an EAN/UPC with a 2- or 5-digit add-on."
        )
    return digits[:main]


def _split_symbology(raw: str) -> tuple[_Aim | None, str]:
    if not raw.startswith("]"):
        return None, raw
    if _DOTCODE.match(raw):
        aim = _Aim(raw[:3], gs1=raw[2] == "1", gs1_symbology=None)
        content = raw[3:].strip()
    else:
        try:
            symbology = SymbologyIdentifier.extract(raw)
        except _BIIP_ERRORS:
            symbology = None
        if symbology is None or not symbology.modifiers:
            raise BadBarcode(f"Unknown or incomplete AIM symbology identifier {raw[:3]!r}.")
        gs1_sym = symbology.gs1_symbology
        aim = _Aim(
            symbology.value,
            gs1=gs1_sym in GS1Symbology.with_gs1_messages(),
            gs1_symbology=gs1_sym,
        )
        content = raw[len(symbology) :].strip()
    content = content.lstrip(GS)  # a leading FNC1 sent as GS
    if not content:
        raise BadBarcode(f"The scan has a symbology identifier {aim.value} but no data.")
    return aim, content


def _join_components(content: str) -> str:
    """One GS1 message from what a scanner sends as several parts of one read.

    A composite's linear part and 2D part arrive one after the other, the 2D part with its
    own AIM identifier (]e0) or joined by '|'; some GS1-128 scanners send each FNC1 inside
    the data as ]C1. Each such boundary is a GS1 separator; a linear EAN/UPC part (bare
    digits, no AI) becomes AI 01. Neither ']' nor '|' is a GS1 character, so nothing that
    could be data is touched.
    """
    parts = _INLINE_AIM.split(content.replace(_COMPOSITE_BAR, GS))
    first = parts[0].strip(GS)
    if _is_digits(first) and len(first) in (8, 12, 13):  # EAN-8/UPC-A/EAN-13 linear part
        parts[0] = "01" + normalize_gtin(first)
    return GS.join(part.strip(GS) for part in parts if part.strip(GS))


def _label(prefix: str, content: str) -> str:
    label = content[len(prefix) :].strip()
    if not label or not label.isprintable():
        raise BadBarcode(f"{prefix} label without a printable code.")
    return label


_HRI_SPACE = re.compile(r"\s*([()])\s*")


def _parse_hri(content: str) -> list[GS1ElementString]:
    with _biip_errors("Not a valid GS1 human-readable string"):
        message = GS1Message.parse_hri(content)
    # biip's HRI regex silently skips text it cannot match (a space inside a lot, say): we
    # do not. Spaces around the brackets are layout; anything else must round-trip.
    given = _HRI_SPACE.sub(r"\1", content.strip())
    if message.as_hri() != given:
        if any(ch.isspace() for ch in given):
            raise BadBarcode(
                "The GS1 human-readable string has a space inside a field: GS1 does not allow "
                "spaces in a lot or serial, and we do not remove them."
            )
        raise BadBarcode("The GS1 human-readable string contains stray text.")
    return message.element_strings


def _parse_digital_link(content: str) -> list[GS1ElementString]:
    with _biip_errors("Not a valid GS1 Digital Link"):
        uri = GS1DigitalLinkURI.parse(content)
    # biip keeps the last of a query key given twice; a Digital Link giving one AI twice
    # with different values is refused, as element strings are.
    seen: dict[str, str] = {}
    for key, value in parse_qsl(urlsplit(content).query, keep_blank_values=True):
        if _is_digits(key) and seen.setdefault(key, value) != value:
            raise BadBarcode(f"GS1 field ({key}) appears twice with different values.")
    return list(uri.element_strings)


def _parse_element_string(content: str) -> tuple[list[GS1ElementString], str | None]:
    """Parse raw GS1 element strings, requiring GS after every variable-length field.

    Like biip's GS1Message.parse, plus that check: without it an over-long lot (> 20 chars)
    would be cut at 20 and its tail read as the next AI. A lot that swallowed later AIs
    because GS was missing but stays within 20 chars cannot be told from a real lot, so it
    is accepted as biip parses it, with an `fnc1_missing` warning (the second value) when
    its end reads as further GS1 fields.
    """
    elements: list[GS1ElementString] = []
    rest = content
    while rest:
        with _biip_errors("Not a valid GS1 barcode"):
            element = GS1ElementString.extract(rest)
        elements.append(element)
        rest = rest[len(element) :]
        if element.ai.separator_required and rest and not rest.startswith(GS):
            advice = "" if GS in content else f" No separator (FNC1) arrived: {FNC1_ADVICE}"
            raise BadBarcode(
                f"GS1 field ({element.ai.ai}) {element.ai.data_title} is too long, has a "
                f"character GS1 does not allow, or is not followed by a separator.{advice}"
            )
        rest = rest.lstrip(GS)
    return elements, None if GS in content else _fnc1_missing(elements)


def _fnc1_missing(elements: Sequence[GS1ElementString]) -> str | None:
    """Does the last, variable-length field end in what reads as further GS1 fields?

    Without any GS, every field after the first variable-length one is swallowed by it. We
    flag a value whose tail parses (with biip, dates and check digits verified) as fields
    a pack carries and this code does not already have, each variable one at least 3
    characters long.
    """
    if not elements or not elements[-1].ai.separator_required:
        return None
    last = elements[-1]
    present = {e.ai.ai for e in elements}
    for start in range(1, len(last.value) - 1):
        tail = last.value[start:]
        try:
            swallowed = GS1Message.parse(tail).element_strings
        except _BIIP_ERRORS:
            continue
        if any(e.ai.ai in present or e.ai.ai not in _PACK_AIS for e in swallowed):
            continue
        if any(e.ai.separator_required and len(e.value) < 3 for e in swallowed):
            continue
        if any(e.gtin_error or e.sscc_error for e in swallowed):
            continue
        named = "".join(f"({e.ai.ai}){e.value}" for e in swallowed)
        return (
            f"GS1 field ({last.ai.ai}) {last.value!r} looks like it swallowed {named}: the "
            f"scanner sent no separator (FNC1) after it, so the {last.ai.data_title.lower()} "
            f"may be wrong. {FNC1_ADVICE}"
        )
    return None


def _gs1_barcode(raw: str, symbology: str | None, elements: Sequence[GS1ElementString]) -> Barcode:
    """Map parsed AIs to a Barcode; a GS1 code is only useful to us if it names a product.

    A trade item names it in AI 01 (with an optional count in AI 30); a case or pallet label
    in AI 02, the GTIN of the trade items it contains, with their count in AI 37 (and its
    SSCC in AI 00). GS1 forbids 37 beside 01 and requires it beside 02 (GS1 General
    Specifications 4.14): both are refused rather than guessed.
    """
    values: dict[str, GS1ElementString] = {}
    for element in elements:
        if values.setdefault(element.ai.ai, element).value != element.value:
            raise BadBarcode(f"GS1 field ({element.ai.ai}) appears twice with different values.")
    if "01" in values and ("37" in values or "02" in values):
        other = "37" if "37" in values else "02"
        raise BadBarcode(
            f"GS1 field ({other}) cannot appear with a GTIN in (01): (37) counts the trade "
            "items of a case or pallet whose contents are named in (02)."
        )
    if "01" in values:
        gtin = normalize_gtin(values["01"].value)
        count = values.get("30")
    elif "02" in values:
        if "37" not in values:
            raise BadBarcode("A case label's content GTIN (02) needs its count in (37).")
        gtin = normalize_gtin(values["02"].value)
        count = values["37"]
    else:
        raise BadBarcode("The GS1 barcode has no GTIN (AI 01) nor a content GTIN (AI 02).")
    sscc = values.get("00")
    if sscc is not None and sscc.sscc_error:
        raise BadBarcode(f"Invalid SSCC (00): {sscc.sscc_error}")
    if count is not None and (not _is_digits(count.value) or int(count.value) == 0):
        raise BadBarcode(f"GS1 count ({count.ai.ai}) is empty or zero.")
    expiry = values.get("17", values.get("7003"))
    nhrn = values.get("715")
    return Barcode(
        kind="gs1",
        raw=raw,
        symbology=symbology,
        gtin=gtin,
        ndc=_ndc_from_715(nhrn.value) if nhrn is not None else ndc10_from_gtin(gtin),
        lot=values["10"].value if "10" in values else None,
        expiry=expiry.date if expiry is not None else None,
        serial=values["21"].value if "21" in values else None,
        count=int(count.value) if count is not None else None,
        sscc=sscc.value if sscc is not None else None,
    )


def _ndc_from_715(value: str) -> str:
    """AI 715 (NHRN, US FDA NDC) as NDC digits: 10 (any dashed layout), 11 or 12 digits."""
    digits = value.replace("-", "")
    if not _is_digits(digits) or len(digits) not in (10, 11, 12):
        raise BadNdc(f"GS1 field (715) {value!r} is not an NDC of 10, 11 or 12 digits.")
    if "-" in value:  # a dashed NDC must be in one of its layouts
        layout = tuple(len(part) for part in value.split("-"))
        if layout != _NDC12_LAYOUT:
            _ndc_parts(value)
    return digits


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
    """NDC10 digits embedded in a US drug GTIN (packaging indicator 0-8), else None.

    Accepts any GTIN length; raises BadBarcode if it is not a valid GTIN at all.
    """
    gtin = normalize_gtin(gtin14)
    if gtin[0] == _VARIABLE_MEASURE:  # variable measure: never an NDC-labelled drug
        return None
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
    11 digits (from AI 715) are the 5-4-2 NDC itself; 12 digits the FDA's 6-4-2 form.
    """
    if _is_digits(ndc10) and len(ndc10) == 11:
        return [_as_ndc11(_split(ndc10, _NDC11_LAYOUT))]
    if _is_digits(ndc10) and len(ndc10) == 12:
        return ["-".join(_split(ndc10, _NDC12_LAYOUT))]
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
