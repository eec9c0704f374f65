"""A crash cart and a tray restocked and sealed with the scanner alone, against a LIVE server.

The server is a real ``inventory-svc serve`` on SQLite (conftest.py). The data (items with
GTINs, a source shelf stocked by receive scans, a kit template, two kits) is set up through
the API with an admin key; then, with the server DOWN, the client runs from stdin (cart A)
and from a folder of generated barcode images (tray B): every restock scan and the seal scans
are queued in capture order, the seal behind the items. When the server is back, ``flush``
delivers them in that order; a seal scanned while a slot is short is refused with the short
slots (``409 kit_incomplete``), the later one seals the kit: ``ready`` with that seal number.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import cv2
import httpx
import pytest

from tests.scanner import imagegen as ig
from tests.scanner.conftest import LiveServer, client_args, run_client

pytestmark = [
    pytest.mark.e2e,
]

SOURCE = "KSRC-SHELF"
HOME = "KSRC-ED"
EXPIRY = "301231"  # 2030-12-31: far beyond any minimum shelf life
_serials = itertools.count(1)


def gtin(body13: str) -> str:
    return body13 + ig.gtin_check_digit(body13)


EPI = gtin("0061414199001")  # fresh GTINs: no demo item has them
AMIO = gtin("0061414199002")
ATRO = gtin("0061414199003")


def api(server: LiveServer, method: str, path: str, body: Any = None) -> Any:
    """One admin API call; anything but 2xx fails the test with the server's problem."""
    headers = {"Authorization": f"Bearer {server.token}"}
    if method == "POST":
        headers["Idempotency-Key"] = str(uuid.uuid4())
    resp = httpx.request(
        method, f"{server.url}/api/v1{path}", json=body, headers=headers, timeout=30.0
    )
    assert resp.is_success, f"{method} {path}: {resp.status_code} {resp.text}"
    return resp.json() if resp.content else None


def element_string(gtin14: str, lot: str) -> str:
    """A GS1 element string with the lot last (no FNC1 needed), a serial-free pack."""
    return f"01{gtin14}17{EXPIRY}10{lot}"


def set_up(server: LiveServer) -> dict[str, int]:
    """Items, the source shelf with stock, the ED home, a template and two kits."""
    ids: dict[str, int] = {}
    for name, code in (("Kit epinephrine 1 mg", EPI), ("Kit amiodarone", AMIO)):
        item = api(
            server,
            "POST",
            "/items",
            {"name": name, "identifiers": [{"kind": "gtin", "value": code, "units": 1}]},
        )
        ids[code] = int(item["id"])
    item = api(
        server,
        "POST",
        "/items",
        {"name": "Kit atropine", "identifiers": [{"kind": "gtin", "value": ATRO, "units": 1}]},
    )
    ids[ATRO] = int(item["id"])
    api(server, "POST", "/locations", {"code": SOURCE, "name": "Kit source", "kind": "shelf"})
    api(server, "POST", "/locations", {"code": HOME, "name": "Emergency", "kind": "satellite"})
    for code, lot in ((EPI, "EPI-L1"), (AMIO, "AMI-L1"), (ATRO, "ATR-L1")):
        api(
            server,
            "POST",
            "/scans",
            {
                "code": element_string(code, lot),
                "action": "receive",
                "location": SOURCE,
                "quantity": 10,
                "device": "kit-setup",
            },
        )
    api(
        server,
        "POST",
        "/kit-templates",
        {
            "code": "ADULT-CC",
            "name": "Adult crash cart",
            "kind": "crash_cart",
            "lines": [
                {
                    "slot": "epinephrine 1 mg",
                    "items": [ids[EPI]],
                    "quantity": 2,
                    "min_days_to_expiry": 30,
                },
                {
                    "slot": "amiodarone",
                    "items": [ids[AMIO]],
                    "quantity": 1,
                    "min_days_to_expiry": 30,
                },
            ],
        },
    )
    api(
        server,
        "POST",
        "/kit-templates",
        {
            "code": "BRADY-TRAY",
            "name": "Bradycardia tray",
            "kind": "kit",
            "lines": [
                {"slot": "atropine", "items": [ids[ATRO]], "quantity": 2, "min_days_to_expiry": 30}
            ],
        },
    )
    api(server, "POST", "/kits", {"code": "CART-A", "template": "ADULT-CC", "home_location": HOME})
    api(
        server, "POST", "/kits", {"code": "TRAY-B", "template": "BRADY-TRAY", "home_location": HOME}
    )
    return ids


