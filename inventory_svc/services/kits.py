"""Kits: templates, kits, restock sessions, seals, checks, openings and the charge sheet.

Each write is one unit of work that first locks the kit's row (db/kits.lock_kit), so restock
scans, removals, completion and opening of one kit happen one after the other and a slot's
count read under the lock stays true until the transaction commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import catalog
from inventory_svc.db import kits as db
from inventory_svc.domain import barcodes
from inventory_svc.domain.errors import (
    BadBarcodeError,
    BadRequest,
    Conflict,
    InvalidMovement,
    InvalidTransition,
    NotFound,
    SessionClosed,
    UnknownItem,
    UnknownLocation,
)
from inventory_svc.domain.events import EventType
from inventory_svc.domain.kit_records import (
    KitBoardRow,
    KitBrief,
    KitCheckOut,
    KitLotOut,
    KitOpeningOut,
    KitOut,
    KitSlotOut,
    KitTemplateOut,
    KitUsageOut,
    MovedOut,
    PlanSlot,
    RestockPlanOut,
    RestockSessionOut,
    SlotShort,
    Suggested,
    TemplateLineOut,
    UsageTotal,
)
from inventory_svc.domain.kits import (
    KitAssessment,
    KitLot,
    SlotLot,
    TemplateRules,
    UnitState,
    assess,
    check_may_seal,
    check_template_lines,
    is_ready,
    suggest_lots,
    summarize,
    to_replace,
)
from inventory_svc.domain.ledger import Action, MovePlan, PlaceFacts
from inventory_svc.domain.roles import Permission
from inventory_svc.domain.vocabulary import KIT_KINDS, KitStatus, LocationKind, RestockSessionStatus
from inventory_svc.services import catalog as catalog_service
from inventory_svc.services.uow import UnitOfWork

# --- templates ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SlotInput:
    slot: str
    items: Sequence[int | str]
    """Item ids; a GTIN (or UPC/EAN) given instead stands for its whole item."""
    quantity: int
    min_days_to_expiry: int


@dataclass(frozen=True, slots=True)
class TemplateInput:
    code: str
    name: str
    kind: LocationKind
    lines: Sequence[SlotInput]
    check_interval_days: int


async def _item_ids(session: AsyncSession, refs: Sequence[int | str]) -> list[int]:
    known = {
        item.id
        for item in await catalog.items_by_ids(session, [r for r in refs if isinstance(r, int)])
    }
    ids: list[int] = []
    for ref in refs:
        if isinstance(ref, int):
            if ref not in known:
                raise UnknownItem(f"No item has the id {ref}.", item=ref)
            ids.append(ref)
            continue
        try:
            gtin = barcodes.normalize_gtin(ref)
        except BadBarcodeError as error:
            raise BadRequest(f"{ref!r} is neither an item id nor a GTIN: {error.detail}") from None
        found = await catalog.find_item_by_barcode(session, gtin, [], fallback_to_ndc=False)
        if found is None:
            raise UnknownItem(f"No item has GTIN {gtin}.", gtin=gtin)
        ids.append(found.item.id)
    return ids


async def create_template(uow: UnitOfWork, data: TemplateInput) -> KitTemplateOut:
    """A template's first version, or its next one when the code exists (editing never
    changes a version kits are bound to)."""
    if data.kind not in KIT_KINDS:
        raise BadRequest(f"A kit template's kind is one of {sorted(KIT_KINDS)}.")
    session = uow.session
    resolved = [(line.slot, await _item_ids(session, line.items)) for line in data.lines]
    if problems := check_template_lines(resolved):
        raise BadRequest(" ".join(problems))
    latest = await db.latest_version(session, data.code)
    if latest is not None and latest.kind != data.kind:
        raise BadRequest(
            f"The template {data.code} is a {latest.kind}; a new version keeps its kind."
        )
    version = (latest.version if latest else 0) + 1
    try:
        await db.insert_template(
            session,
            code=data.code,
            version=version,
            name=data.name,
            kind=data.kind.value,
            check_interval_days=data.check_interval_days,
            slots=[
                db.NewSlot(line.slot, line.quantity, line.min_days_to_expiry, ids)
                for line, (_, ids) in zip(data.lines, resolved, strict=True)
            ],
            actor=uow.actor.name,
        )
    except IntegrityError as error:  # a concurrent edit took this version number
        raise Conflict(
            f"The template {data.code} was edited at the same time; send it again."
        ) from error
    return await get_template(session, data.code, version)


async def get_template(
    session: AsyncSession, code: str, version: int | None = None
) -> KitTemplateOut:
    head = (
        await db.latest_version(session, code)
        if version is None
        else await db.template_version(session, code, version)
    )
    if head is None:
        raise NotFound(f"No kit template {code}" + (f" version {version}." if version else "."))
    return _template_out(head, (await db.slots_of(session, [head.id])).get(head.id, []))


async def list_templates(session: AsyncSession) -> list[KitTemplateOut]:
    heads = await db.latest_templates(session)
    slots = await db.slots_of(session, [head.id for head in heads])
    return [_template_out(head, slots.get(head.id, [])) for head in heads]


def _template_out(head: db.TemplateHead, slots: Sequence[db.SlotRow]) -> KitTemplateOut:
    return KitTemplateOut(
        code=head.code,
        version=head.version,
        name=head.name,
        kind=head.kind,
        check_interval_days=head.check_interval_days,
        created_at=head.created_at,
        lines=[
            TemplateLineOut(
                slot=slot.slot,
                items=[item for item, _ in slot.items],
                item_names=[name for _, name in slot.items],
                quantity=slot.quantity,
                min_days_to_expiry=slot.min_days_to_expiry,
            )
            for slot in slots
        ],
    )


# --- kits ----------------------------------------------------------------------------------


async def create_kit(
    uow: UnitOfWork, code: str, template: str, home_location: str, name: str | None
) -> KitOut:
    """A kit is a location of its template's kind under `home_location`, bound to the
    template's latest version; it starts `unsealed` and empty."""
    session = uow.session
    head = await db.latest_version(session, template)
    if head is None:
        raise NotFound(f"No kit template {template}.", template=template)
    home = await catalog.location_by_code(session, home_location)
    if home is None or home.is_virtual:
        raise UnknownLocation(
            f"No location has the code {home_location!r}.", location=home_location
        )
    if home.kind in KIT_KINDS:
        raise BadRequest("A kit's home is a real place (an area, a storeroom), not another kit.")
    location = await catalog_service.create_location(
        uow, code, name or f"{head.name} {code}", head.kind, home_location, kit=True
    )
    await db.insert_kit(session, location.id, head.id)
    return await get_kit(session, code, uow.today)


