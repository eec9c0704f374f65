"""Webhooks: managers subscribe URLs to event types; the dispatcher POSTs each event, signed.

Delivery is at-least-once, in feed order per subscription: each subscription has a cursor
over the feed (`after_event_id`); a round of the dispatcher job leases the subscriptions
with work, turns the events after their cursor into delivery rows, and sends each one's
head of queue (the pending delivery with the lowest event id) outside any transaction, so a
slow receiver holds no database connection. A failed attempt waits (exponential backoff,
jitter) and the events behind it wait too; after the last attempt it is dead and the next
goes. A receiver that is down holds up only its own subscriptions: the others are leased
and served in the same round, concurrently. Receivers de-duplicate by event `id`.

Every destination is checked when the subscription is made and again at each delivery, on
the addresses the name resolves to then (the one connected to is the one checked), so a
name that later points at this machine or the hospital network is refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.config import WebhookSettings
from inventory_svc.db import events as events_db
from inventory_svc.db import webhooks as db
from inventory_svc.db.engine import SessionMaker
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.errors import DomainError, InvalidTransition, NotFound
from inventory_svc.domain.roles import Role
from inventory_svc.domain.vocabulary import DeliveryStatus
from inventory_svc.domain.webhooks import (
    SIGNATURE_HEADER,
    AttemptOut,
    DeliveryOut,
    Destination,
    DestinationPolicy,
    IpAddress,
    RedeliveredOut,
    WebhookOut,
    backoff_delay,
    event_patterns,
    is_exhausted,
    matches,
    secret_hint,
    signature,
)
from inventory_svc.services.actors import Actor
from inventory_svc.services.uow import Transactions, UnitOfWork

log = logging.getLogger(__name__)

JOB_NAME = "webhooks"
DISPATCHER = Actor(key_id=None, name="worker:webhooks", role=Role.ADMIN)
CLAIM_BATCH = 10
"""Subscriptions leased per round, served concurrently."""
FEED_BATCH = 500
"""Events turned into deliveries per subscription per round: a backlog goes round by round."""
PER_ROUND = 20
"""Deliveries one subscription sends per round before the lease is handed back."""
LEASE_MARGIN = 30.0
"""Seconds a lease outlives the delivery timeout: a dispatcher still in its call keeps it."""
RESOLVE_TIMEOUT = 2.0
"""Seconds a host name may take to resolve when a subscription is made."""


def policy_of(settings: WebhookSettings) -> DestinationPolicy:
    return DestinationPolicy(settings.allow_private, settings.allowed_hosts)


# --- subscriptions (managers) ----------------------------------------------------------------


def _out(row: db.WebhookRow) -> WebhookOut:
    return WebhookOut(
        id=row.id,
        url=row.url,
        events=row.events,
        secret_hint=secret_hint(row.secret),
        created_by=row.created_by,
        created_at=row.created_at,
    )


async def subscribe(
    transactions: Transactions,
    actor: Actor,
    settings: WebhookSettings,
    *,
    url: str,
    secret: str,
    events: list[str],
) -> WebhookOut:
    """Check the patterns and the destination (its name resolved, before any transaction
    is open), then record the subscription: it receives the events after the feed's head."""
    patterns = event_patterns(events)
    policy = policy_of(settings)
    destination = policy.check_url(url)
    if destination.address is None:
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT):
                addresses = await resolve(destination)
        except (OSError, TimeoutError):
            addresses = []  # not resolvable yet: checked again at each delivery
        for address in addresses:
            policy.check_address(destination.host, address)
    return await transactions.run(actor, _create, url, secret, patterns)


async def _create(uow: UnitOfWork, url: str, secret: str, patterns: list[str]) -> WebhookOut:
    """Events committed before are positioned first, so the cursor starts past them all."""
    session = uow.session
    await events_db.position_pending(session)
    webhook_id = await db.insert_webhook(
        session,
        url=url,
        secret=secret,
        events=patterns,
        after_event_id=await db.feed_head(session),
        actor=uow.actor.name,
        at=uow.now,
    )
    return await get_webhook(session, webhook_id)


