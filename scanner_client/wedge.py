"""Keyboard-wedge text: restore the FNC1 separators a scanner types as a substitute.

A keyboard-wedge scanner "types" the code. ASCII 29 (GS), which stands for FNC1 inside a GS1
element string, cannot be typed on most keyboard layouts, so scanners are configured to send a
substitute (``{GS}``, ``<GS>``, Ctrl+] which a terminal shows as ``^]``...). We turn those back
into GS and change nothing else.

The client does not interpret GS1: whether separators are missing is judged by the service,
which answers with an ``fnc1_missing`` warning naming the scanner setting to change
(``inventory-scan doctor`` diagnoses a scanner's set-up in one step).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

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

_AIM_RE = re.compile(r"^\][A-Za-z][0-9A-Za-z]")


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


def normalise_wedge_line(line: str, extra_substitutes: Sequence[str] = ()) -> str:
    """One typed line -> code: drop the line ending, restore GS, keep everything else."""
    return restore_gs(line.rstrip("\r\n"), extra_substitutes)
