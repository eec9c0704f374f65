"""People who log in to the web UI: users, their passwords, lockouts and sessions.

Passwords are generated here (a first one at `users create`, a new one at a reset), shown
once and stored as argon2 hashes. Hashing and verifying take tens of milliseconds of CPU
each, so they run in a worker thread and outside any transaction: a login holds no database
lock while it hashes. A failed login is counted in a transaction of its own, committed even
though the login is refused; the Nth failure in a row locks the user (domain/users.py).

A session is a random cookie stored as its SHA-256, with a CSRF token of its own. Logging in
always makes a new session (a session id planted before the login is never the one used
after it); logging out deletes it; disabling a user or resetting the password deletes all
of theirs.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from inventory_svc.db import users as users_db
from inventory_svc.db.engine import SessionMaker
from inventory_svc.domain import limits
from inventory_svc.domain.errors import BadRequest, Conflict, NotFound
from inventory_svc.domain.events import EventType
from inventory_svc.domain.roles import Role
from inventory_svc.domain.users import (
    SESSION_ABSOLUTE,
    SESSION_IDLE,
    SessionHolder,
    UserRecord,
    lock_for,
    needs_touch,
    session_alive,
)
from inventory_svc.services.actors import SYSTEM, Actor
from inventory_svc.services.uow import Transactions, UnitOfWork

_HASHER = PasswordHasher()  # argon2id, RFC 9106's low-memory profile (argon2-cffi's default)
_NOBODY = _HASHER.hash(secrets.token_urlsafe(16))
"""Verified against when the name is unknown or disabled: a refusal takes as long as a
wrong password, so timing does not tell which names exist."""


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str
    """The cookie's value: exists nowhere else (the database holds its SHA-256)."""
    csrf_token: str
    user: UserRecord


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_password() -> str:
    return secrets.token_urlsafe(limits.GENERATED_PASSWORD_BYTES)


async def hash_password(plain: str) -> str:
    return await asyncio.to_thread(_HASHER.hash, plain)


async def _verifies(password_hash: str, plain: str) -> bool:
    def verify() -> bool:
        try:
            return _HASHER.verify(password_hash, plain)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def check_name(name: str) -> str:
    if not limits.USER_NAME.allows(name):
        raise BadRequest(
            f"A user name is 1 to {limits.USER_NAME.max_length} letters, digits, '.', '_', "
            "'@' or '-'."
        )
    return name


# --- managing users (the CLI and the admin page) ----------------------------------------------


async def create_user(transactions: Transactions, actor: Actor, name: str, role: Role) -> str:
    """Returns the first password, which exists nowhere else after this call."""
    check_name(name)
    plain = new_password()
    password_hash = await hash_password(plain)
    await transactions.run(actor, _insert_user, name, role, password_hash)
    return plain


async def _insert_user(uow: UnitOfWork, name: str, role: Role, password_hash: str) -> int:
    try:
        async with uow.session.begin_nested():
            user_id = await users_db.insert_user(
                uow.session, name=name, role=role, password_hash=password_hash
            )
    except IntegrityError as error:
        raise Conflict(f"A user named {name!r} exists already.") from error
    uow.emit(EventType.USER_CREATED, {"user": {"id": user_id, "name": name, "role": role.value}})
    return user_id


async def list_users(sessions: SessionMaker) -> list[UserRecord]:
    async with sessions() as session:
        return await users_db.all_users(session)


async def _existing(uow: UnitOfWork, name: str) -> UserRecord:
    user = await users_db.user_named(uow.session, name)
    if user is None:
        raise NotFound(f"No user named {name!r}.")
    return user


async def disable_user(transactions: Transactions, actor: Actor, name: str) -> None:
    """Refuses no one twice: disabling a disabled user is a no-op. Their sessions end now."""
    await transactions.run(actor, _disable, name)


async def _disable(uow: UnitOfWork, name: str) -> None:
    user = await _existing(uow, name)
    await users_db.disable(uow.session, user.id, uow.now)
    await users_db.delete_sessions_of(uow.session, user.id)
    uow.emit(EventType.USER_DISABLED, {"user": _user_data(user)})


