"""Background jobs' cursors over the event feed, as SQL.

A job reads the feed after its cursor and advances the cursor in the same transaction as its
own work: committed together or not at all, so a crash neither loses nor repeats work. The
cursor row is also the job's lock: on PostgreSQL a process that finds it locked by another
skips the round (`FOR UPDATE SKIP LOCKED`); SQLite has one writer, which a first write takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import Event, JobCursor


@dataclass(frozen=True, slots=True)
class FeedEvent:
    id: int
    type: str
    data: dict[str, Any]


async def has_news(session: AsyncSession, name: str) -> bool:
    """Whether the feed has events after the job's cursor: read without a lock or a write, so
    an idle job costs one read per round (SQLite's single write turn stays free)."""
    cursor = select(JobCursor.last_event_id).where(JobCursor.name == name).scalar_subquery()
    stmt = select(exists().where(Event.id > func.coalesce(cursor, 0)))
    return bool((await session.execute(stmt)).scalar())


async def claim_cursor(session: AsyncSession, name: str, now: datetime) -> int | None:
    """The job's last event id, its row locked for this transaction; None when another
    process holds it (PostgreSQL), so this one leaves the round to it."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            pg_insert(JobCursor)
            .values(name=name, last_event_id=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        claimed = await session.execute(
            select(JobCursor.last_event_id)
            .where(JobCursor.name == name)
            .with_for_update(skip_locked=True)
        )
        return claimed.scalar_one_or_none()
    # SQLite: writing first takes the database's one write lock for the whole round.
    await session.execute(
        sqlite_insert(JobCursor)
        .values(name=name, last_event_id=0, updated_at=now)
        .on_conflict_do_update(index_elements=["name"], set_={"updated_at": now})
    )
    return (
        await session.execute(select(JobCursor.last_event_id).where(JobCursor.name == name))
    ).scalar_one()


async def advance_cursor(
    session: AsyncSession, name: str, last_event_id: int, now: datetime
) -> None:
    await session.execute(
        update(JobCursor)
        .where(JobCursor.name == name)
        .values(last_event_id=last_event_id, updated_at=now)
    )


async def events_after(
    session: AsyncSession, after: int, limit: int, types: Sequence[str] = ()
) -> tuple[list[FeedEvent], int]:
    """Up to `limit` positioned events after `after`, in feed order, of the given types (or
    all), and the last feed id read (the new cursor, `after` when none were read). Types a
    job does not follow are skipped in the cursor too, so an idle job never reads them again.
    """
    last = (
        (
            await session.execute(
                select(Event.id).where(Event.id > after).order_by(Event.id).limit(limit)
            )
        )
        .scalars()
        .all()
    )
    if not last:
        return [], after
    upto = last[-1]
    assert upto is not None, "only positioned events are after an id"
    stmt = select(Event.id, Event.type, Event.data).where(Event.id > after, Event.id <= upto)
    if types:
        stmt = stmt.where(Event.type.in_(list(types)))
    rows = await session.execute(stmt.order_by(Event.id))
    return [FeedEvent(row.id, row.type, row.data) for row in rows], upto
