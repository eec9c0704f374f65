"""PostgreSQL LISTEN/NOTIFY: a dedicated asyncpg connection per process that listens on one
channel, proves it is alive with a heartbeat, and reconnects with backoff when it is lost.

Not a pooled connection: the pool resets and lends its connections to others, and a
listener must stay put. What it hears and when it may be trusted go to a `ListenerSink`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from typing import Any, Protocol

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

KEY_REVOKED_CHANNEL = "inventory_key_revoked"
"""Payload: the SHA-256 of a key revoked in the transaction that sent it (never the key)."""

LISTENER_APPLICATION_NAME = "inventory-svc-keys"
"""The listener's `application_name`, as `pg_stat_activity` shows it."""

log = logging.getLogger(__name__)


async def notify(session: AsyncSession, channel: str, payload: str) -> None:
    """NOTIFY within the session's transaction: delivered when (and only if) it commits."""
    await session.execute(select(func.pg_notify(channel, payload)))


def asyncpg_dsn(database_url: str) -> str:
    """`postgresql+asyncpg://...` (SQLAlchemy) -> `postgresql://...` (asyncpg)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class ListenerSink(Protocol):
    def listening(self, since: float) -> None:
        """LISTEN took effect at `since`: every commit after it will be heard."""

    def alive(self, at: float) -> None:
        """A round trip sent at `at` came back: what was committed before it has been heard."""

    def deaf(self) -> None:
        """The connection is gone: notifications may be missed until `listening` again."""

    def notified(self, payload: str) -> None: ...


class Listener:
    """`start()` in the app's startup, `await close()` at shutdown. Times are `clock()`s."""

    def __init__(
        self,
        database_url: str,
        channel: str,
        sink: ListenerSink,
        *,
        heartbeat: float = 0.3,
        connect_timeout: float = 5.0,
        first_backoff: float = 0.05,
        max_backoff: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._channel = channel
        self._sink = sink
        self._heartbeat = heartbeat
        self._connect_timeout = connect_timeout
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._clock = clock
        self._connection: Any = None
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self.connected = asyncio.Event()
        """Set while LISTEN is in effect."""
        self.connections = 0
        """How many times LISTEN was established (so far)."""

    @property
    def backend_pid(self) -> int | None:
        """The server process of the current listener connection, if any."""
        connection = self._connection
        return None if connection is None or connection.is_closed() else connection.get_server_pid()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"listen {self._channel}")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._drop_connection(graceful=True)

    async def _run(self) -> None:
        backoff = self._first_backoff
        failures = 0
        while True:
            try:
                await self._connect_and_listen()
                backoff = self._first_backoff
                failures = 0
                await self._keep_alive()
                log.warning(
                    "lost the %s listener connection; reconnecting (cached API keys are "
                    "trusted for a short time only until then)",
                    self._channel,
                )
            except asyncio.CancelledError:
                self._lose()
                raise  # close() closes the connection politely
            except Exception as error:  # the listener must outlive any failure of its own
                failures += 1
                level = logging.WARNING if failures == 1 else logging.DEBUG
                log.log(level, "%s listener: %s: %s", self._channel, type(error).__name__, error)
            self._lose()
            await self._drop_connection(graceful=False)
            await asyncio.sleep(backoff * random.uniform(0.5, 1.0))
            backoff = min(backoff * 2, self._max_backoff)

    def _lose(self) -> None:
        self.connected.clear()
        self._lost.set()
        self._sink.deaf()

    async def _connect_and_listen(self) -> None:
        self._lost = asyncio.Event()
        self._connection = connection = await asyncpg.connect(
            self._dsn,
            timeout=self._connect_timeout,
            server_settings={"application_name": LISTENER_APPLICATION_NAME},
        )
        connection.add_termination_listener(self._on_termination)
        await connection.add_listener(self._channel, self._on_notification)
        now = self._clock()  # LISTEN has returned, so it is in effect from here on
        self._sink.listening(now)
        self._sink.alive(now)
        self.connections += 1
        self.connected.set()
        log.info("listening on %s", self._channel)

    async def _keep_alive(self) -> None:
        """Returns when the connection is lost: closed by the server (the termination
        listener fires at once) or silently gone (a heartbeat that does not come back)."""
        connection = self._connection
        while not self._lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self._heartbeat)
                return
            sent = self._clock()
            try:
                await connection.fetchval("SELECT 1", timeout=self._heartbeat * 5)
            except Exception:
                return
            self._sink.alive(sent)

    def _on_termination(self, connection: Any) -> None:
        if connection is self._connection:  # not one dropped already
            self._lose()

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self._sink.notified(payload)

    async def _drop_connection(self, *, graceful: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is None or connection.is_closed():
            return
        if graceful:
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)
        if not connection.is_closed():
            connection.terminate()
