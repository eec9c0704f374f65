"""The durable queue (temp SQLite files): what is committed survives crashes and restarts."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from scanner_client.queue import QueueLocked, ScanQueue, sender_lock

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
        assert q.counts() == {"pending": 1, "sent": 1, "rejected": 1}
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
