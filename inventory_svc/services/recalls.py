"""Recalls: find every unit of a recalled lot in one read, down to the kit slot, and
quarantine it in one unit of work.

From the moment a recall commits, its lots are refused for issue, transfer (except into
quarantine), restock and receipt by the ledger rules (`Lot.recalled`; a lot number arriving
later is checked against the recall by number), so nothing recalled reaches a patient while
the stock is being pulled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import catalog, reports
from inventory_svc.db import kits as kits_db
from inventory_svc.db import recalls as db
from inventory_svc.domain import barcodes, limits
from inventory_svc.domain.errors import (
    BadBarcodeError,
    BadRequest,
    NotFound,
    UnknownItem,
    UnknownLocation,
)
from inventory_svc.domain.events import EventType
from inventory_svc.domain.recall_records import (
    AffectedOut,
    ExpiringOut,
    PackMove,
    QuarantineOut,
    RecallOut,
    SerialOut,
)
from inventory_svc.domain.recalls import recalled_numbers
from inventory_svc.domain.records import ItemRef
from inventory_svc.domain.vocabulary import LocationKind
from inventory_svc.services.uow import UnitOfWork


async def _item_of(
    session: AsyncSession, item: int | None, gtin: str | None, ndc: str | None
) -> int:
    named = [value for value in (item, gtin, ndc) if value is not None]
    if len(named) != 1:
        raise BadRequest("A recall names its item once: `item` (id), `gtin` or `ndc`.")
    try:
        if item is not None:
            if not await catalog.items_by_ids(session, [item]):
                raise UnknownItem(f"No item has the id {item}.", item=item)
            return item
        if gtin is not None:
            found = await catalog.find_item_by_barcode(
                session, barcodes.normalize_gtin(gtin), [], fallback_to_ndc=False
            )
        else:
            assert ndc is not None
            found = await catalog.find_item_by_barcode(
                session, None, [barcodes.ndc11(ndc)], fallback_to_ndc=True
            )
    except BadBarcodeError as error:
        raise BadRequest(error.detail) from None
    if found is None:
        raise UnknownItem(f"No item has the {'GTIN' if gtin else 'NDC'} {gtin or ndc}.")
    return found.item.id


def _affected(holdings: Sequence[db.Holding]) -> list[AffectedOut]:
    return [
        AffectedOut(
            location=h.location,
            kit=h.location if h.is_kit else None,
            slot=h.slot,
            lot=h.lot,
            expiry=h.expiry,
            quantity=h.quantity,
            quarantined=h.kind == LocationKind.QUARANTINE,
        )
        for h in holdings
    ]


async def _out(session: AsyncSession, row: db.RecallRow) -> RecallOut:
    affected = _affected(await db.holdings(session, row.item_id, row.numbers))
    return RecallOut(
        id=row.id,
        item=ItemRef(row.item_id, row.item_name),
        lots=row.numbers,
        reason=row.reason,
        source=row.source,
        created_by=row.created_by,
        created_at=row.created_at,
        quarantined_at=row.quarantined_at,
        affected=affected,
        outstanding=sum(a.quantity for a in affected if not a.quarantined),
    )


async def create_recall(
    uow: UnitOfWork,
    *,
    item: int | None,
    gtin: str | None,
    ndc: str | None,
    lots: Sequence[str],
    reason: str,
    source: str | None,
) -> RecallOut:
    """Record the recall, mark its lots (every expiry of each number), and answer where
    every unit of them is."""
    session = uow.session
    item_id = await _item_of(session, item, gtin, ndc)
    numbers = recalled_numbers(lots)
    recall_id = await db.insert_recall(
        session,
        item_id=item_id,
        numbers=numbers,
        reason=reason,
        source=source,
        actor=uow.actor.name,
        at=uow.now,
    )
    await db.mark_recalled(session, item_id, numbers)
    out = await get_recall(session, recall_id)
    uow.emit(
        EventType.RECALL_CREATED,
        {
            "recall": recall_id,
            "item": {"id": out.item.id, "name": out.item.name},
            "lots": list(numbers),
            "reason": reason,
            "outstanding": out.outstanding,
            "locations": sorted({a.location for a in out.affected}),
            "kits": sorted({a.kit for a in out.affected if a.kit}),
        },
    )
    return out


async def get_recall(session: AsyncSession, recall_id: int) -> RecallOut:
    rows = await db.recalls(session, recall_id=recall_id, limit=1)
    if not rows:
        raise NotFound(f"No recall {recall_id}.", recall=recall_id)
    return await _out(session, rows[0])


async def list_recalls(session: AsyncSession, *, after: int | None, limit: int) -> list[RecallOut]:
    return [await _out(session, row) for row in await db.recalls(session, after=after, limit=limit)]


async def quarantine(uow: UnitOfWork, recall_id: int, location: str | None) -> QuarantineOut:
    """Move every recalled unit outside kits to quarantine (`quarantine` movements) and flag
    each kit holding some: it is pulled unit by unit with `remove` scans into quarantine, so
    a sealed kit's contents stay accounted to the technician who opens it."""
    session = uow.session
    rows = await db.recalls(session, recall_id=recall_id, limit=1)
    if not rows:
        raise NotFound(f"No recall {recall_id}.", recall=recall_id)
    recall = rows[0]
    places = await db.quarantine_locations(session)
    if location is None:
        if len(places) != 1:
            raise BadRequest(
                "Name the `quarantine_location`: this site has "
                + (f"{len(places)} quarantine locations." if places else "none yet.")
            )
        quarantine_id, quarantine_code = places[0]
    else:
        chosen = [place for place in places if place[1] == location]
        if not chosen:
            raise UnknownLocation(
                f"No quarantine location has the code {location!r}.", location=location
            )
        quarantine_id, quarantine_code = chosen[0]
    locked = await db.lock_loose(session, recall.item_id, recall.numbers)
    moved = await db.move_to_quarantine(
        session,
        recall.item_id,
        recall.numbers,
        locked,
        quarantine_id,
        reference=db.recall_reference(recall_id),
        actor=uow.actor.name,
        at=uow.now,
    )
    in_kits = [h for h in await db.holdings(session, recall.item_id, recall.numbers) if h.is_kit]
    pulls: dict[int, list[db.Holding]] = {}
    for holding in in_kits:
        pulls.setdefault(holding.location_id, []).append(holding)
    reasons = {
        kit_id: (
            f"recall {recall_id}: pull "
            + ", ".join(
                f"lot {h.lot} x{h.quantity}" + (f" ({h.slot})" if h.slot else "") for h in held
            )
            + f" into {quarantine_code}"
        )[: limits.KIT_REASON.max_length]
        for kit_id, held in pulls.items()
    }
    await kits_db.flag_kits(session, reasons)
    flagged = sorted(held[0].location for held in pulls.values())
    for kit_id, held in sorted(pulls.items(), key=lambda pair: pair[1][0].location):
        uow.emit(
            EventType.KIT_FLAGGED,
            {"kit": held[0].location, "reason": reasons[kit_id], "recall": recall_id},
        )
    await db.set_quarantined(session, recall_id, uow.now)
    uow.emit(
        EventType.RECALL_QUARANTINED,
        {
            "recall": recall_id,
            "quarantine_location": quarantine_code,
            "moved": moved,
            "kits": flagged,
        },
    )
    return QuarantineOut(
        recall=recall_id,
        quarantine_location=quarantine_code,
        moved=moved,
        kits_flagged=flagged,
        pull_list=_affected(in_kits),
    )