async def _kit(session: AsyncSession, code: str) -> db.KitRow:
    kit = await db.kit_by_code(session, code)
    if kit is None:
        raise NotFound(f"No kit has the code {code!r}.", kit=code)
    return kit


async def _assessed(
    session: AsyncSession, kit: db.KitRow, today: date
) -> tuple[list[db.SlotRow], KitAssessment]:
    """The kit's template slots (for showing them) and how its contents measure up."""
    head = await db.template_by_id(session, kit.template_id)
    slots = (await db.slots_of(session, [head.id])).get(head.id, [])
    contents = (await db.contents(session, [kit.location_id])).get(kit.location_id, [])
    return slots, assess(db.rules_of(head, slots), contents, today)


async def get_kit(session: AsyncSession, code: str, today: date) -> KitOut:
    kit = await _kit(session, code)
    slots, assessment = await _assessed(session, kit, today)
    return _kit_out(kit, slots, assessment, today)


def _lot_out(lot: SlotLot) -> KitLotOut:
    return KitLotOut(lot.item_id, lot.item_name, lot.lot, lot.expiry, lot.quantity, lot.state)


def _days(expiry: date | None, today: date) -> int | None:
    return None if expiry is None else (expiry - today).days


def _next_check(kit: db.KitRow) -> date | None:
    """A sealed kit's next check is due `check_interval_days` after its last check or seal."""
    if kit.status is not KitStatus.READY:
        return None
    last = max((t for t in (kit.last_check_at, kit.sealed_at) if t is not None), default=None)
    return None if last is None else last.date() + timedelta(days=kit.check_interval_days)


def _short(assessment: KitAssessment) -> list[SlotShort]:
    return [SlotShort(slot.slot, slot.missing, slot.unusable) for slot in assessment.short()]


