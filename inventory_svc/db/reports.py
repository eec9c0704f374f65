"""Read queries: stock on hand, the movement ledger and the scan log, as typed rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from inventory_svc.db import catalog
from inventory_svc.db.models import (
    Balance,
    Item,
    ItemIdentifier,
    Kit,
    Location,
    Lot,
    Movement,
    Scan,
)
from inventory_svc.domain.ledger import lot_status
from inventory_svc.domain.records import ItemRef, MovementOut, ScanRecord, StockRow
from inventory_svc.domain.vocabulary import ScanStatus


async def stock(
    session: AsyncSession,
    *,
    today: date,
    location_id: int | None = None,
    include_sublocations: bool = False,
    item: int | None = None,
    gtin14: str | None = None,
    lot: str | None = None,
    expiring_within_days: int | None = None,
    limit: int = 1000,
    offset: int = 0,
    item_ids: Sequence[int] | None = None,
) -> list[StockRow]:
    """`item_ids`: the stock of several items at once (a search's results, in one query)."""
    stmt = (
        select(
            Item.id,
            Item.name,
            Location.code,
            Lot.lot_number,
            Lot.expiry,
            Lot.recalled,
            Balance.quantity,
        )
        .join(Balance, Balance.item_id == Item.id)
        .join(Location, Location.id == Balance.location_id)
        .join(Lot, Lot.id == Balance.lot_id)
        .where(Balance.quantity > 0, Location.is_virtual.is_(False))
        .order_by(Location.code, Item.name, Lot.expiry, Lot.lot_number)
        .limit(limit)
        .offset(offset)
    )
    if location_id is not None:
        if include_sublocations:
            stmt = stmt.where(Location.id.in_(catalog.subtree_ids_query(location_id)))
        else:
            stmt = stmt.where(Location.id == location_id)
    if item is not None:
        stmt = stmt.where(Item.id == item)
    if item_ids is not None:
        stmt = stmt.where(Item.id.in_(list(item_ids)))
    if lot is not None:
        stmt = stmt.where(Lot.lot_number == lot)
    if gtin14:
        stmt = stmt.where(
            Item.id.in_(select(ItemIdentifier.item_id).where(ItemIdentifier.value == gtin14))
        )
    if expiring_within_days is not None:
        stmt = stmt.where(Lot.expiry <= today + timedelta(days=expiring_within_days))
    return [
        StockRow(
            item=ItemRef(item_id, name),
            location=code,
            lot=lot_number,
            expiry=expiry,
            quantity=quantity,
            status=lot_status(expiry, recalled, today),
        )
        for item_id, name, code, lot_number, expiry, recalled, quantity in (
            await session.execute(stmt)
        )
    ]


async def movements(
    session: AsyncSession,
    *,
    item: int | None = None,
    location: str | None = None,
    lot: str | None = None,
    since: datetime | None = None,
    after_id: int | None = None,
    limit: int = 200,
    newest_first: bool = False,
) -> list[MovementOut]:
    source, destination = aliased(Location), aliased(Location)
    stmt = (
        select(Movement, Item.name, Lot.lot_number, Lot.expiry, source.code, destination.code)
        .join(Item, Item.id == Movement.item_id)
        .join(Lot, Lot.id == Movement.lot_id)
        .join(source, source.id == Movement.from_location_id)
        .join(destination, destination.id == Movement.to_location_id)
        .order_by(Movement.id.desc() if newest_first else Movement.id)
        .limit(limit)
    )
    if item is not None:
        stmt = stmt.where(Movement.item_id == item)
    if location:
        stmt = stmt.where(or_(source.code == location, destination.code == location))
    if lot is not None:
        stmt = stmt.where(Lot.lot_number == lot)
    if since is not None:
        stmt = stmt.where(Movement.recorded_at >= since)
    if after_id is not None:
        stmt = stmt.where(Movement.id > after_id)
    return [
        MovementOut(
            id=m.id,
            kind=m.kind,
            item=ItemRef(m.item_id, name),
            lot=lot_number,
            expiry=expiry,
            from_location=from_code,
            to_location=to_code,
            quantity=m.quantity,
            actor=m.actor,
            device=m.device,
            scan_id=m.scan_id,
            reference=m.reference,
            occurred_at=m.occurred_at,
            recorded_at=m.recorded_at,
        )
        for m, name, lot_number, expiry, from_code, to_code in await session.execute(stmt)
    ]


async def scans(
    session: AsyncSession,
    *,
    device: str | None = None,
    status: ScanStatus | None = None,
    since: datetime | None = None,
    after_id: int | None = None,
    limit: int = 200,
    item_id: int | None = None,
    location: str | None = None,
    newest_first: bool = False,
) -> list[ScanRecord]:
    """Scans in the order received; `location` matches either location the scan named,
    `newest_first` is for people reading the latest scans of an item or a shelf."""
    stmt = select(Scan).order_by(Scan.id.desc() if newest_first else Scan.id).limit(limit)
    conditions = []
    if device is not None:
        conditions.append(Scan.device == device)
    if item_id is not None:
        conditions.append(Scan.item_id == item_id)
    if location is not None:
        conditions.append(or_(Scan.location_code == location, Scan.to_location_code == location))
    if status is not None:
        conditions.append(Scan.status == status.value)
    if since is not None:
        conditions.append(Scan.recorded_at >= since)
    if after_id is not None:
        conditions.append(Scan.id > after_id)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    return [
        ScanRecord(
            id=s.id,
            status=ScanStatus(s.status),
            action=s.action,
            code=s.code,
            location=s.location_code,
            to_location=s.to_location_code,
            quantity=s.quantity,
            device=s.device,
            actor=s.actor,
            barcode=s.barcode,
            item_id=s.item_id,
            error_code=s.error_code,
            error_detail=s.error_detail,
            idempotency_key=s.idempotency_key,
            scanned_at=s.scanned_at,
            recorded_at=s.recorded_at,
        )
        for s in (await session.execute(stmt)).scalars()
    ]


async def expiring(
    session: AsyncSession,
    *,
    until: date,
    location_id: int | None = None,
    include_kits: bool = True,
    limit: int = 1000,
    offset: int = 0,
) -> list[tuple[int, str, str, bool, str, date, int, bool]]:
    """Stock expiring on or before `until` (expired included), earliest first:
    (item id, item name, location code, is a kit, lot, expiry, quantity, recalled)."""
    stmt = (
        select(
            Item.id,
            Item.name,
            Location.code,
            Kit.location_id.is_not(None),
            Lot.lot_number,
            Lot.expiry,
            Balance.quantity,
            Lot.recalled,
        )
        .join(Balance, Balance.item_id == Item.id)
        .join(Location, Location.id == Balance.location_id)
        .join(Lot, Lot.id == Balance.lot_id)
        .outerjoin(Kit, Kit.location_id == Location.id)
        .where(Balance.quantity > 0, Lot.expiry.is_not(None), Lot.expiry <= until)
        .order_by(Lot.expiry, Location.code, Item.name, Lot.lot_number)
        .limit(limit)
        .offset(offset)
    )
    if location_id is not None:
        stmt = stmt.where(Location.id.in_(catalog.subtree_ids_query(location_id)))
    if not include_kits:
        stmt = stmt.where(Kit.location_id.is_(None))
    return [tuple(row) for row in (await session.execute(stmt)).all()]  # type: ignore[misc]