async def reset_password(transactions: Transactions, actor: Actor, name: str) -> str:
    """A new password (returned, shown once); the lock is lifted and every session ends."""
    plain = new_password()
    password_hash = await hash_password(plain)
    await transactions.run(actor, _reset, name, password_hash)
    return plain


async def _reset(uow: UnitOfWork, name: str, password_hash: str) -> None:
    user = await _existing(uow, name)
    await users_db.set_password(uow.session, user.id, password_hash)
    await users_db.delete_sessions_of(uow.session, user.id)
    uow.emit(EventType.USER_PASSWORD_RESET, {"user": _user_data(user)})


async def unlock_user(transactions: Transactions, actor: Actor, name: str) -> None:
    await transactions.run(actor, _unlock, name)


async def _unlock(uow: UnitOfWork, name: str) -> None:
    user = await _existing(uow, name)
    await users_db.set_login_state(uow.session, user.id, failed_logins=0, locked_until=None)
    uow.emit(EventType.USER_UNLOCKED, {"user": _user_data(user)})


def _user_data(user: UserRecord) -> dict[str, object]:
    """How events name a user: never a hash, never a session."""
    return {"id": user.id, "name": user.name, "role": user.role.value}


# --- logging in and out -------------------------------------------------------------------------


async def login(
    transactions: Transactions, read_sessions: SessionMaker, name: str, password: str
) -> NewSession | None:
    """A new session, or None: unknown name, disabled, wrong password or locked alike (the
    login page says the same for each, so it tells nobody which names exist)."""
    if not limits.USER_NAME.allows(name) or not limits.PASSWORD.allows(password):
        await _verifies(_NOBODY, "")  # the same time as any other refusal
        return None
    async with read_sessions() as session:
        found = await users_db.credentials(session, name)
    usable = found is not None and found.user.disabled_at is None
    right = await _verifies(found.password_hash if usable and found else _NOBODY, password)
    if not usable or found is None:
        return None
    return await transactions.run(SYSTEM, _settle_login, found.user.id, name, right)


async def _settle_login(uow: UnitOfWork, user_id: int, name: str, right: bool) -> NewSession | None:
    """Decided on the row as it is now: a lock set by a concurrent failure holds."""
    user = await users_db.user_named(uow.session, name)
    if user is None or user.id != user_id or user.disabled_at is not None:
        return None
    if user.locked(uow.now):
        return None  # not counted: a lock is not extended by trying during it
    if not right:
        failed = await users_db.count_failure(uow.session, user.id)
        if (locked_until := lock_for(failed, uow.now)) is not None:
            await users_db.set_login_state(
                uow.session, user.id, failed_logins=0, locked_until=locked_until
            )
            uow.emit(
                EventType.USER_LOCKED,
                {"user": _user_data(user), "until": locked_until.isoformat()},
            )
        return None
    await users_db.set_login_state(uow.session, user.id, failed_logins=0, locked_until=None)
    await users_db.delete_sessions_before(
        uow.session, created_before=uow.now - SESSION_ABSOLUTE, seen_before=uow.now - SESSION_IDLE
    )
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    await users_db.insert_session(
        uow.session,
        token_hash=token_hash(token),
        user_id=user.id,
        csrf_token=csrf_token,
        at=uow.now,
    )
    return NewSession(token, csrf_token, user)


async def session_user(
    transactions: Transactions, read_sessions: SessionMaker, token: str
) -> SessionHolder | None:
    """Who holds this session cookie, if it is live; its last use is written at most once a
    minute (a page view is otherwise a read only)."""
    if not token or len(token) > 100:
        return None
    hashed = token_hash(token)
    async with read_sessions() as session:
        holder = await users_db.session_holder(session, hashed)
    if holder is None:
        return None
    now = transactions.clock.now()
    if not session_alive(holder, now):
        return None
    if needs_touch(holder, now):
        await transactions.run(SYSTEM, _touch, hashed)
    return holder


async def _touch(uow: UnitOfWork, hashed: str) -> None:
    await users_db.touch_session(uow.session, hashed, uow.now)


async def logout(transactions: Transactions, token: str) -> None:
    await transactions.run(SYSTEM, _logout, token_hash(token))


async def _logout(uow: UnitOfWork, hashed: str) -> None:
    await users_db.delete_session(uow.session, hashed)
