"""Generated videos (MJPG/AVI): a held code counts once, different serials twice, and the same
non-serial code counts twice only when it left the view in between."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner_client.debounce import Debouncer
from scanner_client.decoding import Decoder
from scanner_client.sources import SourceError, image_frames, video_frames
from tests.scanner import imagegen as ig
from tests.scanner.conftest import run_client

FPS = 10.0


def counted(path: Path, window: float = 2.0) -> list[str]:
    decoder, debouncer = Decoder("zxing"), Debouncer(window=window)
    out: list[str] = []
    for item in video_frames(str(path)):
        assert item.frame is not None
        out += debouncer.frame(item.t, [d.text for d in decoder.decode(item.frame)])
    return out


def dm(serial: str | None) -> ig.Frame:
    return ig.gs1_datamatrix(ig.gs1_bracketed(serial=serial), scale=6)


@pytest.fixture(scope="module")
def serials_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pack SN1 held 4 s (longer than the 2 s window), gone 0.5 s, pack SN2 held 3 s."""
    frames = (
        [ig.blank()] * 5
        + ig.held(dm("SN1"), 40, seed=1)
        + [ig.blank()] * 5
        + ig.held(dm("SN2"), 30, seed=2)
        + [ig.blank()] * 3
    )
    return ig.write_video(tmp_path_factory.mktemp("video") / "serials.avi", frames, FPS)


@pytest.fixture(scope="module")
def non_serial_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same non-serialised code, out of view for 1 s (shorter than the window), back."""
    code = dm(None)
    frames = ig.held(code, 20, seed=3) + [ig.blank()] * 10 + ig.held(code, 20, seed=4)
    return ig.write_video(tmp_path_factory.mktemp("video") / "nonserial.avi", frames, FPS)


def test_held_code_counts_once_and_different_serials_count_twice(serials_video: Path) -> None:
    assert counted(serials_video) == [
        "]d2" + ig.gs1_plain(serial="SN1"),
        "]d2" + ig.gs1_plain(serial="SN2"),
    ]


def test_same_code_leaving_the_view_counts_twice(non_serial_video: Path) -> None:
    code = "]d2" + ig.gs1_plain(serial=None)
    assert counted(non_serial_video) == [code, code]


def test_decode_flicker_does_not_double_count(tmp_path: Path) -> None:
    """A frame or two without a decode (motion blur) is not 'leaving the view'."""
    frames = []
    for i, f in enumerate(ig.held(dm("SN7"), 50, seed=5)):
        frames.append(ig.blank() if i % 12 == 6 or i % 12 == 7 else f)
    path = ig.write_video(tmp_path / "flicker.avi", frames, FPS)
    assert counted(path) == ["]d2" + ig.gs1_plain(serial="SN7")]


def test_label_held_then_pack(tmp_path: Path) -> None:
    frames = (
        ig.held(ig.code128_label("LOC:MAIN-A1"), 15, seed=6, max_fraction=0.9)
        + [ig.blank()] * 3
        + ig.held(dm("SN8"), 15, seed=7)
    )
    path = ig.write_video(tmp_path / "loc_then_pack.avi", frames, FPS)
    assert counted(path) == ["]C0LOC:MAIN-A1", "]d2" + ig.gs1_plain(serial="SN8")]


def test_video_source_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot open video"):
        next(video_frames(str(tmp_path / "missing.avi")))
    with pytest.raises(SourceError, match="not a directory"):
        next(image_frames(tmp_path / "nope"))


def test_cli_video_source_queues_each_pack_once_while_server_is_down(
    serials_video: Path, tmp_path: Path
) -> None:
    """No server listening: scans are captured and queued; exit 0 and the output says so."""
    res = run_client(
        [
            "--server",
            "http://127.0.0.1:9",
            "--token",
            "k",
            "--queue",
            str(tmp_path / "q.db"),
            "--source",
            f"video:{serials_video}",
            "--location",
            "MAIN-A1",
            "--drain-timeout",
            "0.5",
            "--json",
        ]
    )
    assert res.returncode == 0, res.stderr
    queued = res.of("queued")
    assert [q["body"]["code"] for q in queued] == [
        "]d2" + ig.gs1_plain(serial="SN1"),
        "]d2" + ig.gs1_plain(serial="SN2"),
    ]
    (summary,) = res.of("summary")
    assert summary["pending"] == 2 and summary["captured"] == 2
