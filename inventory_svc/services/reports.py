"""Read models: stock on hand, the movement ledger and the scan log. Resolves what the caller
named (a location code, a GTIN as printed) and reads through db/reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import catalog
from inventory_svc.db import reports as reports_db
from inventory_svc.domain import barcodes
from inventory_svc.domain.errors import BadRequest, UnknownLocation
from inventory_svc.domain.records import MovementOut, ScanRecord, StockRow
from inventory_svc.domain.vocabulary import ScanStatus


async def stock(
    session: AsyncSession,
    *,
    today: date,
    location: str | None = None,
    item: int | None = None,
    gtin: str | None = None,
    lot: str | None = None,
    include_sublocations: bool = False,
    expiring_within_days: int | None = None,
    limit: int = 1000,
    offset: int = 0,
    items: Sequence[int] | None = None,
) -> list[StockRow]:
    location_id = None
    if location:
        root = await catalog.location_by_code(session, location)
        if root is None:
            raise UnknownLocation(f"No location has the code {location!r}.")
        location_id = root.id
    gtin14 = None
    if gtin:
        try:
            gtin14 = barcodes.normalize_gtin(gtin)
        except barcodes.BadBarcode as error:
            raise BadRequest(f"gtin: {error.detail}") from error
    return await reports_db.stock(
        session,
        today=today,
        location_id=location_id,
        include_sublocations=include_sublocations,
        item=item,
        gtin14=gtin14,
        lot=lot,
        expiring_within_days=expiring_within_days,
        limit=limit,
        offset=offset,
        item_ids=items,
    )


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
    return await reports_db.movements(
        session,
        item=item,
        location=location,
        lot=lot,
        since=since,
        after_id=after_id,
        limit=limit,
        newest_first=newest_first,
    )


async def scans(
    session: AsyncSession,
    *,
    device: str | None = None,
    status: ScanStatus | None = None,
    since: datetime | None = None,
    after_id: int | None = None,
    limit: int = 200,
    item: int | None = None,
    location: str | None = None,
    newest_first: bool = False,
) -> list[ScanRecord]:
    return await reports_db.scans(
        session,
        device=device,
        status=status,
        since=since,
        after_id=after_id,
        limit=limit,
        item_id=item,
        location=location,
        newest_first=newest_first,
    )