def queued_bodies(queue: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(queue) as db:
        rows = db.execute("SELECT body FROM scans WHERE status='pending' ORDER BY seq").fetchall()
    return [json.loads(r[0]) for r in rows]


def stock_at(server: LiveServer, location: str, gtin14: str) -> int:
    rows = server.get("/api/v1/stock", location=location, gtin=gtin14)
    return sum(int(r["quantity"]) for r in rows)


def test_restock_and_seal_offline_with_stdin_and_images_then_deliver_in_order(
    live_server_stopped: LiveServer, tmp_path: Path
) -> None:
    server, queue, device = live_server_stopped, tmp_path / "queue.db", "kit-bench"
    server.start()
    set_up(server)
    server.stop()  # from here on the scanner works offline

    # (a) cart A from a keyboard-wedge scanner: part of it, a seal too early, the rest, a seal
    stdin = [
        "CMD:RESTOCK",
        f"LOC:{SOURCE}",
        "KIT:CART-A",
        "CMD:QTY:2",
        element_string(EPI, "EPI-L1"),
        "CMD:REMOVE",  # one unit back to the shelf: kit -> current location
        element_string(EPI, "EPI-L1"),
        "CMD:RESTOCK",
        element_string(EPI, "EPI-L1"),
        "CMD:SEAL",
        "SEAL-A-0000",  # amiodarone still missing: refused, kit_incomplete
        element_string(AMIO, "AMI-L1"),
        "CMD:SEAL",
        "SEAL-A-0001",
    ]
    first = run_client(
        client_args(server, queue, device, "--json", "--drain-timeout", "1"),
        stdin="\n".join(stdin) + "\n",
    )
    assert first.returncode == 0, first.stderr
    assert first.of("not_sent") == [] and first.of("delivered") == []
    assert [e["kind"] for e in first.of("context") if e["error"]] == []

    # ... and tray B from photos of the labels (zxing reads them with their ]C0 / ]d2 prefix)
    images = tmp_path / "images"
    images.mkdir()
    atropine = ig.gs1_datamatrix(f"(01){ATRO}(17){EXPIRY}(10)ATR-L1")
    shots = [
        ig.code128_label("CMD:RESTOCK"),
        ig.code128_label(f"LOC:{SOURCE}"),
        ig.code128_label("KIT:TRAY-B"),
        atropine,
        atropine,  # a second unit of the same lot: a second deliberate capture
        ig.code128_label("CMD:SEAL"),
        ig.code128_label("SEAL-B-0002"),
    ]
    for n, shot in enumerate(shots):
        cv2.imwrite(str(images / f"{n:02d}.png"), ig.on_canvas(shot))
    second = run_client(
        [
            "--server",
            server.url,
            "--token",
            server.token,
            "--queue",
            str(queue),
            "--device",
            device,
            "--source",
            f"images:{images}",
            "--json",
            "--drain-timeout",
            "1",
        ]
    )
    assert second.returncode == 0, second.stderr
    assert second.of("not_sent") == [] and second.of("delivered") == []

    queued = first.of("queued") + second.of("queued")
    keys = [q["key"] for q in queued]
    expected = [
        ("restock", SOURCE, "CART-A", 2),
        ("remove", "CART-A", SOURCE, None),
        ("restock", SOURCE, "CART-A", None),
        ("seal", "CART-A", None, None),
        ("restock", SOURCE, "CART-A", None),
        ("seal", "CART-A", None, None),
        ("restock", SOURCE, "TRAY-B", None),
        ("restock", SOURCE, "TRAY-B", None),
        ("seal", "TRAY-B", None, None),
    ]
    bodies = queued_bodies(queue)
    assert [b["code"] for b in bodies] == [q["body"]["code"] for q in queued]
    assert [
        (b["action"], b["location"], b.get("to_location"), b.get("quantity")) for b in bodies
    ] == expected
    assert [b["code"] for b in bodies if b["action"] == "seal"] == [
        "SEAL-A-0000",
        "SEAL-A-0001",
        "SEAL-B-0002",
    ]
    assert all("restock_session" not in b for b in bodies)  # no session id: works offline

    # (b) the server is back: the queue drains in capture order
    server.start()
    flushed = run_client(
        [
            "flush",
            "--server",
            server.url,
            "--token",
            server.token,
            "--queue",
            str(queue),
            "--json",
            "--drain-timeout",
            "30",
        ]
    )
    assert flushed.returncode == 0, flushed.stderr
    settled = [e for e in flushed.events if e.get("event") in ("delivered", "rejected", "parked")]
    assert [e["key"] for e in settled] == keys
    assert [e["event"] for e in settled] == [
        "delivered",
        "delivered",
        "delivered",
        "rejected",  # the early seal
        "delivered",
        "delivered",
        "delivered",
        "delivered",
        "delivered",
    ]
    early = settled[3]
    assert (early["http_status"], early["error_code"]) == (409, "kit_incomplete")
    assert [(s["slot"], s["missing"]) for s in early["slots"] if s["missing"]] == [
        ("amiodarone", 1)
    ]
    assert "NOT sealed" in early["kit_line"] and "amiodarone" in early["kit_line"]
    # after each restock scan the feedback names the slots still short
    assert settled[0]["kit"]["code"] == "CART-A"
    assert [(s["slot"], s["missing"]) for s in settled[0]["kit"]["short"]] == [("amiodarone", 1)]
    assert settled[0]["kit_line"] == "KIT CART-A short: amiodarone \u00d71"
    assert settled[1]["kit_line"] == (
        "KIT CART-A short: epinephrine 1 mg \u00d71, amiodarone \u00d71"
    )
    assert settled[2]["kit_line"] == "KIT CART-A short: amiodarone \u00d71"
    assert settled[4]["kit_line"] == "KIT CART-A complete"
    assert settled[5]["kit_line"] == "KIT CART-A sealed with seal SEAL-A-0001 (ready)"
    assert settled[6]["kit_line"] == "KIT TRAY-B short: atropine \u00d71"
    assert settled[7]["kit_line"] == "KIT TRAY-B complete"
    (summary,) = flushed.of("summary")
    assert summary["pending"] == 0 and summary["delivered"] == 8 and summary["rejected"] == 1

    for code, seal in (("CART-A", "SEAL-A-0001"), ("TRAY-B", "SEAL-B-0002")):
        kit = server.get(f"/api/v1/kits/{code}")
        assert kit["code"] == code
        assert kit["status"] == "ready" and kit["ready"] is True
        assert kit["seal_number"] == seal
        assert kit["expiry"].startswith("2030-12-31")
        assert all(s["missing"] == 0 and s["present"] == s["required"] for s in kit["slots"])
    assert stock_at(server, "CART-A", EPI) == 2 and stock_at(server, "CART-A", AMIO) == 1
    assert stock_at(server, "TRAY-B", ATRO) == 2
    assert stock_at(server, SOURCE, EPI) == 8 and stock_at(server, SOURCE, ATRO) == 8
