"""Prometheus metrics (`prometheus-client`), served at `/metrics` by the API.

Counters and histograms are updated as requests are served; the database pool and the
outbox backlog are read when Prometheus scrapes. Labels are bounded: route *templates*
(`/api/v1/items/{item_id:int}`), methods, statuses, scan actions and result codes, never a
raw path or a value a client chose.

One process, one registry: with `INVENTORY_WORKERS` > 1 each worker counts its own requests
and a scrape reaches one of them (scrape each replica with one worker, or accept the sample).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from inventory_svc.db.metrics import outbox_lag

log = logging.getLogger(__name__)

# No `*_created` series beside every counter: Prometheus does not need them.
disable_created_metrics()  # type: ignore[no-untyped-call]

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNMATCHED_ROUTE = "<unmatched>"
"""The route label of a request no route answers (a 404 on an unknown path)."""

# Scans take ~10-100 ms; reads a few ms; a 503 comes after seconds of pool waiting.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUEST_DURATION = Histogram(
    "inventory_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
REQUESTS = Counter(
    "inventory_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
SERVER_ERRORS = Counter(
    "inventory_http_server_errors",
    "Answers with a 5xx status (503 included: saturated or unreachable database), any route.",
    ["status"],
)
SCANS = Counter(
    "inventory_scans",
    "Scans by action and result (`applied`, `replayed`, or the problem code that refused it).",
    ["action", "result"],
)
POOL_CHECKED_OUT = Gauge(
    "inventory_db_pool_checked_out", "Database connections in use (read at scrape time)."
)
POOL_SIZE = Gauge("inventory_db_pool_size", "Database pool size, without overflow.")
POOL_OVERFLOW = Gauge(
    "inventory_db_pool_overflow", "Connections open beyond the pool size (negative: unused room)."
)
POOL_WAIT = Histogram(
    "inventory_db_pool_wait_seconds",
    "Time a unit of work waited for a database connection.",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
POOL_TIMEOUTS = Counter(
    "inventory_db_pool_timeouts", "Units of work that gave up waiting for a connection."
)
OUTBOX_UNPOSITIONED = Gauge(
    "inventory_outbox_unpositioned_events",
    "Events written but not yet given a feed id (not yet visible in GET /events).",
)
OUTBOX_OLDEST_AGE = Gauge(
    "inventory_outbox_oldest_unpositioned_age_seconds",
    "Age of the oldest event without a feed id; 0 when there is none.",
)
OUTBOX_SCRAPE_ERRORS = Counter(
    "inventory_outbox_scrape_errors",
    "Scrapes that could not read the outbox (database down or too slow); its gauges keep "
    "their last value.",
)

OUTBOX_QUERY_TIMEOUT = 2.0
"""Seconds a scrape waits for the outbox query: a scrape must not queue behind a saturated
pool for its 30 s, which is exactly when the other metrics matter."""


def record_scan(action: str, result: str) -> None:
    """Count one scan: `action` as requested (`issue`, ...); `result` is `applied`,
    `replayed` or the problem code (`insufficient_stock`, ...). Both are bounded
    vocabularies: never pass free text."""
    SCANS.labels(action=action, result=result).inc()


def observe_pool_wait(seconds: float) -> None:
    """How long a unit of work waited to get its connection."""
    POOL_WAIT.observe(seconds)


def record_pool_timeout() -> None:
    """A unit of work gave up waiting for a connection (answered 503)."""
    POOL_TIMEOUTS.inc()


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_DURATION.labels(route=route, method=method).observe(seconds)
    REQUESTS.labels(route=route, method=method, status=str(status)).inc()


def record_response_status(status: int) -> None:
    if status >= 500:
        SERVER_ERRORS.labels(status=str(status)).inc()


def read_pool(engine: AsyncEngine) -> None:
    pool: Any = engine.pool
    for gauge, reading in (
        (POOL_CHECKED_OUT, "checkedout"),
        (POOL_SIZE, "size"),
        (POOL_OVERFLOW, "overflow"),
    ):
        method = getattr(pool, reading, None)
        if callable(method):
            gauge.set(method())


async def read_outbox(sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]]) -> None:
    async def query() -> None:
        async with sessions() as session:
            lag = await outbox_lag(session)
        OUTBOX_UNPOSITIONED.set(lag.unpositioned)
        age = 0.0 if lag.oldest_at is None else time.time() - lag.oldest_at.timestamp()
        OUTBOX_OLDEST_AGE.set(max(age, 0.0))

    try:
        await asyncio.wait_for(query(), OUTBOX_QUERY_TIMEOUT)
    except Exception as error:  # the database is down or saturated: still answer the scrape
        OUTBOX_SCRAPE_ERRORS.inc()
        log.warning("metrics: outbox not read: %s", type(error).__name__)


async def scrape(
    engine: AsyncEngine | None,
    read_sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]] | None,
) -> bytes:
    """The text exposition of every metric, the scrape-time ones read first."""
    if engine is not None:
        read_pool(engine)
    if read_sessions is not None:
        await read_outbox(read_sessions)
    return generate_latest(REGISTRY)
