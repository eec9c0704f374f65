"""The outbox: events written with the change they report, and the feed that serves them.

Why feed ids are assigned after commit: an id taken from a sequence at insert time is
visible in commit order, not id order, so a reader following `after=<last id>` would skip
an event whose transaction took id 7, but committed after another one had shown id 8. Here
a writer only appends (`seq`, in insert order), and `position_pending` gives committed
events their feed `id`, strictly above every id given before, one sequencer at a time.
Whatever commits later is positioned later, above everything a reader has seen: nothing is
missed, nothing repeated, and writers never wait for each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

import msgspec
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import Event, EventFeed
from inventory_svc.domain.events import DomainEvent, type_filter
from inventory_svc.domain.records import EventRecord

POSITION_BATCH = 1000

_APPEND = insert(Event)
_HEAD = select(EventFeed.last_id).where(EventFeed.id == 1).with_for_update(skip_locked=True)
_UNPOSITIONED = (
    select(Event.seq).where(Event.id.is_(None)).order_by(Event.seq).limit(POSITION_BATCH)
)
_EVENTS = cast(Table, Event.__table__)
_POSITION = (  # Core, so that a list of parameters runs as one executemany
    update(_EVENTS).where(_EVENTS.c.seq == bindparam("b_seq")).values(id=bindparam("b_id"))
)


async def append(
    session: AsyncSession, events: Sequence[DomainEvent], *, actor: str | None, at: datetime
) -> None:
    if not events:
        return
    rows = [
        {
            "type": event.type.value,
            "occurred_at": at,
            "actor": actor,
            "data": msgspec.to_builtins(dict(event.data)),
        }
        for event in events
    ]
    await session.execute(_APPEND, rows)


async def position_pending(session: AsyncSession) -> int:
    """Give committed, unpositioned events their feed ids; returns how many. Another replica
    already doing so holds the head row: then this one leaves it to them."""
    last_id = (await session.execute(_HEAD)).scalar_one_or_none()
    if last_id is None:
        return 0
    positioned = 0
    while seqs := list((await session.execute(_UNPOSITIONED)).scalars()):
        rows = [{"b_seq": seq, "b_id": last_id + n} for n, seq in enumerate(seqs, start=1)]
        await session.execute(_POSITION, rows)
        last_id += len(seqs)
        positioned += len(seqs)
    if positioned:
        await session.execute(update(EventFeed).where(EventFeed.id == 1).values(last_id=last_id))
    return positioned


async def feed(
    session: AsyncSession, *, after: int, limit: int, type_pattern: str | None = None
) -> list[EventRecord]:
    stmt = (
        select(Event.id, Event.type, Event.occurred_at, Event.actor, Event.data)
        .where(Event.id > after)
        .order_by(Event.id)
        .limit(limit)
    )
    if type_pattern:
        text, is_prefix = type_filter(type_pattern)
        if is_prefix:
            stmt = stmt.where(Event.type.startswith(text, autoescape=True))
        else:
            stmt = stmt.where(Event.type == text)
    rows = await session.execute(stmt)
    return [
        EventRecord(
            id=row.id, type=row.type, occurred_at=row.occurred_at, actor=row.actor, data=row.data
        )
        for row in rows
    ]
