"""End to end against a LIVE inventory-svc: offline capture, restarts, exactly-once delivery.

Nothing here is mocked: the server is ``inventory-svc serve`` over a temporary SQLite file
(see conftest.py), the client is the ``inventory-scan`` command in a subprocess.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import cv2
import pytest

from tests.scanner import imagegen as ig
from tests.scanner.conftest import (
    Client,
    LiveServer,
    client_args,
    pack,
    run_client,
    server_scans,
    stock,
)

pytestmark = pytest.mark.e2e


def test_offline_scans_survive_client_restart_and_are_delivered_once(
    live_server_stopped: LiveServer, tmp_path: Path
) -> None:
    server, queue, device = live_server_stopped, tmp_path / "queue.db", "e2e-offline"
    args = client_args(server, queue, device, "--drain-timeout", "1")

    # 1. Server down. A finite session: 3 packs captured, queued, exit 0, output says so.
    first = run_client(
        [*args, "--json"],
        stdin="\n".join(["LOC:MAIN-A1", "CMD:RECEIVE", pack("S1"), pack("S2"), pack("S3")]) + "\n",
    )
    assert first.returncode == 0, first.stderr
    assert len(first.of("queued")) == 3
    (summary,) = first.of("summary")
    assert summary["pending"] == 3 and summary["delivered"] == 0

    # 2. Server still down. A running client captures 2 more, then dies hard (kill -9).
    crashing = Client(client_args(server, queue, device, "--location", "MAIN-A1"))
    crashing.scan(pack("S4"), pack("S5"))
    crashing.wait_for(lambda c: len(c.of("queued")) == 2)
    crashing.crash()

    status = run_client(["queue", "--queue", str(queue), "--json"])
    (q,) = status.of("queue")
    assert (q["pending"], q["sent"], q["rejected"]) == (5, 0, 0)
    keys = [e["key"] for e in first.of("queued") + crashing.of("queued")]

    # 3. The server comes up; a restarted client delivers everything by itself, in order.
    server.start()
    restarted = Client(client_args(server, queue, device, "--location", "MAIN-A1"))
    restarted.wait_for(lambda c: len(c.of("delivered")) == 5)
    assert restarted.finish() == 0
    delivered = restarted.of("delivered")
    assert [d["key"] for d in delivered] == keys
    assert all(d["response"]["item"]["name"] == "Epinephrine" for d in delivered)
    assert [d["response"]["barcode"]["serial"] for d in delivered] == [
        "S1",
        "S2",
        "S3",
        "S4",
        "S5",
    ]
    (summary,) = restarted.of("summary")
    assert summary["pending"] == 0

    # Exactly once on the server: five scans, five distinct keys, five units on the shelf.
    recorded = server_scans(server, device)
    assert sorted(r["idempotency_key"] for r in recorded) == sorted(keys)
    assert stock(server, "MAIN-A1") == 5

    # 4. A crash between "server applied it" and "queue marked it sent" means a resend under
    #    the same key: the server replays (200 + Idempotent-Replayed), nothing is applied twice.
    with sqlite3.connect(queue) as db:
        db.execute("UPDATE scans SET status='pending' WHERE key=?", (keys[-1],))
    flushed = run_client(
        ["flush", "--server", server.url, "--token", server.token, "--queue", str(queue), "--json"]
    )
    assert flushed.returncode == 0, flushed.stderr
    (replay,) = flushed.of("delivered")
    assert replay["key"] == keys[-1] and replay["replayed"] is True
    assert replay["http_status"] == 200
    assert stock(server, "MAIN-A1") == 5
    assert len(server_scans(server, device)) == 5


def test_running_client_retries_by_itself_across_a_server_restart(
    live_server: LiveServer, tmp_path: Path
) -> None:
    server, device = live_server, "e2e-retry"
    client = Client(client_args(server, tmp_path / "q.db", device, "--location", "SAT-ICU"))
    client.scan("CMD:RECEIVE", pack("R1", lot="RETRY-LOT"))
    client.wait_for(lambda c: len(c.of("delivered")) == 1)

    server.stop()  # the server restarts / the network drops
    client.scan(pack("R2", lot="RETRY-LOT"), pack("R3", lot="RETRY-LOT"))
    client.wait_for(lambda c: len(c.of("retry")) >= 2)
    assert any(s["state"] == "offline" for s in client.of("status"))

    server.start()  # no new input: the background sender notices on its own
    client.wait_for(lambda c: len(c.of("delivered")) == 3, timeout=90)
    assert client.finish() == 0
    assert stock(server, "SAT-ICU", lot="RETRY-LOT") == 3
    assert len(server_scans(server, device)) == 3


def test_rejections_are_kept_shown_with_a_bell_and_not_retried(
    live_server: LiveServer, tmp_path: Path
) -> None:
    server, queue, device = live_server, tmp_path / "q.db", "e2e-reject"
    res = run_client(
        client_args(server, queue, device, "--location", "MAIN-A1"),
        stdin="\n".join(
            [
                "CMD:ISSUE",
                "4006381333931",  # EAN-13 of no item in the demo catalogue
                "LOC:NO-SUCH-PLACE",
                pack("X1"),
                "LOC:MAIN-A1",
                "KIT:NO-SUCH-KIT",
                "CMD:RESTOCK",
                pack("X2"),
            ]
        )
        + "\n",
    )
    assert res.returncode == 0, res.stderr
    assert "\a" in res.stdout  # terminal bell on rejection
    assert "REJECTED" in res.stdout and "unknown_item" in res.stdout
    status = run_client(["queue", "--queue", str(queue), "--json"])
    (q,) = status.of("queue")
    assert q["pending"] == 0 and q["rejected"] == 3
    codes = {r["error_code"] for r in q["rejections"]}
    assert "unknown_item" in codes
    assert all(r["http_status"] and 400 <= r["http_status"] < 500 for r in q["rejections"])
    # the server recorded each rejected scan exactly once (no retries of 4xx)
    recorded = server_scans(server, device)
    assert len(recorded) == 3 and all(r["status"] == "rejected" for r in recorded)
    # the restock scan named the kit as to_location
    restock = [r for r in recorded if r["action"] == "restock"]
    assert restock and restock[0]["to_location"] in ("NO-SUCH-KIT", None)


def test_camera_pipeline_video_and_images_to_live_server(
    live_server: LiveServer, tmp_path: Path
) -> None:
    server, queue = live_server, tmp_path / "q.db"
    dm = [ig.gs1_datamatrix(ig.gs1_bracketed(lot="CAM-LOT", serial=s), scale=6) for s in "AB"]
    frames = (
        ig.held(ig.code128_label("LOC:SAT-ICU"), 12, seed=1, max_fraction=0.9)
        + [ig.blank()] * 3
        + ig.held(dm[0], 30, seed=2)
        + [ig.blank()] * 5
        + ig.held(dm[1], 30, seed=3)
    )
    video = ig.write_video(tmp_path / "bench.avi", frames, 10.0)
    res = run_client(
        [
            "--server",
            server.url,
            "--token",
            server.token,
            "--queue",
            str(queue),
            "--device",
            "e2e-cam",
            "--source",
            f"video:{video}",
            "--action",
            "receive",
            "--json",
        ]
    )
    assert res.returncode == 0, res.stderr
    delivered = res.of("delivered")
    assert [d["response"]["barcode"]["serial"] for d in delivered] == ["A", "B"]
    assert all(d["response"]["barcode"]["symbology"] == "]d2" for d in delivered)
    assert stock(server, "SAT-ICU", lot="CAM-LOT") == 2

    images = tmp_path / "imgs"
    images.mkdir()
    cv2.imwrite(str(images / "a.png"), ig.rotate(ig.on_canvas(dm[0]), 30))
    res = run_client(
        [
            "--server",
            server.url,
            "--token",
            server.token,
            "--queue",
            str(queue),
            "--device",
            "e2e-cam",
            "--location",
            "SAT-ICU",
            "--action",
            "lookup",
            "--source",
            f"images:{images}",
        ]
    )
    assert res.returncode == 0, res.stderr
    assert "Epinephrine" in res.stdout and "LOOKUP" in res.stdout
    assert stock(server, "SAT-ICU", lot="CAM-LOT") == 2


def test_bad_token_keeps_scans_queued(live_server: LiveServer, tmp_path: Path) -> None:
    queue = tmp_path / "q.db"
    res = run_client(
        [
            "--server",
            live_server.url,
            "--token",
            "inv_not-a-real-key",
            "--queue",
            str(queue),
            "--location",
            "MAIN-A1",
            "--json",
            "--drain-timeout",
            "1",
        ],
        stdin=pack("T1") + "\n",
    )
    assert res.returncode == 0
    assert any(e.get("http_status") == 401 for e in res.of("config"))
    ok = run_client(
        ["flush", "--server", live_server.url, "--token", live_server.token, "--queue", str(queue)]
    )
    assert ok.returncode == 0 and "nothing left in the queue" in ok.stdout
