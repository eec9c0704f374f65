"""The daily expiry sweep, a background job (inventory_svc/worker.py).

Once per site date it raises `lot.expiring` when a lot in stock reaches a threshold (90, 30
and 7 days by default, `INVENTORY_EXPIRY_THRESHOLDS`), `lot.expired` when a lot still in
stock has expired, and `kit.expiring` when a sealed kit's expiry falls before its next check
is due. Each notice is claimed by its key in `expiry_notices` in the transaction that raises
the event, so two workers (or a restarted one) never raise it twice.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date, timedelta

from inventory_svc.db import expiry as db
from inventory_svc.db import jobs
from inventory_svc.db import kits as kits_db
from inventory_svc.db.engine import SessionMaker
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.events import EventType
from inventory_svc.domain.roles import Role
from inventory_svc.domain.vocabulary import KitStatus
from inventory_svc.services.actors import Actor
from inventory_svc.services.uow import Transactions, UnitOfWork

JOB_NAME = "expiry-sweep"
SWEEPER = Actor(key_id=None, name="expiry sweep", role=Role.ADMIN)
DEFAULT_THRESHOLDS = (90, 30, 7)
EXPIRED = -1
"""The threshold key of a `lot.expired` notice."""


def thresholds() -> tuple[int, ...]:
    """Days before expiry that raise `lot.expiring`, largest first."""
    raw = os.environ.get("INVENTORY_EXPIRY_THRESHOLDS", "")
    values = tuple(int(part) for part in raw.split(",") if part.strip()) or DEFAULT_THRESHOLDS
    return tuple(sorted({v for v in values if v >= 0}, reverse=True))


def threshold_reached(days_left: int, limits: Sequence[int]) -> int | None:
    """The tightest threshold a lot with `days_left` has reached (None: none yet). A lot
    first seen at 5 days left is reported at 7, not at 90, 30 and 7 at once."""
    reached = [limit for limit in limits if days_left <= limit]
    return min(reached) if reached else None


async def run_once(sessions: SessionMaker, clock: SiteClock) -> int:
    """Sweep once per site date; an idle round is one read."""
    today = clock.today()
    async with sessions() as session:
        if await db.swept_through(session, JOB_NAME) >= today.toordinal():
            return 0
    return await Transactions(sessions, clock).run(SWEEPER, sweep, today)


async def sweep(uow: UnitOfWork, today: date) -> int:
    """One day's notices; returns how many events it raised (0 when another process holds
    the sweep or it already ran today)."""
    session = uow.session
    last = await jobs.claim_cursor(session, JOB_NAME, uow.now)
    if last is None or last >= today.toordinal():
        return 0
    limits = thresholds()
    raised = 0
    horizon = today + timedelta(days=max(limits, default=0))
    for lot in await db.lots_expiring_by(session, horizon):
        days_left = (lot.expiry - today).days
        data = {
            "lot": lot.lot_id,
            "item": {"id": lot.item_id, "name": lot.item_name},
            "lot_number": lot.lot_number,
            "expiry": lot.expiry.isoformat(),
            "days_left": days_left,
            "quantity": lot.quantity,
            "recalled": lot.recalled,
        }
        if days_left < 0:
            if await db.claim_notice(session, "lot", lot.lot_id, EXPIRED, lot.expiry):
                uow.emit(EventType.LOT_EXPIRED, data)
                raised += 1
            continue
        reached = threshold_reached(days_left, limits)
        if reached is None:
            continue
        # every larger threshold is passed too: claim them quietly
        fresh = [
            await db.claim_notice(session, "lot", lot.lot_id, limit, lot.expiry)
            for limit in limits
            if limit >= reached
        ]
        if fresh[-1]:
            uow.emit(EventType.LOT_EXPIRING, {**data, "threshold_days": reached})
            raised += 1
    raised += await _kits_expiring(uow, today)
    await jobs.advance_cursor(session, JOB_NAME, today.toordinal(), uow.now)
    return raised


async def _kits_expiring(uow: UnitOfWork, today: date) -> int:
    session = uow.session
    sealed = await kits_db.kits(session, status=KitStatus.READY)
    contents = await kits_db.contents(session, [kit.location_id for kit in sealed])
    raised = 0
    for kit in sealed:
        expiries = [lot.expiry for lot in contents.get(kit.location_id, []) if lot.expiry]
        if not expiries:
            continue
        expiry = min(expiries)
        last = max((t for t in (kit.last_check_at, kit.sealed_at) if t is not None), default=None)
        due = (last.date() if last else today) + timedelta(days=kit.check_interval_days)
        if expiry >= due:
            continue
        if await db.claim_notice(session, "kit", kit.location_id, 0, expiry):
            uow.emit(
                EventType.KIT_EXPIRING,
                {
                    "kit": kit.code,
                    "expiry": expiry.isoformat(),
                    "days_left": (expiry - today).days,
                    "next_check_due": due.isoformat(),
                    "template": kit.template_code,
                },
            )
            raised += 1
    return raised
