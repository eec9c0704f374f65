"""Recall statements: record a recall, mark its lots, find every unit of them (down to the
kit slot), and move what is outside kits to quarantine in a few set-based statements.

A lot spread over 10,000 balances is one read to list and four writes to quarantine (the
movements go in as one bulk insert), not a statement per balance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, exists, func, insert, literal, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from inventory_svc.db.ledger import balance_upsert
from inventory_svc.db.models import (
    Balance,
    Item,
    Kit,
    KitTemplateSlot,
    KitTemplateSlotItem,
    Location,
    Lot,
    Movement,
    Recall,
    RecallLot,
    SerialPack,
    UtcDateTime,
)
from inventory_svc.domain.recalls import ALL_LOTS
from inventory_svc.domain.vocabulary import LocationKind


def _numbers_match(numbers: Sequence[str]) -> Any:
    """The lots of the recall's numbers (its item is filtered by the caller)."""
    return true() if ALL_LOTS in numbers else Lot.lot_number.in_(numbers)


async def insert_recall(
    session: AsyncSession,
    *,
    item_id: int,
    numbers: Sequence[str],
    reason: str,
    source: str | None,
    actor: str | None,
    at: datetime,
) -> int:
    recall_id: int = (
        await session.execute(
            insert(Recall)
            .values(item_id=item_id, reason=reason, source=source, created_by=actor, created_at=at)
            .returning(Recall.id)
        )
    ).scalar_one()
    await session.execute(
        insert(RecallLot),
        [{"recall_id": recall_id, "item_id": item_id, "lot_number": n} for n in numbers],
    )
    return recall_id


async def mark_recalled(session: AsyncSession, item_id: int, numbers: Sequence[str]) -> int:
    """Every lot row of these numbers (all their expiries) is recalled; returns how many."""
    result = await session.execute(
        update(Lot)
        .where(Lot.item_id == item_id, _numbers_match(numbers))
        .values(recalled=True)
        .returning(Lot.id)
    )
    return len(result.all())


async def number_is_recalled(session: AsyncSession, item_id: int, lot_number: str) -> bool:
    """Whether a lot arriving for the first time is under a recall (its number, or all)."""
    found = (
        await session.execute(
            select(
                exists().where(
                    RecallLot.item_id == item_id,
                    RecallLot.lot_number.in_([lot_number, ALL_LOTS]),
                )
            )
        )
    ).scalar_one()
    return bool(found)


@dataclass(frozen=True, slots=True)
class RecallRow:
    id: int
    item_id: int
    item_name: str
    reason: str
    source: str | None
    created_by: str | None
    created_at: datetime
    quarantined_at: datetime | None
    numbers: list[str]


async def recalls(
    session: AsyncSession,
    *,
    recall_id: int | None = None,
    after: int | None = None,
    limit: int = 200,
) -> list[RecallRow]:
    stmt = select(Recall, Item.name).join(Item, Item.id == Recall.item_id).order_by(Recall.id)
    if recall_id is not None:
        stmt = stmt.where(Recall.id == recall_id)
    if after is not None:
        stmt = stmt.where(Recall.id > after)
    rows = (await session.execute(stmt.limit(limit))).all()
    ids = [recall.id for recall, _ in rows]
    numbers: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        lots = await session.execute(
            select(RecallLot.recall_id, RecallLot.lot_number)
            .where(RecallLot.recall_id.in_(ids))
            .order_by(RecallLot.id)
        )
        for owner, number in lots.all():
            numbers[owner].append(number)
    return [
        RecallRow(
            recall.id,
            recall.item_id,
            name,
            recall.reason,
            recall.source,
            recall.created_by,
            recall.created_at,
            recall.quarantined_at,
            numbers[recall.id],
        )
        for recall, name in rows
    ]


@dataclass(frozen=True, slots=True)
class Holding:
    """Stock of a recalled lot somewhere: a location, or a kit (with the slot it fills)."""

    location_id: int
    location: str
    kind: str
    is_kit: bool
    slot: str | None
    lot_id: int
    lot: str
    expiry: date | None
    quantity: int


async def holdings(session: AsyncSession, item_id: int, numbers: Sequence[str]) -> list[Holding]:
    """Every balance of the recalled lots with stock: one statement, whatever the spread."""
    stmt = (
        select(
            Location.id,
            Location.code,
            Location.kind,
            Kit.location_id.is_not(None),
            KitTemplateSlot.slot,
            Lot.id,
            Lot.lot_number,
            Lot.expiry,
            Balance.quantity,
        )
        .join(Lot, Lot.id == Balance.lot_id)
        .join(Location, Location.id == Balance.location_id)
        .outerjoin(Kit, Kit.location_id == Location.id)
        .outerjoin(
            KitTemplateSlotItem,
            (KitTemplateSlotItem.template_id == Kit.template_id)
            & (KitTemplateSlotItem.item_id == Balance.item_id),
        )
        .outerjoin(KitTemplateSlot, KitTemplateSlot.id == KitTemplateSlotItem.slot_id)
        .where(Lot.item_id == item_id, _numbers_match(numbers), Balance.quantity > 0)
        .order_by(Location.code, Lot.expiry, Lot.lot_number)
    )
    rows: list[Any] = list((await session.execute(stmt)).all())
    return [Holding(*row) for row in rows]


async def quarantine_locations(session: AsyncSession) -> list[tuple[int, str]]:
    rows = await session.execute(
        select(Location.id, Location.code)
        .where(Location.kind == LocationKind.QUARANTINE.value, Location.is_virtual.is_(False))
        .order_by(Location.code)
    )
    return [(location_id, code) for location_id, code in rows.all()]


