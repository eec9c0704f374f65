"""One bad scan must not stall a scanner: 403 rejections and parked scans, against a LIVE server.

The server and the client are real processes. The service never answers 500 for a scan (a
scan's own faults are recorded 4xx), so the scans that must fail go through
``faulty_proxy``: a real HTTP proxy in front of the live server that fails the scans whose
body contains a marker (here: the lot number) and passes everything else through.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import cv2
import pytest

from scanner_client.queue import SCHEMA_VERSION
from tests.scanner import imagegen as ig
from tests.scanner.conftest import (
    Client,
    ClientResult,
    LiveServer,
    client_args,
    pack,
    run_client,
    server_scans,
    stock,
)
from tests.scanner.faulty_proxy import FaultyProxy

pytestmark = pytest.mark.e2e

GOOD, BAD = "GOOD-LOT", "POISON-LOT"


def queue_status(queue: Path) -> dict[str, Any]:
    (event,) = run_client(["queue", "--queue", str(queue), "--json"]).of("queue")
    return event


def queue_cmd(queue: Path, *args: str) -> dict[str, Any]:
    res = run_client(["queue", "--queue", str(queue), "--json", *args])
    assert res.returncode == 0, res.stderr
    (event,) = res.of("queue")
    return event


def flush(url: str, server: LiveServer, queue: Path) -> ClientResult:
    res = run_client(
        ["flush", "--server", url, "--token", server.token, "--queue", str(queue), "--json"]
    )
    assert res.returncode == 0, res.stderr
    return res


def fast_backoff(tmp_path: Path) -> str:
    """A config file with short backoff (not a flag: users have no reason to tune it)."""
    path = tmp_path / "fast.toml"
    path.write_text("[scanner]\nbackoff-base = 0.05\nbackoff-cap = 0.2\n")
    return str(path)


def test_forbidden_scan_is_rejected_and_the_next_scans_are_delivered(
    live_server: LiveServer, tmp_path: Path
) -> None:
    server, queue, device = live_server, tmp_path / "q.db", "park-403"
    scanner_key = server.create_key("scanner", "parking-tests-scanner")  # may not transfer
    args = client_args(server, queue, device, "--json", "--to-location", "SAT-ICU")
    args[args.index("--token") + 1] = scanner_key
    res = run_client(
        args,
        stdin="\n".join(
            [
                "LOC:MAIN-A1",
                "CMD:TRANSFER",
                pack("F1", lot=GOOD),  # refused: the scanner role may not transfer
                "CMD:RECEIVE",
                pack("F2", lot=GOOD),
                pack("F3", lot=GOOD),
            ]
        )
        + "\n",
    )
    assert res.returncode == 0, res.stderr
    (rejected,) = res.of("rejected")
    assert (rejected["http_status"], rejected["error_code"]) == (403, "forbidden")
    assert [d["response"]["barcode"]["serial"] for d in res.of("delivered")] == ["F2", "F3"]
    assert res.of("config") == []  # not a configuration error: no "check your token"
    assert all(s["state"] != "unauthorized" for s in res.of("status"))
    (summary,) = res.of("summary")
    assert (summary["pending"], summary["delivered"], summary["rejected"]) == (0, 2, 1)

    q = queue_status(queue)
    assert (q["pending"], q["rejected"], q["sent"], q["parked"]) == (0, 1, 2, 0)
    assert q["rejections"][0]["error_code"] == "forbidden"
    assert q["rejections"][0]["http_status"] == 403

    recorded = server_scans(server, device)  # the refusal is on record on the server too
    assert sorted((r["action"], r["status"], r["error_code"]) for r in recorded) == [
        ("receive", "applied", None),
        ("receive", "applied", None),
        ("transfer", "rejected", "forbidden"),
    ]
    assert stock(server, "MAIN-A1", lot=GOOD) == 2


def test_three_500s_park_the_scan_the_rest_is_delivered_and_retry_delivers_it_once(
    live_server: LiveServer, faulty_proxy: FaultyProxy, tmp_path: Path
) -> None:
    server, proxy, queue, device = live_server, faulty_proxy, tmp_path / "q.db", "park-500"
    proxy.fail(BAD, 500)  # for ever, until healed
    scans = [pack("G1", GOOD), pack("P1", BAD), pack("G2", GOOD), pack("G3", GOOD)]
    started = time.monotonic()
    # finite source, DEFAULT drain time (5 s) and default backoff: it must all settle in it
    res = run_client(
        client_args(server, queue, device, "--json", url=proxy.url),
        stdin="\n".join(["LOC:MAIN-A1", "CMD:RECEIVE", *scans]) + "\n",
    )
    elapsed = time.monotonic() - started
    assert res.returncode == 0, res.stderr
    keys = [q["key"] for q in res.of("queued")]
    assert len(keys) == 4
    bad_key = keys[1]

    (parked,) = res.of("parked")
    assert parked["key"] == bad_key
    assert (parked["http_status"], parked["error_code"], parked["server_errors"]) == (
        500,
        "internal_error",
        3,
    )
    delivered = res.of("delivered")
    assert [d["response"]["barcode"]["serial"] for d in delivered] == ["G1", "G2", "G3"]
    (summary,) = res.of("summary")
    assert (summary["pending"], summary["parked"], summary["parked_now"]) == (0, 1, 1)
    assert summary["delivered"] == 3
    assert any(s["parked"] == 1 for s in res.of("status"))  # the status line shows it
    assert elapsed < 60

    # exactly three tries of the poisoned scan, all under its own key; every POST had a key
    posts = proxy.scan_posts()
    assert [p.key for p in proxy.scan_posts(BAD)] == [bad_key] * 3
    assert all(p.key and uuid.UUID(p.key) for p in posts)
    assert {p.key for p in posts} == set(keys)
    assert stock(server, "MAIN-A1", lot=GOOD) == 3
    assert stock(server, "MAIN-A1", lot=BAD) == 0
    assert len(server_scans(server, device)) == 3

    # `queue` shows it loudly (rich: red, bell) and in JSON with an alert
    shown = run_client(["queue", "--queue", str(queue)])
    assert "PARKED after repeated server errors" in shown.stdout
    assert "--retry-parked" in shown.stdout and "--drop-parked" in shown.stdout
    assert "\a" in shown.stdout
    q = queue_status(queue)
    assert (q["pending"], q["parked"], q["sent"]) == (0, 1, 3)
    assert "PARKED" in q["alert"]
    (p,) = q["parked_scans"]
    assert (p["key"], p["http_status"], p["error_code"], p["attempts"]) == (
        bad_key,
        500,
        "internal_error",
        3,
    )

    # the server is fixed; retry: same key, delivered exactly once
    proxy.heal()
    retried = queue_cmd(queue, "--retry-parked")
    assert (retried["retried_parked"], retried["parked"], retried["pending"]) == (1, 0, 1)
    out = flush(proxy.url, server, queue)
    (again,) = out.of("delivered")
    assert again["key"] == bad_key and again["http_status"] == 201 and not again["replayed"]
    assert again["response"]["barcode"]["serial"] == "P1"
    assert flush(proxy.url, server, queue).of("delivered") == []  # nothing left to send
    assert stock(server, "MAIN-A1", lot=BAD) == 1
    recorded = server_scans(server, device)
    assert len(recorded) == 4
    assert sorted(r["idempotency_key"] for r in recorded) == sorted(keys)
    q = queue_status(queue)
    assert (q["pending"], q["parked"], q["sent"], q["alert"]) == (0, 0, 4, None)


def test_retrying_a_scan_the_server_applied_before_failing_is_a_replay(
    live_server: LiveServer, faulty_proxy: FaultyProxy, tmp_path: Path
) -> None:
    server, proxy, queue, device = live_server, faulty_proxy, tmp_path / "q.db", "park-applied"
    proxy.fail(BAD, 500, forward_first=True)  # applied on the server, then the answer is lost
    res = run_client(
        client_args(server, queue, device, "--json", "--location", "MAIN-A1", url=proxy.url),
        stdin=pack("A1", BAD) + "\n" + pack("A2", GOOD) + "\n",
    )
    assert res.returncode == 0, res.stderr
    (parked,) = res.of("parked")
    assert [d["response"]["barcode"]["serial"] for d in res.of("delivered")] == ["A2"]
    assert stock(server, "MAIN-A1", lot=BAD) == 1  # the first try was applied

    proxy.heal()
    assert queue_cmd(queue, "--retry-parked")["retried_parked"] == 1
    (replay,) = flush(proxy.url, server, queue).of("delivered")
    assert replay["key"] == parked["key"]
    assert replay["replayed"] is True and replay["http_status"] == 200
    assert stock(server, "MAIN-A1", lot=BAD) == 1  # not 2: the same key never books twice
    assert [r["idempotency_key"] for r in server_scans(server, device)].count(parked["key"]) == 1


def test_drop_parked_and_retry_one_by_number(
    live_server: LiveServer, faulty_proxy: FaultyProxy, tmp_path: Path
) -> None:
    server, proxy, queue, device = live_server, faulty_proxy, tmp_path / "q.db", "park-drop"
    proxy.fail("DROP-ME", 500)
    proxy.fail("KEEP-ME", 502)
    res = run_client(  # the human view this time: red, bell, status line, alert in the summary
        client_args(server, queue, device, "--location", "MAIN-A1", url=proxy.url),
        stdin="\n".join(
            [pack("D1", "DROP-ME"), pack("K1", "KEEP-ME"), pack("G1", GOOD), pack("G2", GOOD)]
        )
        + "\n",
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("‼ PARKED") == 2
    assert "2 PARKED" in res.stdout  # status line
    assert "2 scan(s) PARKED after repeated server errors" in res.stdout  # summary alert
    assert "\a" in res.stdout
    assert stock(server, "MAIN-A1", lot=GOOD) == 2

    q = queue_status(queue)
    assert q["parked"] == 2
    seq = {p["code"]: p["seq"] for p in q["parked_scans"]}
    drop_seq = next(s for code, s in seq.items() if "DROP-ME" in code)
    keep = next(p for p in q["parked_scans"] if "KEEP-ME" in p["code"])
    assert keep["http_status"] == 502

    dropped = queue_cmd(queue, "--drop-parked", str(drop_seq))
    assert (dropped["dropped_parked"], dropped["parked"], dropped["dropped"]) == (1, 1, 1)
    proxy.heal()
    retried = queue_cmd(queue, "--retry-parked")
    assert (retried["retried_parked"], retried["parked"], retried["pending"]) == (1, 0, 1)
    out = flush(proxy.url, server, queue)
    assert [d["key"] for d in out.of("delivered")] == [keep["key"]]
    assert stock(server, "MAIN-A1", lot="KEEP-ME") == 1
    assert stock(server, "MAIN-A1", lot="DROP-ME") == 0  # dropped: never sent again
    assert len(proxy.scan_posts("DROP-ME")) == 3
    q = queue_status(queue)
    assert (q["pending"], q["parked"], q["dropped"], q["sent"]) == (0, 0, 1, 3)
    with sqlite3.connect(queue) as db:  # kept for the record, with what the server said
        row = db.execute("SELECT status, http_status FROM scans WHERE seq=?", (drop_seq,))
        assert row.fetchone() == ("dropped", 500)


def test_busy_server_timeouts_and_network_errors_never_park(
    live_server: LiveServer, faulty_proxy: FaultyProxy, tmp_path: Path
) -> None:
    server, proxy, queue, device = live_server, faulty_proxy, tmp_path / "q.db", "park-busy"
    ra = {"Retry-After": "0"}
    proxy.fail(BAD, 503, headers=ra, times=3)
    proxy.fail(BAD, 500, headers=ra, times=3)  # a 500 that says "come back": not poison
    proxy.fail(BAD, 429, headers=ra, times=1)
    proxy.fail(BAD, None, times=3)  # connection dropped without an answer
    proxy.fail(BAD, 504, hang=2.0, times=2)  # the client times out first (--timeout 1)
    proxy.fail(BAD, 500, times=2)  # two real server errors: one short of parking
    res = run_client(
        client_args(
            server,
            queue,
            device,
            "--json",
            "--location",
            "MAIN-A1",
            "--timeout",
            "1",
            "--drain-timeout",
            "60",
            "--config",
            fast_backoff(tmp_path),
            url=proxy.url,
        ),
        stdin="\n".join([pack("B0", GOOD), pack("B1", BAD), pack("B2", GOOD)]) + "\n",
    )
    assert res.returncode == 0, res.stderr
    assert res.of("parked") == []
    serials = [d["response"]["barcode"]["serial"] for d in res.of("delivered")]
    assert serials == ["B0", "B1", "B2"]  # strict order kept throughout
    bad = proxy.scan_posts(BAD)
    assert len(bad) == 15  # 14 failures, then through
    assert [p.answered for p in bad].count(500) == 5
    keys = [q["key"] for q in res.of("queued")]
    sent_keys = [p.key for p in proxy.scan_posts()]
    assert sent_keys == [keys[0]] + [keys[1]] * 15 + [keys[2]]  # nothing overtook B1
    retries = res.of("retry")
    assert len(retries) == 14
    assert {r["error_code"] for r in retries} >= {"network", "internal_error", "http_503"}
    assert any(s["state"] == "offline" for s in res.of("status"))
    assert queue_status(queue)["parked"] == 0
    assert stock(server, "MAIN-A1", lot=BAD) == 1 and stock(server, "MAIN-A1", lot=GOOD) == 2


def test_running_client_parks_moves_on_and_shows_it(
    live_server: LiveServer, faulty_proxy: FaultyProxy, tmp_path: Path
) -> None:
    server, proxy, device = live_server, faulty_proxy, "park-live"
    proxy.fail(BAD, 500)
    client = Client(
        client_args(server, tmp_path / "q.db", device, "--location", "SAT-ICU", url=proxy.url)
    )
    client.scan(pack("L1", BAD), pack("L2", GOOD))
    client.wait_for(lambda c: len(c.of("delivered")) == 1 and len(c.of("parked")) == 1)
    (parked,) = client.of("parked")
    assert parked["parked"] == 1 and parked["server_errors"] == 3
    assert any(s["parked"] == 1 for s in client.of("status"))
    assert any(r.get("server_errors") == 2 for r in client.of("retry"))
    client.scan(pack("L3", GOOD))  # later scans keep flowing
    client.wait_for(lambda c: len(c.of("delivered")) == 2)
    assert client.finish() == 0
    (summary,) = client.of("summary")
    assert (summary["parked"], summary["pending"]) == (1, 0)
    assert stock(server, "SAT-ICU", lot=GOOD) == 2


def test_images_source_with_a_poisoned_scan_ends_within_its_drain_time(
    live_server: LiveServer, faulty_proxy: FaultyProxy, tmp_path: Path
) -> None:
    server, proxy, queue = live_server, faulty_proxy, tmp_path / "q.db"
    proxy.fail(BAD, 500)
    images = tmp_path / "imgs"
    images.mkdir()
    cv2.imwrite(str(images / "00_loc.png"), ig.on_canvas(ig.code128_label("LOC:MAIN-A1")))
    for i, (lot, serial) in enumerate([(GOOD, "I1"), (BAD, "I2"), (GOOD, "I3")], start=1):
        dm = ig.gs1_datamatrix(ig.gs1_bracketed(lot=lot, serial=serial))
        cv2.imwrite(str(images / f"{i:02d}.png"), ig.on_canvas(dm))
    res = run_client(
        [
            "--server",
            proxy.url,
            "--token",
            server.token,
            "--queue",
            str(queue),
            "--device",
            "park-images",
            "--source",
            f"images:{images}",
            "--action",
            "receive",
            "--drain-timeout",
            "5",
            "--json",
        ]
    )
    assert res.returncode == 0, res.stderr
    assert len(res.of("queued")) == 3
    assert [d["response"]["barcode"]["serial"] for d in res.of("delivered")] == ["I1", "I3"]
    (parked,) = res.of("parked")
    assert "I2" in parked["code"]
    (summary,) = res.of("summary")
    assert (summary["pending"], summary["parked"]) == (0, 1)  # settled, not cut off
    assert stock(server, "MAIN-A1", lot=GOOD) == 2


V1_SCHEMA = """
CREATE TABLE scans (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'rejected')),
    captured_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0, last_error TEXT, http_status INTEGER,
    error_code TEXT, error_detail TEXT, response TEXT, replayed INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE INDEX scans_status_seq ON scans (status, seq);
"""


def test_queue_file_from_an_older_client_is_flushed_by_this_one(
    live_server: LiveServer, tmp_path: Path
) -> None:
    queue, key = tmp_path / "old.db", str(uuid.uuid4())
    body = {"code": pack("O1", GOOD).replace("{GS}", "\x1d"), "action": "receive"}
    body |= {"location": "MAIN-A1", "device": "park-old"}
    with sqlite3.connect(queue) as db:
        db.executescript(V1_SCHEMA)
        db.execute(
            "INSERT INTO scans (key, body, captured_at, attempts, last_error, updated_at) "
            "VALUES (?, ?, '2024-05-01T10:00:00.000Z', 7, 'network: refused', 'x')",
            (key, json.dumps(body)),
        )
    out = flush(live_server.url, live_server, queue)
    (delivered,) = out.of("delivered")
    assert delivered["key"] == key and delivered["response"]["barcode"]["serial"] == "O1"
    q = queue_status(queue)
    assert (q["pending"], q["sent"], q["parked"], q["dropped"]) == (0, 1, 0, 0)
    with sqlite3.connect(queue) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert stock(live_server, "MAIN-A1", lot=GOOD) == 1
