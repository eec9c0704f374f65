"""Kit statements: templates and their versions, kits, restock sessions, checks, openings.

Typed rows out; the rules are in domain/kits.py. A kit's row is the lock that serialises
everything that changes its contents or its status (restock and remove scans, completing,
opening): `lock_kit` takes it first in those units of work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from inventory_svc.db.catalog import subtree_ids_query
from inventory_svc.db.engine import driver_connection
from inventory_svc.db.models import (
    Balance,
    Item,
    Kit,
    KitCheck,
    KitOpening,
    KitTemplate,
    KitTemplateSlot,
    KitTemplateSlotItem,
    Location,
    Lot,
    Movement,
    RestockSession,
)
from inventory_svc.domain.kits import KitLot, SlotRule, TemplateRules
from inventory_svc.domain.vocabulary import KitStatus, RestockSessionStatus

# --- templates ---------------------------------------------------------------------------


async def _insert_id(session: AsyncSession, model: Any, **values: object) -> int:
    """Insert one row of `model` and return its new id."""
    new_id = (
        await session.execute(insert(model).values(**values).returning(model.id))
    ).scalar_one()
    return int(new_id)


@dataclass(frozen=True, slots=True)
class TemplateHead:
    id: int
    code: str
    version: int
    name: str
    kind: str
    check_interval_days: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewSlot:
    slot: str
    quantity: int
    min_days_to_expiry: int
    item_ids: Sequence[int]


def _heads() -> Any:
    return select(KitTemplate)


def _head(row: KitTemplate) -> TemplateHead:
    return TemplateHead(
        row.id,
        row.code,
        row.version,
        row.name,
        row.kind,
        row.check_interval_days,
        row.created_at,
    )


async def latest_version(session: AsyncSession, code: str) -> TemplateHead | None:
    row = (
        await session.execute(
            _heads().where(KitTemplate.code == code).order_by(KitTemplate.version.desc()).limit(1)
        )
    ).scalar_one_or_none()
    return _head(row) if row else None


async def template_version(session: AsyncSession, code: str, version: int) -> TemplateHead | None:
    row = (
        await session.execute(
            _heads().where(KitTemplate.code == code, KitTemplate.version == version)
        )
    ).scalar_one_or_none()
    return _head(row) if row else None


async def template_by_id(session: AsyncSession, template_id: int) -> TemplateHead:
    row = (await session.execute(_heads().where(KitTemplate.id == template_id))).scalar_one()
    return _head(row)


async def latest_templates(session: AsyncSession) -> list[TemplateHead]:
    newest = (
        select(KitTemplate.code, func.max(KitTemplate.version).label("version"))
        .group_by(KitTemplate.code)
        .subquery()
    )
    rows = await session.execute(
        _heads()
        .join(
            newest,
            and_(newest.c.code == KitTemplate.code, newest.c.version == KitTemplate.version),
        )
        .order_by(KitTemplate.code)
    )
    return [_head(row) for row in rows.scalars().all()]


async def insert_template(
    session: AsyncSession,
    *,
    code: str,
    version: int,
    name: str,
    kind: str,
    check_interval_days: int,
    slots: Sequence[NewSlot],
    actor: str | None,
) -> int:
    """A new version with its slots. Raises IntegrityError when a concurrent edit took the
    same version number."""
    template_id = await _insert_id(
        session,
        KitTemplate,
        code=code,
        version=version,
        name=name,
        kind=kind,
        check_interval_days=check_interval_days,
        created_by=actor,
    )
    for position, slot in enumerate(slots, start=1):
        slot_id = await _insert_id(
            session,
            KitTemplateSlot,
            template_id=template_id,
            position=position,
            slot=slot.slot,
            quantity=slot.quantity,
            min_days_to_expiry=slot.min_days_to_expiry,
        )
        await session.execute(
            insert(KitTemplateSlotItem),
            [
                {"template_id": template_id, "slot_id": slot_id, "item_id": item_id}
                for item_id in slot.item_ids
            ],
        )
    return template_id


@dataclass(frozen=True, slots=True)
class SlotRow:
    template_id: int
    position: int
    slot: str
    quantity: int
    min_days_to_expiry: int
    items: list[tuple[int, str]]
    """(item id, name) in the order they were given."""


async def slots_of(
    session: AsyncSession, template_ids: Collection[int]
) -> dict[int, list[SlotRow]]:
    """Each template version's slots in template order, with the items they accept."""
    if not template_ids:
        return {}
    rows = await session.execute(
        select(
            KitTemplateSlot.template_id,
            KitTemplateSlot.position,
            KitTemplateSlot.slot,
            KitTemplateSlot.quantity,
            KitTemplateSlot.min_days_to_expiry,
            KitTemplateSlotItem.item_id,
            Item.name,
        )
        .join(KitTemplateSlotItem, KitTemplateSlotItem.slot_id == KitTemplateSlot.id)
        .join(Item, Item.id == KitTemplateSlotItem.item_id)
        .where(KitTemplateSlot.template_id.in_(template_ids))
        .order_by(KitTemplateSlot.template_id, KitTemplateSlot.position, KitTemplateSlotItem.id)
    )
    by_template: dict[int, list[SlotRow]] = defaultdict(list)
    for template_id, position, slot, quantity, min_days, item_id, item_name in rows.all():
        slots = by_template[template_id]
        if not slots or slots[-1].position != position:
            slots.append(SlotRow(template_id, position, slot, quantity, min_days, []))
        slots[-1].items.append((item_id, item_name))
    return dict(by_template)