def _kit_out(
    kit: db.KitRow, slots: Sequence[db.SlotRow], assessment: KitAssessment, today: date
) -> KitOut:
    rows = {slot.slot: slot for slot in slots}
    return KitOut(
        code=kit.code,
        name=kit.name,
        kind=kit.kind,
        template=kit.template_code,
        template_version=kit.template_version,
        template_name=kit.template_name,
        home_location=kit.home_location,
        status=kit.status,
        ready=is_ready(kit.status, assessment),
        seal_number=kit.seal_number,
        sealed_at=kit.sealed_at,
        sealed_by=kit.sealed_by,
        expiry=assessment.expiry,
        days_to_expiry=_days(assessment.expiry, today),
        last_check_at=kit.last_check_at,
        next_check_due=_next_check(kit),
        flag_reason=kit.flag_reason,
        restock_session=kit.open_session,
        slots=[
            KitSlotOut(
                slot=view.slot,
                items=[item for item, _ in rows[view.slot].items],
                min_days_to_expiry=rows[view.slot].min_days_to_expiry,
                required=view.required,
                present=view.present,
                fit=view.fit,
                missing=view.missing,
                expired=view.expired,
                short_dated=view.short_dated,
                expiring=view.expiring,
                lots=[_lot_out(lot) for lot in view.lots],
            )
            for view in assessment.slots
        ],
        off_template=[_lot_out(lot) for lot in assessment.off_template],
    )


async def board(
    session: AsyncSession,
    today: date,
    *,
    status: KitStatus | None = None,
    kind: LocationKind | None = None,
    expiring_within_days: int | None = None,
    location: str | None = None,
) -> list[KitBoardRow]:
    """Every kit with its verdict, expiry, last check and what is short: one statement for
    the kits, one for all their contents, one for their templates' slots."""
    within: int | None = None
    if location is not None:
        place = await catalog.location_by_code(session, location)
        if place is None:
            return []
        within = place.id
    kits = await db.kits(session, status=status, kind=kind.value if kind else None, within=within)
    everything = status is None and kind is None and within is None
    contents = await db.contents(session, None if everything else [k.location_id for k in kits])
    slots = await db.slots_of(session, {kit.template_id for kit in kits})
    rules: dict[int, TemplateRules] = {}
    rows: list[KitBoardRow] = []
    for kit in kits:
        if kit.template_id not in rules:
            head = db.TemplateHead(
                kit.template_id,
                kit.template_code,
                kit.template_version,
                kit.template_name,
                kit.kind,
                kit.check_interval_days,
                datetime.min,
            )
            rules[kit.template_id] = db.rules_of(head, slots.get(kit.template_id, []))
        summary = summarize(rules[kit.template_id], contents.get(kit.location_id, ()), today)
        days = _days(summary.expiry, today)
        if expiring_within_days is not None and (days is None or days > expiring_within_days):
            continue
        rows.append(
            KitBoardRow(
                code=kit.code,
                name=kit.name,
                kind=kit.kind,
                template=kit.template_code,
                template_version=kit.template_version,
                home_location=kit.home_location,
                status=kit.status,
                ready=is_ready(kit.status, summary),
                seal_number=kit.seal_number,
                expiry=summary.expiry,
                days_to_expiry=days,
                last_check_at=kit.last_check_at,
                next_check_due=_next_check(kit),
                short=[SlotShort(slot, missing, pull) for slot, missing, pull in summary.short],
                off_template=summary.off_template,
            )
        )
    return rows


# --- restock sessions ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RestockTarget:
    """A kit locked for a restock or remove scan, with its session and its contents."""

    kit: db.KitRow
    rules: TemplateRules
    session_id: int
    session_open: bool
    contents: list[KitLot]


async def _open_session(uow: UnitOfWork, kit: db.KitRow, source_location_id: int) -> int:
    """Open the kit's restock session (the caller holds the kit's lock): the kit is bound to
    its template's latest version and its seal, if any, is gone."""
    latest = await db.latest_version(uow.session, kit.template_code)
    assert latest is not None, "a kit's template has at least its own version"
    session_id = await db.insert_session(
        uow.session,
        kit_location_id=kit.location_id,
        source_location_id=source_location_id,
        template_id=latest.id,
        actor=uow.actor.name,
        at=uow.now,
    )
    await db.update_kit(
        uow.session,
        kit.location_id,
        template_id=latest.id,
        status=KitStatus.RESTOCKING.value,
        seal_number=None,
    )
    return session_id


