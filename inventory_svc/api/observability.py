"""Request ids, access logs and metrics for every request; `GET /metrics` for Prometheus.

- `X-Request-ID`: a proxy's value is kept when it is a sane token (else a new one is made);
  it is on every answer (errors and unknown paths too) and on every log line written while
  the request is served.
- `RequestObservability` (outermost middleware): times each routed request and counts it by
  route *template*, method and status; writes one `inventory_svc.access` log line.
- `stamp_request_id` (a `before_send` hook, so it also sees answers no route produced):
  adds the header and counts 5xx answers.
- `/metrics` needs no API key (decided in issue 9): Prometheus scrapes from inside the
  hospital network, and a key check is a database read that fails or queues exactly when
  the metrics matter (database down, pool saturated). It exposes counters only: routes,
  statuses, scan actions and result codes, pool and outbox sizes; no item, lot or patient
  data. Keep it off the public side of the reverse proxy.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from litestar import Response, get
from litestar.datastructures import MutableScopeHeaders, State
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from inventory_svc.observability import metrics
from inventory_svc.observability.logs import accept_or_make_request_id, request_id

REQUEST_ID_HEADER = "x-request-id"
_SCOPE_KEY = "inventory_request_id"

access_log = logging.getLogger("inventory_svc.access")


def request_id_of(scope: Scope) -> str:
    """This request's id, decided once per request and kept in its scope."""
    state: dict[str, Any] = scope.setdefault("state", {})
    rid = state.get(_SCOPE_KEY)
    if rid is None:
        sent = None
        for name, value in scope.get("headers", ()):
            if name.lower() == b"x-request-id":
                sent = value.decode("latin-1")
                break
        rid = state[_SCOPE_KEY] = accept_or_make_request_id(sent)
    return str(rid)


class RequestObservability(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        rid = request_id_of(scope)
        token = request_id.set(rid)
        route = str(scope.get("path_template") or metrics.UNMATCHED_ROUTE)
        method = str(scope.get("method", ""))
        status = 500
        started = time.perf_counter()

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await next_app(scope, receive, send_and_note)
        except HTTPException as error:  # raised before the handler (401 from the key check)
            status = error.status_code
            raise
        finally:
            elapsed = time.perf_counter() - started
            metrics.observe_request(route, method, status, elapsed)
            access_log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id.reset(token)


async def stamp_request_id(message: Message, scope: Scope) -> None:
    """`before_send`: the request id on every answer; 5xx counted whoever produced it."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = request_id_of(scope)
        metrics.record_response_status(message["status"])


@get("/metrics", exclude_from_auth=True, include_in_schema=False)
async def metrics_route(state: State) -> Response[bytes]:
    body = await metrics.scrape(state.get("engine"), state.get("read_sessions"))
    return Response(body, media_type=metrics.CONTENT_TYPE)
