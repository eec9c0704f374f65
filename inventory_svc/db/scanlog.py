"""The scan log rows, written with fixed Core statements: a scan is inserted first (claiming
its Idempotency-Key through the unique index) and completed at the end of its transaction."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import Scan

# Core statements on the table (not the ORM entity): no unit-of-work bookkeeping per scan.
_scans = cast(Table, Scan.__table__)
_INSERT = insert(_scans).returning(_scans.c.id)
_COMPLETE = (
    update(_scans)
    .where(_scans.c.id == bindparam("scan_id"))
    .values(
        status=bindparam("new_status"),
        item_id=bindparam("new_item_id"),
        barcode=bindparam("new_barcode"),
        response_status=bindparam("new_response_status"),
        response_body=bindparam("new_response_body"),
    )
)
_BY_KEY = select(Scan.request_hash, Scan.response_status, Scan.response_body).where(
    Scan.idempotency_key == bindparam("key")
)


async def insert_scan(session: AsyncSession, values: dict[str, Any]) -> int:
    """Raises IntegrityError when the Idempotency-Key is already taken."""
    scan_id: int = (await session.execute(_INSERT, values)).scalar_one()
    return scan_id


async def complete_scan(
    session: AsyncSession,
    scan_id: int,
    *,
    status: str,
    item_id: int | None,
    barcode: dict[str, Any] | None,
    response_status: int,
    response_body: dict[str, Any],
) -> None:
    await session.execute(
        _COMPLETE,
        {
            "scan_id": scan_id,
            "new_status": status,
            "new_item_id": item_id,
            "new_barcode": barcode,
            "new_response_status": response_status,
            "new_response_body": response_body,
        },
    )


async def stored_answer(session: AsyncSession, key: str) -> Any:
    """(request_hash, response_status, response_body) of the scan that used `key`, or None."""
    return (await session.execute(_BY_KEY, {"key": key})).first()