async def _locked_kit(uow: UnitOfWork, place: PlaceFacts) -> db.KitRow:
    if place.kind not in KIT_KINDS or not await db.lock_kit(uow.session, place.id):
        raise InvalidMovement(f"{place.code} is not a kit.", location=place.code)
    kit = await db.kit_by_location_id(uow.session, place.id)
    assert kit is not None
    return kit


async def restock_target(
    uow: UnitOfWork, kit_place: PlaceFacts, other: PlaceFacts, session_id: int | None
) -> RestockTarget:
    """Lock the kit a restock or remove scan names and find its session: the one named, or
    the kit's open one, or a new one from `other` (the scan's source or destination), so a
    scanner that queued its scans offline needs no session id. A named session that is
    completed is reported (`session_open` False) for the rules to refuse in their order."""
    if other.kind in KIT_KINDS:
        raise InvalidMovement(
            "Stock moves between a kit and a real place (a shelf, quarantine), never from "
            "kit to kit."
        )
    kit = await _locked_kit(uow, kit_place)
    is_open = True
    if session_id is not None:
        named = await db.session_by_id(uow.session, session_id)
        if named is None:
            raise NotFound(f"No restock session {session_id}.", restock_session=session_id)
        if named.kit_location_id != kit.location_id:
            raise InvalidMovement(
                f"Restock session {session_id} is for the kit {named.kit}, not {kit.code}."
            )
        is_open = named.status is RestockSessionStatus.OPEN
    elif kit.open_session is not None:
        session_id = kit.open_session
    else:
        session_id = await _open_session(uow, kit, other.id)
        kit = await db.kit_by_location_id(uow.session, kit.location_id) or kit
    return RestockTarget(
        kit,
        await db.rules(uow.session, kit.template_id),
        session_id,
        is_open,
        (await db.contents(uow.session, [kit.location_id])).get(kit.location_id, []),
    )


def present_in_slot(target: RestockTarget, item_id: int) -> int:
    slot = target.rules.slot_for(item_id)
    if slot is None:
        return 0
    return sum(lot.quantity for lot in target.contents if lot.item_id in slot.items)


def brief_after(target: RestockTarget, plan: MovePlan, today: date) -> KitBrief:
    """The kit as it will be once the scan's plan is written (the answer is built before
    the write, in the same transaction, under the kit's lock)."""
    into_kit = plan.destination.id == target.kit.location_id
    contents = {lot.lot_id: lot for lot in target.contents}
    for leg in plan.legs:
        assert leg.lot_id is not None
        held = contents.get(leg.lot_id)
        change = leg.quantity if into_kit else -leg.quantity
        if held is None:
            held = KitLot(plan.item_id, "", leg.lot_id, leg.lot_number, leg.expiry, False, 0)
        contents[leg.lot_id] = KitLot(
            held.item_id,
            held.item_name,
            held.lot_id,
            held.lot_number,
            held.expiry,
            held.recalled,
            held.quantity + change,
        )
    assessment = assess(target.rules, contents.values(), today)
    return KitBrief(
        target.kit.code,
        target.kit.status,
        is_ready(target.kit.status, assessment),
        _short(assessment),
        target.session_id,
    )


async def start_restock(uow: UnitOfWork, code: str, source_location: str) -> RestockSessionOut:
    """Open the kit's restock session, or answer its open one (starting twice is not an
    error: two technicians at one cart share it)."""
    session = uow.session
    kit = await _kit(session, code)
    source = await catalog.location_by_code(session, source_location)
    if source is None or source.is_virtual:
        raise UnknownLocation(
            f"No location has the code {source_location!r}.", location=source_location
        )
    if source.kind in KIT_KINDS:
        raise InvalidMovement("A kit is restocked from a real place, not from another kit.")
    await db.lock_kit(session, kit.location_id)
    kit = await _kit(session, code)  # as it is under the lock
    session_id = kit.open_session or await _open_session(uow, kit, source.id)
    return await get_session(session, session_id)