async def get_webhook(session: AsyncSession, webhook_id: int) -> WebhookOut:
    rows = await db.webhooks(session, webhook_id=webhook_id, limit=1)
    if not rows:
        raise NotFound(f"No webhook {webhook_id}.", webhook=webhook_id)
    return _out(rows[0])


async def list_webhooks(
    session: AsyncSession, *, after: int | None, limit: int
) -> list[WebhookOut]:
    return [_out(row) for row in await db.webhooks(session, after=after, limit=limit)]


async def delete_webhook(uow: UnitOfWork, webhook_id: int) -> None:
    """Unsubscribe: the subscription, its deliveries and their attempts go; a delivery in
    flight finishes, but its outcome is not recorded."""
    if not await db.delete_webhook(uow.session, webhook_id):
        raise NotFound(f"No webhook {webhook_id}.", webhook=webhook_id)


async def list_deliveries(
    session: AsyncSession,
    webhook_id: int,
    *,
    status: DeliveryStatus | None,
    after: int | None,
    limit: int,
) -> list[DeliveryOut]:
    """A subscription's deliveries in event order (their ids follow it: `after` pages by
    id), with every attempt made."""
    await get_webhook(session, webhook_id)
    rows = await db.deliveries(
        session,
        webhook_id,
        status=status.value if status else None,
        after=after,
        limit=limit,
    )
    return await _deliveries_out(session, rows)


async def _deliveries_out(session: AsyncSession, rows: list[db.DeliveryRow]) -> list[DeliveryOut]:
    history: dict[int, list[AttemptOut]] = {row.id: [] for row in rows}
    for attempt in await db.attempts_of(session, list(history)):
        history[attempt.delivery_id].append(
            AttemptOut(
                attempted_at=attempt.attempted_at,
                status_code=attempt.status_code,
                error=attempt.error,
                duration_ms=attempt.duration_ms,
            )
        )
    return [
        DeliveryOut(
            id=row.id,
            webhook=row.webhook_id,
            event_id=row.event_id,
            event_type=row.event_type,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at if row.status == DeliveryStatus.PENDING else None,
            last_status_code=row.last_status_code,
            last_error=row.last_error,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            history=history[row.id],
        )
        for row in rows
    ]


async def redeliver(uow: UnitOfWork, webhook_id: int, delivery_id: int) -> DeliveryOut:
    """Send one delivery again, dead or delivered (a receiver that lost it): it joins the
    queue in event order. A pending one is already on its way."""
    session = uow.session
    await get_webhook(session, webhook_id)
    rows = await db.deliveries(session, webhook_id, delivery_id=delivery_id, limit=1)
    if not rows:
        raise NotFound(
            f"Webhook {webhook_id} has no delivery {delivery_id}.",
            webhook=webhook_id,
            delivery=delivery_id,
        )
    if rows[0].status == DeliveryStatus.PENDING:
        raise InvalidTransition(
            f"Delivery {delivery_id} is pending: it is sent without being asked.",
            delivery_status=rows[0].status,
        )
    await db.redeliver(
        session,
        webhook_id,
        now=uow.now,
        delivery_id=delivery_id,
        statuses=(DeliveryStatus.DEAD, DeliveryStatus.DELIVERED),
    )
    rows = await db.deliveries(session, webhook_id, delivery_id=delivery_id, limit=1)
    return (await _deliveries_out(session, rows))[0]


async def redeliver_dead(uow: UnitOfWork, webhook_id: int) -> RedeliveredOut:
    """Every dead delivery of the subscription back in the queue, in event order."""
    await get_webhook(uow.session, webhook_id)
    count = await db.redeliver(uow.session, webhook_id, now=uow.now)
    return RedeliveredOut(redelivered=count)


