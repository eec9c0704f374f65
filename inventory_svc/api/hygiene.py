"""Web hygiene every answer gets: no MIME sniffing, no caching of API answers, no API key in
a URL (URLs end up in logs and browser histories), an optional per-key rate limit, and the
API documentation served from the app itself (hospital networks often have no internet)."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import swagger_ui_bundle
from litestar import Request, Response
from litestar.datastructures import MultiDict, MutableScopeHeaders
from litestar.exceptions import HTTPException, InternalServerException, NotFoundException
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router
from litestar.types import Message, Scope

from inventory_svc.api.problems import http_error_handler
from inventory_svc.domain.errors import RateLimited
from inventory_svc.services.keys import KEY_PREFIX

ASSETS_PATH = "/schema/assets"
_CACHEABLE = (ASSETS_PATH,)
UI_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
KEY_PARAMETERS = frozenset(
    {"api_key", "apikey", "key", "token", "access_token", "auth", "authorization", "bearer"}
)


async def security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook, so every answer gets them: errors and unknown routes too."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        headers["X-Content-Type-Options"] = "nosniff"
        if not scope["path"].startswith(_CACHEABLE):
            headers["Cache-Control"] = "no-store"
        if scope["path"] == "/ui" or scope["path"].startswith("/ui/"):
            # The web UI: our own scripts and styles only (no inline script, nothing from
            # elsewhere), never framed (clickjacking), forms post only to us.
            headers["Content-Security-Policy"] = UI_CONTENT_SECURITY_POLICY
            headers["X-Frame-Options"] = "DENY"
            headers["Referrer-Policy"] = "same-origin"


def key_in_query(query: MultiDict[Any]) -> str | None:
    """The name of a query parameter that carries (or looks like it carries) an API key."""
    for name, value in query.multi_items():
        if name.lower() in KEY_PARAMETERS or str(value).startswith(KEY_PREFIX):
            return str(name)
    return None


class RateLimiter:
    """A token bucket per API key, in this process: `rate` requests per second on average,
    bursts of `burst` (a scanner flushing a day of offline scans is slowed, never refused
    for good: it waits the Retry-After it is given and goes on)."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.burst = burst or max(1, math.ceil(rate * 10))
        self._buckets: dict[int | None, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: int | None) -> None:
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(key_id, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if tokens < 1:
                self._buckets[key_id] = (tokens, now)
                wait = math.ceil((1 - tokens) / self.rate)
                raise RateLimited(
                    f"More than {self.rate:g} requests per second for this key; retry in {wait} s.",
                    retry_after=wait,
                )
            self._buckets[key_id] = (tokens - 1, now)


def documentation() -> tuple[SwaggerRenderPlugin, Router]:
    """Swagger UI with its assets served from the installed swagger-ui-bundle package."""
    plugin = SwaggerRenderPlugin(
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        path=["/", "/swagger"],
        favicon="",
    )
    assets = create_static_files_router(
        path=ASSETS_PATH,
        directories=[swagger_ui_bundle.swagger_ui_path],
        include_in_schema=False,
        name="schema-assets",
        exception_handlers={InternalServerException: _no_such_asset},
    )
    return plugin, assets


def _no_such_asset(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    """A name the file system refuses (too long, say), which Litestar reports as its own
    500, is an asset that does not exist."""
    cause = error.__cause__
    if isinstance(cause, OSError):
        error = NotFoundException(f"No such asset: {cause.strerror}.")
    return http_error_handler(request, error)