async def get_session(session: AsyncSession, session_id: int) -> RestockSessionOut:
    row = await db.session_by_id(session, session_id)
    if row is None:
        raise NotFound(f"No restock session {session_id}.", restock_session=session_id)
    head = await db.template_by_id(session, row.template_id)
    kit = await db.kit_by_location_id(session, row.kit_location_id)
    assert kit is not None
    moved = [
        _moved_out(line)
        for line in await db.moved_with_reference(session, db.session_reference(row.id))
    ]
    return RestockSessionOut(
        id=row.id,
        kit=row.kit,
        source_location=row.source,
        status=row.status,
        template=head.code,
        template_version=head.version,
        opened_by=row.opened_by,
        opened_at=row.opened_at,
        completed_by=row.completed_by,
        completed_at=row.completed_at,
        seal_number=row.seal_number,
        override_reason=row.override_reason,
        override_by=row.override_by,
        moved_in=[line for line in moved if line.to_location == row.kit],
        moved_out=[line for line in moved if line.from_location == row.kit],
        kit_status=kit.status,
    )


def _moved_out(line: db.MovedLine) -> MovedOut:
    return MovedOut(
        movement=line.id,
        kind=line.kind,
        item=line.item_id,
        item_name=line.item_name,
        lot=line.lot,
        expiry=line.expiry,
        quantity=line.quantity,
        from_location=line.from_location,
        to_location=line.to_location,
        actor=line.actor,
        reference=line.reference,
        at=line.occurred_at,
    )


async def complete(
    uow: UnitOfWork, session_id: int, seal_number: str, override_reason: str | None
) -> RestockSessionOut:
    """Seal the kit and close its session: refused (`409 kit_incomplete`) while a slot is
    short, holds unusable stock or the kit holds off-template stock, unless a manager
    overrides with a reason (recorded with who, and raised as `kit.override`)."""
    session = uow.session
    row = await db.session_by_id(session, session_id)
    if row is None:
        raise NotFound(f"No restock session {session_id}.", restock_session=session_id)
    await db.lock_kit(session, row.kit_location_id)
    row = await db.session_by_id(session, session_id)
    assert row is not None
    if row.status is not RestockSessionStatus.OPEN:
        raise SessionClosed(
            f"Restock session {session_id} was completed at {row.completed_at}.",
            current_status=row.status.value,
        )
    if override_reason:
        uow.actor.require(Permission.MANAGE)
    kit = await db.kit_by_location_id(session, row.kit_location_id)
    assert kit is not None
    _, assessment = await _assessed(session, kit, uow.today)
    overridden = check_may_seal(assessment, override_reason)
    reason = override_reason if overridden else None
    await db.complete_session(
        session,
        session_id,
        seal_number=seal_number,
        actor=uow.actor.name,
        at=uow.now,
        override_reason=reason,
    )
    await db.update_kit(
        session,
        kit.location_id,
        status=KitStatus.READY.value,
        seal_number=seal_number,
        sealed_at=uow.now,
        sealed_by=uow.actor.name,
        opened_at=None,
        flag_reason=None,
    )
    uow.emit(
        EventType.KIT_RESTOCKED,
        {
            "kit": kit.code,
            "restock_session": session_id,
            "seal_number": seal_number,
            "template": kit.template_code,
            "template_version": kit.template_version,
            "expiry": assessment.expiry.isoformat() if assessment.expiry else None,
            "override": overridden,
        },
    )
    if overridden:
        uow.emit(
            EventType.KIT_OVERRIDE,
            {
                "kit": kit.code,
                "restock_session": session_id,
                "reason": reason,
                "by": uow.actor.name,
                "slots": assessment.incomplete_slots(),
            },
        )
    return await get_session(session, session_id)


async def seal_by_scan(uow: UnitOfWork, kit_place: PlaceFacts, seal_number: str) -> KitBrief:
    """A `seal` scan completes the kit's open session like `POST .../complete` (a scanner
    cannot override: a short kit stays unsealed until it is full or a manager decides)."""
    kit = await _locked_kit(uow, kit_place)
    if kit.open_session is None:
        raise SessionClosed(
            f"The kit {kit.code} has no open restock session to seal: scan items into it first."
        )
    await complete(uow, kit.open_session, seal_number, None)
    kit = await _kit(uow.session, kit.code)
    _, assessment = await _assessed(uow.session, kit, uow.today)
    return KitBrief(
        kit.code, kit.status, is_ready(kit.status, assessment), _short(assessment), None
    )


