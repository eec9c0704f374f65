"""Refill (pick) lists: a location's reorder-list lines that another location refills, with
FEFO lot suggestions from that source in walking order. (Filling them is `transfer` scans
that name the pick list.)"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import picking as picking_db
from inventory_svc.domain import picking
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.errors import InvalidTransition, NotFound
from inventory_svc.domain.events import EventType
from inventory_svc.domain.records import ItemRef, PickListLineOut, PickListOut, PickSuggestion
from inventory_svc.domain.vocabulary import PickListStatus
from inventory_svc.services import reorders
from inventory_svc.services.uow import UnitOfWork


async def _get(session: AsyncSession, pick_list_id: int, today: date) -> PickListOut:
    found = await picking_db.pick_list(session, pick_list_id)
    if found is None:
        raise NotFound(f"No pick list with id {pick_list_id}.")
    head, lines = found
    stock = await picking_db.usable_stock(
        session, [(line.source_location_id, line.item_id) for line in lines], today
    )
    out = []
    for line in lines:
        remaining = max(line.requested - line.picked, 0)
        picks = picking.suggest_picks(
            stock.get((line.source_location_id, line.item_id), []), remaining
        )
        out.append(
            PickListLineOut(
                line=line.line,
                item=ItemRef(line.item_id, line.item_name),
                source_location=line.source_location,
                requested=line.requested,
                picked=line.picked,
                remaining=remaining,
                short=remaining - sum(pick.quantity for pick in picks),
                suggestions=[
                    PickSuggestion(pick.location, pick.lot, pick.expiry, pick.quantity)
                    for pick in picks
                ],
            )
        )
    out.sort(key=lambda line: picking.walk_key([s.location for s in line.suggestions], line.line))
    return PickListOut(
        id=head.id,
        location=head.location,
        status=head.status,
        created_at=head.created_at,
        completed_at=head.completed_at,
        lines=out,
    )


async def create_pick_list(uow: UnitOfWork, clock: SiteClock, location: str) -> PickListOut:
    """The location's reorder-list lines refilled from another location, at the suggested
    quantities (par - usable - on order)."""
    session = uow.session
    location_id = (await reorders.location_ids(session, [location]))[location]
    listed = await reorders.reorder_lines(
        session, now=uow.now, today=uow.today, zone=clock.zone, location=location
    )
    refills = [
        line for line in listed if line.source_location is not None and line.suggested_quantity
    ]
    sources = await reorders.location_ids(
        session, sorted({line.source_location for line in refills if line.source_location})
    )
    pick_list_id = await picking_db.insert_pick_list(
        session,
        location_id,
        [
            picking_db.NewPickLine(
                line.item.id, sources[line.source_location], line.suggested_quantity
            )
            for line in refills
            if line.source_location is not None
        ],
    )
    return await _get(session, pick_list_id, uow.today)


async def get_pick_list(session: AsyncSession, clock: SiteClock, pick_list_id: int) -> PickListOut:
    return await _get(session, pick_list_id, clock.today())


async def fill_from_transfer(
    uow: UnitOfWork,
    pick_list_id: int,
    item_id: int,
    source_id: int,
    destination_id: int,
    quantity: int,
) -> list[tuple[str, str]]:
    """A `transfer` scan naming the pick list, in the scan's unit of work: the list is
    locked, its lines fill (domain/picking.apply_pick), and once every line has what it
    asked for it is `completed` (`pick_list.completed`). Returns the scan's warnings; a
    completed list refuses the scan (409 invalid_transition)."""
    session = uow.session
    found = await picking_db.lock_for_filling(session, pick_list_id)
    if found is None:
        raise NotFound(f"No pick list with id {pick_list_id}.")
    head, location_id, lines = found
    if head.status is not PickListStatus.OPEN:
        raise InvalidTransition(
            f"Pick list {pick_list_id} is {head.status.value}: it takes no more picks.",
            current_status=head.status.value,
        )
    candidates = [
        picking.PickLine(
            line.line,
            line.item_id,
            line.requested,
            line.picked,
            line.item_id == item_id
            and await picking_db.within(session, source_id, line.source_location_id),
        )
        for line in lines
    ]
    result = picking.apply_pick(
        pick_list_id,
        candidates,
        item_id,
        quantity,
        to_list=await picking_db.within(session, destination_id, location_id),
    )
    await picking_db.add_picked(session, pick_list_id, result.filled)
    if result.filled and result.complete:
        await picking_db.complete(session, pick_list_id, uow.now)
        uow.emit(
            EventType.PICK_LIST_COMPLETED,
            {"pick_list": await _get(session, pick_list_id, uow.today)},
        )
    return result.warnings
