"""Keyboard-wedge input: GS substitutes, stdin, evdev key events. (Missing FNC1 is judged by
the service: its `fnc1_missing` warning is tested in tests/scanner/test_doctor.py.)"""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner_client import sources
from scanner_client.sources import (
    KeyTranslator,
    key_to_char,
    parse_source,
    text_lines,
    translate_key_events,
)
from scanner_client.wedge import (
    DEFAULT_GS_SUBSTITUTES,
    GS,
    restore_gs,
)
from tests.scanner import imagegen as ig
from tests.scanner.conftest import run_client

PLAIN = ig.gs1_plain(serial="SER12345")  # 01..17..10LOT42<GS>21SER12345


@pytest.mark.parametrize("sub", ["{GS}", "<GS>", "^]", "[GS]", "{gs}", "<gs>", "\\x1d", "␝"])
def test_gs_substitutes_are_restored(sub: str) -> None:
    assert restore_gs(PLAIN.replace(GS, sub)) == PLAIN


def test_configured_substitute() -> None:
    assert restore_gs(PLAIN.replace(GS, "@@"), ["@@"]) == PLAIN
    assert restore_gs(PLAIN.replace(GS, "@@")) == PLAIN.replace(GS, "@@")  # not by default


def test_other_text_is_unchanged() -> None:
    for code in ["LOC:MAIN-A1", "]E04006381333931", "(01)00304094921341(10)A<B", "CMD:QTY:5"]:
        assert restore_gs(code) == code


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40))
def test_restore_is_idempotent(text: str) -> None:
    once = restore_gs(text)
    assert restore_gs(once) == once
    assert not any(sub in once for sub in DEFAULT_GS_SUBSTITUTES)


def test_the_client_has_no_gs1_parser_of_its_own() -> None:
    """One GS1 interpreter: the service's. The client only restores typed substitutes."""
    import scanner_client.wedge as wedge

    for gone in ("fnc1_warnings", "looks_like_gs1", "parse_elements"):
        assert not hasattr(wedge, gone)
    assert restore_gs("{GS}" + PLAIN.replace(GS, "")) == GS + PLAIN.replace(GS, "")


def test_text_lines_skip_blanks_and_keep_gs() -> None:
    stream = io.StringIO(f"LOC:A\n\n  \n{PLAIN}\r\n")
    assert list(text_lines(stream)) == ["LOC:A", PLAIN]


def test_stdin_cli_restores_gs_and_sends_the_rest_unchanged(tmp_path: Path) -> None:
    typed = "\n".join(
        [
            "LOC:MAIN-A1",
            PLAIN.replace(GS, "{GS}"),
            PLAIN.replace(GS, "^]"),
            PLAIN.replace(GS, "<GS>"),
            PLAIN.replace(GS, "|"),
            PLAIN.replace(GS, ""),
        ]
    )
    res = run_client(
        [
            "--server",
            "http://127.0.0.1:9",
            "--queue",
            str(tmp_path / "q.db"),
            "--source",
            "stdin",
            "--gs-substitute",
            "|",
            "--drain-timeout",
            "0",
            "--json",
        ],
        stdin=typed + "\n",
    )
    assert res.returncode == 0, res.stderr
    queued = res.of("queued")
    assert [q["body"]["code"] for q in queued[:4]] == [PLAIN] * 4
    assert all(q["warnings"] == [] for q in queued[:4])
    assert queued[4]["body"]["code"] == PLAIN.replace(GS, "")  # the service will warn
    assert queued[4]["warnings"] == []
    assert len({q["key"] for q in queued}) == 5  # one idempotency key per captured scan


# --- evdev -------------------------------------------------------------------------------------


def test_keycodes_match_the_kernel_table() -> None:
    ecodes = pytest.importorskip("evdev.ecodes")
    assert sources.KEY_ENTER == ecodes.KEY_ENTER
    assert sources.KEY_LEFTSHIFT == ecodes.KEY_LEFTSHIFT
    assert sources.KEY_RIGHTBRACE == ecodes.KEY_RIGHTBRACE
    assert key_to_char(ecodes.KEY_A, False) == "a"
    assert key_to_char(ecodes.KEY_A, True) == "A"
    assert key_to_char(ecodes.KEY_SEMICOLON, True) == ":"
    assert key_to_char(ecodes.KEY_MINUS, False) == "-"
    assert key_to_char(ecodes.KEY_1, True) == "!"
    assert key_to_char(ecodes.KEY_KP7, False) == "7"
    assert key_to_char(ecodes.KEY_LEFTCTRL, False) is None