# --- opening, issuing from a sealed kit, checks, charge sheet ------------------------------


async def open_kit(
    uow: UnitOfWork, code: str, reason: str, seal_number: str | None, reference: str | None
) -> KitOut:
    """Break a sealed kit's seal for a case or a code blue (`reference`)."""
    session = uow.session
    kit = await _kit(session, code)
    await db.lock_kit(session, kit.location_id)
    kit = await _kit(session, code)
    if kit.status is not KitStatus.READY:
        raise InvalidTransition(
            f"The kit {code} is {kit.status.value}: only a sealed (ready) kit is opened.",
            current_status=kit.status.value,
        )
    await _break_seal(uow, kit, reason, seal_number or kit.seal_number, reference)
    return await get_kit(session, code, uow.today)


async def _break_seal(
    uow: UnitOfWork, kit: db.KitRow, reason: str, seal_number: str | None, reference: str | None
) -> None:
    await db.insert_opening(
        uow.session,
        kit_location_id=kit.location_id,
        reason=reason,
        seal_number=seal_number,
        reference=reference,
        actor=uow.actor.name,
        at=uow.now,
    )
    await db.update_kit(
        uow.session,
        kit.location_id,
        status=KitStatus.OPEN.value,
        seal_number=None,
        opened_at=uow.now,
    )
    mismatch = kit.seal_number is not None and seal_number not in (None, kit.seal_number)
    uow.emit(
        EventType.KIT_OPENED,
        {
            "kit": kit.code,
            "reason": reason,
            "reference": reference,
            "seal_number": seal_number,
            "recorded_seal": kit.seal_number,
            "seal_matches": not mismatch,
        },
    )


TAKES_FROM_KIT = (Action.ISSUE, Action.WASTE)
"""What may leave a kit other than by `remove`: given to a patient, or pulled as waste."""


def check_kit_move(action: Action, source: PlaceFacts, destination: PlaceFacts) -> None:
    """Stock enters a kit only through restock scans and leaves it by remove, issue or
    waste, so every unit in a kit is accounted to a restock session or a patient."""
    if destination.kind in KIT_KINDS and action is not Action.RESTOCK:
        raise InvalidMovement(
            f"{destination.code} is a kit: stock enters it only through restock scans."
        )
    if source.kind in KIT_KINDS and action not in (*TAKES_FROM_KIT, Action.REMOVE):
        raise InvalidMovement(
            f"{source.code} is a kit: stock leaves it by remove, issue or waste scans."
        )


async def note_taken_from_kit(uow: UnitOfWork, source: PlaceFacts) -> None:
    """An issue or waste from a sealed kit opens it: recorded as a broken seal."""
    if not await db.lock_kit(uow.session, source.id):
        return
    kit = await db.kit_by_location_id(uow.session, source.id)
    if kit is not None and kit.status is KitStatus.READY:
        await _break_seal(uow, kit, "stock taken from the sealed kit", kit.seal_number, None)


async def check_kit(
    uow: UnitOfWork, code: str, seal_number: str | None, intact: bool
) -> KitCheckOut:
    """Record a check. On a sealed kit, a seal that is broken or is not the recorded one
    flags the kit: it is quarantined (not ready) until restocked and sealed again."""
    session = uow.session
    kit = await _kit(session, code)
    await db.lock_kit(session, kit.location_id)
    kit = await _kit(session, code)
    matches = seal_number is not None and seal_number == kit.seal_number
    flagged = kit.status is KitStatus.READY and not (intact and matches)
    check_id = await db.insert_check(
        session,
        kit_location_id=kit.location_id,
        seal_number=seal_number,
        intact=intact,
        seal_matches=matches,
        actor=uow.actor.name,
        at=uow.now,
    )
    status = kit.status
    if flagged:
        why = (
            "seal not intact"
            if not intact
            else f"seal {seal_number} is not the recorded {kit.seal_number}"
        )
        status = KitStatus.QUARANTINED
        await db.update_kit(session, kit.location_id, status=status.value, flag_reason=why)
        uow.emit(
            EventType.KIT_FLAGGED,
            {
                "kit": kit.code,
                "reason": why,
                "seal_number": seal_number,
                "recorded_seal": kit.seal_number,
            },
        )
    return KitCheckOut(
        id=check_id,
        kit=kit.code,
        seal_number=seal_number,
        intact=intact,
        seal_matches=matches,
        flagged=flagged,
        checked_by=uow.actor.name,
        checked_at=uow.now,
        kit_status=status,
    )


