"""Count sessions and count lines: every statement of the cycle count, typed rows out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import (
    Balance,
    CountLine,
    CountSession,
    Item,
    Location,
    Lot,
    Movement,
)
from inventory_svc.domain.vocabulary import CountStatus


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


@dataclass(frozen=True, slots=True)
class CountRow:
    id: int
    location_id: int
    location: str
    status: CountStatus
    blind: bool
    opened_by: str | None
    opened_at: datetime
    committed_by: str | None
    committed_at: datetime | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class LineRow:
    item_id: int
    lot_id: int | None
    counted: int
    baseline: int
    watermark: int


@dataclass(frozen=True, slots=True)
class ShelfRow:
    """A balance row of the counted location, zero ones included."""

    item_id: int
    lot_id: int
    lot_number: str
    expiry: date | None
    quantity: int


@dataclass(frozen=True, slots=True)
class LotInfo:
    lot_id: int
    item_id: int
    lot_number: str
    expiry: date | None


@dataclass(frozen=True, slots=True)
class ItemInfo:
    id: int
    name: str
    schedule: str | None


async def insert_count(
    session: AsyncSession, location_id: int, blind: bool, actor: str | None, at: datetime
) -> int:
    """Raises IntegrityError when the location already has an open count."""
    count_id: int = (
        await session.execute(
            _insert(session)(CountSession)
            .values(
                location_id=location_id,
                status=CountStatus.OPEN.value,
                blind=blind,
                opened_by=actor,
                opened_at=at,
            )
            .returning(CountSession.id)
        )
    ).scalar_one()
    return count_id


async def open_count_at(session: AsyncSession, location_id: int) -> int | None:
    found: int | None = (
        await session.execute(
            select(CountSession.id).where(
                CountSession.location_id == location_id,
                CountSession.status == CountStatus.OPEN.value,
            )
        )
    ).scalar_one_or_none()
    return found


def _count_rows() -> Any:
    """A count session's columns with its location's code, as CountRow takes them."""
    return select(
        CountSession.id,
        CountSession.location_id,
        Location.code,
        CountSession.status,
        CountSession.blind,
        CountSession.opened_by,
        CountSession.opened_at,
        CountSession.committed_by,
        CountSession.committed_at,
        CountSession.reason,
    ).join(Location, Location.id == CountSession.location_id)


def _count_row(row: Any) -> CountRow:
    values = list(row)
    values[3] = CountStatus(values[3])
    return CountRow(*values)


async def recent_counts(
    session: AsyncSession, *, status: CountStatus | None, before: int | None, limit: int
) -> list[CountRow]:
    """Count sessions, newest first (`before` = the last id of the previous page)."""
    stmt = _count_rows().order_by(CountSession.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(CountSession.status == status.value)
    if before is not None:
        stmt = stmt.where(CountSession.id < before)
    return [_count_row(row) for row in (await session.execute(stmt)).all()]


async def count_by_id(
    session: AsyncSession, count_id: int, *, lock: bool = False
) -> CountRow | None:
    """The count; `lock` holds its row for the rest of the transaction (PostgreSQL), so a
    commit and a count scan of it queue."""
    stmt = _count_rows().where(CountSession.id == count_id)
    if lock:
        stmt = stmt.with_for_update(of=CountSession)
    row = (await session.execute(stmt)).first()
    return None if row is None else _count_row(row)


async def add_counted(
    session: AsyncSession,
    *,
    count_id: int,
    location_id: int,
    item_id: int,
    lot_id: int | None,
    quantity: int,
    at: datetime,
) -> int:
    """Add `quantity` to a line, creating it (with its baseline and watermark) at the first
    count scan of its lot; a first scan of the item as a whole also snapshots every lot of
    the item at the location (counted 0: the lots it stands for). Returns the line's total."""
    insert = _insert(session)
    watermark = select(func.coalesce(func.max(Movement.id), 0)).scalar_subquery()
    if lot_id is not None:
        baseline = (
            select(func.coalesce(func.max(Balance.quantity), 0))
            .where(Balance.location_id == location_id, Balance.lot_id == lot_id)
            .scalar_subquery()
        )
        await session.execute(
            insert(CountLine)
            .values(
                count_session_id=count_id,
                item_id=item_id,
                lot_id=lot_id,
                counted=0,
                baseline=baseline,
                watermark=watermark,
                first_counted_at=at,
            )
            .on_conflict_do_nothing(
                index_elements=["count_session_id", "lot_id"],
                index_where=text("lot_id IS NOT NULL"),
            )
        )
        condition = and_(CountLine.count_session_id == count_id, CountLine.lot_id == lot_id)
    else:
        created = (
            await session.execute(
                insert(CountLine)
                .values(
                    count_session_id=count_id,
                    item_id=item_id,
                    lot_id=None,
                    counted=0,
                    baseline=0,
                    watermark=watermark,
                    first_counted_at=at,
                )
                .on_conflict_do_nothing(
                    index_elements=["count_session_id", "item_id"],
                    index_where=text("lot_id IS NULL"),
                )
                .returning(CountLine.id)
            )
        ).scalar_one_or_none()
        if created is not None:
            snapshot = select(
                literal(count_id),
                Balance.item_id,
                Balance.lot_id,
                literal(0),
                Balance.quantity,
                watermark,
                literal(at, type_=CountLine.first_counted_at.type),
            ).where(Balance.location_id == location_id, Balance.item_id == item_id)
            await session.execute(
                insert(CountLine)
                .from_select(
                    [
                        "count_session_id",
                        "item_id",
                        "lot_id",
                        "counted",
                        "baseline",
                        "watermark",
                        "first_counted_at",
                    ],
                    snapshot,
                )
                .on_conflict_do_nothing(
                    index_elements=["count_session_id", "lot_id"],
                    index_where=text("lot_id IS NOT NULL"),
                )
            )
        condition = and_(
            CountLine.count_session_id == count_id,
            CountLine.item_id == item_id,
            CountLine.lot_id.is_(None),
        )
    total: int = (
        await session.execute(
            update(CountLine)
            .where(condition)
            .values(counted=CountLine.counted + quantity)
            .returning(CountLine.counted)
        )
    ).scalar_one()
    return int(total)