def _events_for(text: str) -> list[tuple[int, int]]:
    """What a US-layout wedge scanner sends to type ``text`` and press Enter."""
    ecodes = pytest.importorskip("evdev.ecodes")
    reverse: dict[str, tuple[int, bool]] = {}
    for code in range(1, 120):
        for shift in (False, True):
            ch = key_to_char(code, shift)
            if ch is not None and ch not in reverse:
                reverse[ch] = (code, shift)
    out: list[tuple[int, int]] = []
    for ch in text:
        if ch == GS:  # Ctrl+]
            out += [(ecodes.KEY_LEFTCTRL, 1), (ecodes.KEY_RIGHTBRACE, 1)]
            out += [(ecodes.KEY_RIGHTBRACE, 0), (ecodes.KEY_LEFTCTRL, 0)]
            continue
        code, shift = reverse[ch]
        if shift:
            out.append((ecodes.KEY_LEFTSHIFT, 1))
        out += [(code, 1), (code, 0)]
        if shift:
            out.append((ecodes.KEY_LEFTSHIFT, 0))
    return [*out, (ecodes.KEY_ENTER, 1), (ecodes.KEY_ENTER, 0)]


def test_synthetic_scan_events_translate_to_codes() -> None:
    events = _events_for("LOC:MAIN-A1") + _events_for(PLAIN) + _events_for("CMD:QTY:5")
    assert list(translate_key_events(events)) == ["LOC:MAIN-A1", PLAIN, "CMD:QTY:5"]


def test_alt_keypad_code_caps_lock_and_autorepeat() -> None:
    ecodes = pytest.importorskip("evdev.ecodes")
    tr = KeyTranslator()
    seq = [
        (ecodes.KEY_CAPSLOCK, 1),
        (ecodes.KEY_CAPSLOCK, 0),
        (ecodes.KEY_A, 1),
        (ecodes.KEY_A, 2),  # autorepeat ignored
        (ecodes.KEY_A, 0),
        (ecodes.KEY_LEFTALT, 1),
        (ecodes.KEY_KP0, 1),
        (ecodes.KEY_KP0, 0),
        (ecodes.KEY_KP2, 1),
        (ecodes.KEY_KP2, 0),
        (ecodes.KEY_KP9, 1),
        (ecodes.KEY_KP9, 0),
        (ecodes.KEY_LEFTALT, 0),  # Alt+029 = GS
        (ecodes.KEY_LEFTSHIFT, 1),
        (ecodes.KEY_B, 1),  # CapsLock + Shift = lower case
        (ecodes.KEY_B, 0),
        (ecodes.KEY_LEFTSHIFT, 0),
        (ecodes.KEY_KPENTER, 1),
    ]
    lines = [line for c, v in seq if (line := tr.feed(c, v)) is not None]
    assert lines == ["A\x1db"]


def test_source_specs() -> None:
    assert parse_source("webcam").arg == 0
    assert parse_source("webcam:2").arg == 2
    assert parse_source("video:/x.mp4").finite
    assert parse_source("images:/d").frames
    assert not parse_source("evdev:/dev/input/event3").finite
    with pytest.raises(sources.SourceError):
        parse_source("ftp:x")
    with pytest.raises(sources.SourceError):
        parse_source("video:")


def _uinput_usable() -> bool:
    return os.access("/dev/uinput", os.W_OK)


@pytest.mark.skipif(not _uinput_usable(), reason="/dev/uinput not writable: no virtual device")
def test_real_evdev_device_is_grabbed_and_read() -> None:  # pragma: no cover - needs uinput
    evdev = pytest.importorskip("evdev")
    ecodes = evdev.ecodes
    keys = [c for c in range(1, 120)]
    ui = evdev.UInput({ecodes.EV_KEY: keys}, name="inventory-scan-test-scanner")
    try:
        time.sleep(0.5)
        lines: list[str] = []
        gen = sources.evdev_lines(ui.device.path)

        def reader() -> None:
            lines.append(next(gen))

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        time.sleep(0.3)
        for code, value in _events_for("LOC:MAIN-A1"):
            ui.write(ecodes.EV_KEY, code, value)
            ui.syn()
        th.join(5)
        assert lines == ["LOC:MAIN-A1"]
        gen.close()
    finally:
        ui.close()
