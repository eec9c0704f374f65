"""Idempotency-Key records of writes other than scans (the scan log keeps scans' own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import IdempotentRequest


@dataclass(frozen=True, slots=True)
class StoredRequest:
    operation: str
    request_hash: str
    response_status: int | None
    response_body: Any


async def claim(
    session: AsyncSession,
    scope: str,
    key: str,
    operation: str,
    request_hash: str,
    now: datetime,
) -> int:
    """The key's row, written first in the write's transaction. Raises IntegrityError when
    the key is taken; a concurrent twin waits here on the unique index until the first
    commits (then fails) or rolls back (then proceeds)."""
    record_id: int = (
        await session.execute(
            insert(IdempotentRequest)
            .values(
                scope=scope,
                key=key,
                operation=operation,
                request_hash=request_hash,
                created_at=now,
            )
            .returning(IdempotentRequest.id)
        )
    ).scalar_one()
    return record_id


async def answer(session: AsyncSession, record_id: int, status: int, body: Any) -> None:
    await session.execute(
        update(IdempotentRequest)
        .where(IdempotentRequest.id == record_id)
        .values(response_status=status, response_body=body)
    )


async def stored(session: AsyncSession, scope: str, key: str) -> StoredRequest | None:
    row = (
        await session.execute(
            select(
                IdempotentRequest.operation,
                IdempotentRequest.request_hash,
                IdempotentRequest.response_status,
                IdempotentRequest.response_body,
            ).where(IdempotentRequest.scope == scope, IdempotentRequest.key == key)
        )
    ).first()
    return StoredRequest(row[0], row[1], row[2], row[3]) if row else None