async def usage(session: AsyncSession, code: str) -> KitUsageOut:
    """The anesthesia charge sheet: what was issued or wasted from the kit since its last
    seal, with the case references it was opened for."""
    kit = await _kit(session, code)
    since = kit.sealed_at
    lines = await db.moved_out_since(
        session, kit.location_id, since, [Action.ISSUE.value, Action.WASTE.value]
    )
    openings = await db.openings_since(session, kit.location_id, since)
    totals: dict[int, UsageTotal] = {}
    for line in lines:
        if line.kind != Action.ISSUE.value:
            continue
        total = totals.setdefault(line.item_id, UsageTotal(line.item_id, line.item_name, 0))
        total.quantity += line.quantity
    reference = next((o.reference for o in reversed(openings) if o.reference), None)
    return KitUsageOut(
        kit=kit.code,
        status=kit.status,
        sealed_at=since,
        openings=[
            KitOpeningOut(o.reason, o.seal_number, o.reference, o.opened_by, o.opened_at)
            for o in openings
        ],
        lines=[
            _moved_out(line) if line.reference else _with_reference(_moved_out(line), reference)
            for line in lines
        ],
        totals=sorted(totals.values(), key=lambda t: t.item_name),
    )


def _with_reference(line: MovedOut, reference: str | None) -> MovedOut:
    line.reference = reference
    return line


async def restock_plan(
    session: AsyncSession, code: str, source: str, today: date
) -> RestockPlanOut:
    """Per slot of the template's latest version (what the restock will bind the kit to):
    what to take out, what to bring, and which lots of the source to bring."""
    kit = await _kit(session, code)
    place = await catalog.location_by_code(session, source)
    if place is None or place.is_virtual:
        raise UnknownLocation(f"No location has the code {source!r}.", location=source)
    head = await db.latest_version(session, kit.template_code)
    assert head is not None
    slots = (await db.slots_of(session, [head.id])).get(head.id, [])
    rules = db.rules_of(head, slots)
    assessment = assess(
        rules, (await db.contents(session, [kit.location_id])).get(kit.location_id, []), today
    )
    items = {item for slot in rules.slots for item in slot.items}
    at_source = await db.stock_at(session, place.id, items)
    next_check = rules.next_check(today)
    planned: list[PlanSlot] = []
    for rule, view in zip(rules.slots, assessment.slots, strict=True):
        bring = to_replace(view)
        suggested = suggest_lots(rule, at_source, bring, today, next_check)
        planned.append(
            PlanSlot(
                slot=view.slot,
                required=view.required,
                fit=view.fit,
                missing=view.missing,
                swap=[_lot_out(lot) for lot in view.lots if lot.state is not UnitState.OK],
                bring=bring,
                suggested=[
                    Suggested(s.item_id, s.item_name, s.lot, s.expiry, s.quantity)
                    for s in suggested
                ],
                not_available=bring - sum(s.quantity for s in suggested),
            )
        )
    return RestockPlanOut(
        kit=kit.code,
        source=place.code,
        template=head.code,
        template_version=head.version,
        next_check_due=next_check,
        slots=planned,
        off_template=[_lot_out(lot) for lot in assessment.off_template],
    )


async def label_caption(session: AsyncSession, code: str, today: date) -> str:
    """What a kit's label prints beside its barcode: code, template, seal and expiry."""
    kit = await _kit(session, code)
    _, assessment = await _assessed(session, kit, today)
    expiry = assessment.expiry.isoformat() if assessment.expiry else "-"
    return f"{kit.code} | {kit.template_name} | seal {kit.seal_number or '-'} | exp {expiry}"


async def history(
    session: AsyncSession, code: str, limit: int = 50
) -> tuple[list[db.CheckRow], list[db.OpeningRow]]:
    """A kit's latest seal checks (newest first) and every opening (oldest first): the
    kit page's history beside its movements."""
    kit = await _kit(session, code)
    checks = await db.recent_checks(session, kit.location_id, limit)
    return checks, await db.openings_since(session, kit.location_id, None)
