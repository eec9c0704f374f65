"""Reading movements back: a reference's or a scan's movements, scan reversals, and the
controlled-substance ledger. Typed rows out."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from inventory_svc.db import scanlog
from inventory_svc.db.models import Item, Location, Lot, Movement, Scan, ScanReversal


@dataclass(frozen=True, slots=True)
class MovementRow:
    id: int
    kind: str
    item_id: int
    lot_id: int
    lot_number: str
    expiry: date | None
    from_location_id: int
    from_code: str
    from_virtual: bool
    to_location_id: int
    to_code: str
    to_virtual: bool
    quantity: int
    reference: str | None
    witness: str | None


_FROM = aliased(Location)
_TO = aliased(Location)
_MOVEMENT_COLUMNS = (
    Movement.id,
    Movement.kind,
    Movement.item_id,
    Movement.lot_id,
    Lot.lot_number,
    Lot.expiry,
    Movement.from_location_id,
    _FROM.code,
    _FROM.is_virtual,
    Movement.to_location_id,
    _TO.code,
    _TO.is_virtual,
    Movement.quantity,
    Movement.reference,
    Movement.witness,
)


def _movements() -> Any:
    return (
        select(*_MOVEMENT_COLUMNS)
        .join(Lot, Lot.id == Movement.lot_id)
        .join(_FROM, _FROM.id == Movement.from_location_id)
        .join(_TO, _TO.id == Movement.to_location_id)
        .order_by(Movement.id)
    )


async def movements_by_reference(session: AsyncSession, reference: str) -> list[MovementRow]:
    rows = await session.execute(_movements().where(Movement.reference == reference))
    return [MovementRow(*row) for row in rows.all()]


async def movements_of_scan(session: AsyncSession, scan_id: int) -> list[MovementRow]:
    rows = await session.execute(_movements().where(Movement.scan_id == scan_id))
    return [MovementRow(*row) for row in rows.all()]


@dataclass(frozen=True, slots=True)
class ScanRow:
    id: int
    status: str
    action: str
    code: str
    location_code: str | None
    to_location_code: str | None
    quantity: int | None
    item_id: int | None
    barcode: dict[str, Any] | None


async def scan_by_id(session: AsyncSession, scan_id: int) -> ScanRow | None:
    row = (
        await session.execute(
            select(
                Scan.id,
                Scan.status,
                Scan.action,
                Scan.code,
                Scan.location_code,
                Scan.to_location_code,
                Scan.quantity,
                Scan.item_id,
                Scan.barcode,
            ).where(Scan.id == scan_id)
        )
    ).first()
    return ScanRow(*row) if row else None


async def reversal_of(session: AsyncSession, scan_id: int) -> int | None:
    """The scan that reversed `scan_id`, if any."""
    found: int | None = (
        await session.execute(
            select(ScanReversal.reversal_scan_id).where(ScanReversal.scan_id == scan_id)
        )
    ).scalar_one_or_none()
    return found


async def is_a_reversal(session: AsyncSession, scan_id: int) -> bool:
    found = (
        await session.execute(
            select(ScanReversal.scan_id).where(ScanReversal.reversal_scan_id == scan_id)
        )
    ).first()
    return found is not None


async def insert_reversal_scan(
    session: AsyncSession,
    original: ScanRow,
    *,
    actor: str | None,
    api_key_id: int | None,
    reason: str,
    at: datetime,
) -> int:
    """The reversal's own scan row (action `reverse`, no Idempotency-Key), and its link to
    the original; the link's key refuses a second reversal (IntegrityError)."""
    scan_id = await scanlog.insert_scan(
        session,
        {
            "idempotency_key": None,
            "request_hash": hashlib.sha256(f"reverse:{original.id}".encode()).hexdigest(),
            "api_key_id": api_key_id,
            "actor": actor,
            "device": None,
            "code": original.code,
            "action": "reverse",
            "location_code": original.location_code,
            "to_location_code": original.to_location_code,
            "quantity": original.quantity,
            "status": "applied",
            "scanned_at": at,
            "recorded_at": at,
            "item_id": original.item_id,
            "barcode": original.barcode,
            "error_code": None,
            "error_detail": None,
            "response_status": 201,
            "response_body": {"reverses": original.id, "reason": reason},
        },
    )
    await session.execute(
        insert(ScanReversal).values(
            scan_id=original.id,
            reversal_scan_id=scan_id,
            reason=reason,
            reversed_by=actor,
            reversed_at=at,
        )
    )
    return scan_id


# --- the controlled-substance ledger ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ControlledMovement:
    id: int
    occurred_at: datetime
    item_id: int
    item_name: str
    schedule: str
    kind: str
    lot_number: str
    expiry: date | None
    from_code: str
    from_virtual: bool
    to_code: str
    to_virtual: bool
    quantity: int
    actor: str | None
    witness: str | None
    scan_id: int | None
    reference: str | None


async def controlled_movements(
    session: AsyncSession,
    *,
    schedules: Sequence[str],
    item: int | None,
    location_id: int | None,
    until: datetime | None,
) -> list[ControlledMovement]:
    """Every movement of a scheduled item (of `item`, touching `location_id`), before
    `until`, in ledger order (occurred_at, id)."""
    stmt = (
        select(
            Movement.id,
            Movement.occurred_at,
            Movement.item_id,
            Item.name,
            Item.schedule,
            Movement.kind,
            Lot.lot_number,
            Lot.expiry,
            _FROM.code,
            _FROM.is_virtual,
            _TO.code,
            _TO.is_virtual,
            Movement.quantity,
            Movement.actor,
            Movement.witness,
            Movement.scan_id,
            Movement.reference,
        )
        .join(Item, Item.id == Movement.item_id)
        .join(Lot, Lot.id == Movement.lot_id)
        .join(_FROM, _FROM.id == Movement.from_location_id)
        .join(_TO, _TO.id == Movement.to_location_id)
        .where(Item.schedule.in_(list(schedules)))
        .order_by(Movement.occurred_at, Movement.id)
    )
    if item is not None:
        stmt = stmt.where(Movement.item_id == item)
    if location_id is not None:
        stmt = stmt.where(
            or_(Movement.from_location_id == location_id, Movement.to_location_id == location_id)
        )
    if until is not None:
        stmt = stmt.where(Movement.occurred_at < until)
    rows: list[Any] = list((await session.execute(stmt)).all())
    return [ControlledMovement(*row) for row in rows]


__all__ = [
    "ControlledMovement",
    "MovementRow",
    "ScanRow",
    "controlled_movements",
    "insert_reversal_scan",
    "is_a_reversal",
    "movements_by_reference",
    "movements_of_scan",
    "reversal_of",
    "scan_by_id",
]
