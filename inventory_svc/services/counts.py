"""Cycle counts: open one at a location, count scans add counted units, a manager commits.

A count scan changes no stock (it is recorded like any scan, without `stock.changed`); the
commit writes one `count_adjust` movement from or to `@adjustment` per difference, in one
unit of work, with the location's balances held (PostgreSQL) so scans queue behind it.
The arithmetic is domain/counts.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import bookings, catalog, corrections, moves
from inventory_svc.db import counts as db
from inventory_svc.domain.count_records import CountAdjustmentOut, CountLineOut, CountOut
from inventory_svc.domain.counts import (
    CountedLine,
    LineView,
    LotOnShelf,
    LotRef,
    Settlement,
    settle,
)
from inventory_svc.domain.errors import (
    CountReasonRequired,
    InvalidMovement,
    InvalidTransition,
    NotFound,
    SessionClosed,
    UnknownLocation,
)
from inventory_svc.domain.events import EventType
from inventory_svc.domain.ledger import ADJUSTMENT, LotFacts
from inventory_svc.domain.roles import Permission, allows
from inventory_svc.domain.vocabulary import CONTROLLED_SCHEDULES, KIT_KINDS, CountStatus
from inventory_svc.services.actors import Actor
from inventory_svc.services.uow import UnitOfWork

COUNT_ADJUST = "count_adjust"


def count_reference(count_id: int) -> str:
    """What a count's adjustments carry in `reference`."""
    return f"count:{count_id}"


async def open_count(uow: UnitOfWork, location: str, blind: bool) -> CountOut:
    """One open count per real location (a second is `409 invalid_transition`)."""
    place = await catalog.location_by_code(uow.session, location)
    if place is None or place.is_virtual:
        raise UnknownLocation(f"No location has the code {location!r}.", location=location)
    if place.kind in KIT_KINDS:
        raise InvalidMovement(
            f"{location} is a kit: stock enters a kit only through restock scans, so its "
            "contents are corrected with restock and remove scans, not counted in."
        )
    existing = await db.open_count_at(uow.session, place.id)
    if existing is not None:
        raise InvalidTransition(
            f"{location} already has an open count ({existing}): commit it first.",
            count=existing,
        )
    try:
        async with uow.session.begin_nested():
            count_id = await db.insert_count(uow.session, place.id, blind, uow.actor.name, uow.now)
    except IntegrityError as error:  # a concurrent open won
        raise InvalidTransition(f"{location} already has an open count.") from error
    result = await get_count(uow.session, count_id, uow.actor)
    return result


@dataclass(frozen=True, slots=True)
class Counted:
    count_id: int
    total: int


async def add_scan(
    uow: UnitOfWork,
    *,
    count_id: int,
    location: str,
    item_id: int,
    lot_id: int | None,
    quantity: int,
) -> Counted:
    """A count scan's work: into its count's line (the count must be open and of this
    location); no stock moves."""
    count = await db.count_by_id(uow.session, count_id, lock=True)
    if count is None:
        raise NotFound(f"No count {count_id}.", count_session=count_id)
    if count.status is not CountStatus.OPEN:
        raise SessionClosed(f"Count {count_id} is committed: open a new count.")
    if count.location != location:
        raise InvalidMovement(
            f"Count {count_id} is of {count.location}: a count scan's location is the "
            f"count's location, not {location}.",
            count_location=count.location,
        )
    total = await db.add_counted(
        uow.session,
        count_id=count_id,
        location_id=count.location_id,
        item_id=item_id,
        lot_id=lot_id,
        quantity=quantity,
        at=uow.now,
    )
    return Counted(count_id, total)


async def lot_for_count(
    uow: UnitOfWork, item_id: int, lot: LotFacts | None, number: str, expiry: date | None
) -> int:
    """The lot a lot-bearing count barcode names: an existing one, or (found on the shelf
    though never booked) the lot as printed, created like a receipt would."""
    if lot is not None:
        return lot.id
    return await moves.create_lot(uow.session, item_id, number, expiry)


