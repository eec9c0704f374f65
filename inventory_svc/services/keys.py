"""API keys: random, shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import ApiKey
from inventory_svc.domain.errors import NotFound
from inventory_svc.domain.roles import Role
from inventory_svc.services.actors import Actor

KEY_PREFIX = "inv_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_key(session: AsyncSession, role: Role, name: str) -> tuple[ApiKey, str]:
    """Returns the row and the plain key, which exists nowhere else after this call."""
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, role=role.value, prefix=plain[:10], key_hash=hash_key(plain))
    session.add(row)
    await session.flush()
    return row, plain


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.execute(select(ApiKey).order_by(ApiKey.id))).scalars().all())


async def revoke_key(session: AsyncSession, key_id: int) -> None:
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
        .returning(ApiKey.id)
    )
    if result.scalar_one_or_none() is None:
        raise NotFound(f"No active API key with id {key_id}.")


_ACTIVE_KEY = select(ApiKey.id, ApiKey.name, ApiKey.role).where(
    ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None)
)


async def actor_for_key(session: AsyncSession, plain: str) -> Actor | None:
    """Looked up on every request (no cache), so a revoked key stops working at once."""
    row = (await session.execute(_ACTIVE_KEY, {"key_hash": hash_key(plain)})).first()
    return Actor(key_id=row.id, name=row.name, role=Role(row.role)) if row else None
