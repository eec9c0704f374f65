"""The durable queue (temp SQLite files): what is committed survives crashes and restarts."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from scanner_client.queue import SCHEMA_VERSION, QueueLocked, ScanQueue, sender_lock

GS_CODE = "]d20100304094921341172712311" + "0LOT42\x1d21SN1"


def body(code: str = GS_CODE, **kw: object) -> dict[str, object]:
    return {"code": code, "action": "receive", "location": "MAIN-A1", **kw}


def test_enqueue_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    with ScanQueue(path) as q:
        a = q.enqueue(body(), key="11111111-1111-4111-8111-111111111111")
        b = q.enqueue(body("]E04006381333931"))
    with ScanQueue(path) as q:
        pending = q.pending()
    assert [p.key for p in pending] == [a.key, b.key]
    assert pending[0].body["code"] == GS_CODE  # GS kept byte for byte
    assert pending[1].key and len(pending[1].key) == 36


def test_wal_and_full_sync(tmp_path: Path) -> None:
    with ScanQueue(tmp_path / "q.db") as q:
        db = q._db
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


CRASHER = r"""
import os, sys, json
from scanner_client.queue import ScanQueue
q = ScanQueue(sys.argv[1])
keys = [q.enqueue({"code": f"C{i}", "action": "receive", "location": "L"}).key for i in range(5)]
print(json.dumps(keys), flush=True)
os.kill(os.getpid(), 9)   # die without closing anything
"""


def test_committed_scans_survive_a_killed_process(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    proc = subprocess.run(
        [sys.executable, "-c", CRASHER, str(path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == -9
    keys = json.loads(proc.stdout)
    with ScanQueue(path) as q:
        assert [s.key for s in q.pending()] == keys


def test_states_order_and_rejections(tmp_path: Path) -> None:
    with ScanQueue(tmp_path / "q.db") as q:
        s1, s2, s3 = (q.enqueue(body(f"C{i}")) for i in range(3))
        assert q.head() == s1
        q.mark_retry(s1.seq, "network: refused", 123.0)
        assert q.head().attempts == 1  # type: ignore[union-attr]
        assert q.head().last_error == "network: refused"  # type: ignore[union-attr]
        q.mark_sent(s1.seq, 201, {"id": 1})
        q.mark_rejected(s2.seq, 422, "unknown_item", "No item", {"code": "unknown_item"})
        assert q.head() == q.get(s3.seq)
        assert q.counts() == {"pending": 1, "sent": 1, "rejected": 1, "parked": 0, "dropped": 0}
        (rej,) = q.rejections()
        assert (rej.error_code, rej.error_detail, rej.http_status) == (
            "unknown_item",
            "No item",
            422,
        )
        assert q.get(s1.seq).response == {"id": 1}


def test_requeue_rejected_gets_a_new_key(tmp_path: Path) -> None:
    with ScanQueue(tmp_path / "q.db") as q:
        s = q.enqueue(body())
        q.mark_rejected(s.seq, 422, "unknown_item", "x", None)
        assert q.requeue_rejected() == 1
        again = q.get(s.seq)
        assert again.status == "pending" and again.key != s.key and again.error_code is None


def test_local_rejection_is_kept(tmp_path: Path) -> None:
    with ScanQueue(tmp_path / "q.db") as q:
        r = q.add_local_rejection(body(), "no_location", "scan a LOC: label")
        assert r.status == "rejected" and r.http_status is None
        assert q.pending_count() == 0


def test_keys_are_unique(tmp_path: Path) -> None:
    with ScanQueue(tmp_path / "q.db") as q:
        q.enqueue(body(), key="k1")
        with pytest.raises(sqlite3.IntegrityError):
            q.enqueue(body(), key="k1")


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    ScanQueue(path).close()

    def writer(n: int) -> None:
        with ScanQueue(path) as q:
            for i in range(50):
                q.enqueue(body(f"T{n}-{i}"))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with ScanQueue(path) as q:
        codes = [s.body["code"] for s in q.pending()]
    assert len(codes) == 200 == len(set(codes))


def test_one_sender_per_queue(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    with (
        sender_lock(path),
        pytest.raises(QueueLocked, match="another inventory-scan"),
        sender_lock(path),
    ):
        pass
    with sender_lock(path):  # released
        pass


# --- parking ------------------------------------------------------------------------------


def test_server_errors_count_park_retry_and_drop(tmp_path: Path) -> None:
    with ScanQueue(tmp_path / "q.db") as q:
        a, b, c = (q.enqueue(body(f"P{i}")) for i in range(3))
        assert q.mark_retry(a.seq, "network: refused", 0.0) == 0  # does not count
        assert q.mark_retry(a.seq, "http_503", 0.0, 503) == 0
        assert q.mark_retry(a.seq, "internal_error", 0.0, 500, server_error=True) == 1
        assert q.mark_retry(a.seq, "internal_error", 0.0, 500, server_error=True) == 2
        assert q.mark_parked(a.seq, 500, "internal_error", "boom", {"code": "internal_error"})
        assert not q.mark_parked(a.seq, 500, "x", None, None)  # only a pending scan parks
        assert q.head() == q.get(b.seq)  # the queue moved on
        assert q.counts() == {"pending": 2, "sent": 0, "rejected": 0, "parked": 1, "dropped": 0}
        (p,) = q.parked()
        assert (p.seq, p.http_status, p.error_code, p.error_detail) == (
            a.seq,
            500,
            "internal_error",
            "boom",
        )
        assert (p.attempts, p.server_errors) == (4, 2)

        q.mark_parked(c.seq, 502, "http_502", None, None)
        assert q.parked_count() == 2
        assert q.retry_parked([a.seq]) == 1  # only the one asked for
        again = q.get(a.seq)
        assert again.status == "pending" and again.key == a.key  # same key: a replay, never twice
        assert (again.attempts, again.server_errors) == (0, 0)
        assert q.head() == again  # back in its place in capture order, before b
        assert q.drop_parked() == 1
        dropped = q.get(c.seq)
        assert dropped.status == "dropped" and dropped.http_status == 502  # kept for the record
        assert q.parked_count() == 0 and q.retry_parked() == 0 and q.drop_parked() == 0
        assert q.pending_count() == 2


# The very first queue schema, byte for byte (no user_version, three states).
V1_SCHEMA = """
CREATE TABLE IF NOT EXISTS scans (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    key             TEXT NOT NULL UNIQUE,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'rejected')),
    captured_at     TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error      TEXT,
    http_status     INTEGER,
    error_code      TEXT,
    error_detail    TEXT,
    response        TEXT,
    replayed        INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scans_status_seq ON scans (status, seq);
