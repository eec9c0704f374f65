"""How `inventory-svc serve` runs the app: uvicorn, with limits that keep slow or stuck
clients from exhausting the server.

uvicorn closes idle keep-alive connections, but not one that trickles its request: a client
that sends half a header (or a body slower than it promised) keeps its socket, and a
thousand of them keep a thousand. `GuardedH11Protocol` gives every request a deadline from
the moment its connection opens (or its previous response ends) to its last body byte.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from inventory_svc.config import Settings


class GuardedH11Protocol(H11Protocol):
    request_read_timeout: float | None = None
    """Set by `run`; a worker process that imports this module afresh reads its settings."""

    @classmethod
    def read_timeout(cls) -> float:
        if cls.request_read_timeout is None:
            cls.request_read_timeout = Settings.from_env().request_read_timeout
        return cls.request_read_timeout

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._finished_cycle: Any = None
        self._read_deadline: asyncio.TimerHandle | None = None
        self._arm_read_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        cycle = self.cycle
        if cycle is not None and cycle is not self._finished_cycle and not cycle.more_body:
            self._disarm_read_deadline()  # the whole request is in: the app has it

    def on_response_complete(self) -> None:
        self._finished_cycle = self.cycle
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_read_deadline()  # the next request on this connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_read_deadline()
        super().connection_lost(exc)

    def _arm_read_deadline(self) -> None:
        self._disarm_read_deadline()
        self._read_deadline = self.loop.call_later(self.read_timeout(), self._too_slow)

    def _disarm_read_deadline(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _too_slow(self) -> None:
        self._read_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def server_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn settings `serve` uses (one place, so tests and docs agree)."""
    GuardedH11Protocol.request_read_timeout = settings.request_read_timeout
    return {
        "http": GuardedH11Protocol,
        "timeout_keep_alive": 5,
        "limit_concurrency": settings.max_connections,
        "h11_max_incomplete_event_size": 16 * 1024,  # a request head larger than this: 400
        "server_header": False,
        "access_log": False,  # request logs come from the app, without query strings
        "log_config": None,  # the app's JSON lines from the first one on
        "proxy_headers": True,
        "log_level": settings.log_level.lower(),
    }


def run(settings: Settings, host: str, port: int, workers: int) -> None:
    options = server_options(settings)
    if workers > 1:
        # Each worker process builds its own app (and engine) from the same environment.
        uvicorn.run(
            "inventory_svc.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            **options,
        )
    else:
        from inventory_svc.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, **options)
