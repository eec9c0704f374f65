"""The expiry sweep's statements: lots in stock near or past their expiry, and the notices
that make each expiry event happen once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import Balance, ExpiryNotice, Item, JobCursor, Location, Lot


@dataclass(frozen=True, slots=True)
class LotInStock:
    lot_id: int
    item_id: int
    item_name: str
    lot_number: str
    expiry: date
    quantity: int
    recalled: bool


async def lots_expiring_by(session: AsyncSession, until: date) -> list[LotInStock]:
    """Lots with stock at a real location that expire on or before `until`."""
    rows = await session.execute(
        select(
            Lot.id,
            Lot.item_id,
            Item.name,
            Lot.lot_number,
            Lot.expiry,
            func.sum(Balance.quantity),
            Lot.recalled,
        )
        .join(Balance, Balance.lot_id == Lot.id)
        .join(Item, Item.id == Lot.item_id)
        .join(Location, Location.id == Balance.location_id)
        .where(
            Balance.quantity > 0,
            Location.is_virtual.is_(False),
            Lot.expiry.is_not(None),
            Lot.expiry <= until,
        )
        .group_by(Lot.id, Lot.item_id, Item.name, Lot.lot_number, Lot.expiry, Lot.recalled)
        .order_by(Lot.expiry, Lot.id)
    )
    found: list[Any] = list(rows.all())
    return [LotInStock(*row) for row in found]


async def claim_notice(
    session: AsyncSession, subject: str, subject_id: int, threshold_days: int, expiry: date
) -> bool:
    """True for the one sweep that records this notice first (a concurrent sweep waits on
    the key, then finds it taken)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    claimed = await session.execute(
        insert(ExpiryNotice)
        .values(
            subject=subject, subject_id=subject_id, threshold_days=threshold_days, expiry=expiry
        )
        .on_conflict_do_nothing()
        .returning(ExpiryNotice.subject_id)
    )
    return claimed.scalar_one_or_none() is not None


async def swept_through(session: AsyncSession, name: str) -> int:
    """The ordinal of the last site date the sweep finished (0: never), read without a lock."""
    value = (
        await session.execute(select(JobCursor.last_event_id).where(JobCursor.name == name))
    ).scalar_one_or_none()
    return int(value or 0)