def _loose(item_id: int, numbers: Sequence[str]) -> Any:
    """The ids of the recalled lots' balances with stock outside kits and quarantine: what a
    quarantine moves (the same predicate for its lock, its movements and its update)."""
    return (
        select(Balance.id)
        .join(Lot, Lot.id == Balance.lot_id)
        .join(Location, Location.id == Balance.location_id)
        .where(
            Lot.item_id == item_id,
            _numbers_match(numbers),
            Balance.quantity > 0,
            Location.kind != LocationKind.QUARANTINE.value,
            ~exists().where(Kit.location_id == Balance.location_id),
        )
    )


async def lock_loose(
    session: AsyncSession, item_id: int, numbers: Sequence[str]
) -> list[tuple[int, int, int, int, int]]:
    """Lock the balances a quarantine moves (in one order, so two quarantines never
    deadlock) and read them as they are now: (balance id, item, location, lot, quantity)."""
    rows = await session.execute(
        select(Balance.id, Balance.item_id, Balance.location_id, Balance.lot_id, Balance.quantity)
        .where(Balance.id.in_(_loose(item_id, numbers)))
        .order_by(Balance.location_id, Balance.lot_id)
        .with_for_update()
    )
    found: list[Any] = list(rows.all())
    return [tuple(row) for row in found]


async def move_to_quarantine(
    session: AsyncSession,
    item_id: int,
    numbers: Sequence[str],
    locked: Sequence[tuple[int, int, int, int, int]],
    quarantine_id: int,
    *,
    reference: str,
    actor: str | None,
    at: datetime,
) -> int:
    """`quarantine` movements for the locked balances (one INSERT ... SELECT), their sources
    emptied (one UPDATE), the quarantine location's balances filled per lot. Returns the
    units moved."""
    if not locked:
        return 0
    loose = _loose(item_id, numbers)
    await session.execute(
        insert(Movement).from_select(
            [
                "kind",
                "item_id",
                "lot_id",
                "from_location_id",
                "to_location_id",
                "quantity",
                "actor",
                "reference",
                "occurred_at",
                "recorded_at",
            ],
            select(
                literal("quarantine"),
                Balance.item_id,
                Balance.lot_id,
                Balance.location_id,
                literal(quarantine_id),
                Balance.quantity,
                literal(actor, String()),
                literal(reference),
                literal(at, UtcDateTime()),
                literal(at, UtcDateTime()),
            )
            .where(Balance.id.in_(loose))
            .order_by(Balance.location_id, Balance.lot_id),
        )
    )
    await session.execute(
        update(Balance).where(Balance.id.in_(loose)).values(quantity=0, updated_at=func.now())
    )
    per_lot: dict[tuple[int, int], int] = {}
    for _, item, _, lot_id, quantity in locked:
        per_lot[(item, lot_id)] = per_lot.get((item, lot_id), 0) + quantity
    upsert = balance_upsert(session.get_bind().dialect.name)
    for (item, lot_id), quantity in per_lot.items():
        await session.execute(
            upsert,
            {"item_id": item, "location_id": quarantine_id, "lot_id": lot_id, "quantity": quantity},
        )
    return sum(per_lot.values())


async def set_quarantined(session: AsyncSession, recall_id: int, at: datetime) -> None:
    await session.execute(update(Recall).where(Recall.id == recall_id).values(quarantined_at=at))


def recall_reference(recall_id: int) -> str:
    return f"recall:{recall_id}"


__all__ = [
    "Holding",
    "RecallRow",
    "holdings",
    "insert_recall",
    "lock_loose",
    "mark_recalled",
    "move_to_quarantine",
    "number_is_recalled",
    "quarantine_locations",
    "recall_reference",
    "recalls",
    "serial_history",
    "serial_pack",
    "set_quarantined",
]


@dataclass(frozen=True, slots=True)
class PackRow:
    item_id: int
    item_name: str
    lot: str
    expiry: date | None
    location: str
    is_virtual: bool
    updated_at: datetime


async def serial_pack(session: AsyncSession, gtin: str, serial: str) -> PackRow | None:
    row = (
        await session.execute(
            select(
                SerialPack.item_id,
                Item.name,
                Lot.lot_number,
                Lot.expiry,
                Location.code,
                Location.is_virtual,
                SerialPack.updated_at,
            )
            .join(Item, Item.id == SerialPack.item_id)
            .join(Lot, Lot.id == SerialPack.lot_id)
            .join(Location, Location.id == SerialPack.location_id)
            .where(SerialPack.gtin == gtin, SerialPack.serial == serial)
        )
    ).first()
    return PackRow(*row) if row else None


async def serial_history(
    session: AsyncSession, item_id: int, serial: str
) -> list[tuple[int, str, str, str, int, str | None, datetime]]:
    """The movements that named the pack: (id, kind, from, to, quantity, actor, when)."""
    source = aliased(Location)
    destination = aliased(Location)
    rows = await session.execute(
        select(
            Movement.id,
            Movement.kind,
            source.code,
            destination.code,
            Movement.quantity,
            Movement.actor,
            Movement.occurred_at,
        )
        .join(source, source.id == Movement.from_location_id)
        .join(destination, destination.id == Movement.to_location_id)
        .where(Movement.item_id == item_id, Movement.serial == serial)
        .order_by(Movement.id)
    )
    found: list[Any] = list(rows.all())
    return [tuple(row) for row in found]