async def lines(session: AsyncSession, count_id: int) -> list[LineRow]:
    rows = await session.execute(
        select(
            CountLine.item_id,
            CountLine.lot_id,
            CountLine.counted,
            CountLine.baseline,
            CountLine.watermark,
        )
        .where(CountLine.count_session_id == count_id)
        .order_by(CountLine.id)
    )
    return [LineRow(*row) for row in rows.all()]


async def shelf(session: AsyncSession, location_id: int, *, lock: bool = False) -> list[ShelfRow]:
    """The location's balance rows; `lock` holds them (PostgreSQL) until the commit's
    adjustments are written, so "not counted: zero" is exact while scans go on."""
    stmt = (
        select(Balance.item_id, Balance.lot_id, Lot.lot_number, Lot.expiry, Balance.quantity)
        .join(Lot, Lot.id == Balance.lot_id)
        .where(Balance.location_id == location_id)
        .order_by(Balance.item_id, Balance.lot_id)
    )
    if lock:
        stmt = stmt.with_for_update(of=Balance)
    return [ShelfRow(*row) for row in (await session.execute(stmt)).all()]


async def lots_by_ids(session: AsyncSession, lot_ids: set[int]) -> dict[int, LotInfo]:
    if not lot_ids:
        return {}
    rows = await session.execute(
        select(Lot.id, Lot.item_id, Lot.lot_number, Lot.expiry).where(Lot.id.in_(sorted(lot_ids)))
    )
    return {row[0]: LotInfo(*row) for row in rows.all()}


async def latest_lot_of(session: AsyncSession, item_id: int) -> LotInfo | None:
    """The item's latest-expiring known lot (lots without expiry first: they never expire)."""
    row = (
        await session.execute(
            select(Lot.id, Lot.item_id, Lot.lot_number, Lot.expiry)
            .where(Lot.item_id == item_id)
            .order_by(Lot.expiry.is_not(None), Lot.expiry.desc(), Lot.id)
            .limit(1)
        )
    ).first()
    return LotInfo(*row) if row else None


async def items_by_ids(session: AsyncSession, item_ids: set[int]) -> dict[int, ItemInfo]:
    if not item_ids:
        return {}
    rows = await session.execute(
        select(Item.id, Item.name, Item.schedule).where(Item.id.in_(sorted(item_ids)))
    )
    return {row[0]: ItemInfo(*row) for row in rows.all()}


async def mark_committed(
    session: AsyncSession, count_id: int, actor: str | None, at: datetime, reason: str | None
) -> None:
    await session.execute(
        update(CountSession)
        .where(CountSession.id == count_id)
        .values(
            status=CountStatus.COMMITTED.value, committed_by=actor, committed_at=at, reason=reason
        )
    )


__all__ = [
    "CountRow",
    "ItemInfo",
    "LineRow",
    "LotInfo",
    "ShelfRow",
    "add_counted",
    "count_by_id",
    "insert_count",
    "items_by_ids",
    "latest_lot_of",
    "lines",
    "lots_by_ids",
    "mark_committed",
    "open_count_at",
    "recent_counts",
    "shelf",
]
