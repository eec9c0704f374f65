"""Every error leaves as RFC 9457 problem+json with a stable `code`; this is the one place."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from inventory_svc.domain import limits
from inventory_svc.domain.errors import DomainError, ServiceUnavailable, TimestampOutOfRange
from inventory_svc.observability.metrics import record_pool_timeout
from inventory_svc.services.availability import DATABASE, is_unavailable
from inventory_svc.services.problems import problem, to_problem

log = logging.getLogger("inventory_svc")

PROBLEM_JSON = "application/problem+json"

_HTTP_CODES = {
    400: ("validation_error", "Invalid request"),
    401: ("unauthorized", "Missing or invalid API key"),
    403: ("forbidden", "Not allowed for this role"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("too_many_requests", "Too many requests"),
    503: ("service_unavailable", "Service unavailable"),
}


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        content=body,
        status_code=int(body["status"]),
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    body = to_problem(exc)
    if isinstance(exc, TimestampOutOfRange) and "errors" not in body:
        # Raised as the time is bound into a statement: name the parameter that held it.
        body["errors"] = _out_of_range_query_times(request)
    retry_after = exc.extra.get("retry_after")
    return problem_response(body, {"Retry-After": str(retry_after)} if retry_after else None)


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return problem_response(*http_problem(exc))


def http_problem(exc: HTTPException) -> tuple[dict[str, Any], dict[str, str]]:
    """The problem body and headers for one of Litestar's own HTTP errors."""
    status = exc.status_code
    code, title = _HTTP_CODES.get(status, ("http_error", "HTTP error"))
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationException) and exc.extra:
        extra["errors"] = exc.extra
    headers = dict(exc.headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return problem(status, code, title, str(exc.detail), **extra), headers


def _out_of_range_query_times(request: Request[Any, Any, Any]) -> list[dict[str, str]]:
    """Name the query parameters holding a time UTC cannot express, as Litestar names the
    parameters it refuses itself."""
    errors = []
    for name, value in request.query_params.multi_items():
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            continue
        try:
            limits.as_utc(when)
        except TimestampOutOfRange as error:
            errors.append({"message": error.detail, "key": name, "source": "query"})
    return errors


RETRY_AFTER_SECONDS = 5


def database_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A database that is down, restarting, saturated or holding a lock too long is a 503
    with Retry-After and one log line per change of state; anything else is a bug."""
    if not is_unavailable(exc):
        return unexpected_error_handler(request, exc)
    if isinstance(exc, PoolTimeout):
        record_pool_timeout()
    DATABASE.mark_down(exc)
    unavailable = ServiceUnavailable(
        "The database is unavailable or busy; nothing was applied. Retry after the time in "
        "Retry-After (a scan with the same Idempotency-Key).",
        retry_after=RETRY_AFTER_SECONDS,
    )
    return domain_error_handler(request, unavailable)


def unexpected_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        problem(
            HTTP_500_INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal server error",
            "The server failed; nothing was applied unless a response said so. Retry is safe "
            "with the same Idempotency-Key.",
        )
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    SQLAlchemyError: database_error_handler,
    ConnectionError: database_error_handler,
    TimeoutError: database_error_handler,
    Exception: unexpected_error_handler,
}