async def expiring(
    session: AsyncSession,
    today: date,
    *,
    expiring_within_days: int,
    location: str | None,
    include_kits: bool,
    limit: int,
    offset: int,
) -> list[ExpiringOut]:
    """Stock expiring within the days given (expired included), kits too, earliest first."""
    location_id = None
    if location is not None:
        place = await catalog.location_by_code(session, location)
        if place is None:
            return []
        location_id = place.id
    rows = await reports.expiring(
        session,
        until=today + timedelta(days=expiring_within_days),
        location_id=location_id,
        include_kits=include_kits,
        limit=limit,
        offset=offset,
    )
    return [
        ExpiringOut(
            item=ItemRef(item_id, name),
            location=code,
            kit=code if is_kit else None,
            lot=lot,
            expiry=expiry,
            days_left=(expiry - today).days,
            quantity=quantity,
            recalled=recalled,
        )
        for item_id, name, code, is_kit, lot, expiry, quantity, recalled in rows
    ]


async def serial(session: AsyncSession, gtin: str, serial_number: str) -> SerialOut:
    """Where a serialised pack is now and how it got there."""
    try:
        gtin14 = barcodes.normalize_gtin(gtin)
    except BadBarcodeError as error:
        raise BadRequest(error.detail) from None
    pack = await db.serial_pack(session, gtin14, serial_number)
    if pack is None:
        raise NotFound(f"No pack with GTIN {gtin14} and serial {serial_number!r} was scanned.")
    history = await db.serial_history(session, pack.item_id, serial_number)
    return SerialOut(
        gtin=gtin14,
        serial=serial_number,
        item=ItemRef(pack.item_id, pack.item_name),
        lot=pack.lot,
        expiry=pack.expiry,
        location=pack.location,
        in_stock=not pack.is_virtual,
        history=[PackMove(*row) for row in history],
    )