async def _settlement(
    session: AsyncSession, count: db.CountRow, *, lock: bool, frozen: bool = False
) -> tuple[Settlement, list[db.LineRow], list[db.ShelfRow], dict[int, db.LotInfo]]:
    """`frozen`: a committed count, seen from its lines alone (not today's shelf)."""
    lines = await db.lines(session, count.id)
    shelf = [] if frozen else await db.shelf(session, count.location_id, lock=lock)
    lot_ids = {line.lot_id for line in lines if line.lot_id is not None}
    lot_ids |= {row.lot_id for row in shelf}
    lots = await db.lots_by_ids(session, lot_ids)
    fallback: dict[int, LotRef] = {}
    for line in lines:
        if line.lot_id is None:
            latest = await db.latest_lot_of(session, line.item_id)
            if latest is None and lock:  # the commit: the item's lot without number
                lot_id = await moves.create_lot(session, line.item_id, "", None)
                latest = db.LotInfo(lot_id, line.item_id, "", None)
            if latest is not None:
                lots[latest.lot_id] = latest
                fallback[line.item_id] = LotRef(latest.lot_id, latest.lot_number, latest.expiry)
    settlement = settle(
        [CountedLine(line.item_id, line.lot_id, line.counted, line.baseline) for line in lines],
        [LotOnShelf(r.item_id, r.lot_id, r.lot_number, r.expiry, r.quantity) for r in shelf],
        {lot_id: LotRef(lot_id, info.lot_number, info.expiry) for lot_id, info in lots.items()},
        fallback,
    )
    return settlement, lines, shelf, lots


async def recent_counts(
    session: AsyncSession, *, status: CountStatus | None, before: int | None, limit: int
) -> list[db.CountRow]:
    """Count sessions and their state, newest first (the UI's list; no lines)."""
    return await db.recent_counts(session, status=status, before=before, limit=limit)


async def get_count(session: AsyncSession, count_id: int, actor: Actor) -> CountOut:
    """Counted vs expected; a blind count hides what is expected from its counters (anyone
    who may not commit) while it is open."""
    count = await db.count_by_id(session, count_id)
    if count is None:
        raise NotFound(f"No count {count_id}.", count_session=count_id)
    visible = (
        not count.blind
        or count.status is not CountStatus.OPEN
        or allows(actor.role, Permission.MANAGE)
    )
    committed = count.status is CountStatus.COMMITTED
    settlement, _, _, lots = await _settlement(session, count, lock=False, frozen=committed)
    views = list(settlement.lines)
    adjustments: list[CountAdjustmentOut] | None
    if committed:
        # As committed: the lines counted, and the lots not counted that it took to zero
        # (not whatever the shelf holds today).
        adjustments = await _committed_adjustments(session, count)
        counted_lots = {view.lot_id for view in views}
        for row in adjustments:
            if row.lot_id not in counted_lots and row.quantity < 0:
                views.append(LineView(row.item, row.lot_id, 0, -row.quantity))
    elif visible:
        adjustments = _adjustments(settlement, lots)
    else:
        adjustments = None
    lots.update(await db.lots_by_ids(session, {v.lot_id for v in views if v.lot_id} - set(lots)))
    items = await db.items_by_ids(session, {view.item_id for view in views})
    out_lines = [
        CountLineOut(
            item=view.item_id,
            item_name=items[view.item_id].name,
            schedule=items[view.item_id].schedule,
            lot=lots[view.lot_id].lot_number if view.lot_id is not None else None,
            expiry=lots[view.lot_id].expiry if view.lot_id is not None else None,
            counted=view.counted,
            expected=view.expected if visible else None,
            difference=view.difference if visible else None,
        )
        for view in views
        if visible or view.counted > 0  # a blind counter sees only what was counted
    ]
    return CountOut(
        id=count.id,
        location=count.location,
        status=count.status,
        blind=count.blind,
        opened_by=count.opened_by,
        opened_at=count.opened_at,
        committed_by=count.committed_by,
        committed_at=count.committed_at,
        reason=count.reason,
        expected_visible=visible,
        lines=out_lines,
        adjustments=adjustments,
    )