def rules_of(head: TemplateHead, slots: Sequence[SlotRow]) -> TemplateRules:
    return TemplateRules(
        id=head.id,
        code=head.code,
        version=head.version,
        check_interval_days=head.check_interval_days,
        slots=tuple(
            SlotRule(
                slot.slot,
                frozenset(item for item, _ in slot.items),
                slot.quantity,
                slot.min_days_to_expiry,
            )
            for slot in slots
        ),
    )


async def rules(session: AsyncSession, template_id: int) -> TemplateRules:
    head = await template_by_id(session, template_id)
    return rules_of(head, (await slots_of(session, [template_id])).get(template_id, []))


# --- kits ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KitRow:
    location_id: int
    code: str
    name: str
    kind: str
    home_location: str | None
    template_id: int
    template_code: str
    template_version: int
    template_name: str
    check_interval_days: int
    status: KitStatus
    seal_number: str | None
    sealed_at: datetime | None
    sealed_by: str | None
    opened_at: datetime | None
    flag_reason: str | None
    last_check_at: datetime | None
    open_session: int | None


def _kits() -> Any:
    parent = aliased(Location)
    last_check = (
        select(func.max(KitCheck.checked_at))
        .where(KitCheck.kit_location_id == Kit.location_id)
        .scalar_subquery()
    )
    open_session = (
        select(RestockSession.id)
        .where(
            RestockSession.kit_location_id == Kit.location_id,
            RestockSession.status == RestockSessionStatus.OPEN.value,
        )
        .scalar_subquery()
    )
    # plain columns in KitRow's order: the board reads hundreds (no ORM objects)
    return (
        select(
            Location.id,
            Location.code,
            Location.name,
            Location.kind,
            parent.code,
            KitTemplate.id,
            KitTemplate.code,
            KitTemplate.version,
            KitTemplate.name,
            KitTemplate.check_interval_days,
            Kit.status,
            Kit.seal_number,
            Kit.sealed_at,
            Kit.sealed_by,
            Kit.opened_at,
            Kit.flag_reason,
            last_check,
            open_session,
        )
        .join(Kit, Kit.location_id == Location.id)
        .join(KitTemplate, KitTemplate.id == Kit.template_id)
        .outerjoin(parent, parent.id == Location.parent_id)
    )


def _kit_row(row: Any) -> KitRow:
    """The columns of `_kits()`, in order."""
    fields: list[Any] = list(row)
    fields[10] = KitStatus(fields[10])
    return KitRow(*fields)


async def kit_by_code(session: AsyncSession, code: str) -> KitRow | None:
    row = (await session.execute(_kits().where(Location.code == code))).first()
    return _kit_row(row) if row else None


