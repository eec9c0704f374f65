"""API keys: random, shown once, stored as SHA-256. Creating and revoking one are events
(`key.created`, `key.revoked`): the event log says who gave or took access, and when."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import keys as keys_db
from inventory_svc.domain.errors import NotFound
from inventory_svc.domain.events import EventType
from inventory_svc.domain.records import ApiKeyRecord
from inventory_svc.domain.roles import Role
from inventory_svc.services.actors import Actor
from inventory_svc.services.uow import UnitOfWork

KEY_PREFIX = "inv_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_key(uow: UnitOfWork, role: Role, name: str) -> tuple[int, str]:
    """Returns the id and the plain key, which exists nowhere else after this call."""
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    prefix = plain[:10]
    key_id = await keys_db.insert_key(
        uow.session, name=name, role=role, prefix=prefix, key_hash=hash_key(plain)
    )
    uow.emit(
        EventType.KEY_CREATED, {"key": {"id": key_id, "name": name, "role": role, "prefix": prefix}}
    )
    return key_id, plain


async def list_keys(uow: UnitOfWork) -> list[ApiKeyRecord]:
    return await keys_db.all_keys(uow.session)


async def revoke_key(uow: UnitOfWork, key_id: int) -> None:
    revoked = await keys_db.revoke(uow.session, key_id, uow.now)
    if revoked is None:
        raise NotFound(f"No active API key with id {key_id}.")
    uow.emit(
        EventType.KEY_REVOKED,
        {
            "key": {
                "id": key_id,
                "name": revoked.name,
                "role": revoked.role,
                "prefix": revoked.prefix,
            }
        },
    )


async def actor_for_key(session: AsyncSession, plain: str) -> Actor | None:
    """Looked up on every request (no cache), so a revoked key stops working at once."""
    holder = await keys_db.holder_of(session, hash_key(plain))
    return Actor(key_id=holder.key_id, name=holder.name, role=holder.role) if holder else None
