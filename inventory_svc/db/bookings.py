"""Movements booked outside the scan hot path: count commits, scan reversals, opening stock.

Each leg changes its real balances with the same atomic statements as a scan (`TAKE`, the
balance upsert) and appends its movement; a real source that is short refuses the whole
unit of work. Rare, so clarity over round trips: a statement or two per leg.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.ledger import TAKE, balance_upsert
from inventory_svc.db.models import Balance, Location, Movement
from inventory_svc.domain.errors import InsufficientStock


@dataclass(frozen=True, slots=True)
class Booking:
    """`quantity` (> 0) units of a lot from one location to another."""

    kind: str
    item_id: int
    lot_id: int
    from_id: int
    from_virtual: bool
    to_id: int
    to_virtual: bool
    quantity: int


@dataclass(frozen=True, slots=True)
class Booked:
    """A booked leg: its movement id and the real balances after it (location id -> qty)."""

    movement_id: int
    after: dict[int, int]


async def virtual_location_id(session: AsyncSession, code: str) -> int:
    location_id: int = (
        await session.execute(select(Location.id).where(Location.code == code))
    ).scalar_one()
    return location_id


async def book(
    session: AsyncSession,
    legs: Sequence[Booking],
    *,
    actor: str | None,
    device: str | None = None,
    scan_id: int | None = None,
    reference: str | None = None,
    witness: str | None = None,
    at: datetime,
) -> list[Booked]:
    """Apply the legs in order; raises InsufficientStock (rolling back with the unit of work)
    when a real source holds less than its leg takes."""
    dialect = session.get_bind().dialect.name
    upsert = balance_upsert(dialect)
    booked: list[Booked] = []
    movements = cast(Table, Movement.__table__)
    for leg in legs:
        after: dict[int, int] = {}
        if not leg.from_virtual:
            left = (
                await session.execute(
                    TAKE,
                    {"b_location_id": leg.from_id, "b_lot_id": leg.lot_id, "b_take": leg.quantity},
                )
            ).scalar_one_or_none()
            if left is None:
                raise InsufficientStock(
                    f"Not enough of this lot left to move {leg.quantity}: the stock has moved "
                    "on since.",
                    lot_id=leg.lot_id,
                )
            after[leg.from_id] = int(left)
        if not leg.to_virtual:
            arrived = (
                await session.execute(
                    upsert,
                    {
                        "item_id": leg.item_id,
                        "location_id": leg.to_id,
                        "lot_id": leg.lot_id,
                        "quantity": leg.quantity,
                    },
                )
            ).scalar_one()
            after[leg.to_id] = int(arrived)
        movement_id = (
            await session.execute(
                movements.insert()
                .values(
                    kind=leg.kind,
                    item_id=leg.item_id,
                    lot_id=leg.lot_id,
                    from_location_id=leg.from_id,
                    to_location_id=leg.to_id,
                    quantity=leg.quantity,
                    actor=actor,
                    device=device,
                    scan_id=scan_id,
                    reference=reference,
                    witness=witness,
                    occurred_at=at,
                    recorded_at=at,
                )
                .returning(movements.c.id)
            )
        ).scalar_one()
        booked.append(Booked(int(movement_id), after))
    return booked


async def book_arrivals(
    session: AsyncSession,
    legs: Sequence[Booking],
    *,
    actor: str | None,
    reference: str | None,
    at: datetime,
) -> None:
    """Legs from a virtual location into real ones (opening stock), in two statements
    whatever their number: the balances added to, then the movements appended."""
    if not legs:
        return
    assert all(leg.from_virtual and not leg.to_virtual for leg in legs)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Balance)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["location_id", "lot_id"],
            set_={"quantity": Balance.quantity + stmt.excluded.quantity, "updated_at": func.now()},
        ),
        [
            {
                "item_id": leg.item_id,
                "location_id": leg.to_id,
                "lot_id": leg.lot_id,
                "quantity": leg.quantity,
            }
            for leg in legs
        ],
    )
    await session.execute(
        cast(Table, Movement.__table__).insert(),
        [
            {
                "kind": leg.kind,
                "item_id": leg.item_id,
                "lot_id": leg.lot_id,
                "from_location_id": leg.from_id,
                "to_location_id": leg.to_id,
                "quantity": leg.quantity,
                "actor": actor,
                "reference": reference,
                "occurred_at": at,
                "recorded_at": at,
            }
            for leg in legs
        ],
    )


async def last_movement_id(session: AsyncSession) -> int:
    last: int = (
        await session.execute(select(func.coalesce(func.max(Movement.id), 0)))
    ).scalar_one()
    return int(last)


__all__ = [
    "Booked",
    "Booking",
    "book",
    "book_arrivals",
    "last_movement_id",
    "virtual_location_id",
]
