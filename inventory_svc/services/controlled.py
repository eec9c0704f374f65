"""Controlled substances (items with a DEA schedule): the witness a waste needs, and the
perpetual-inventory ledger an audit asks for.

A witness is another person's API key sent in `X-Witness-Key`, verified exactly as the
`Authorization` key is (services/keys.authenticate) and never stored: only the witness's
name goes on the movements.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import catalog, corrections
from inventory_svc.domain.count_records import ControlledLedgerRow
from inventory_svc.domain.errors import WitnessRequired
from inventory_svc.domain.vocabulary import CONTROLLED_SCHEDULES, WITNESS_ROLES
from inventory_svc.services.actors import Actor


@dataclass(frozen=True, slots=True)
class WitnessClaim:
    """An `X-Witness-Key` header as verified: `actor` None when the key is unknown or
    revoked."""

    actor: Actor | None


def witness_for_waste(schedule: str | None, actor: Actor, claim: WitnessClaim | None) -> str | None:
    """The witness's name a waste records; refuses (`422 witness_required`) a scheduled
    item's waste without a valid witness: another active key than the scanner's, of
    another person, role specialist or above. Other items need none (and record none)."""
    if schedule not in CONTROLLED_SCHEDULES:
        return None
    what = f"A waste of a schedule {schedule} controlled substance"
    if claim is None:
        raise WitnessRequired(
            f"{what} needs a witness: another person's API key in the X-Witness-Key header.",
            schedule=schedule,
        )
    witness = claim.actor
    if witness is None:
        raise WitnessRequired(
            f"{what} needs a witness: the X-Witness-Key is unknown or revoked.",
            schedule=schedule,
        )
    if witness.key_id == actor.key_id or witness.name == actor.name:
        raise WitnessRequired(
            f"{what} needs a witness other than the person wasting it: "
            "X-Witness-Key is the scanner's own.",
            schedule=schedule,
        )
    if witness.role.value not in WITNESS_ROLES:
        raise WitnessRequired(
            f"{what} needs a witness of role specialist, manager or admin, not "
            f"{witness.role.value}.",
            schedule=schedule,
        )
    return witness.name


async def ledger(
    session: AsyncSession,
    *,
    item: int | None = None,
    location: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ControlledLedgerRow]:
    """Every movement of a scheduled item, once per real location it touches, with that
    location's running balance of the item after it; in ledger order (occurred_at, id).
    The balance counts everything before `since` too; `until` is exclusive."""
    location_id = None
    if location is not None:
        place = await catalog.location_by_code(session, location)
        if place is None:
            return []
        location_id = place.id
    movements = await corrections.controlled_movements(
        session,
        schedules=sorted(CONTROLLED_SCHEDULES),
        item=item,
        location_id=location_id,
        until=until,
    )
    balances: dict[tuple[int, str], int] = defaultdict(int)
    rows: list[ControlledLedgerRow] = []
    for m in movements:
        sides = (
            (m.from_code, m.from_virtual, m.to_code, -m.quantity),
            (m.to_code, m.to_virtual, m.from_code, m.quantity),
        )
        for code, virtual, counterparty, delta in sides:
            if virtual or (location is not None and code != location):
                continue
            balances[(m.item_id, code)] += delta
            if since is not None and m.occurred_at < since:
                continue
            rows.append(
                ControlledLedgerRow(
                    movement=m.id,
                    occurred_at=m.occurred_at,
                    item=m.item_id,
                    item_name=m.item_name,
                    schedule=m.schedule,
                    location=code,
                    kind=m.kind,
                    counterparty=counterparty,
                    lot=m.lot_number,
                    expiry=m.expiry,
                    quantity_in=max(delta, 0),
                    quantity_out=max(-delta, 0),
                    balance=balances[(m.item_id, code)],
                    actor=m.actor,
                    witness=m.witness,
                    scan=m.scan_id,
                    reference=m.reference,
                )
            )
    return rows


__all__ = ["WitnessClaim", "ledger", "witness_for_waste"]
