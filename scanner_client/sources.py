"""Where codes come from: frames (webcam, video, images) or typed text (stdin, evdev).

Each source is a plain iterator, so the runner treats a finite file and an endless camera the
same way and tests can feed synthetic input. The evdev key mapping is a pure function over
key codes (numbers from linux/input-event-codes.h, stable ABI), usable without a device.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm"})


class SourceError(RuntimeError):
    """The source cannot be opened; the message says why and what to do."""


@dataclass(frozen=True)
class SourceSpec:
    kind: str  # webcam | video | images | stdin | evdev
    arg: str | int | None = None

    @property
    def finite(self) -> bool:
        return self.kind in ("video", "images", "stdin")

    @property
    def frames(self) -> bool:
        return self.kind in ("webcam", "video", "images")

    def __str__(self) -> str:
        return self.kind if self.arg is None else f"{self.kind}:{self.arg}"


def parse_source(spec: str) -> SourceSpec:
    """``webcam[:index]``, ``video:PATH``, ``images:DIR``, ``stdin``, ``evdev:/dev/input/...``."""
    kind, _sep, arg = spec.strip().partition(":")
    kind = kind.lower()
    if kind == "webcam":
        if not arg:
            return SourceSpec("webcam", 0)
        if arg.isdigit():
            return SourceSpec("webcam", int(arg))
        return SourceSpec("webcam", arg)  # a device path or a stream URL, as OpenCV allows
    if kind == "stdin" and not arg:
        return SourceSpec("stdin")
    if kind in ("video", "images", "evdev"):
        if not arg:
            raise SourceError(f"source {kind}: needs a path, e.g. {kind}:{_EXAMPLES[kind]}")
        return SourceSpec(kind, arg)
    raise SourceError(
        f"unknown source {spec!r}: use webcam[:index], video:PATH, images:DIR, stdin "
        "or evdev:/dev/input/eventN"
    )


_EXAMPLES = {"video": "bench.mp4", "images": "./photos", "evdev": "/dev/input/event5"}


@dataclass
class FrameItem:
    """A frame and when it was taken (seconds, monotonic for cameras, media time for files)."""

    t: float
    frame: Frame | None  # None: an image file that could not be read
    name: str | None = None


def video_frames(source: str | int, *, live: bool = False) -> Iterator[FrameItem]:
    """Frames from a video file or a camera (OpenCV). Files use their own timeline."""
    import cv2

    cap = cv2.VideoCapture(source)
    if not cap.isOpened():
        what = f"camera {source}" if live else f"video {source}"
        hint = (
            " (is it connected, and is your user in the 'video' group?)"
            if live
            else " (does the file exist, and can OpenCV's FFmpeg read its codec?)"
        )
        raise SourceError(f"cannot open {what}{hint}")
    if live:
        # decode the newest frame, not a backlog: when decoding is slower than the camera,
        # the frames in between are skipped instead of adding latency
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
    if fps <= 0 or fps > 1000:
        fps = 30.0
    index = 0
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                if live:
                    raise SourceError(f"camera {source} stopped delivering frames")
                return
            t = time.monotonic() if live else index / fps
            index += 1
            yield FrameItem(t, np.asarray(frame, dtype=np.uint8))
    finally:
        cap.release()


def image_frames(directory: str | Path) -> Iterator[FrameItem]:
    """Each image in a directory once, sorted by file name."""
    import cv2

    path = Path(directory)
    if not path.is_dir():
        raise SourceError(f"images: {path} is not a directory")
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    for i, file in enumerate(files):
        frame = cv2.imread(str(file), cv2.IMREAD_COLOR)
        yield FrameItem(float(i), None if frame is None else np.asarray(frame, np.uint8), file.name)


def text_lines(stream: IO[str] | None = None) -> Iterator[str]:
    """Lines typed by a keyboard-wedge scanner (one code per line); blank lines skipped."""
    stream = stream if stream is not None else sys.stdin
    for line in stream:
        line = line.rstrip("\r\n")
        if line.strip():
            yield line


# --- evdev ---------------------------------------------------------------------------------

# Linux key codes (linux/input-event-codes.h) -> (unshifted, shifted) on a US layout, which is
# what scanners emulate unless programmed otherwise.
KEY_ENTER, KEY_KPENTER, KEY_BACKSPACE = 28, 96, 14
KEY_LEFTSHIFT, KEY_RIGHTSHIFT = 42, 54
KEY_LEFTCTRL, KEY_RIGHTCTRL = 29, 97
KEY_LEFTALT, KEY_RIGHTALT = 56, 100
KEY_CAPSLOCK = 58
KEY_RIGHTBRACE = 27

_ROWS = {
    2: "1!",
    3: "2@",
    4: "3#",
    5: "4$",
    6: "5%",
    7: "6^",
    8: "7&",
    9: "8*",
    10: "9(",
    11: "0)",
    12: "-_",
    13: "=+",
    15: "\t\t",
    26: "[{",
    27: "]}",
    39: ";:",
    40: "'\"",
    41: "`~",
    43: "\\|",
    51: ",<",
    52: ".>",
    53: "/?",
    57: "  ",
    86: "\\|",  # KEY_102ND
}
_LETTERS = {
    **{16 + i: c for i, c in enumerate("qwertyuiop")},
    **{30 + i: c for i, c in enumerate("asdfghjkl")},
    **{44 + i: c for i, c in enumerate("zxcvbnm")},
}
_KEYPAD = {
    82: "0",
    79: "1",
    80: "2",
    81: "3",
    75: "4",
    76: "5",
    77: "6",
    71: "7",
    72: "8",
    73: "9",
    74: "-",
    78: "+",
    55: "*",
    98: "/",
    83: ".",
    117: "=",
}
KEYPAD_DIGITS = {code: int(ch) for code, ch in _KEYPAD.items() if ch.isdigit()}


def key_to_char(keycode: int, shift: bool, caps_lock: bool = False) -> str | None:
    """The character a key types (US layout), or None for keys that type nothing."""
    if keycode in _LETTERS:
        ch = _LETTERS[keycode]
        return ch.upper() if shift != caps_lock else ch
    if keycode in _ROWS:
        return _ROWS[keycode][1 if shift else 0]
    if keycode in _KEYPAD:
        return _KEYPAD[keycode]
    return None


class KeyTranslator:
    """Turns EV_KEY (code, value) events into completed lines.

    Handles Shift and CapsLock, Ctrl+] (GS, what many scanners send for FNC1), Ctrl+letter
    control characters, and Alt+keypad decimal codes (Alt 0 2 9 = GS) which scanners in
    "ALT mode" use for characters the layout cannot type. value: 1 press, 0 release,
    2 autorepeat (ignored: a scanner does not hold keys).
    """

    def __init__(self) -> None:
        self._shift: set[int] = set()
        self._ctrl: set[int] = set()
        self._alt: set[int] = set()
        self._caps = False
        self._alt_digits = ""
        self._buf: list[str] = []

    def feed(self, keycode: int, value: int) -> str | None:
        if keycode in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT):
            _press(self._shift, keycode, value)
            return None
        if keycode in (KEY_LEFTCTRL, KEY_RIGHTCTRL):
            _press(self._ctrl, keycode, value)
            return None
        if keycode in (KEY_LEFTALT, KEY_RIGHTALT):
            _press(self._alt, keycode, value)
            if value == 0 and not self._alt and self._alt_digits:
                code = int(self._alt_digits) % 256
                self._alt_digits = ""
                self._buf.append(chr(code))
            return None
        if value != 1:
            return None
        if keycode == KEY_CAPSLOCK:
            self._caps = not self._caps
            return None
        if keycode in (KEY_ENTER, KEY_KPENTER):
            line, self._buf = "".join(self._buf), []
            return line
        if keycode == KEY_BACKSPACE:
            if self._buf:
                self._buf.pop()
            return None
        if self._alt and keycode in KEYPAD_DIGITS:
            self._alt_digits += str(KEYPAD_DIGITS[keycode])
            return None
        if self._ctrl:
            if keycode == KEY_RIGHTBRACE:
                self._buf.append("\x1d")
            elif keycode in _LETTERS:
                self._buf.append(chr(ord(_LETTERS[keycode].upper()) - 64))
            return None
        ch = key_to_char(keycode, bool(self._shift), self._caps)
        if ch is not None:
            self._buf.append(ch)
        return None


def _press(held: set[int], keycode: int, value: int) -> None:
    if value == 0:
        held.discard(keycode)
    else:
        held.add(keycode)


def translate_key_events(events: Iterable[tuple[int, int]]) -> Iterator[str]:
    """Pure convenience: (keycode, value) pairs -> typed lines (non-empty ones)."""
    tr = KeyTranslator()
    for code, value in events:
        line = tr.feed(code, value)
        if line:
            yield line


def evdev_lines(path: str, *, grab: bool = True) -> Iterator[str]:
    """Lines from a scanner's input device, grabbed so no other window gets its keystrokes."""
    try:
        import evdev
    except ImportError as exc:
        raise SourceError(
            "evdev sources need python-evdev (Linux only): pip install evdev"
        ) from exc
    try:
        dev: Any = evdev.InputDevice(path)
    except PermissionError as exc:
        raise SourceError(
            f"no permission to read {path}: add your user to the 'input' group or add a udev "
            'rule for the scanner (MODE="0660", GROUP="input"), then log in again'
        ) from exc
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc}") from exc
    tr = KeyTranslator()
    grabbed = False
    try:
        if grab:
            try:
                dev.grab()
                grabbed = True
            except OSError as exc:
                raise SourceError(
                    f"cannot grab {path} exclusively (another program holds it?): {exc}"
                ) from exc
        for event in dev.read_loop():
            if event.type == evdev.ecodes.EV_KEY:
                line = tr.feed(event.code, event.value)
                if line:
                    yield line
    finally:
        if grabbed:
            with contextlib.suppress(OSError):
                dev.ungrab()
        dev.close()
