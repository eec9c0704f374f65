"""Correcting mistakes: reversing an applied scan.

Nothing is edited or deleted: a reversal is a scan row of its own (action `reverse`) whose
movements are the original's, opposite way round, linked to the original in
`scan_reversals` (at most once). It is refused (`409 insufficient_stock`) when the stock
has moved on, e.g. received units already issued.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from inventory_svc.db import bookings, corrections
from inventory_svc.db import counts as counts_db
from inventory_svc.domain.count_records import ReversalOut
from inventory_svc.domain.errors import InvalidTransition, NotFound
from inventory_svc.domain.events import EventType
from inventory_svc.domain.records import BalanceLine, MovementLine
from inventory_svc.domain.vocabulary import ScanStatus
from inventory_svc.services.uow import UnitOfWork

REVERSE = "reverse"


async def reverse_scan(uow: UnitOfWork, scan_id: int, reason: str) -> ReversalOut:
    session = uow.session
    original = await corrections.scan_by_id(session, scan_id)
    if original is None:
        raise NotFound(f"No scan {scan_id}.", scan=scan_id)
    if original.status != ScanStatus.APPLIED.value:
        raise InvalidTransition(
            f"Scan {scan_id} was rejected: it changed nothing to reverse.",
            current_status=original.status,
        )
    if original.action == REVERSE or await corrections.is_a_reversal(session, scan_id):
        raise InvalidTransition(
            f"Scan {scan_id} is itself a reversal: scan the stock again instead."
        )
    already = await corrections.reversal_of(session, scan_id)
    if already is not None:
        raise InvalidTransition(
            f"Scan {scan_id} was already reversed by scan {already}.", reversed_by=already
        )
    movements = await corrections.movements_of_scan(session, scan_id)
    if not movements:
        raise InvalidTransition(
            f"Scan {scan_id} ({original.action}) moved no stock: there is nothing to reverse."
        )
    try:
        async with session.begin_nested():
            reversal_id = await corrections.insert_reversal_scan(
                session,
                original,
                actor=uow.actor.name,
                api_key_id=uow.actor.key_id,
                reason=reason,
                at=uow.now,
            )
    except IntegrityError as error:  # a concurrent reversal of the same scan won
        raise InvalidTransition(f"Scan {scan_id} was already reversed.") from error
    undo = list(reversed(movements))
    booked = await bookings.book(
        session,
        [
            bookings.Booking(
                kind=m.kind,
                item_id=m.item_id,
                lot_id=m.lot_id,
                from_id=m.to_location_id,
                from_virtual=m.to_virtual,
                to_id=m.from_location_id,
                to_virtual=m.from_virtual,
                quantity=m.quantity,
            )
            for m in undo
        ],
        actor=uow.actor.name,
        scan_id=reversal_id,
        reference=undo[0].reference,
        at=uow.now,
    )
    lines = [
        MovementLine(
            id=leg.movement_id,
            kind=m.kind,
            from_location=m.to_code,
            to_location=m.from_code,
            lot=m.lot_number,
            expiry=m.expiry,
            quantity=m.quantity,
        )
        for m, leg in zip(undo, booked, strict=True)
    ]
    codes = {m.from_location_id: m.from_code for m in undo} | {
        m.to_location_id: m.to_code for m in undo
    }
    balances = [
        BalanceLine(location=codes[location_id], lot=m.lot_number, expiry=m.expiry, quantity=q)
        for m, leg in zip(undo, booked, strict=True)
        for location_id, q in leg.after.items()
    ]
    names = list((await counts_db.items_by_ids(session, {undo[0].item_id})).values())
    uow.emit(
        EventType.STOCK_CHANGED,
        {
            "action": REVERSE,
            "reverses": scan_id,
            "reason": reason,
            "device": None,
            "item": {"id": original.item_id, "name": names[0].name} if names else None,
            "scan": reversal_id,
            "movements": [
                {
                    "id": line.id,
                    "kind": line.kind,
                    "from_location": line.from_location,
                    "to_location": line.to_location,
                    "lot": line.lot,
                    "expiry": line.expiry.isoformat() if line.expiry else None,
                    "quantity": line.quantity,
                }
                for line in lines
            ],
            "balances": [
                {
                    "location": b.location,
                    "lot": b.lot,
                    "expiry": b.expiry.isoformat() if b.expiry else None,
                    "quantity": b.quantity,
                }
                for b in balances
            ],
        },
    )
    return ReversalOut(
        id=reversal_id,
        reverses=scan_id,
        status=ScanStatus.APPLIED.value,
        action=REVERSE,
        reason=reason,
        actor=uow.actor.name,
        movements=lines,
        balances=balances,
    )


__all__ = ["REVERSE", "reverse_scan"]
