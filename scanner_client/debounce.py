"""Turn a stream of per-frame decodes into deliberate scans. Pure: the caller passes the time.

A camera decodes the same pack 30 times a second while it is held up; that must count once.
Two packs with different serials have different texts, so they count twice by construction.
Two identical non-serialised packs count twice only if the code *left the view* in between:
it was missing from at least ``absent_frames`` consecutive frames spanning ``absent_seconds``
(one or two frames that fail to decode, e.g. from motion blur, do not count as leaving).
Independently, a text not seen for longer than ``window`` seconds counts again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class _Track:
    first_seen: float
    last_seen: float
    missed_frames: int = 0
    left_view: bool = False


class Debouncer:
    """Debounce decodes from a frame source (webcam, video)."""

    def __init__(
        self, window: float = 2.0, absent_frames: int = 3, absent_seconds: float = 0.8
    ) -> None:
        self.window = window
        self.absent_frames = absent_frames
        self.absent_seconds = absent_seconds
        self._tracks: dict[str, _Track] = {}

    def frame(self, now: float, texts: Iterable[str]) -> list[str]:
        """Feed the texts decoded in one frame (possibly none); return those that count now."""
        present = list(dict.fromkeys(texts))  # unique, order kept
        seen = set(present)
        for text, old in list(self._tracks.items()):
            if text in seen:
                continue
            old.missed_frames += 1
            if (
                old.missed_frames >= self.absent_frames
                and now - old.last_seen >= self.absent_seconds
            ):
                old.left_view = True
            if now - old.last_seen > max(self.window, self.absent_seconds) * 4:
                del self._tracks[text]  # forget old codes; they would count anew anyway
        counted: list[str] = []
        for text in present:
            track: _Track | None = self._tracks.get(text)
            if track is None or track.left_view or now - track.last_seen > self.window:
                counted.append(text)
                self._tracks[text] = _Track(first_seen=now, last_seen=now)
            else:
                track.last_seen = now
                track.missed_frames = 0
        return counted

    def in_view(self) -> list[str]:
        """Codes currently considered in view (for a preview overlay or a status line)."""
        return [t for t, tr in self._tracks.items() if not tr.left_view]


class TextDebouncer:
    """Debounce typed codes (keyboard wedge): the same text within ``window`` counts once.

    The default window for wedge input is 0 (off): a trigger pull is a deliberate scan, and
    a presentation-mode scanner that re-reads a pack can be given a window.
    """

    def __init__(self, window: float = 0.0) -> None:
        self.window = window
        self._last: tuple[str, float] | None = None

    def accept(self, now: float, text: str) -> bool:
        last = self._last
        self._last = (text, now)
        return not (last is not None and last[0] == text and now - last[1] < self.window)


class LinearConsensus:
    """A camera's EAN/UPC read counts only once ``frames`` consecutive frames agree on it.

    A blurred frame can misread an EAN/UPC into another number with a valid check digit; the
    same misread in two frames in a row is far less likely. 2D codes and other symbologies
    (error-corrected or checked end to end) pass straight through. Pure.
    """

    def __init__(self, frames: int = 2) -> None:
        if frames < 1:
            raise ValueError("frames must be at least 1")
        self.frames = frames
        self._streak: dict[str, int] = {}

    def frame(self, texts: Iterable[str]) -> list[str]:
        """Texts decoded in one frame -> those that may be counted now (order kept)."""
        streak: dict[str, int] = {}
        passed: list[str] = []
        for text in dict.fromkeys(texts):
            if not text.startswith("]E"):
                passed.append(text)
                continue
            streak[text] = self._streak.get(text, 0) + 1
            if streak[text] >= self.frames:
                passed.append(text)
        self._streak = streak
        return passed
