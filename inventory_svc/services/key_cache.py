"""Who holds an API key, kept in memory so a request needs no database read to authenticate.

Entries are keyed by the key's SHA-256 (a plain key is never stored), bounded in number
(least recently used go first) and only positive: an unknown or revoked key is looked up
in the database every time. How long an entry is trusted, from the moment its database
read began:

- **PostgreSQL**: a revoke NOTIFYs the key's hash when it commits and each process's
  listener (`db/notify.py`) drops the entry: a revoked key stops within 1 second
  everywhere. An entry lives up to `WATCHED_TTL` only while that promise is kept: LISTEN
  was in effect before the entry was read and the listener's connection has proved alive
  (a heartbeat) within the last `PG_TTL`. Otherwise (startup, a lost connection, a silent
  network) it lives `PG_TTL` (0.5 s), so a revoke that nobody heard still stops the key
  within 1 second.
- **SQLite**: no NOTIFY; an entry lives `SQLITE_TTL`. A revoke made in this process drops
  the entry at once (as on PostgreSQL).

A read that began before a revoke was heard is never cached (it may have seen the key
still active), and one process's revoke keeps its caches from caching that key again for
`REVOKE_GRACE`, which covers the wait for the revoke's own commit.
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from inventory_svc.config import Settings
from inventory_svc.db.notify import KEY_REVOKED_CHANNEL, Listener
from inventory_svc.services.actors import Actor

MAX_ENTRIES = 10_000
PG_TTL = 0.5
"""Seconds an entry is trusted on PostgreSQL when the listener cannot vouch for it: half of
the promise that a revoked key stops within 1 second, so that a busy machine's request and
scheduling delays fit in the other half."""
WATCHED_TTL = 60.0
"""Seconds an entry lives on PostgreSQL while the listener hears every revoke (a safety
net: a revoke that did not go through the use case, e.g. a hand-written UPDATE)."""
SQLITE_TTL = 5.0
REVOKE_GRACE = 5.0


@dataclass(slots=True)
class _Entry:
    actor: Actor
    read_at: float


_CACHES: weakref.WeakSet[KeyCache] = weakref.WeakSet()


class KeyCache:
    """One per app (in `app.state.key_cache`); used from its event loop only. It is also
    the listener's sink: `listening`, `alive`, `deaf` and `notified` are called by it."""

    def __init__(
        self,
        *,
        ttl: float,
        watched_ttl: float | None = None,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.watched_ttl = watched_ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._forgotten: OrderedDict[str, float] = OrderedDict()
        """key hash -> reads that began before this time are not cached."""
        self._listening_since: float | None = None
        self._alive_at: float | None = None
        _CACHES.add(self)

    @classmethod
    def for_settings(cls, settings: Settings) -> KeyCache:
        if settings.is_sqlite:
            return cls(ttl=SQLITE_TTL)
        return cls(ttl=PG_TTL, watched_ttl=WATCHED_TTL)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key_hash: str) -> Actor | None:
        entry = self._entries.get(key_hash)
        if entry is None:
            return None
        if not self._trusted(entry, self.clock()):
            del self._entries[key_hash]
            return None
        self._entries.move_to_end(key_hash)
        return entry.actor

    def put(self, key_hash: str, actor: Actor, read_at: float) -> None:
        """`read_at`: the `clock()` before the database read that found the key began."""
        forgotten = self._forgotten.get(key_hash)
        if forgotten is not None and read_at <= forgotten:
            return
        self._entries[key_hash] = _Entry(actor, read_at)
        self._entries.move_to_end(key_hash)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def forget(self, key_hash: str, grace: float = 0.0) -> None:
        """Drop the key, and cache it again only from reads that begin `grace` from now."""
        self._entries.pop(key_hash, None)
        now = self.clock()
        self._forgotten.pop(key_hash, None)
        self._forgotten[key_hash] = now + grace
        # Reads outlive neither the retention nor the bound; oldest first.
        retention = max(self.ttl, self.watched_ttl or 0.0, REVOKE_GRACE)
        while self._forgotten and (
            len(self._forgotten) > self.max_entries
            or next(iter(self._forgotten.values())) < now - retention
        ):
            self._forgotten.popitem(last=False)

    def _trusted(self, entry: _Entry, now: float) -> bool:
        age = now - entry.read_at
        if age < self.ttl:
            return True
        return (
            self.watched_ttl is not None
            and age < self.watched_ttl
            and self._listening_since is not None
            and entry.read_at >= self._listening_since
            and self._alive_at is not None
            and now - self._alive_at < self.ttl
        )

    # The listener's sink (db/notify.py ListenerSink).

    def listening(self, since: float) -> None:
        self._listening_since = since

    def alive(self, at: float) -> None:
        if self._listening_since is not None:
            self._alive_at = at if self._alive_at is None else max(self._alive_at, at)

    def deaf(self) -> None:
        self._listening_since = None
        self._alive_at = None

    def notified(self, payload: str) -> None:
        self.forget(payload)


def forget_everywhere(key_hash: str, grace: float = REVOKE_GRACE) -> None:
    """Drop a key from every cache of this process (a revoke made here)."""
    for cache in list(_CACHES):
        cache.forget(key_hash, grace)


def watch_revocations(settings: Settings, cache: KeyCache) -> Listener | None:
    """Start this process's listener for revoked keys (PostgreSQL); `await close()` it at
    shutdown. None on SQLite, which has no NOTIFY."""
    if settings.is_sqlite:
        return None
    listener = Listener(
        settings.database_url,
        KEY_REVOKED_CHANNEL,
        cache,
        connect_timeout=settings.db_pool_timeout,
    )
    listener.start()
    return listener