async def failing_deliveries(session: AsyncSession) -> int:
    """Deliveries dead, or pending after at least one failed attempt: the dashboard's
    "webhooks failing" figure."""
    return await db.failing_count(session)


# --- the dispatcher job ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """One POST: the receiver's status code, or why there was none."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def resolve(destination: Destination) -> list[IpAddress]:
    """Every address the host name resolves to now (each is checked, the first is used)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(destination.host, destination.port, type=socket.SOCK_STREAM)
    addresses: list[IpAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def event_body(due: db.DueDelivery) -> bytes:
    """`{id, type, occurred_at, data}`: the event as `GET /events` shows it."""
    return msgspec.json.encode(
        {
            "id": due.event_id,
            "type": due.event_type,
            "occurred_at": due.occurred_at,
            "data": due.data,
        }
    )


async def post_event(
    client: httpx.AsyncClient,
    settings: WebhookSettings,
    url: str,
    secret: str,
    body: bytes,
    timestamp: int,
) -> Outcome:
    """POST one signed body, within `settings.timeout` from resolution to status line; the
    connection goes to the address that was checked (the name is not resolved twice)."""
    started = time.perf_counter()
    status_code: int | None = None
    error: str | None = None
    policy = policy_of(settings)
    try:
        async with asyncio.timeout(settings.timeout):
            destination = policy.check_url(url)
            if destination.address is not None:
                addresses = [destination.address]
            else:
                addresses = await resolve(destination)
            if not addresses:
                raise OSError(f"{destination.host} resolves to no address")
            for address in addresses:
                policy.check_address(destination.host, address)
            request = _pinned_request(client, url, destination, addresses[0], body)
            request.headers[SIGNATURE_HEADER] = signature(secret, body, timestamp)
            response = await client.send(request, stream=True)  # the body is never read
            await response.aclose()
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
    except TimeoutError:
        error = f"timeout: no answer within {settings.timeout:g} s"
    except DomainError as refused:  # destination_refused; validation_error for an old URL
        error = f"{refused.code}: {refused.detail}"
    except httpx.HTTPError as failure:
        error = f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
    except OSError as failure:
        error = f"unreachable: {failure}"
    return Outcome(status_code, error, round((time.perf_counter() - started) * 1000))


def _pinned_request(
    client: httpx.AsyncClient, url: str, destination: Destination, address: IpAddress, body: bytes
) -> httpx.Request:
    """The request to `url`, connecting to `address`: Host and TLS server name stay the URL's."""
    original = httpx.URL(url)
    request = client.build_request(
        "POST",
        original.copy_with(host=str(address)),
        content=body,
        headers={
            "Host": original.netloc.decode("ascii"),
            "Content-Type": "application/json",
            "User-Agent": "inventory-svc-webhooks",
        },
    )
    if destination.scheme == "https":
        request.extensions["sni_hostname"] = destination.host
    return request


def next_state(
    outcome: Outcome, attempts_before: int, settings: WebhookSettings, now: datetime
) -> tuple[DeliveryStatus, datetime]:
    """Delivered; pending again after a backoff; or dead after the last attempt."""
    if outcome.delivered:
        return DeliveryStatus.DELIVERED, now
    attempts = attempts_before + 1
    if is_exhausted(attempts, settings.max_attempts):
        return DeliveryStatus.DEAD, now
    delay = backoff_delay(attempts, settings.base_delay, settings.max_delay, random.random())
    return DeliveryStatus.PENDING, now + timedelta(seconds=delay)


async def _position(uow: UnitOfWork) -> int:
    return await events_db.position_pending(uow.session)


async def _claim(uow: UnitOfWork, token: str, lease: float) -> tuple[list[db.WebhookRow], int]:
    """Lease subscriptions with work and queue their new events; returns them and how many
    deliveries were queued."""
    session = uow.session
    claimed = await db.claim(
        session,
        now=uow.now,
        until=uow.now + timedelta(seconds=lease),
        token=token,
        limit=CLAIM_BATCH,
    )
    queued = 0
    for webhook in claimed:
        events = await db.events_after(session, webhook.after_event_id, FEED_BATCH)
        if events:
            wanted = [(i, t) for i, t in events if matches(webhook.events, t)]
            queued += await db.queue(session, webhook.id, token, wanted, events[-1][0], uow.now)
    return claimed, queued


