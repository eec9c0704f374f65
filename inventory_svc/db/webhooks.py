"""Webhook statements: subscriptions, their deliveries and attempts, and the dispatcher's
lease.

The dispatcher calls receivers outside any transaction (a receiver may take seconds; a
transaction held that long would hold SQLite's one write turn and a PostgreSQL connection).
So a subscription is claimed with a lease instead: a short transaction picks due
subscriptions (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas pick different ones) and
stamps them `leased_until` with a token; every later write of that dispatcher is
conditional on the token. SQLite has one writer: the conditional UPDATE alone decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import Event, EventFeed, Webhook, WebhookAttempt, WebhookDelivery
from inventory_svc.domain import limits
from inventory_svc.domain.vocabulary import DeliveryStatus


@dataclass(frozen=True, slots=True)
class WebhookRow:
    id: int
    url: str
    secret: str
    events: list[str]
    after_event_id: int
    created_by: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    webhook_id: int
    event_id: int
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class AttemptRow:
    delivery_id: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """The head of a subscription's queue, with the event it carries."""

    id: int
    attempts: int
    next_attempt_at: datetime
    event_id: int
    event_type: str
    occurred_at: datetime
    data: dict[str, Any]


_WEBHOOK_COLUMNS = (
    Webhook.id,
    Webhook.url,
    Webhook.secret,
    Webhook.events,
    Webhook.after_event_id,
    Webhook.created_by,
    Webhook.created_at,
)


def _webhook(row: Any) -> WebhookRow:
    return WebhookRow(
        row.id,
        row.url,
        row.secret,
        list(row.events),
        row.after_event_id,
        row.created_by,
        row.created_at,
    )


# --- subscriptions ---------------------------------------------------------------------------


async def feed_head(session: AsyncSession) -> int:
    """The last feed id given: a subscription made now receives what comes after it."""
    head = await session.execute(select(EventFeed.last_id).where(EventFeed.id == 1))
    return int(head.scalar_one_or_none() or 0)


async def insert_webhook(
    session: AsyncSession,
    *,
    url: str,
    secret: str,
    events: Sequence[str],
    after_event_id: int,
    actor: str | None,
    at: datetime,
) -> int:
    webhook_id: int = (
        await session.execute(
            insert(Webhook)
            .values(
                url=url,
                secret=secret,
                events=list(events),
                after_event_id=after_event_id,
                created_by=actor,
                created_at=at,
            )
            .returning(Webhook.id)
        )
    ).scalar_one()
    return webhook_id


async def webhooks(
    session: AsyncSession,
    *,
    webhook_id: int | None = None,
    after: int | None = None,
    limit: int = 1000,
) -> list[WebhookRow]:
    stmt = select(*_WEBHOOK_COLUMNS).order_by(Webhook.id).limit(limit)
    if webhook_id is not None:
        stmt = stmt.where(Webhook.id == webhook_id)
    if after is not None:
        stmt = stmt.where(Webhook.id > after)
    return [_webhook(row) for row in await session.execute(stmt)]


async def delete_webhook(session: AsyncSession, webhook_id: int) -> bool:
    """The subscription and, by cascade, its deliveries and attempts."""
    attempts = select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == webhook_id)
    # SQLite enforces ON DELETE CASCADE only with foreign keys on: delete children explicitly.
    await session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(attempts)))
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id))
    deleted = await session.execute(
        delete(Webhook).where(Webhook.id == webhook_id).returning(Webhook.id)
    )
    return deleted.scalar_one_or_none() is not None


# --- deliveries as the API shows them ----------------------------------------------------------

_DELIVERY_COLUMNS = (
    WebhookDelivery.id,
    WebhookDelivery.webhook_id,
    WebhookDelivery.event_id,
    WebhookDelivery.event_type,
    WebhookDelivery.status,
    WebhookDelivery.attempts,
    WebhookDelivery.next_attempt_at,
    WebhookDelivery.last_status_code,
    WebhookDelivery.last_error,
    WebhookDelivery.created_at,
    WebhookDelivery.delivered_at,
)


async def deliveries(
    session: AsyncSession,
    webhook_id: int,
    *,
    status: str | None = None,
    delivery_id: int | None = None,
    after: int | None = None,
    limit: int = 100,
) -> list[DeliveryRow]:
    stmt = (
        select(*_DELIVERY_COLUMNS)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(WebhookDelivery.event_id)
        .limit(limit)
    )
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if delivery_id is not None:
        stmt = stmt.where(WebhookDelivery.id == delivery_id)
    if after is not None:
        stmt = stmt.where(WebhookDelivery.id > after)  # queued in event order: ids follow it
    return [DeliveryRow(*row) for row in await session.execute(stmt)]


async def attempts_of(session: AsyncSession, delivery_ids: Sequence[int]) -> list[AttemptRow]:
    if not delivery_ids:
        return []
    rows = await session.execute(
        select(
            WebhookAttempt.delivery_id,
            WebhookAttempt.attempted_at,
            WebhookAttempt.status_code,
            WebhookAttempt.error,
            WebhookAttempt.duration_ms,
        )
        .where(WebhookAttempt.delivery_id.in_(list(delivery_ids)))
        .order_by(WebhookAttempt.id)
    )
    return [AttemptRow(*row) for row in rows]


