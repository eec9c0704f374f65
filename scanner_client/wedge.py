"""Keyboard-wedge text: restore FNC1 separators, and spot scanners that drop them.

A keyboard-wedge scanner "types" the code. ASCII 29 (GS), which stands for FNC1 inside a GS1
element string, cannot be typed on most keyboard layouts, so scanners are configured to send a
substitute (``{GS}``, ``<GS>``, Ctrl+] which a terminal shows as ``^]``...). We turn those back
into GS. If the scanner sends nothing at all for FNC1, variable-length fields run into each
other (the lot swallows the serial); :func:`fnc1_warnings` detects the usual symptoms so the
user can fix the scanner's configuration instead of receiving wrong lots.

Everything here is pure; the AI table comes from biip (the GS1 parser the service uses too).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

GS = "\x1d"

#: Substitutes scanners are commonly configured to type for FNC1/GS.
DEFAULT_GS_SUBSTITUTES: tuple[str, ...] = (
    "{GS}",
    "<GS>",
    "[GS]",
    "^]",
    "\\x1d",
    "\\x1D",
    "<FNC1>",
    "{FNC1}",
    "\u241d",  # SYMBOL FOR GROUP SEPARATOR, what some tools print for GS
)

#: AIM symbology identifiers that announce GS1 content.
GS1_SYMBOLOGY_IDS = frozenset({"]C1", "]d2", "]d5", "]Q3", "]Q5", "]e0", "]J1", "]z1"})

_AIM_RE = re.compile(r"^\][A-Za-z][0-9A-Za-z]")

FIX_ADVICE = (
    "Configure the scanner to transmit FNC1 as GS (ASCII 29) or as a substitute such as "
    "{GS} (see its programming guide: 'GS1 / FNC1 substitution' or 'Ctrl+] for GS'), "
    "or pass --gs-substitute with the string it sends; then rescan."
)


def restore_gs(line: str, extra_substitutes: Iterable[str] = ()) -> str:
    """Replace GS substitutes (built-in and configured) with ASCII 29; other text is unchanged."""
    subs = sorted({*DEFAULT_GS_SUBSTITUTES, *(s for s in extra_substitutes if s)}, key=len)
    for sub in reversed(subs):  # longest first, so "<GS>" wins over a configured "<"
        if sub in line:
            line = line.replace(sub, GS)
        elif sub.isascii() and sub.upper() != sub.lower():
            line = re.sub(re.escape(sub), GS, line, flags=re.IGNORECASE)
    return line


def split_symbology(code: str) -> tuple[str, str]:
    """Split an optional leading AIM symbology identifier (``]d2``) from the data."""
    if _AIM_RE.match(code):
        return code[:3], code[3:]
    return "", code


@dataclass(frozen=True)
class _AISpec:
    ai: str
    min_len: int
    max_len: int
    separator_required: bool
    pattern: re.Pattern[str]

    @property
    def fixed(self) -> bool:
        return self.min_len == self.max_len and not self.separator_required


_FMT_PART = re.compile(r"(\[)?([NXYZ])(\.\.)?(\d+)\]?")


@functools.lru_cache(maxsize=512)
def _ai_spec(data: str) -> _AISpec | None:
    """Find the AI at the start of ``data`` using biip's table (None if it is not an AI)."""
    try:
        from biip.gs1_application_identifiers import GS1ApplicationIdentifier
    except ImportError:  # pragma: no cover - biip is a core dependency
        return None
    try:
        ai = GS1ApplicationIdentifier.extract(data[:4])
    except Exception:
        return None
    parts = ai.format.split("+")[1:]
    lo = hi = 0
    for part in parts:
        m = _FMT_PART.fullmatch(part)
        if not m:
            return None
        n = int(m.group(4))
        hi += n
        if not m.group(1) and not m.group(3):
            lo += n
        elif not m.group(1):
            lo += 1 if m.group(2) != "N" or n else 0
    return _AISpec(ai.ai, lo, hi, ai.separator_required, re.compile(ai.pattern))


@dataclass(frozen=True)
class Element:
    ai: str
    value: str
    terminated: bool  # followed by a GS (or is a fixed-length field)


