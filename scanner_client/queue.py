"""Durable offline queue: every captured scan is committed to SQLite before it is sent.

A scan gets its idempotency key when it is captured and keeps it for life, so a resend after
a crash, a timeout or a restart is recognised by the server as the same scan (exactly once
end to end). Sent and rejected records are kept: rejected ones carry the server's error so a
person can act on them, and nothing a technician scanned silently disappears.

States: ``pending`` (waiting to be sent, in capture order), ``sent``, ``rejected`` (the
server refused the scan with a problem code), ``parked`` (the server failed on this scan
again and again, see :mod:`scanner_client.sender`; set aside so the scans behind it move on,
until a person retries or drops it) and ``dropped`` (a parked scan a person gave up on, kept
for the record).

The database is in WAL mode with ``synchronous=FULL``: a committed enqueue survives a crash
or power loss. Use one :class:`ScanQueue` per thread (sqlite3 connections are not shared).

The schema is versioned with ``PRAGMA user_version`` and upgraded in place when a queue file
is opened (see :func:`_migrate`): queue files written by older clients keep every scan, key
and state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PENDING, SENT, REJECTED, PARKED, DROPPED = "pending", "sent", "rejected", "parked", "dropped"
STATES = (PENDING, SENT, REJECTED, PARKED, DROPPED)

#: ``PRAGMA user_version`` of the current schema. 0 = the first schema (no version set,
#: statuses pending/sent/rejected only, no ``server_errors``); 2 = parked/dropped states and
#: the ``server_errors`` counter.
SCHEMA_VERSION = 2

_COLUMNS_V1 = (
    "seq, key, body, status, captured_at, attempts, next_attempt_at, last_error, "
    "http_status, error_code, error_detail, response, replayed, updated_at"
)


def _table_sql(name: str) -> str:
    return f"""
