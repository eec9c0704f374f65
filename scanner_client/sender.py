"""Deliver queued scans to the server, in order, exactly once (with the server's help).

Classification of a response decides the fate of the queue head:

* 201, or 200 (a replay, header ``Idempotent-Replayed: true``) -> delivered;
* 4xx with a problem+json ``code`` -> rejected: kept with the code/detail, never retried
  (except 408/425/429, which mean "try again later"). This includes ``403 forbidden``: the
  key's role may not perform *this scan's* action (a scanner key sending a transfer); the
  server recorded the refusal and the next scans, other actions, go through;
* 401, a 403 *without* a problem ``code`` (a proxy or firewall page, not the service),
  redirects, and a 404/405 without a ``code`` (wrong URL) are problems of the client's
  configuration, not of the scan: the scan stays pending, the user is told, and the sender
  keeps trying slowly (so fixing the key on the server needs no rescans);
* 503, 408/425/429, any answer carrying ``Retry-After``, and network errors (refused,
  reset, timeouts) mean "the server is away or busy": retried with exponential backoff and
  jitter, in strict order, for as long as it takes. They never park anything;
* any other 5xx (500, 502, 504 ...) is a *server error* on this scan: retried the same way,
  but counted per scan (``server_errors`` in the queue). At the third one the scan is
  **parked**: set aside with the last status/code/detail, shown loudly, and the sender moves
  on to the next scan. ``inventory-scan queue --retry-parked`` puts it back (same
  Idempotency-Key, so a scan the server did apply before failing is replayed, not booked
  twice) and ``--drop-parked`` gives up on it (kept as ``dropped``). Before parking, the
  sender checks ``GET /health``: when the service itself is unreachable (a reverse proxy
  answering 502/504 for a stopped app) the errors are an outage, not this scan's fault, and
  nothing is parked.

The head blocks the rest (strict order) while it is retried: a receive must not overtake an
earlier issue of the same lot. Parking deliberately breaks that rule for one poisoned scan:
a scan the server fails on every time would otherwise stall the device for good, and every
later scan with it. The scans behind a parked one may therefore be applied before it (an
issue may be applied before the receive that preceded it and be refused for insufficient
stock, say); that is the price of not stalling, and why a parked scan is shown loudly and
waits for a person's decision instead of being retried or dropped silently.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Final, Literal

import httpx

from . import __version__
from .config import Secret
from .queue import QueuedScan, ScanQueue

OutcomeKind = Literal["delivered", "rejected", "retry", "config", "parked"]
DELIVERED: Final = "delivered"
REJECTED: Final = "rejected"
RETRY: Final = "retry"
CONFIG: Final = "config"
PARKED: Final = "parked"
RETRYABLE_4XX = frozenset({408, 425, 429})
SCANS_PATH = "/api/v1/scans"
#: Server errors (5xx other than 503, without Retry-After) on one scan before it is parked.
PARK_AFTER = 3


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    http_status: int | None
    body: Any = None
    replayed: bool = False
    error_code: str | None = None
    detail: str | None = None
    retry_after: float | None = None
    #: a 5xx (not 503, no Retry-After): counts toward parking the scan
    server_error: bool = False


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def classify(status: int, headers: httpx.Headers, body: Any) -> Outcome:
    """Map an HTTP response to what the queue should do with the scan."""
    problem = body if isinstance(body, dict) else {}
    code = problem.get("code") if isinstance(problem.get("code"), str) else None
    detail_val = problem.get("detail") or problem.get("title")
    detail = str(detail_val) if detail_val is not None else None
    if 200 <= status < 300:
        replayed = headers.get("idempotent-replayed", "").lower() == "true"
        return Outcome(DELIVERED, status, body, replayed=replayed)
    if status == 401 or (status == 403 and code is None):
        return Outcome(CONFIG, status, body, error_code=code or "unauthorized", detail=detail)
    if 300 <= status < 400:
        where = headers.get("location", "?")
        return Outcome(CONFIG, status, body, error_code="redirect", detail=f"redirect to {where}")
    if status in (404, 405) and code is None:
        return Outcome(
            CONFIG,
            status,
            body,
            error_code="no_scan_endpoint",
            detail=f"server answered {status} for {SCANS_PATH}: check --server",
        )
    if status in RETRYABLE_4XX or status >= 500:
        raw_retry_after = headers.get("retry-after")
        return Outcome(
            RETRY,
            status,
            body,
            error_code=code or f"http_{status}",
            detail=detail,
            retry_after=_retry_after(raw_retry_after),
            server_error=status >= 500 and status != 503 and raw_retry_after is None,
        )
    if status == 409 and code and "in_progress" in code:
        # the same key is still being processed (e.g. a request that timed out on our side)
        return Outcome(RETRY, status, body, error_code=code, detail=detail, retry_after=1.0)
    return Outcome(REJECTED, status, body, error_code=code or f"http_{status}", detail=detail)


class ApiClient:
    """Thin httpx wrapper: one method per endpoint the client uses."""

    def __init__(
        self,
        server: str,
        token: Secret,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.server = server.rstrip("/")
        self._token = token
        self._client = httpx.Client(
            base_url=self.server,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            headers={"User-Agent": f"inventory-scan/{__version__}"},
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"ApiClient(server={self.server!r}, token={self._token!r})"

    def post_scan(self, key: str, body: dict[str, Any]) -> Outcome:
        headers = {"Idempotency-Key": key}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token.get()}"
        try:
            resp = self._client.post(SCANS_PATH, json=body, headers=headers)
        except httpx.TransportError as exc:
            return Outcome(RETRY, None, error_code="network", detail=_describe(exc))
        try:
            data: Any = resp.json() if resp.content else None
        except ValueError:
            data = {"detail": resp.text[:500]}
        return classify(resp.status_code, resp.headers, data)

    def health(self) -> bool:
        try:
            return self._client.get("/health", timeout=3.0).status_code == 200
        except httpx.HTTPError:
            return False

    def service_reachable(self) -> bool:
        """False only when ``GET /health`` shows an outage (network error or a 5xx).

        Used before parking a scan. Anything else (200, or a 404 from a proxy that only
        forwards ``/api``) cannot tell an outage, so it does not prevent parking.
        """
        try:
            return self._client.get("/health", timeout=3.0).status_code < 500
        except httpx.HTTPError:
            return False


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


def backoff_delay(
    failures: int, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random, never above cap.

    Jitter spreads the retries of many workstations after a server restart.
    """
    rng = rng or random.Random()
    ceiling = min(cap, base * (2.0 ** max(0, failures - 1)))
    return float(ceiling / 2 + rng.uniform(0, ceiling / 2))