"""


def _old_queue_file(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(V1_SCHEMA)
    rows = [
        ("k-sent", "sent", 1, None, 201, None, '{"id": 7}', 1),
        ("k-rej", "rejected", 1, None, 422, "unknown_item", None, 0),
        ("k-gone", "sent", 1, None, 201, None, None, 0),
        ("k-pend", "pending", 5, "http_500: boom", 500, None, None, 0),
    ]
    for key, status, attempts, last_error, http, code, resp, replayed in rows:
        db.execute(
            "INSERT INTO scans (key, body, status, captured_at, attempts, last_error, "
            "http_status, error_code, response, replayed, updated_at) "
            "VALUES (?, ?, ?, '2024-01-01T00:00:00.000Z', ?, ?, ?, ?, ?, ?, 'u')",
            (key, json.dumps(body(key)), status, attempts, last_error, http, code, resp, replayed),
        )
    # a row that was deleted by hand: its seq must never be handed out again
    db.execute("DELETE FROM scans WHERE key='k-gone'")
    db.execute(
        "INSERT INTO scans (key, body, captured_at, updated_at) VALUES ('k-last', '{}', 'c', 'u')"
    )
    db.execute("DELETE FROM scans WHERE key='k-last'")
    db.commit()
    assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    db.close()


def test_old_queue_file_is_upgraded_in_place_keeping_everything(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_queue_file(path)
    with ScanQueue(path) as q:
        assert q._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        scans = q.all()
        assert [(s.seq, s.key, s.status) for s in scans] == [
            (1, "k-sent", "sent"),
            (2, "k-rej", "rejected"),
            (4, "k-pend", "pending"),
        ]
        assert scans[0].response == {"id": 7} and scans[0].replayed
        assert scans[1].error_code == "unknown_item" and scans[1].http_status == 422
        pend = scans[2]
        assert (pend.attempts, pend.last_error, pend.server_errors) == (5, "http_500: boom", 0)
        assert pend.body["code"] == "k-pend"
        # the new state works on the old file, and new seqs continue after the old high-water
        assert q.mark_retry(pend.seq, "e", 0.0, 500, server_error=True) == 1
        assert q.mark_parked(pend.seq, 500, "internal_error", None, None)
        assert q.enqueue(body("new")).seq == 6
        assert q.counts() == {"pending": 1, "sent": 1, "rejected": 1, "parked": 1, "dropped": 0}
        index = q._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='index' AND name='scans_status_seq'"
        ).fetchone()
        assert index is not None
    with ScanQueue(path) as q:  # reopening is a no-op
        assert [s.seq for s in q.all()] == [1, 2, 4, 6]
        assert q.parked()[0].key == "k-pend"


def test_old_queue_file_opened_by_many_at_once(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_queue_file(path)
    errors: list[BaseException] = []

    def opener() -> None:
        try:
            with ScanQueue(path) as q:
                q.counts()
        except BaseException as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with ScanQueue(path) as q:
        assert len(q.all()) == 3