def parse_elements(data: str) -> list[Element] | None:
    """Split a GS1 element string the way a reader without FNC1 knowledge would (greedy).

    Returns None when the data is not a GS1 element string at all.
    """
    out: list[Element] = []
    pos = 0
    while pos < len(data):
        if data[pos] == GS:
            pos += 1
            continue
        spec = _ai_spec(data[pos : pos + 4])
        if spec is None:
            return None
        start = pos + len(spec.ai)
        if spec.fixed:
            value = data[start : start + spec.max_len]
            if len(value) < spec.max_len or GS in value:
                return None
            out.append(Element(spec.ai, value, True))
            pos = start + spec.max_len
        else:
            end = data.find(GS, start)
            terminated = end >= 0
            end = end if terminated else len(data)
            out.append(Element(spec.ai, data[start:end], terminated))
            pos = end
    return out or None


def looks_like_gs1(code: str) -> bool:
    """Is this (without brackets) a GS1 element string? Used when no symbology id is known."""
    sym, data = split_symbology(code)
    if sym:
        return sym in GS1_SYMBOLOGY_IDS
    data = data.lstrip(GS)  # some scanners send FNC1-in-first-position as a leading GS
    if data.startswith("("):
        return False  # human-readable form, brackets delimit fields: nothing can be missing
    if not re.match(r"^(01|02)\d{14}", data) and not re.match(r"^00\d{18}", data):
        return False
    return _gtin_ok(data[2:16]) if not data.startswith("00") else _gtin_ok(data[2:20])


def _gtin_ok(digits: str) -> bool:
    if not digits.isdigit():
        return False
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


#: AIs found on pharma packs, most likely first, to name the field that was swallowed.
_LIKELY_AIS = {ai: rank for rank, ai in enumerate(("21", "10", "17", "11", "30", "37", "7003"))}


def _tail_parses(tail: str, seen: set[str]) -> list[Element] | None:
    """Does ``tail`` read as further, plausible AIs (a field the previous one swallowed)?"""
    elements = parse_elements(tail)
    if not elements:
        return None
    for el in elements:
        spec = _ai_spec(el.ai)
        if spec is None or el.ai in seen:
            return None
        if not spec.pattern.match(el.ai + el.value):
            return None
        if not spec.fixed and len(el.value) < 3:
            return None
    return elements


def fnc1_warnings(code: str) -> list[str]:
    """Warnings for a GS1 code that arrived without separators where one was needed.

    Two symptoms: a variable-length field longer than its maximum (it swallowed the next
    field), and a variable field whose end reads as another AI that is missing from the code
    (typically the lot absorbing ``21<serial>``) while the code holds no GS at all.
    """
    if not looks_like_gs1(code):
        return []
    _sym, data = split_symbology(code)
    data = data.lstrip(GS)
    elements = parse_elements(data)
    if not elements:
        return []
    warnings: list[str] = []
    seen = {el.ai for el in elements}
    for el in elements:
        spec = _ai_spec(el.ai)
        if spec is None or spec.fixed:
            continue
        if len(el.value) > spec.max_len:
            warnings.append(
                f"GS1 field ({el.ai}) is {len(el.value)} characters, longer than its maximum "
                f"of {spec.max_len}: the separator after it is missing (the scanner is not "
                f"sending FNC1). {FIX_ADVICE}"
            )
            continue
        if GS in data or el.terminated:
            continue
        candidates = [
            tail
            for i in range(1, len(el.value) - 1)
            if (tail := _tail_parses(el.value[i:], seen - {el.ai}))
        ]
        if candidates:
            tail = min(candidates, key=lambda t: _LIKELY_AIS.get(t[0].ai, len(_LIKELY_AIS)))
            named = "".join(f"({t.ai}){t.value}" for t in tail)
            warnings.append(
                f"GS1 field ({el.ai}) {el.value!r} looks like it absorbed {named}: "
                f"no FNC1/GS separator arrived. {FIX_ADVICE}"
            )
    return warnings


def normalise_wedge_line(line: str, extra_substitutes: Sequence[str] = ()) -> str:
    """One typed line -> code: drop the line ending, restore GS, keep everything else."""
    return restore_gs(line.rstrip("\r\n"), extra_substitutes)