@dataclass(frozen=True)
class SendEvent:
    """Something the user should hear about (rendered by feedback)."""

    kind: str  # delivered | rejected | parked | retry | config | state
    scan: QueuedScan | None
    outcome: Outcome | None
    state: str
    pending: int
    delay: float | None = None
    parked: int = 0  # scans parked in the queue now
    server_errors: int = 0  # retry/parked: this scan's server errors so far


#: ``server_error``: the service answers, but fails on the head scan (5xx, not 503).
ConnState = Literal["unknown", "online", "offline", "server_error", "unauthorized"]


class Sender:
    """Sends the queue head by head. Not thread-safe: one Sender per thread."""

    def __init__(
        self,
        queue: ScanQueue,
        client: ApiClient,
        on_event: Callable[[SendEvent], None] = lambda e: None,
        *,
        backoff_base: float = 0.5,
        backoff_cap: float = 60.0,
        park_after: int = PARK_AFTER,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.queue = queue
        self.client = client
        self.on_event = on_event
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.park_after = park_after
        self.rng = rng or random.Random()
        self.clock = clock
        self.state: ConnState = "unknown"
        self.failures = 0
        self.next_attempt = 0.0
        self.last_problem: Outcome | None = None

    def _set_state(self, state: ConnState) -> None:
        if state != self.state:
            self.state = state
            self.on_event(
                SendEvent(
                    "state",
                    None,
                    None,
                    state,
                    self.queue.pending_count(),
                    parked=self.queue.parked_count(),
                )
            )

    def send_one(self) -> Outcome | None:
        """Try the head of the queue once; None if the queue is empty."""
        scan = self.queue.head()
        if scan is None:
            return None
        outcome = self.client.post_scan(scan.key, scan.body)
        now = self.clock()
        if outcome.kind == DELIVERED:
            self.queue.mark_sent(
                scan.seq, outcome.http_status or 0, outcome.body, replayed=outcome.replayed
            )
            self._moved_on(now)
            self._emit(DELIVERED, scan, outcome)
            return outcome
        if outcome.kind == REJECTED:
            self.queue.mark_rejected(
                scan.seq, outcome.http_status, outcome.error_code, outcome.detail, outcome.body
            )
            self._moved_on(now)
            self._emit(REJECTED, scan, outcome)
            return outcome
        self.failures += 1
        if outcome.kind == CONFIG:
            delay = self.backoff_cap
            state: ConnState = "unauthorized" if outcome.http_status in (401, 403) else "offline"
        else:
            delay = backoff_delay(self.failures, self.backoff_base, self.backoff_cap, self.rng)
            if outcome.retry_after is not None:
                delay = max(delay, min(outcome.retry_after, self.backoff_cap))
            state = "server_error" if outcome.server_error else "offline"
        error = str(outcome.error_code)
        server_errors = self.queue.mark_retry(
            scan.seq,
            f"{error}: {outcome.detail}" if outcome.detail else error,
            time.time() + delay,
            outcome.http_status,
            server_error=outcome.server_error,
        )
        if outcome.server_error and server_errors >= self.park_after:
            if not self.client.service_reachable():
                state = "offline"  # an outage behind a proxy: not this scan's fault
            elif self.queue.mark_parked(
                scan.seq, outcome.http_status, outcome.error_code, outcome.detail, outcome.body
            ):
                parked = dataclasses.replace(outcome, kind=PARKED)
                self.last_problem = parked
                self._moved_on(self.clock())
                self._emit(PARKED, scan, parked, server_errors=server_errors)
                return parked
        self.next_attempt = now + delay
        self._set_state(state)
        self.last_problem = outcome
        self._emit(outcome.kind, scan, outcome, delay, server_errors=server_errors)
        return outcome

    def _moved_on(self, now: float) -> None:
        """The head is settled (delivered, rejected or parked): the next one goes now."""
        self.failures = 0
        self.next_attempt = now
        self._set_state("online")

    def _emit(
        self,
        kind: str,
        scan: QueuedScan,
        outcome: Outcome,
        delay: float | None = None,
        *,
        server_errors: int = 0,
    ) -> None:
        self.on_event(
            SendEvent(
                kind,
                scan,
                outcome,
                self.state,
                self.queue.pending_count(),
                delay,
                parked=self.queue.parked_count(),
                server_errors=server_errors,
            )
        )

    def send_due(self) -> float | None:
        """Send while the head is due. Returns seconds until the next try, None if empty."""
        while True:
            wait = self.next_attempt - self.clock()
            if wait > 0:
                return wait if self.queue.pending_count() else None
            outcome = self.send_one()
            if outcome is None:
                return None
            if outcome.kind in (RETRY, CONFIG):
                return max(0.0, self.next_attempt - self.clock())

    def drain(self, timeout: float) -> bool:
        """Send everything, retrying for at most ``timeout`` seconds. True if nothing is left."""
        deadline = self.clock() + timeout
        self.next_attempt = min(self.next_attempt, self.clock())
        while True:
            wait = self.send_due()
            if wait is None:
                return self.queue.pending_count() == 0
            if self.last_problem is not None and self.last_problem.kind == CONFIG:
                return False
            if self.clock() + wait > deadline:
                return False
            time.sleep(wait)


class SenderThread(threading.Thread):
    """Background sender for a running client: wakes on new scans, retries by itself."""

    def __init__(
        self,
        queue_path: Any,
        make_client: Callable[[], ApiClient],
        on_event: Callable[[SendEvent], None],
        *,
        backoff_base: float = 0.5,
        backoff_cap: float = 60.0,
        idle_poll: float = 2.0,
    ) -> None:
        super().__init__(name="inventory-scan-sender", daemon=True)
        self._queue_path = queue_path
        self._make_client = make_client
        self._on_event = on_event
        self._base = backoff_base
        self._cap = backoff_cap
        self._idle_poll = idle_poll
        self._wake = threading.Event()
        self._halt = threading.Event()
        self.state: str = "unknown"
        self.error: BaseException | None = None

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        self._halt.set()
        self._wake.set()
        self.join(timeout)

    def _relay(self, event: SendEvent) -> None:
        self.state = event.state
        self._on_event(event)

    def run(self) -> None:
        queue = ScanQueue(self._queue_path)
        client = self._make_client()
        sender = Sender(queue, client, self._relay, backoff_base=self._base, backoff_cap=self._cap)
        try:
            while not self._halt.is_set():
                try:
                    wait = sender.send_due()
                except Exception as exc:  # keep the thread alive; the queue is intact
                    self.error = exc
                    wait = self._cap
                # New scans wake us, but a backing-off head is not retried early.
                timeout = self._idle_poll if wait is None else wait
                self._wake.wait(timeout)
                self._wake.clear()
        finally:
            client.close()
            queue.close()
