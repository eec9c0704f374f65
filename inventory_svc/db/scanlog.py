"""The scan log rows, written with fixed Core statements, once each, when the scan is
decided (an applied move's row is written by its one-statement move: db/moves.py). The
unique Idempotency-Key makes a second write of the same key fail: that is how a replay is
detected, without a read before every write."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import Scan

# Core statements on the table (not the ORM entity): no unit-of-work bookkeeping per scan.
_scans = cast(Table, Scan.__table__)
_INSERT = insert(_scans).returning(_scans.c.id)
_BY_KEY = select(Scan.id, Scan.request_hash, Scan.response_status, Scan.response_body).where(
    Scan.idempotency_key == bindparam("key")
)


async def insert_scan(session: AsyncSession, values: dict[str, Any]) -> int:
    """Raises IntegrityError when the Idempotency-Key is already taken."""
    scan_id: int = (await session.execute(_INSERT, values)).scalar_one()
    return scan_id


async def stored_answer(session: AsyncSession, key: str) -> Any:
    """(id, request_hash, response_status, response_body) of the scan that used `key`, or None."""
    return (await session.execute(_BY_KEY, {"key": key})).first()
