"""A real HTTP reverse proxy in front of the live server that fails chosen scans on purpose.

The service never answers 500 for a scan's content (every such fault is a recorded 4xx), so
there is no honest way to make the real server fail one scan deterministically. This proxy
(``http.server`` on 127.0.0.1, real sockets, forwarding with httpx) passes everything through
unchanged, except ``POST /api/v1/scans`` whose body contains a rule's marker: those get the
rule's answer (a status with a problem body, optionally after forwarding the scan so the
server *did* apply it), a dropped connection, or a hang past the client's timeout.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from tests.live import free_port

SCANS = "/api/v1/scans"
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


@dataclass
class Rule:
    """What to do with a scan whose body contains ``marker``.

    ``status`` None with ``hang`` 0 drops the connection without an answer. ``times`` None
    means for ever; otherwise the rule applies that many times and then lets scans through.
    """

    marker: str
    status: int | None = 500
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = None
    forward_first: bool = False  # the server applies the scan; the client still sees `status`
    hang: float = 0.0  # sleep this long before answering (a timeout on the client's side)
    hits: int = 0


@dataclass(frozen=True)
class Seen:
    """One request the proxy handled."""

    method: str
    path: str
    key: str | None
    body: str
    answered: int | None  # status sent to the client; None = connection dropped
    faulted: bool


class FaultyProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.rules: list[Rule] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._http = httpx.Client(base_url=upstream, timeout=30.0)
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultyProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    def fail(self, marker: str, status: int | None = 500, **kw: Any) -> Rule:
        rule = Rule(marker, status, **kw)
        with self._lock:
            self.rules.append(rule)
        return rule

    def heal(self) -> None:
        """The server is fixed: every scan goes through from now on."""
        with self._lock:
            self.rules.clear()

    def scan_posts(self, marker: str | None = None) -> list[Seen]:
        with self._lock:
            return [
                s
                for s in self.seen
                if s.method == "POST" and s.path == SCANS and (marker is None or marker in s.body)
            ]

    def _rule_for(self, body: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.marker in body and (rule.times is None or rule.hits < rule.times):
                    rule.hits += 1
                    return rule
        return None

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        return self._http.request(method, path, headers=headers, content=body or None)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _headers(self) -> dict[str, str]:
                return {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in _HOP and k.lower() != "host"
                }

            def _answer(self, status: int, headers: dict[str, str], content: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    if k.lower() not in _HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def _handle(self) -> None:
                body = self._body()
                text = body.decode("utf-8", "replace")
                path = self.path.split("?", 1)[0]
                key = self.headers.get("Idempotency-Key")
                rule = (
                    proxy._rule_for(text)
                    if self.command == "POST" and path.rstrip("/") == SCANS
                    else None
                )
                if rule is None:
                    resp = proxy._forward(self.command, self.path, self._headers(), body)
                    proxy._record(Seen(self.command, path, key, text, resp.status_code, False))
                    self._answer(resp.status_code, dict(resp.headers), resp.content)
                    return
                proxy._record(Seen(self.command, path, key, text, rule.status, True))
                if rule.forward_first:
                    proxy._forward(self.command, self.path, self._headers(), body)
                if rule.hang:
                    time.sleep(rule.hang)
                if rule.status is None:
                    self.close_connection = True
                    return  # no answer at all: the client sees the connection drop
                problem = {
                    "type": "about:blank",
                    "title": "Injected failure",
                    "status": rule.status,
                    "detail": f"failed on purpose by the test proxy ({rule.marker})",
                    "code": "internal_error" if rule.status == 500 else f"http_{rule.status}",
                }
                headers = {"Content-Type": "application/problem+json", **rule.headers}
                try:
                    self._answer(rule.status, headers, json.dumps(problem).encode())
                except OSError:  # the client timed out and went away
                    self.close_connection = True

            do_GET = _handle
            do_POST = _handle
            do_PUT = _handle

        return Handler


def running(upstream: str) -> Iterator[FaultyProxy]:
    proxy = FaultyProxy(upstream).start()
    try:
        yield proxy
    finally:
        proxy.stop()