async def _head(uow: UnitOfWork, webhook_id: int) -> db.DueDelivery | None:
    return await db.head_of_queue(uow.session, webhook_id)


async def _record(
    uow: UnitOfWork,
    webhook_id: int,
    token: str,
    delivery_id: int,
    outcome: Outcome,
    state: tuple[DeliveryStatus, datetime],
    lease: float,
) -> bool:
    return await db.record_attempt(
        uow.session,
        webhook_id=webhook_id,
        token=token,
        delivery_id=delivery_id,
        at=uow.now,
        status_code=outcome.status_code,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
        outcome=state[0],
        next_attempt_at=state[1],
        lease_until=uow.now + timedelta(seconds=lease),
    )


async def _release(uow: UnitOfWork, webhook_id: int, token: str) -> None:
    await db.release(uow.session, webhook_id, token)


async def _serve(
    transactions: Transactions,
    client: httpx.AsyncClient,
    settings: WebhookSettings,
    webhook: db.WebhookRow,
    token: str,
    lease: float,
) -> int:
    """Send the subscription's due deliveries in event order until one must wait (backoff)
    or PER_ROUND were sent; returns the attempts made. The lease is handed back at the end."""
    attempts = 0
    clock = transactions.clock
    try:
        while attempts < PER_ROUND:
            due = await transactions.run(DISPATCHER, _head, webhook.id)
            if due is None or due.next_attempt_at > clock.now():
                break
            outcome = await post_event(
                client, settings, webhook.url, webhook.secret, event_body(due), int(time.time())
            )
            attempts += 1
            state = next_state(outcome, due.attempts, settings, clock.now())
            held = await transactions.run(
                DISPATCHER, _record, webhook.id, token, due.id, outcome, state, lease
            )
            if not held:
                log.warning("webhook %s: lease lost (deleted?); attempt not recorded", webhook.id)
                return attempts
            if state[0] is DeliveryStatus.PENDING:
                break  # the head waits for its backoff, and everything behind it
            if state[0] is DeliveryStatus.DEAD:
                log.warning(
                    "webhook %s: delivery %s of event %s is dead after %s attempts: %s",
                    webhook.id,
                    due.id,
                    due.event_id,
                    due.attempts + 1,
                    outcome.error,
                )
    finally:
        await transactions.run(DISPATCHER, _release, webhook.id, token)
    return attempts


async def dispatch(sessions: SessionMaker, clock: SiteClock, settings: WebhookSettings) -> int:
    """One round: position new events, lease subscriptions with work, serve them all at
    once. Returns deliveries queued plus attempts made (0: idle)."""
    transactions = Transactions(sessions, clock)
    await transactions.run(DISPATCHER, _position)
    token = uuid.uuid4().hex
    lease = settings.timeout + LEASE_MARGIN
    claimed, queued = await transactions.run(DISPATCHER, _claim, token, lease)
    if not claimed:
        return queued
    async with httpx.AsyncClient(
        timeout=settings.timeout, follow_redirects=False, trust_env=False
    ) as client:
        served = await asyncio.gather(
            *(_serve(transactions, client, settings, w, token, lease) for w in claimed),
            return_exceptions=True,
        )
    attempts = 0
    for webhook, result in zip(claimed, served, strict=True):
        if isinstance(result, BaseException):
            log.error("webhook %s: round failed", webhook.id, exc_info=result)
        else:
            attempts += result
    return queued + attempts


async def run_once(sessions: SessionMaker, clock: SiteClock) -> int:
    """The worker's job: settings from INVENTORY_WEBHOOK_* as they are now."""
    return await dispatch(sessions, clock, WebhookSettings.from_env(os.environ))
