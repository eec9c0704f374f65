"""Ledger statements: lots, balances and movements.

Balances change only through `add_to_balance` and `take_from_balance`: single atomic SQL
statements with RETURNING, never read-modify-write in Python, so concurrent scans on the same
balance cannot lose an update and a real location can never go below zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import Balance, Location, Lot, Movement
from inventory_svc.domain.ledger import LotOnHand


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _insert_for(dialect: str) -> Any:
    """INSERT with ON CONFLICT support for the given database."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


# The hot-path statements are built once per database with bound parameters: building an
# ON CONFLICT statement costs more than running it, and a fixed statement stays in
# SQLAlchemy's compiled cache.


@cache
def _lot_upsert(dialect: str) -> Any:
    """Get or create a lot in one statement (a no-op update makes RETURNING see old rows)."""
    stmt = _insert_for(dialect)(Lot).values(
        item_id=bindparam("item_id"),
        lot_number=bindparam("lot_number"),
        expiry=bindparam("expiry"),
        lot_key=bindparam("lot_key"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["item_id", "lot_key"], set_={"lot_number": stmt.excluded.lot_number}
    ).returning(Lot)


@cache
def _balance_upsert(dialect: str) -> Any:
    stmt = _insert_for(dialect)(Balance).values(
        item_id=bindparam("item_id"),
        location_id=bindparam("location_id"),
        lot_id=bindparam("lot_id"),
        is_virtual=bindparam("is_virtual"),
        quantity=bindparam("quantity"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["location_id", "lot_id"],
        set_={"quantity": Balance.quantity + stmt.excluded.quantity, "updated_at": func.now()},
    ).returning(Balance.quantity)


# Built once (profiled: building this statement per scan cost more than running it).
_TAKE = (
    update(Balance)
    .where(
        Balance.location_id == bindparam("b_location_id"),
        Balance.lot_id == bindparam("b_lot_id"),
        Balance.quantity >= bindparam("b_take"),
    )
    .values(quantity=Balance.quantity - bindparam("b_take"))
    .returning(Balance.quantity)
)

_FIND_LOT = select(Lot).where(
    Lot.item_id == bindparam("item_id"), Lot.lot_key == bindparam("lot_key")
)
# Returns of one lot queue on its row (PostgreSQL; SQLite writers are serial anyway), so two
# concurrent returns cannot both count the same issued units.
_FIND_LOT_LOCKED = _FIND_LOT.with_for_update()

_NET_TO_LOCATION = select(
    func.coalesce(
        func.sum(
            case(
                (Movement.to_location_id == bindparam("location_id"), Movement.quantity),
                else_=-Movement.quantity,
            )
        ),
        0,
    )
).where(
    Movement.lot_id == bindparam("lot_id"),
    or_(
        Movement.to_location_id == bindparam("location_id"),
        Movement.from_location_id == bindparam("location_id"),
    ),
)


def lot_key(lot_number: str, expiry: date | None) -> str:
    return f"{lot_number}|{expiry.isoformat() if expiry else ''}"


async def upsert_lot(
    session: AsyncSession, item_id: int, lot_number: str, expiry: date | None
) -> Lot:
    """The lot, created if stock of it arrives for the first time."""
    params = {
        "item_id": item_id,
        "lot_number": lot_number,
        "expiry": expiry,
        "lot_key": lot_key(lot_number, expiry),
    }
    lot: Lot = (await session.execute(_lot_upsert(_dialect(session)), params)).scalar_one()
    return lot


async def find_lot(
    session: AsyncSession,
    item_id: int,
    lot_number: str,
    expiry: date | None,
    *,
    lock: bool = False,
) -> Lot | None:
    """The lot if it exists: stock leaving a location never creates one. `lock` holds the
    lot's row until the transaction ends."""
    params = {"item_id": item_id, "lot_key": lot_key(lot_number, expiry)}
    stmt = _FIND_LOT_LOCKED if lock else _FIND_LOT
    return (await session.execute(stmt, params)).scalar_one_or_none()


async def net_moved_to(session: AsyncSession, lot_id: int, location: Location) -> int:
    """Units of the lot moved into `location` less those moved out, summed from the ledger
    itself (for `@consumed`: issued, net of returns, over all locations)."""
    params = {"lot_id": lot_id, "location_id": location.id}
    net: int = (await session.execute(_NET_TO_LOCATION, params)).scalar_one()
    return int(net)


async def add_to_balance(
    session: AsyncSession, *, item_id: int, location: Location, lot_id: int, quantity: int
) -> int:
    """Upsert `+quantity`; returns the new on-hand."""
    params = {
        "item_id": item_id,
        "location_id": location.id,
        "lot_id": lot_id,
        "is_virtual": location.is_virtual,
        "quantity": quantity,
    }
    new_quantity: int = (
        await session.execute(_balance_upsert(_dialect(session)), params)
    ).scalar_one()
    return new_quantity


async def take_from_balance(
    session: AsyncSession, *, item_id: int, location: Location, lot_id: int, quantity: int
) -> int | None:
    """Subtract if enough is on hand; returns the new on-hand, or None when there is not.

    Virtual locations (the outside world) may run negative, so they go through the upsert.
    """
    if location.is_virtual:
        return await add_to_balance(
            session, item_id=item_id, location=location, lot_id=lot_id, quantity=-quantity
        )
    params = {"b_location_id": location.id, "b_lot_id": lot_id, "b_take": quantity}
    taken: int | None = (await session.execute(_TAKE, params)).scalar_one_or_none()
    return taken


async def move_lot(
    session: AsyncSession,
    source: Location,
    destination: Location,
    item_id: int,
    lot_id: int,
    quantity: int,
) -> dict[str, int] | None:
    """Move `quantity` of one lot; None when the source is short (the caller rolls back).

    The two balance rows are always written in location-id order, so two transactions
    moving the same lot in opposite directions cannot deadlock.
    Returns the new on-hand of the real locations touched, by location code."""
    after: dict[str, int] = {}
    if destination.id < source.id:
        arrived = await add_to_balance(
            session, item_id=item_id, location=destination, lot_id=lot_id, quantity=quantity
        )
    left = await take_from_balance(
        session, item_id=item_id, location=source, lot_id=lot_id, quantity=quantity
    )
    if left is None:
        return None
    if destination.id > source.id:
        arrived = await add_to_balance(
            session, item_id=item_id, location=destination, lot_id=lot_id, quantity=quantity
        )
    if not source.is_virtual:
        after[source.code] = left
    if not destination.is_virtual:
        after[destination.code] = arrived
    return after


async def lots_on_hand(session: AsyncSession, item_id: int, location_id: int) -> list[LotOnHand]:
    rows = await session.execute(
        select(Lot.id, Lot.lot_number, Lot.expiry, Lot.recalled, Balance.quantity)
        .join(Balance, Balance.lot_id == Lot.id)
        .where(Balance.item_id == item_id, Balance.location_id == location_id, Balance.quantity > 0)
    )
    return [LotOnHand(*row) for row in rows.all()]


@dataclass(frozen=True, slots=True)
class NewMovement:
    kind: str
    item_id: int
    lot_id: int
    from_location_id: int
    to_location_id: int
    quantity: int
    occurred_at: datetime
    actor: str | None = None
    device: str | None = None
    scan_id: int | None = None
    reference: str | None = None


async def record_movements(session: AsyncSession, movements: Iterable[NewMovement]) -> list[int]:
    """Append to the ledger (never updated, never deleted); returns the new ids.

    `recorded_at` is set here, to the microsecond: SQLite's CURRENT_TIMESTAMP default keeps
    whole seconds in another text format, which made `since` filters skip fresh movements."""
    recorded_at = datetime.now(UTC)
    rows = [
        {
            "kind": m.kind,
            "item_id": m.item_id,
            "lot_id": m.lot_id,
            "from_location_id": m.from_location_id,
            "to_location_id": m.to_location_id,
            "quantity": m.quantity,
            "occurred_at": m.occurred_at,
            "actor": m.actor,
            "device": m.device,
            "scan_id": m.scan_id,
            "reference": m.reference,
            "recorded_at": recorded_at,
        }
        for m in movements
    ]
    if not rows:
        return []
    result = await session.execute(
        insert(Movement).returning(Movement.id, sort_by_parameter_order=True), rows
    )
    return list(result.scalars().all())
