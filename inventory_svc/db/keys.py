"""API key rows: stored as a SHA-256 of the key, never the key. Revoking one on PostgreSQL
also NOTIFYs its hash, so every process drops it from its cache when the revoke commits."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import ApiKey
from inventory_svc.db.notify import KEY_REVOKED_CHANNEL, notify
from inventory_svc.domain.records import ApiKeyRecord, KeyHolder
from inventory_svc.domain.roles import Role

_ACTIVE_KEY = select(ApiKey.id, ApiKey.name, ApiKey.role).where(
    ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None)
)


async def insert_key(
    session: AsyncSession, *, name: str, role: Role, prefix: str, key_hash: str
) -> int:
    stmt = (
        insert(ApiKey)
        .values(name=name, role=role.value, prefix=prefix, key_hash=key_hash)
        .returning(ApiKey.id)
    )
    key_id: int = (await session.execute(stmt)).scalar_one()
    return key_id


async def all_keys(session: AsyncSession) -> list[ApiKeyRecord]:
    rows = await session.execute(
        select(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.prefix, ApiKey.revoked_at).order_by(
            ApiKey.id
        )
    )
    return [ApiKeyRecord(r.id, r.name, Role(r.role), r.prefix, r.revoked_at) for r in rows]


class RevokedKey(NamedTuple):
    record: ApiKeyRecord
    """The key as it was before revoking."""
    key_hash: str


async def revoke(session: AsyncSession, key_id: int, at: datetime) -> RevokedKey | None:
    """None when there is no active key with this id. On PostgreSQL the same transaction
    sends the key's hash on `KEY_REVOKED_CHANNEL`, heard by every listener once it commits."""
    row = (
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=at)
            .returning(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.prefix, ApiKey.key_hash)
        )
    ).first()
    if row is None:
        return None
    if session.get_bind().dialect.name == "postgresql":
        await notify(session, KEY_REVOKED_CHANNEL, row.key_hash)
    record = ApiKeyRecord(row.id, row.name, Role(row.role), row.prefix, at)
    return RevokedKey(record, row.key_hash)


async def holder_of(session: AsyncSession, key_hash: str) -> KeyHolder | None:
    row = (await session.execute(_ACTIVE_KEY, {"key_hash": key_hash})).first()
    return KeyHolder(row.id, row.name, Role(row.role)) if row else None