def _adjustments(settlement: Settlement, lots: dict[int, db.LotInfo]) -> list[CountAdjustmentOut]:
    return [
        CountAdjustmentOut(
            item=adjustment.item_id,
            lot=lots[adjustment.lot_id].lot_number,
            expiry=lots[adjustment.lot_id].expiry,
            quantity=adjustment.quantity,
            lot_id=adjustment.lot_id,
        )
        for adjustment in settlement.adjustments
    ]


async def _committed_adjustments(
    session: AsyncSession, count: db.CountRow
) -> list[CountAdjustmentOut]:
    rows = await corrections.movements_by_reference(session, count_reference(count.id))
    return [
        CountAdjustmentOut(
            item=row.item_id,
            lot=row.lot_number,
            expiry=row.expiry,
            quantity=row.quantity if row.to_location_id == count.location_id else -row.quantity,
            movement=row.id,
            lot_id=row.lot_id,
        )
        for row in rows
    ]


async def commit_count(uow: UnitOfWork, count_id: int, reason: str | None) -> CountOut:
    """Write the count's adjustments and close it; a committed count is `409
    invalid_transition`; variances on scheduled items need `reason` (`422
    count_reason_required`)."""
    session = uow.session
    count = await db.count_by_id(session, count_id, lock=True)
    if count is None:
        raise NotFound(f"No count {count_id}.", count_session=count_id)
    if count.status is not CountStatus.OPEN:
        raise InvalidTransition(
            f"Count {count_id} is already committed.", current_status=count.status.value
        )
    settlement, _, _, lots = await _settlement(session, count, lock=True)
    items = await db.items_by_ids(session, {a.item_id for a in settlement.adjustments})
    controlled = sorted(
        {
            a.item_id
            for a in settlement.adjustments
            if items[a.item_id].schedule in CONTROLLED_SCHEDULES
        }
    )
    if controlled and not reason:
        raise CountReasonRequired(
            "Variances on controlled substances need a manager's sign-off: commit with "
            '`{"reason": "..."}`.',
            items=controlled,
        )
    adjustment_id = await bookings.virtual_location_id(session, ADJUSTMENT)
    legs = [
        bookings.Booking(
            kind=COUNT_ADJUST,
            item_id=a.item_id,
            lot_id=a.lot_id,
            from_id=adjustment_id if a.quantity > 0 else count.location_id,
            from_virtual=a.quantity > 0,
            to_id=count.location_id if a.quantity > 0 else adjustment_id,
            to_virtual=a.quantity < 0,
            quantity=abs(a.quantity),
        )
        for a in settlement.adjustments
    ]
    booked = await bookings.book(
        session, legs, actor=uow.actor.name, reference=count_reference(count_id), at=uow.now
    )
    await db.mark_committed(session, count_id, uow.actor.name, uow.now, reason)
    uow.emit(
        EventType.COUNT_COMMITTED,
        {
            "count": count_id,
            "location": count.location,
            "reason": reason,
            "adjustments": [
                {
                    "movement": leg.movement_id,
                    "item": {"id": a.item_id, "name": items[a.item_id].name},
                    "lot": lots[a.lot_id].lot_number,
                    "quantity": a.quantity,
                    "balance": leg.after.get(count.location_id),
                }
                for a, leg in zip(settlement.adjustments, booked, strict=True)
            ],
        },
    )
    return await get_count(session, count_id, uow.actor)


__all__ = ["COUNT_ADJUST", "add_scan", "commit_count", "count_reference", "get_count", "open_count"]
