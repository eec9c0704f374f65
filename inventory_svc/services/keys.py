"""API keys: random, shown once, stored as SHA-256. Creating and revoking one are events
(`key.created`, `key.revoked`): the event log says who gave or took access, and when.
Requests authenticate from a cache (`key_cache.py`): a revoked key stops within 1 second
on PostgreSQL (NOTIFY) and 5 seconds on SQLite, at once in the process that revoked it."""

from __future__ import annotations

import hashlib
import secrets

from inventory_svc.db import keys as keys_db
from inventory_svc.db.engine import SessionMaker
from inventory_svc.domain.errors import NotFound
from inventory_svc.domain.events import EventType
from inventory_svc.domain.records import ApiKeyRecord
from inventory_svc.domain.roles import Role
from inventory_svc.services import key_cache
from inventory_svc.services.actors import Actor
from inventory_svc.services.key_cache import KeyCache
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
    # Other processes hear it on commit (PostgreSQL); this one stops using it now, and
    # does not cache it again from a read racing this commit.
    key_cache.forget_everywhere(revoked.key_hash)
    record = revoked.record
    uow.emit(
        EventType.KEY_REVOKED,
        {
            "key": {
                "id": key_id,
                "name": record.name,
                "role": record.role,
                "prefix": record.prefix,
            }
        },
    )


async def authenticate(cache: KeyCache, sessions: SessionMaker, plain: str) -> Actor | None:
    """Who holds this key: from the cache, else from the database (and cached if active)."""
    key_hash = hash_key(plain)
    actor = cache.get(key_hash)
    if actor is not None:
        return actor
    read_at = cache.clock()
    async with sessions() as session:
        holder = await keys_db.holder_of(session, key_hash)
    if holder is None:
        return None
    actor = Actor(key_id=holder.key_id, name=holder.name, role=holder.role)
    cache.put(key_hash, actor, read_at)
    return actor
