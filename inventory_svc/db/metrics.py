"""Cheap reads for the metrics scrape: the outbox's backlog (events not yet given a feed id).

Both use the partial index `ix_events_unpositioned` (id IS NULL), so a scrape costs an index
range scan over the backlog, which the sequencer keeps short."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import Event


@dataclass(frozen=True, slots=True)
class OutboxLag:
    unpositioned: int
    """Events written but not yet given a feed position (invisible to feed readers)."""
    oldest_at: datetime | None
    """When the oldest of them occurred; None when there is none."""


async def outbox_lag(session: AsyncSession) -> OutboxLag:
    row = (
        await session.execute(
            select(func.count(), func.min(Event.occurred_at)).where(Event.id.is_(None))
        )
    ).one()
    return OutboxLag(unpositioned=int(row[0]), oldest_at=row[1])
