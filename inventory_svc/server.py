"""How `inventory-svc serve` runs the app: uvicorn on uvloop with the httptools parser, with
limits that keep slow, stuck or oversized clients from exhausting the server.

Why this server: `bench/server_bench.py` measured uvicorn + h11 (pure Python), uvicorn +
uvloop + httptools and granian on the same app and database; see the README's "Production
server" section for the figures. uvicorn + httptools keeps every limit below in code we own.

uvicorn closes idle keep-alive connections, but not one that trickles its request: a client
that sends half a header (or a body slower than it promised) keeps its socket, and a
thousand of them keep a thousand. The guarded protocols give every request a deadline from
the moment its connection opens (or its previous response ends) to its last body byte.
httptools (unlike h11) has no limit on the size of a request head, so
`GuardedHttpToolsProtocol` also answers `400` to a head over `MAX_REQUEST_HEAD` bytes and never
buffers much more than that.

`GuardedH11Protocol` (the pure-Python parser, slower) stays for comparison and as a fallback
where uvloop or httptools cannot be installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from inventory_svc.config import Settings

MAX_REQUEST_HEAD = 16 * 1024
"""Bytes of request line and headers; a larger head is answered 400 and the connection closed."""


class _ReadDeadline:
    """The per-request read deadline, shared by both protocols (their hooks call these)."""

    request_read_timeout: float | None = None
    """Set by `run`; a worker process that imports this module afresh reads its settings."""

    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _finished_cycle: Any
    _read_deadline: asyncio.TimerHandle | None

    @classmethod
    def read_timeout(cls) -> float:
        if _ReadDeadline.request_read_timeout is None:
            _ReadDeadline.request_read_timeout = Settings.from_env().request_read_timeout
        return _ReadDeadline.request_read_timeout

    def _start_deadlines(self) -> None:
        _no_delay(self.transport)
        self._finished_cycle = None
        self._read_deadline = None
        self._arm_read_deadline()

    def _request_in(self, cycle: Any) -> None:
        """After data arrived: once the current request is whole, the app has it."""
        if cycle is not None and cycle is not self._finished_cycle and not cycle.more_body:
            self._disarm_read_deadline()

    def _response_done(self, cycle: Any) -> None:
        self._finished_cycle = cycle

    def _next_request(self) -> None:
        if not self.transport.is_closing():
            self._arm_read_deadline()  # the next request on this connection

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


def _no_delay(transport: asyncio.Transport) -> None:
    """TCP_NODELAY: asyncio skips it on the sockets of uvicorn's worker processes (their
    `proto` reads 0), and h11 writes head and body apart: Nagle's algorithm then meets the
    client's delayed ACK, 40 ms per answer (bench/server_bench.py). uvloop sets it itself."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):  # already reset by the client: nothing to speed up
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class GuardedHttpToolsProtocol(_ReadDeadline, HttpToolsProtocol):
    """uvicorn's httptools protocol with the read deadline and a request-head size limit."""

    max_request_head: int = MAX_REQUEST_HEAD

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._reading_head = False
        self._head_size = 0  # request line and headers as parsed
        self._head_bytes = 0  # bytes received while the head is incomplete
        self._start_deadlines()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self._reading_head:
            # A head trickled in pieces, or one huge header, never buffers much past the limit.
            self._head_bytes += len(data)
            if self._head_bytes > self.max_request_head:
                self._reading_head = False
                self.logger.warning("Request head too large.")
                self.send_400_response("Request head too large.")
                return
        self._request_in(self.cycle)

    # Parser callbacks: raising in one makes uvicorn answer 400 and close the connection.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_head = True
        self._head_size = len(b"GET  HTTP/1.1\r\n\r\n")
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)  # "name: value\r\n"
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        super().on_headers_complete()

    def _count_head(self, size: int) -> None:
        self._head_size += size
        if self._head_size > self.max_request_head:
            raise httptools.HttpParserError("request head too large")

    def on_response_complete(self) -> None:
        self._response_done(self.cycle)
        super().on_response_complete()
        self._next_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_read_deadline()
        super().connection_lost(exc)


class GuardedH11Protocol(_ReadDeadline, H11Protocol):
    """uvicorn's h11 protocol with the read deadline (h11 limits the head itself:
    `h11_max_incomplete_event_size`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_deadlines()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._request_in(self.cycle)

    def on_response_complete(self) -> None:
        self._response_done(self.cycle)
        super().on_response_complete()
        self._next_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_read_deadline()
        super().connection_lost(exc)


def server_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn settings `serve` uses (one place, so tests, benchmark and docs agree)."""
    _ReadDeadline.request_read_timeout = settings.request_read_timeout
    return {
        "loop": "asyncio" if sys.platform == "win32" else "uvloop",  # no uvloop on Windows
        "http": GuardedHttpToolsProtocol,  # a request head over MAX_REQUEST_HEAD: 400
        "timeout_keep_alive": 5,
        "limit_concurrency": settings.max_connections,  # more connections or requests: 503
        "h11_max_incomplete_event_size": MAX_REQUEST_HEAD,  # the same limit with h11
        "server_header": False,
        "access_log": False,  # request logs come from the app, without query strings
        "log_config": None,  # the app's JSON lines from the first one on
        "proxy_headers": True,
        "log_level": settings.log_level.lower(),
    }


def run(settings: Settings, host: str, port: int, workers: int, **overrides: Any) -> None:
    """Serve the app; `overrides` replace server options (bench/server_bench.py compares)."""
    options = {**server_options(settings), **overrides}
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