async def redeliver(
    session: AsyncSession,
    webhook_id: int,
    *,
    now: datetime,
    delivery_id: int | None = None,
    statuses: Sequence[DeliveryStatus] = (DeliveryStatus.DEAD,),
) -> int:
    """Put deliveries back in the queue with a fresh allowance of attempts; returns how
    many. They go out in event order with the subscription's other pending ones."""
    stmt = (
        update(WebhookDelivery)
        .where(
            WebhookDelivery.webhook_id == webhook_id,
            WebhookDelivery.status.in_([s.value for s in statuses]),
        )
        .values(status=DeliveryStatus.PENDING.value, attempts=0, next_attempt_at=now)
    )
    if delivery_id is not None:
        stmt = stmt.where(WebhookDelivery.id == delivery_id)
    result = await session.execute(stmt.returning(WebhookDelivery.id))
    return len(result.all())


def _failing() -> Any:
    return or_(
        WebhookDelivery.status == DeliveryStatus.DEAD.value,
        and_(
            WebhookDelivery.status == DeliveryStatus.PENDING.value,
            WebhookDelivery.attempts > 0,
        ),
    )


async def failing_count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).where(_failing()))).scalar_one())


# --- the dispatcher ------------------------------------------------------------------------------


def _due(now: datetime) -> Any:
    return exists().where(
        WebhookDelivery.webhook_id == Webhook.id,
        WebhookDelivery.status == DeliveryStatus.PENDING.value,
        WebhookDelivery.next_attempt_at <= now,
    )


async def claim(
    session: AsyncSession, *, now: datetime, until: datetime, token: str, limit: int
) -> list[WebhookRow]:
    """Lease up to `limit` subscriptions with work (events after their cursor, or a pending
    delivery due) that nobody holds; returns them."""
    head = await feed_head(session)
    free = or_(Webhook.leased_until.is_(None), Webhook.leased_until < now)
    candidates = (
        select(Webhook.id)
        .where(free, or_(Webhook.after_event_id < head, _due(now)))
        .order_by(Webhook.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.execute(candidates)).scalars())
    if not ids:
        return []
    claimed = await session.execute(
        update(Webhook)
        .where(Webhook.id.in_(ids), free)
        .values(leased_until=until, lease_token=token)
        .returning(*_WEBHOOK_COLUMNS)
    )
    return sorted((_webhook(row) for row in claimed), key=lambda w: w.id)


async def events_after(session: AsyncSession, after: int, limit: int) -> list[tuple[int, str]]:
    """Positioned events after a subscription's cursor, in feed order: (id, type)."""
    rows = await session.execute(
        select(Event.id, Event.type).where(Event.id > after).order_by(Event.id).limit(limit)
    )
    return [(int(row.id), row.type) for row in rows]


async def queue(
    session: AsyncSession,
    webhook_id: int,
    token: str,
    events: Sequence[tuple[int, str]],
    upto: int,
    now: datetime,
) -> int:
    """Deliveries for these events and the cursor moved to `upto`, under the lease."""
    moved = await session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.lease_token == token)
        .values(after_event_id=upto)
        .returning(Webhook.id)
    )
    if moved.scalar_one_or_none() is None or not events:
        return 0
    await session.execute(
        insert(WebhookDelivery),
        [
            {
                "webhook_id": webhook_id,
                "event_id": event_id,
                "event_type": event_type,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for event_id, event_type in events
        ],
    )
    return len(events)


async def head_of_queue(session: AsyncSession, webhook_id: int) -> DueDelivery | None:
    """The pending delivery with the lowest event id: the only one that may go now, so a
    receiver sees a subscription's events in feed order."""
    row = (
        await session.execute(
            select(
                WebhookDelivery.id,
                WebhookDelivery.attempts,
                WebhookDelivery.next_attempt_at,
                Event.id.label("event_id"),
                Event.type,
                Event.occurred_at,
                Event.data,
            )
            .join(Event, Event.id == WebhookDelivery.event_id)
            .where(
                WebhookDelivery.webhook_id == webhook_id,
                WebhookDelivery.status == DeliveryStatus.PENDING.value,
            )
            .order_by(WebhookDelivery.event_id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return DueDelivery(
        row.id, row.attempts, row.next_attempt_at, row.event_id, row.type, row.occurred_at, row.data
    )


async def record_attempt(
    session: AsyncSession,
    *,
    webhook_id: int,
    token: str,
    delivery_id: int,
    at: datetime,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    outcome: DeliveryStatus,
    next_attempt_at: datetime,
    lease_until: datetime,
) -> bool:
    """The attempt, the delivery's new state and a longer lease, if the lease is still
    this dispatcher's (False: it lost it, nothing is written)."""
    held = await session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.lease_token == token)
        .values(leased_until=lease_until)
        .returning(Webhook.id)
    )
    if held.scalar_one_or_none() is None:
        return False
    if error is not None:
        error = error[: limits.DELIVERY_ERROR.max_length]
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(
            status=outcome.value,
            attempts=WebhookDelivery.attempts + 1,
            next_attempt_at=next_attempt_at,
            last_status_code=status_code,
            last_error=error,
            delivered_at=at if outcome is DeliveryStatus.DELIVERED else None,
        )
    )
    await session.execute(
        insert(WebhookAttempt).values(
            delivery_id=delivery_id,
            attempted_at=at,
            status_code=status_code,
            error=error,
            duration_ms=duration_ms,
        )
    )
    return True


async def release(session: AsyncSession, webhook_id: int, token: str) -> None:
    await session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.lease_token == token)
        .values(leased_until=None, lease_token=None)
    )
