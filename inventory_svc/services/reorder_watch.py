"""The reorder watcher: `stock.below_reorder_point` once per crossing, from the event feed.

The scan path stays two statements (tests/api/test_hot_path.py), so crossings are found
after the fact: this background job follows the feed after its cursor, and for each
`stock.changed` and `purchase_order.*` event finds the par levels the change can move (the
item at the touched location and the locations above it: a par level counts its location and
everything below it). It re-evaluates them with the reorder list's own statement and maths
(db/reorders.reorder_sums, domain/reorder), and flips `par_levels.below_since` with a
conditional UPDATE: a par level that was not below yet is a new crossing, and raises the
event; one back above its reorder point is cleared quietly (no event), ready for the next.

Flips, events and the cursor commit together, so a crash neither loses nor repeats a
crossing; the cursor row is claimed `FOR UPDATE SKIP LOCKED`, so several processes may run
the job. A crossing caused by the calendar alone (a lot starting to expire within the lead
time) is seen at the next change of that item there.
"""

from __future__ import annotations

import logging
from datetime import tzinfo

import msgspec

from inventory_svc.db import events as events_db
from inventory_svc.db import jobs as jobs_db
from inventory_svc.db import reorders as reorders_db
from inventory_svc.db.engine import SessionMaker
from inventory_svc.domain import reorder
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.events import EventType
from inventory_svc.domain.records import ReorderLine
from inventory_svc.domain.roles import Role
from inventory_svc.services.actors import Actor
from inventory_svc.services.reorders import reorder_line
from inventory_svc.services.uow import Transactions, UnitOfWork

log = logging.getLogger(__name__)

JOB_NAME = "reorder_watch"
BATCH = 500
"""Events per round: one transaction stays short, a backlog is worked off round by round."""

WATCHER = Actor(key_id=None, name="worker:reorder_watch", role=Role.ADMIN)
FOLLOWED = (
    EventType.STOCK_CHANGED.value,
    EventType.COUNT_COMMITTED.value,
    EventType.RECALL_CREATED.value,
    *(
        t.value
        for t in EventType
        if t.value.startswith("purchase_order.") and t is not EventType.PURCHASE_ORDER_SHIPPED
    ),
)
"""What can move a par level's usable + on order: stock moved (scans, reversals), a count's
adjustments, lots recalled (unusable where they are), and purchase orders (not their
shipment notices: what is on its way is on order already)."""


class _ItemId(msgspec.Struct):
    id: int


class _Move(msgspec.Struct):
    from_location: str
    to_location: str


class _OrderLine(msgspec.Struct):
    item: _ItemId


class _Order(msgspec.Struct):
    location: str
    lines: list[_OrderLine] = []


class _Adjustment(msgspec.Struct):
    item: _ItemId


class _Touched(msgspec.Struct):
    """What an event says it changed: item ids and location codes, nothing else decoded.
    Every event names an item as `{id, name}`; anything else is skipped, never stalls."""

    item: _ItemId | None = None
    movements: list[_Move] = []
    purchase_order: _Order | None = None
    location: str | None = None
    """count.committed: where its `adjustments` were booked."""
    adjustments: list[_Adjustment] = []
    locations: list[str] = []
    """recall.created: where the recalled lots are held."""


def touched_by(events: list[jobs_db.FeedEvent]) -> dict[int, set[str]]:
    """Item id -> the location codes whose stock or on-order these events changed."""
    touched: dict[int, set[str]] = {}
    for event in events:
        try:
            seen = msgspec.convert(event.data, _Touched)
        except msgspec.ValidationError:  # never stall the feed on one event
            log.warning("reorder watcher skipped event %s: unexpected data", event.id)
            continue
        if seen.item is not None:
            places = touched.setdefault(seen.item.id, set())
            for move in seen.movements:
                places.update((move.from_location, move.to_location))
            places.update(seen.locations)
        if seen.purchase_order is not None:
            for line in seen.purchase_order.lines:
                touched.setdefault(line.item.id, set()).add(seen.purchase_order.location)
        if seen.location is not None:
            for adjustment in seen.adjustments:
                touched.setdefault(adjustment.item.id, set()).add(seen.location)
    return touched


def crossing_data(line: ReorderLine) -> dict[str, object]:
    return {
        "item": {"id": line.item.id, "name": line.item.name},
        "location": line.location,
        "on_hand": line.on_hand,
        "on_order": line.on_order,
        "reorder_point": line.reorder_point,
        "par": line.par,
        "suggested_quantity": line.suggested_quantity,
        "supplier": line.supplier,
        "source_location": line.source_location,
    }


async def watch_round(uow: UnitOfWork, zone: tzinfo) -> int:
    """One round in one transaction: returns the followed events read, at least 1 when the
    cursor moved (0: nothing new, or another process holds the cursor)."""
    session = uow.session
    if not await jobs_db.has_news(session, JOB_NAME):
        return 0
    after = await jobs_db.claim_cursor(session, JOB_NAME, uow.now)
    if after is None:
        return 0
    events, upto = await jobs_db.events_after(session, after, BATCH, FOLLOWED)
    if upto == after:
        return 0
    par_ids = await reorders_db.par_levels_counting(session, touched_by(events))
    if par_ids:
        usage_days = reorder.DEFAULT_USAGE_DAYS
        sums = await reorders_db.reorder_sums(
            session,
            today=uow.today,
            window_start=reorder.usage_window_start(uow.today, usage_days, zone),
            window_end=uow.now,
            only_below_reorder_point=False,
            par_ids=par_ids,
        )
        below = {
            s.par_id: s
            for s in sums
            if reorder.needs_reorder(s.usable, s.on_order, s.reorder_point)
        }
        above = [s.par_id for s in sums if s.par_id not in below]
        crossed = await reorders_db.mark_below(session, sorted(below), uow.now)
        await reorders_db.clear_below(session, above)
        for par_id in sorted(crossed, key=lambda p: (below[p].location, below[p].item_id)):
            line = reorder_line(below[par_id], usage_days)
            uow.emit(EventType.STOCK_BELOW_REORDER_POINT, crossing_data(line))
    await jobs_db.advance_cursor(session, JOB_NAME, upto, uow.now)
    return max(len(events), 1)


async def position_events(uow: UnitOfWork) -> int:
    return await events_db.position_pending(uow.session)


async def run_once(sessions: SessionMaker, clock: SiteClock) -> int:
    """Gives committed events their feed ids (the feed is what the watcher follows), then
    works one round. Returns the work done: 0 means idle."""
    transactions = Transactions(sessions, clock)
    await transactions.run(WATCHER, position_events)
    return await transactions.run(WATCHER, watch_round, clock.zone)