CREATE TABLE {name} (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    key             TEXT NOT NULL UNIQUE,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'rejected', 'parked', 'dropped')),
    captured_at     TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error      TEXT,
    http_status     INTEGER,
    error_code      TEXT,
    error_detail    TEXT,
    response        TEXT,
    replayed        INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL,
    server_errors   INTEGER NOT NULL DEFAULT 0
)"""


_INDEX = "CREATE INDEX IF NOT EXISTS scans_status_seq ON scans (status, seq)"


def _migrate(db: sqlite3.Connection) -> None:
    """Create or upgrade the schema; call inside a write transaction (BEGIN IMMEDIATE).

    SQLite cannot change a CHECK constraint in place, so the upgrade from the first schema
    rebuilds the table (the documented create-copy-drop-rename procedure), keeping every row
    with its seq and the AUTOINCREMENT high-water mark, so no seq is ever handed out twice.
    """
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    exists = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='scans'"
    ).fetchone()
    if exists is None:
        db.execute(_table_sql("scans"))
    elif version < 2:
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name='scans'").fetchone()
        high_water = int(row[0]) if row else 0
        db.execute("DROP TABLE IF EXISTS scans_v2")
        db.execute(_table_sql("scans_v2"))
        db.execute(f"INSERT INTO scans_v2 ({_COLUMNS_V1}) SELECT {_COLUMNS_V1} FROM scans")
        db.execute("DROP TABLE scans")
        db.execute("ALTER TABLE scans_v2 RENAME TO scans")
        db.execute("UPDATE sqlite_sequence SET seq=max(seq, ?) WHERE name='scans'", (high_water,))
    db.execute(_INDEX)
    if version < SCHEMA_VERSION:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def utcnow_iso() -> str:
    """ISO 8601 UTC with milliseconds and a Z, the form the server expects for scanned_at."""
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def new_key() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class QueuedScan:
    seq: int
    key: str
    body: dict[str, Any]
    status: str
    captured_at: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    http_status: int | None
    error_code: str | None
    error_detail: str | None
    response: dict[str, Any] | None
    replayed: bool
    server_errors: int = 0
    updated_at: str = ""

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> QueuedScan:
        return cls(
            seq=row["seq"],
            key=row["key"],
            body=json.loads(row["body"]),
            status=row["status"],
            captured_at=row["captured_at"],
            attempts=row["attempts"],
            next_attempt_at=row["next_attempt_at"],
            last_error=row["last_error"],
            http_status=row["http_status"],
            error_code=row["error_code"],
            error_detail=row["error_detail"],
            response=json.loads(row["response"]) if row["response"] else None,
            replayed=bool(row["replayed"]),
            server_errors=row["server_errors"],
            updated_at=row["updated_at"],
        )


class ScanQueue:
    """The SQLite-backed queue. Cheap to open; open one per thread."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(self.path), timeout=30.0, isolation_level=None, check_same_thread=True
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self._tx() as db:
            _migrate(db)
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)  # holds codes and server responses: owner only

    def clone(self) -> ScanQueue:
        """A new connection to the same file, for another thread."""
        return ScanQueue(self.path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ScanQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- writing -------------------------------------------------------------------------

    def enqueue(
        self, body: dict[str, Any], *, key: str | None = None, captured_at: str | None = None
    ) -> QueuedScan:
        """Commit a captured scan as pending; returns it with its idempotency key."""
        key = key or new_key()
        now = utcnow_iso()
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO scans (key, body, captured_at, updated_at) VALUES (?, ?, ?, ?)",
                (key, json.dumps(body, ensure_ascii=False), captured_at or now, now),
            )
            seq = cur.lastrowid
        assert seq is not None
        return self.get(seq)

    def add_local_rejection(
        self, body: dict[str, Any], code: str, detail: str, *, key: str | None = None
    ) -> QueuedScan:
        """Keep a scan the client itself could not send (e.g. no location), for the record."""
        scan = self.enqueue(body, key=key)
        self.mark_rejected(scan.seq, None, code, detail, None)
        return self.get(scan.seq)

    def mark_sent(
        self, seq: int, http_status: int, response: Any, *, replayed: bool = False
    ) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE scans SET status='sent', http_status=?, response=?, replayed=?, "
                "attempts=attempts+1, last_error=NULL, updated_at=? WHERE seq=?",
                (http_status, _dump(response), int(replayed), utcnow_iso(), seq),
            )

    def mark_rejected(
        self,
        seq: int,
        http_status: int | None,
        code: str | None,
        detail: str | None,
        response: Any,
    ) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE scans SET status='rejected', http_status=?, error_code=?, "
                "error_detail=?, response=?, attempts=attempts+1, updated_at=? WHERE seq=?",
                (http_status, code, detail, _dump(response), utcnow_iso(), seq),
            )

    def mark_retry(
        self,
        seq: int,
        error: str,
        next_attempt_at: float,
        http_status: int | None = None,
        *,
        server_error: bool = False,
    ) -> int:
        """Count a failed attempt; returns the scan's ``server_errors`` after it.

        ``server_error`` marks an answer that counts toward parking (a 5xx other than 503,
        without Retry-After); other failures (network, 503, 429 ...) leave the count alone.
        """
        with self._tx() as db:
            db.execute(
                "UPDATE scans SET attempts=attempts+1, last_error=?, next_attempt_at=?, "
                "http_status=?, server_errors=server_errors+?, updated_at=? "
                "WHERE seq=? AND status='pending'",
                (error, next_attempt_at, http_status, int(server_error), utcnow_iso(), seq),
            )
            row = db.execute("SELECT server_errors FROM scans WHERE seq=?", (seq,)).fetchone()
        return int(row[0]) if row else 0

    def mark_parked(
        self,
        seq: int,
        http_status: int | None,
        code: str | None,
        detail: str | None,
        response: Any,
    ) -> bool:
        """Set a pending scan aside (server errors); False if it was no longer pending."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE scans SET status='parked', http_status=?, error_code=?, "
                "error_detail=?, response=?, updated_at=? WHERE seq=? AND status='pending'",
                (http_status, code, detail, _dump(response), utcnow_iso(), seq),
            )
        return cur.rowcount == 1

    def retry_parked(self, seqs: list[int] | None = None) -> int:
        """Put parked scans back in the queue (all, or those in ``seqs``) under their OWN keys.

        Unlike :meth:`requeue_rejected` the key is kept: the server may have applied the scan
        before failing, and the same key turns a resend into a replay, never a second booking.
        The scans go back to their place in capture order (they are sent before later scans).
        """
        return self._move(PARKED, PENDING, seqs, reset=True)

    def drop_parked(self, seqs: list[int] | None = None) -> int:
        """Give up on parked scans (all, or those in ``seqs``): kept as ``dropped``, not sent."""
        return self._move(PARKED, DROPPED, seqs, reset=False)

    def _move(self, src: str, dst: str, seqs: list[int] | None, *, reset: bool) -> int:
        extra = ", attempts=0, server_errors=0, next_attempt_at=0" if reset else ""
        with self._tx() as db:
            rows = db.execute(
                "SELECT seq FROM scans WHERE status=? ORDER BY seq", (src,)
            ).fetchall()
            chosen = [r["seq"] for r in rows if seqs is None or r["seq"] in seqs]
            for seq in chosen:
                db.execute(
                    f"UPDATE scans SET status=?, updated_at=?{extra} WHERE seq=?",
                    (dst, utcnow_iso(), seq),
                )
        return len(chosen)

    def requeue_rejected(self, seqs: list[int] | None = None) -> int:
        """Send rejected scans again (after fixing the cause on the server) under new keys.

        A new key is needed because the server may remember the rejection under the old one.
        """
        with self._tx() as db:
            rows = db.execute(
                "SELECT seq FROM scans WHERE status='rejected' ORDER BY seq"
            ).fetchall()
            chosen = [r["seq"] for r in rows if seqs is None or r["seq"] in seqs]
            for seq in chosen:
                db.execute(
                    "UPDATE scans SET status='pending', key=?, attempts=0, server_errors=0, "
                    "next_attempt_at=0, "
                    "error_code=NULL, error_detail=NULL, http_status=NULL, response=NULL, "
                    "last_error=NULL, updated_at=? WHERE seq=?",
                    (new_key(), utcnow_iso(), seq),
                )
        return len(chosen)

    # -- reading -------------------------------------------------------------------------

    def get(self, seq: int) -> QueuedScan:
        row = self._db.execute("SELECT * FROM scans WHERE seq=?", (seq,)).fetchone()
        if row is None:
            raise KeyError(seq)
        return QueuedScan.from_row(row)

    def get_by_key(self, key: str) -> QueuedScan | None:
        row = self._db.execute("SELECT * FROM scans WHERE key=?", (key,)).fetchone()
        return QueuedScan.from_row(row) if row else None

    def head(self) -> QueuedScan | None:
        """The oldest pending scan: scans are sent strictly in capture order."""
        row = self._db.execute(
            "SELECT * FROM scans WHERE status='pending' ORDER BY seq LIMIT 1"
        ).fetchone()
        return QueuedScan.from_row(row) if row else None

    def pending(self, limit: int = 1000) -> list[QueuedScan]:
        rows = self._db.execute(
            "SELECT * FROM scans WHERE status='pending' ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [QueuedScan.from_row(r) for r in rows]

    def all(self) -> list[QueuedScan]:
        rows = self._db.execute("SELECT * FROM scans ORDER BY seq").fetchall()
        return [QueuedScan.from_row(r) for r in rows]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for row in self._db.execute("SELECT status, COUNT(*) AS n FROM scans GROUP BY status"):
            out[row["status"]] = row["n"]
        return out

    def pending_count(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM scans WHERE status='pending'").fetchone()
        return int(row[0])

    def parked_count(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM scans WHERE status='parked'").fetchone()
        return int(row[0])

    def parked(self, limit: int = 1000) -> list[QueuedScan]:
        """Parked scans, oldest first (the order they will be sent in when retried)."""
        rows = self._db.execute(
            "SELECT * FROM scans WHERE status='parked' ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [QueuedScan.from_row(r) for r in rows]

    def rejections(self, limit: int = 10) -> list[QueuedScan]:
        """The most recent rejections, newest first."""
        rows = self._db.execute(
            "SELECT * FROM scans WHERE status='rejected' ORDER BY seq DESC LIMIT ?", (limit,)
        ).fetchall()
        return [QueuedScan.from_row(r) for r in rows]


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


class QueueLocked(RuntimeError):
    """Another inventory-scan process is already sending from this queue."""


@contextlib.contextmanager
def sender_lock(queue_path: Path) -> Iterator[None]:
    """Allow one sending process per queue file (``run`` and ``flush`` must not race).

    Two senders would still be safe thanks to idempotency keys, but a concurrent duplicate
    could be answered 409 while the first is in flight; a lock keeps it simple and ordered.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: rely on idempotency alone
        yield
        return
    lock_path = queue_path.with_name(queue_path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise QueueLocked(
                f"another inventory-scan is sending from {queue_path}; scans are still "
                "queued there and that process will send them"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
