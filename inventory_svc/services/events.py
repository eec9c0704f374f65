"""The event feed: what purchasing systems and auditors follow with `after=<last id>`."""

from __future__ import annotations

from inventory_svc.db import events as events_db
from inventory_svc.db.engine import SessionMaker
from inventory_svc.domain.records import EventRecord
from inventory_svc.services.uow import UnitOfWork


async def position_pending(uow: UnitOfWork) -> int:
    """Give committed events their feed ids (a short write; see db/events.py for why)."""
    return await events_db.position_pending(uow.session)


async def read_feed(
    read_sessions: SessionMaker, *, after: int, limit: int, type_pattern: str | None
) -> list[EventRecord]:
    async with read_sessions() as session:
        return await events_db.feed(session, after=after, limit=limit, type_pattern=type_pattern)
