"""command-sheet output is scannable; CLI plumbing (default command, queue, flush, errors)."""

from __future__ import annotations

import signal
from pathlib import Path

import cv2
import numpy as np
import pytest

from scanner_client.decoding import Decoder
from scanner_client.sheet import SHEET_ACTIONS, SHEET_COMMANDS
from tests.scanner import imagegen as ig
from tests.scanner.conftest import Client, run_client


def test_command_sheet_png_decodes_to_every_label(tmp_path: Path) -> None:
    out = tmp_path / "sheet.png"
    res = run_client(
        ["command-sheet", "--out", str(out), "--location", "MAIN-A1", "--kit", "CC-01"]
        + [arg for i in range(8) for arg in ("--location", f"BIN-{i}")]
    )
    assert res.returncode == 0, res.stderr
    assert out.exists()
    texts: set[str] = set()
    for path in res.stdout.split():  # one path per page
        page = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
        texts |= {d.text for d in Decoder("zxing", ["Code128"]).decode(page)}
    expected = {f"]C0CMD:{a}" for a in SHEET_ACTIONS} | {"]C0LOC:MAIN-A1", "]C0KIT:CC-01"}
    expected |= {"]C0CMD:QTY:2", "]C0CMD:QTY:100"} | {f"]C0{d}" for d, _c in SHEET_COMMANDS}
    assert {"]C0CMD:SEAL", "]C0KIT:"} <= expected <= texts


def test_command_sheet_pdf(tmp_path: Path) -> None:
    out = tmp_path / "sheet.pdf"
    res = run_client(["command-sheet", "--out", str(out)])
    assert res.returncode == 0, res.stderr
    assert out.read_bytes().startswith(b"%PDF")


def test_command_sheet_rejects_other_formats(tmp_path: Path) -> None:
    res = run_client(["command-sheet", "--out", str(tmp_path / "x.gif")])
    assert res.returncode == 2 and ".pdf or .png" in res.stderr


def test_images_source_each_image_once_sorted(tmp_path: Path) -> None:
    d = tmp_path / "imgs"
    d.mkdir()
    cv2.imwrite(str(d / "01_loc.png"), ig.on_canvas(ig.code128_label("LOC:SAT-ICU")))
    cv2.imwrite(str(d / "02_pack.png"), ig.on_canvas(ig.gs1_datamatrix(ig.gs1_bracketed())))
    cv2.imwrite(
        str(d / "03_same_pack_again.jpg"), ig.on_canvas(ig.gs1_datamatrix(ig.gs1_bracketed()))
    )
    cv2.imwrite(str(d / "04_nothing.png"), ig.blank())
    (d / "notes.txt").write_text("not an image")
    res = run_client(
        [
            "--server",
            "http://127.0.0.1:9",
            "--queue",
            str(tmp_path / "q.db"),
            "--source",
            f"images:{d}",
            "--json",
            "--drain-timeout",
            "0",
        ]
    )
    assert res.returncode == 0, res.stderr
    queued = res.of("queued")
    assert len(queued) == 2  # two images of the pack = two deliberate captures
    assert all(q["body"]["location"] == "SAT-ICU" for q in queued)
    assert res.of("context")[0]["value"] == "SAT-ICU"


def test_scan_without_location_is_not_sent_but_kept(tmp_path: Path) -> None:
    q = str(tmp_path / "q.db")
    res = run_client(
        ["--server", "http://127.0.0.1:9", "--queue", q, "--json", "--drain-timeout", "0"],
        stdin="0100304094921341\n",
    )
    assert res.returncode == 0
    assert res.of("not_sent") and not res.of("queued")
    info = run_client(["queue", "--queue", q, "--json"])
    (event,) = info.of("queue")
    assert event["rejected"] == 1 and event["rejections"][0]["error_code"] == "no_location"


def test_token_never_printed(tmp_path: Path) -> None:
    secret = "inv_thisMustNeverBePrinted_0123456789"
    res = run_client(
        [
            "--server",
            "http://127.0.0.1:9",
            "--token",
            secret,
            "--queue",
            str(tmp_path / "q.db"),
            "--location",
            "X",
            "--drain-timeout",
            "0.2",
        ],
        stdin="0100304094921341\n",
    )
    assert secret not in res.stdout + res.stderr
    assert "still queued" in res.stdout  # the user is told scans wait for the server


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    res = run_client(["--source", "bogus:1", "--queue", str(tmp_path / "q.db")])
    assert res.returncode == 2 and "unknown source" in res.stdout + res.stderr
    res = run_client(["--server", "nope", "--queue", str(tmp_path / "q.db")])
    assert res.returncode == 2 and "configuration error" in res.stderr
    res = run_client(
        ["--source", f"video:{tmp_path / 'missing.avi'}", "--queue", str(tmp_path / "q.db")]
    )
    assert res.returncode == 2 and "cannot open video" in res.stdout


def test_env_configuration(tmp_path: Path) -> None:
    env = {
        "INVENTORY_SCAN_SERVER": "http://127.0.0.1:9",
        "INVENTORY_SCAN_QUEUE": str(tmp_path / "q.db"),
        "INVENTORY_SCAN_LOCATION": "SAT-ICU",
        "INVENTORY_SCAN_ACTION": "issue",
        "INVENTORY_SCAN_DEVICE": "bench-7",
        "INVENTORY_SCAN_SOURCE": "stdin",
        "INVENTORY_SCAN_DRAIN_TIMEOUT": "0",
        "INVENTORY_SCAN_JSON": "1",
    }
    res = run_client([], stdin="0100304094921341\n", env=env)
    (q,) = res.of("queued")
    assert q["body"]["location"] == "SAT-ICU" and q["body"]["action"] == "issue"
    assert q["body"]["device"] == "bench-7"
    assert np.isfinite(len(q["key"]))


def test_sigterm_ends_a_running_client_gracefully(tmp_path: Path) -> None:
    client = Client(
        ["--server", "http://127.0.0.1:9", "--queue", str(tmp_path / "q.db"), "--location", "L"]
    )
    client.scan("0100304094921341")
    client.wait_for(lambda c: len(c.of("queued")) == 1)
    client.proc.send_signal(signal.SIGTERM)
    assert client.proc.wait(30) == 0
    client._reader.join(5)
    (summary,) = client.of("summary")
    assert summary["interrupted"] and summary["pending"] == 1


def test_preview_degrades_to_a_warning_without_gui(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner_client.runner import Preview

    warnings: list[str] = []

    class Sink:
        def warning(self, message: str) -> None:
            warnings.append(message)

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not Preview(Sink()).enabled  # type: ignore[arg-type]
    monkeypatch.setenv("DISPLAY", ":99")
    p = Preview(Sink())  # type: ignore[arg-type]
    if not p.enabled:  # headless OpenCV (the default install)
        assert "no GUI support" in warnings[-1] or "no display" in warnings[-1]
    assert p.show(ig.blank(), []) in (True, False)
    p.close()