async def kit_by_location_id(session: AsyncSession, location_id: int) -> KitRow | None:
    row = (await session.execute(_kits().where(Location.id == location_id))).first()
    return _kit_row(row) if row else None


async def lock_kit(session: AsyncSession, location_id: int) -> bool:
    """Take the kit's row lock for the rest of the transaction: restock and remove scans,
    completion and opening of one kit queue behind each other (so a slot's count read under
    it stays true until the write). False when the location is not a kit."""
    locked = (
        await session.execute(
            select(Kit.location_id).where(Kit.location_id == location_id).with_for_update()
        )
    ).scalar_one_or_none()
    return locked is not None


async def kits(
    session: AsyncSession,
    *,
    status: KitStatus | None = None,
    kind: str | None = None,
    within: int | None = None,
) -> list[KitRow]:
    stmt = _kits()
    if status is not None:
        stmt = stmt.where(Kit.status == status.value)
    if kind is not None:
        stmt = stmt.where(Location.kind == kind)
    if within is not None:
        stmt = stmt.where(Location.id.in_(subtree_ids_query(within)))
    rows = await session.execute(stmt.order_by(Location.code))
    return [_kit_row(row) for row in rows.all()]


async def flag_kits(session: AsyncSession, reasons: Mapping[int, str]) -> None:
    """Quarantine these kits with their reasons: locked in one order, then one batched
    UPDATE (a recall may reach hundreds of kits)."""
    if not reasons:
        return
    await session.execute(
        select(Kit.location_id)
        .where(Kit.location_id.in_(sorted(reasons)))
        .order_by(Kit.location_id)
        .with_for_update()
    )
    table = cast(Table, Kit.__table__)
    await session.execute(
        table.update()
        .where(table.c.location_id == bindparam("kit_id"))
        .values(status=KitStatus.QUARANTINED.value, flag_reason=bindparam("why")),
        [{"kit_id": kit_id, "why": why} for kit_id, why in sorted(reasons.items())],
    )


async def insert_kit(session: AsyncSession, location_id: int, template_id: int) -> None:
    await session.execute(
        insert(Kit).values(
            location_id=location_id, template_id=template_id, status=KitStatus.UNSEALED.value
        )
    )


async def update_kit(session: AsyncSession, location_id: int, **values: object) -> None:
    await session.execute(update(Kit).where(Kit.location_id == location_id).values(**values))


_PG_CONTENTS = """
SELECT b.location_id, b.item_id, i.name, l.id, l.lot_number, l.expiry, l.recalled, b.quantity
  FROM balances b JOIN lots l ON l.id = b.lot_id JOIN items i ON i.id = b.item_id
 WHERE b.quantity > 0 AND b.location_id {}
"""
_PG_CONTENTS_OF_ALL = _PG_CONTENTS.format("IN (SELECT location_id FROM kits)")
_PG_CONTENTS_OF = _PG_CONTENTS.format("= ANY($1::integer[])")


async def contents(
    session: AsyncSession, location_ids: Collection[int] | None
) -> dict[int, list[KitLot]]:
    """What each kit holds, per lot, in one statement: of these kits, or (None) of every
    kit, joined rather than named (the board: no list of hundreds of bound ids)."""
    if location_ids is not None and not location_ids:
        return {}
    found: dict[int, list[KitLot]] = defaultdict(list)
    if session.get_bind().dialect.name == "postgresql":
        # the board reads every kit's lots: asyncpg's rows straight into tuples, without
        # SQLAlchemy's per-row work (profiled: most of the board's time)
        connection = await driver_connection(session)
        rows = await (
            connection.fetch(_PG_CONTENTS_OF_ALL)
            if location_ids is None
            else connection.fetch(_PG_CONTENTS_OF, list(location_ids))
        )
        for row in rows:
            found[row[0]].append(KitLot(*row[1:]))
        return dict(found)
    stmt = (
        select(
            Balance.location_id,
            Balance.item_id,
            Item.name,
            Lot.id,
            Lot.lot_number,
            Lot.expiry,
            Lot.recalled,
            Balance.quantity,
        )
        .join(Lot, Lot.id == Balance.lot_id)
        .join(Item, Item.id == Balance.item_id)
        .where(Balance.quantity > 0)
    )
    if location_ids is None:
        stmt = stmt.join(Kit, Kit.location_id == Balance.location_id)
    else:
        stmt = stmt.where(Balance.location_id.in_(location_ids))
    every: list[Any] = list((await session.execute(stmt)).all())
    for location_id, *lot in every:
        found[location_id].append(KitLot(*lot))
    return dict(found)


