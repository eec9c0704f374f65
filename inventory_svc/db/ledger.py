"""Ledger statements shared by the move executors (db/moves.py).

A balance changes only through single atomic statements with RETURNING (`TAKE`,
`balance_upsert`, or PostgreSQL's one-statement move), never read-modify-write in Python,
so concurrent scans on one balance cannot lose an update; the `quantity >= 0` check keeps a
real location from ever going below zero. Virtual locations have no stored balance.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import Balance, Movement


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _insert_for(dialect: str) -> Any:
    """INSERT with ON CONFLICT support for the given database."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


# The hot-path statements are built once per database with bound parameters: building an
# ON CONFLICT statement costs more than running it, and a fixed statement stays in
# SQLAlchemy's compiled cache.


@cache
def balance_upsert(dialect: str) -> Any:
    """Add to a real balance, creating it at its first arrival; returns the new on-hand."""
    stmt = _insert_for(dialect)(Balance).values(
        item_id=bindparam("item_id"),
        location_id=bindparam("location_id"),
        lot_id=bindparam("lot_id"),
        quantity=bindparam("quantity"),
    )
    return stmt.on_conflict_do_update(
        index_elements=["location_id", "lot_id"],
        set_={"quantity": Balance.quantity + stmt.excluded.quantity, "updated_at": func.now()},
    ).returning(Balance.quantity)


# Built once (profiled: building this statement per scan cost more than running it).
TAKE = (
    update(Balance)
    .where(
        Balance.location_id == bindparam("b_location_id"),
        Balance.lot_id == bindparam("b_lot_id"),
        Balance.quantity >= bindparam("b_take"),
    )
    .values(quantity=Balance.quantity - bindparam("b_take"))
    .returning(Balance.quantity)
)

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


async def net_moved_to(session: AsyncSession, lot_id: int, location_id: int) -> int:
    """Units of the lot moved into `location` less those moved out, summed from the ledger
    itself (for `@consumed`: issued, net of returns, over all locations)."""
    params = {"lot_id": lot_id, "location_id": location_id}
    net: int = (await session.execute(_NET_TO_LOCATION, params)).scalar_one()
    return int(net)
