"""Stock on hand and the movement ledger."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.api.auth import requires
from inventory_svc.api.schemas import ItemRef, MovementOut, StockRow
from inventory_svc.domain.roles import Permission
from inventory_svc.services import reports


class StockController(Controller):
    path = "/"
    tags = ["stock"]
    guards = [requires(Permission.READ)]

    @get("/stock", summary="On-hand stock by item, location and lot")
    async def stock(
        self,
        db: AsyncSession,
        location: str | None = None,
        item: int | None = None,
        gtin: str | None = None,
        include_sublocations: bool = False,
        expiring_within_days: int | None = Parameter(default=None, ge=0, le=3650),
        limit: int = Parameter(default=1000, ge=1, le=10000),
        offset: int = Parameter(default=0, ge=0),
    ) -> list[StockRow]:
        rows = await reports.stock(
            db,
            today=datetime.now(UTC).date(),
            location=location,
            item=item,
            gtin=gtin,
            include_sublocations=include_sublocations,
            expiring_within_days=expiring_within_days,
            limit=limit,
            offset=offset,
        )
        return [StockRow(**{**row, "item": ItemRef(**row["item"])}) for row in rows]

    @get("/movements", summary="The append-only ledger, oldest first")
    async def movements(
        self,
        db: AsyncSession,
        item: int | None = None,
        location: str | None = None,
        lot: str | None = None,
        since: datetime | None = None,
        after_id: int | None = None,
        limit: int = Parameter(default=200, ge=1, le=5000),
    ) -> list[MovementOut]:
        rows = await reports.movements(
            db, item=item, location=location, lot=lot, since=since, after_id=after_id, limit=limit
        )
        return [MovementOut(**{**row, "item": ItemRef(**row["item"])}) for row in rows]