async def on_hand_of(session: AsyncSession, location_id: int, item_ids: Collection[int]) -> int:
    """Units of these items at the location (a kit slot's `present`, read under its lock)."""
    total = (
        await session.execute(
            select(func.coalesce(func.sum(Balance.quantity), 0)).where(
                Balance.location_id == location_id, Balance.item_id.in_(item_ids)
            )
        )
    ).scalar_one()
    return int(total)


async def stock_at(
    session: AsyncSession, location_id: int, item_ids: Collection[int]
) -> list[KitLot]:
    """A restock source's lots of these items (the restock plan's suggestions)."""
    if not item_ids:
        return []
    rows = await session.execute(
        select(
            Balance.item_id,
            Item.name,
            Lot.id,
            Lot.lot_number,
            Lot.expiry,
            Lot.recalled,
            Balance.quantity,
        )
        .join(Lot, Lot.id == Balance.lot_id)
        .join(Item, Item.id == Balance.item_id)
        .where(
            Balance.location_id == location_id,
            Balance.item_id.in_(item_ids),
            Balance.quantity > 0,
        )
    )
    return [KitLot(*row) for row in rows.all()]


# --- restock sessions ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    kit_location_id: int
    kit: str
    source_location_id: int
    source: str
    template_id: int
    status: RestockSessionStatus
    opened_by: str | None
    opened_at: datetime
    completed_by: str | None
    completed_at: datetime | None
    seal_number: str | None
    override_reason: str | None
    override_by: str | None


async def session_by_id(
    session: AsyncSession, session_id: int, *, for_update: bool = False
) -> SessionRow | None:
    kit_location = aliased(Location)
    source = aliased(Location)
    stmt = (
        select(RestockSession, kit_location.code, source.code)
        .join(kit_location, kit_location.id == RestockSession.kit_location_id)
        .join(source, source.id == RestockSession.source_location_id)
        .where(RestockSession.id == session_id)
    )
    if for_update:
        stmt = stmt.with_for_update(of=RestockSession)
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    rs, kit_code, source_code = row
    return SessionRow(
        rs.id,
        rs.kit_location_id,
        kit_code,
        rs.source_location_id,
        source_code,
        rs.template_id,
        RestockSessionStatus(rs.status),
        rs.opened_by,
        rs.opened_at,
        rs.completed_by,
        rs.completed_at,
        rs.seal_number,
        rs.override_reason,
        rs.override_by,
    )


async def insert_session(
    session: AsyncSession,
    *,
    kit_location_id: int,
    source_location_id: int,
    template_id: int,
    actor: str | None,
    at: datetime,
) -> int:
    session_id = await _insert_id(
        session,
        RestockSession,
        kit_location_id=kit_location_id,
        source_location_id=source_location_id,
        template_id=template_id,
        status=RestockSessionStatus.OPEN.value,
        opened_by=actor,
        opened_at=at,
    )
    return session_id


async def complete_session(
    session: AsyncSession,
    session_id: int,
    *,
    seal_number: str,
    actor: str | None,
    at: datetime,
    override_reason: str | None,
) -> None:
    await session.execute(
        update(RestockSession)
        .where(RestockSession.id == session_id)
        .values(
            status=RestockSessionStatus.COMPLETED.value,
            completed_by=actor,
            completed_at=at,
            seal_number=seal_number,
            override_reason=override_reason,
            override_by=actor if override_reason else None,
        )
    )


def session_reference(session_id: int) -> str:
    """What a restock session's movements carry in `reference`."""
    return f"restock-session:{session_id}"


