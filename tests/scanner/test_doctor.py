"""``inventory-scan doctor`` on a generated test sheet (stdin and images sources), and the
service's ``fnc1_missing`` warning as the client shows it."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import cv2
import pytest

from scanner_client.cli import main
from scanner_client.doctor import LAYOUTS, SHEET, diagnose, diagnose_read, write_test_sheet
from tests.scanner import imagegen as ig
from tests.scanner.conftest import LiveServer, run_client

GS = "\x1d"


def _doctor(args: list[str], stdin: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        rc = main(["doctor", *args, "--json"])
    finally:
        sys.stdin = old
    return rc, json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def sheet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sheet")
    write_test_sheet(folder / "sheet.png")
    return folder


def test_the_printed_sheet_read_by_the_camera_decoder_is_all_ok(
    sheet_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, report = _doctor(["--source", f"images:{sheet_dir}"], "", capsys)
    assert rc == 0, report
    assert report["ok"] and report["missing"] == []
    assert sorted(f["code"] for f in report["findings"]) == sorted(c.key for c in SHEET)


def test_a_photo_of_the_sheet_rotated_and_blurred_still_reads(
    sheet_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = cv2.imread(str(sheet_dir / "sheet.png"))
    cv2.imwrite(str(tmp_path / "photo.png"), ig.blur(ig.rotate(page, 4), 3))
    rc, report = _doctor(["--source", f"images:{tmp_path}"], "", capsys)
    assert rc == 0, report


def test_sheet_as_pdf(tmp_path: Path) -> None:
    (path,) = write_test_sheet(tmp_path / "sheet.pdf")
    assert path.read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match=r"pdf or \.png"):
        write_test_sheet(tmp_path / "sheet.txt")


def _fr(text: str) -> str:
    return "".join(LAYOUTS["French (AZERTY)"].get(ch, ch) for ch in text)


def _de(text: str) -> str:
    return "".join(LAYOUTS["German (QWERTZ)"].get(ch, ch) for ch in text)


# A keyboard-wedge scanner with each fault, typing every code of the sheet.
FAULTS: dict[str, tuple[Callable[[str], str], set[str], str]] = {
    "correct, GS as GS": (lambda t: t, set(), ""),
    "correct, GS as {GS}": (lambda t: t.replace(GS, "{GS}"), set(), ""),
    "no AIM prefix": (lambda t: t[3:], {"no_aim"}, "Transmit AIM symbology identifier"),
    "GS dropped": (lambda t: t.replace(GS, ""), {"gs_dropped"}, "Transmit FNC1 as <GS>"),
    "GS replaced by ~": (lambda t: t.replace(GS, "~"), {"gs_replaced"}, "--gs-substitute '~'"),
    "CapsLock": (str.swapcase, {"capslock"}, "CapsLock"),
    "German host layout": (_de, {"layout:German (QWERTZ)"}, "Keyboard country"),
    "French host layout": (_fr, {"layout:French (AZERTY)"}, "French (AZERTY)"),
    "no AIM and GS dropped": (
        lambda t: t[3:].replace(GS, ""),
        {"no_aim", "gs_dropped"},
        "Transmit FNC1",
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_stdin_scanner_faults_are_diagnosed_in_one_step(
    fault: str, capsys: pytest.CaptureFixture[str]
) -> None:
    typed, expected_faults, advice = FAULTS[fault]
    lines = "\n".join(typed(code.text) for code in SHEET) + "\n"
    rc, report = _doctor([], lines, capsys)
    found = {f for finding in report["findings"] for f in finding["faults"]}
    assert found == expected_faults, report
    assert rc == (0 if not expected_faults else 1)
    assert report["missing"] == []
    if advice:
        assert any(advice in line for line in report["advice"]), report["advice"]


def test_gs_dropped_only_shows_on_codes_with_a_separator() -> None:
    report = diagnose([code.text.replace(GS, "") for code in SHEET])
    faults = {f.code.key: f.faults for f in report.findings if f.code}
    assert faults == {
        "gs1-datamatrix": ["gs_dropped"],
        "gs1-128": ["gs_dropped"],
        "code128": [],
        "ean13": [],
    }


def test_unknown_and_missing_codes() -> None:
    finding = diagnose_read("hello")
    assert finding.code is None and finding.faults == ["unknown"]
    report = diagnose([SHEET[3].text])
    assert [c.key for c in report.missing] == [c.key for c in SHEET[:3]]
    assert not report.ok
    assert any("Not read: GS1 DataMatrix" in line for line in report.advice())


def test_configured_substitute_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    lines = "\n".join(code.text.replace(GS, "~") for code in SHEET) + "\n"
    rc, report = _doctor(["--gs-substitute", "~"], lines, capsys)
    assert rc == 0, report


def test_doctor_sheet_command_writes_the_file(tmp_path: Path) -> None:
    assert main(["doctor", "--sheet", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").is_file()
    assert main(["doctor", "--source", "webcam"]) == 2


# --- the service judges missing FNC1; the client shows what it says ----------------------


def test_a_scanner_dropping_gs_gets_the_services_fnc1_warning(
    live_server: LiveServer, tmp_path: Path
) -> None:
    server = live_server
    code = "]d2" + ig.gs1_plain(lot="NOGS1", serial="SER99").replace(GS, "")
    res = run_client(
        [
            "--server",
            server.url,
            "--token",
            server.token,
            "--queue",
            str(tmp_path / "q.db"),
            "--device",
            "doctor-e2e",
            "--location",
            "SAT-ICU",
            "--action",
            "receive",
            "--source",
            "stdin",
            "--json",
        ],
        stdin=code + "\n",
    )
    assert res.returncode == 0, res.stderr
    (delivered,) = res.of("delivered")
    codes = [w["code"] for w in delivered["response"]["warnings"]]
    assert "fnc1_missing" in codes
    assert any("fnc1_missing" in w and "FNC1" in w for w in delivered["warnings"])