@dataclass(frozen=True, slots=True)
class MovedLine:
    id: int
    kind: str
    item_id: int
    item_name: str
    lot: str
    expiry: date | None
    quantity: int
    from_location: str
    to_location: str
    actor: str | None
    reference: str | None
    occurred_at: datetime


def _moved() -> Any:
    source = aliased(Location)
    destination = aliased(Location)
    return (
        select(
            Movement.id,
            Movement.kind,
            Movement.item_id,
            Item.name,
            Lot.lot_number,
            Lot.expiry,
            Movement.quantity,
            source.code,
            destination.code,
            Movement.actor,
            Movement.reference,
            Movement.occurred_at,
        )
        .join(Item, Item.id == Movement.item_id)
        .join(Lot, Lot.id == Movement.lot_id)
        .join(source, source.id == Movement.from_location_id)
        .join(destination, destination.id == Movement.to_location_id)
    )


async def moved_with_reference(session: AsyncSession, reference: str) -> list[MovedLine]:
    rows = await session.execute(
        _moved().where(Movement.reference == reference).order_by(Movement.id)
    )
    return [MovedLine(*row) for row in rows.all()]


async def moved_out_since(
    session: AsyncSession, location_id: int, since: datetime | None, kinds: Collection[str]
) -> list[MovedLine]:
    """What left a kit as `kinds` (issue, waste) since its last seal: the charge sheet."""
    stmt = _moved().where(Movement.from_location_id == location_id, Movement.kind.in_(kinds))
    if since is not None:
        stmt = stmt.where(Movement.recorded_at >= since)
    rows = await session.execute(stmt.order_by(Movement.id))
    return [MovedLine(*row) for row in rows.all()]


# --- checks and openings -------------------------------------------------------------------


async def insert_check(
    session: AsyncSession,
    *,
    kit_location_id: int,
    seal_number: str | None,
    intact: bool,
    seal_matches: bool,
    actor: str | None,
    at: datetime,
) -> int:
    check_id = await _insert_id(
        session,
        KitCheck,
        kit_location_id=kit_location_id,
        seal_number=seal_number,
        intact=intact,
        seal_matches=seal_matches,
        checked_by=actor,
        checked_at=at,
    )
    return check_id


async def insert_opening(
    session: AsyncSession,
    *,
    kit_location_id: int,
    reason: str,
    seal_number: str | None,
    reference: str | None,
    actor: str | None,
    at: datetime,
) -> None:
    await session.execute(
        insert(KitOpening).values(
            kit_location_id=kit_location_id,
            reason=reason,
            seal_number=seal_number,
            reference=reference,
            opened_by=actor,
            opened_at=at,
        )
    )


@dataclass(frozen=True, slots=True)
class OpeningRow:
    reason: str
    seal_number: str | None
    reference: str | None
    opened_by: str | None
    opened_at: datetime


async def openings_since(
    session: AsyncSession, location_id: int, since: datetime | None
) -> list[OpeningRow]:
    stmt = select(
        KitOpening.reason,
        KitOpening.seal_number,
        KitOpening.reference,
        KitOpening.opened_by,
        KitOpening.opened_at,
    ).where(KitOpening.kit_location_id == location_id)
    if since is not None:
        stmt = stmt.where(KitOpening.opened_at >= since)
    rows = await session.execute(stmt.order_by(KitOpening.id))
    return [OpeningRow(*row) for row in rows.all()]


@dataclass(frozen=True, slots=True)
class CheckRow:
    seal_number: str | None
    intact: bool
    seal_matches: bool
    checked_by: str | None
    checked_at: datetime


async def recent_checks(session: AsyncSession, location_id: int, limit: int) -> list[CheckRow]:
    """The kit's latest seal checks, newest first (ix_kit_checks_kit)."""
    stmt = (
        select(
            KitCheck.seal_number,
            KitCheck.intact,
            KitCheck.seal_matches,
            KitCheck.checked_by,
            KitCheck.checked_at,
        )
        .where(KitCheck.kit_location_id == location_id)
        .order_by(KitCheck.id.desc())
        .limit(limit)
    )
    return [CheckRow(*row) for row in (await session.execute(stmt)).all()]
