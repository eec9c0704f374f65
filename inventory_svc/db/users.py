"""User and UI session rows. Sessions are stored as a SHA-256 of the cookie, never the
cookie: a copy of the database logs nobody in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db.models import UiSession, User
from inventory_svc.domain.roles import Role
from inventory_svc.domain.users import Credentials, SessionHolder, UserRecord

_USER_COLUMNS = (
    User.id,
    User.name,
    User.role,
    User.created_at,
    User.disabled_at,
    User.failed_logins,
    User.locked_until,
)


def _user(row: Any) -> UserRecord:
    return UserRecord(
        row.id,
        row.name,
        Role(row.role),
        row.created_at,
        row.disabled_at,
        row.failed_logins,
        row.locked_until,
    )


async def insert_user(session: AsyncSession, *, name: str, role: Role, password_hash: str) -> int:
    """Raises IntegrityError when the name is taken."""
    user_id: int = (
        await session.execute(
            insert(User)
            .values(name=name, role=role.value, password_hash=password_hash)
            .returning(User.id)
        )
    ).scalar_one()
    return user_id


async def all_users(session: AsyncSession) -> list[UserRecord]:
    rows = await session.execute(select(*_USER_COLUMNS).order_by(User.name))
    return [_user(r) for r in rows]


async def user_named(session: AsyncSession, name: str) -> UserRecord | None:
    row = (await session.execute(select(*_USER_COLUMNS).where(User.name == name))).first()
    return _user(row) if row else None


async def credentials(session: AsyncSession, name: str) -> Credentials | None:
    row = (
        await session.execute(select(*_USER_COLUMNS, User.password_hash).where(User.name == name))
    ).first()
    return Credentials(_user(row), row.password_hash) if row else None


async def set_login_state(
    session: AsyncSession, user_id: int, *, failed_logins: int, locked_until: datetime | None
) -> None:
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(failed_logins=failed_logins, locked_until=locked_until)
    )


async def count_failure(session: AsyncSession, user_id: int) -> int:
    """One more failed login, counted in the row (concurrent failures each count: the
    update locks it); the count after it."""
    failed: int = (
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins)
        )
    ).scalar_one()
    return failed


async def set_password(session: AsyncSession, user_id: int, password_hash: str) -> None:
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(password_hash=password_hash, failed_logins=0, locked_until=None)
    )


async def disable(session: AsyncSession, user_id: int, at: datetime) -> bool:
    """False when the user was disabled already."""
    result = await session.execute(
        update(User)
        .where(User.id == user_id, User.disabled_at.is_(None))
        .values(disabled_at=at)
        .returning(User.id)
    )
    return result.first() is not None


async def insert_session(
    session: AsyncSession, *, token_hash: str, user_id: int, csrf_token: str, at: datetime
) -> None:
    await session.execute(
        insert(UiSession).values(
            token_hash=token_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=at,
            last_seen_at=at,
        )
    )


async def session_holder(session: AsyncSession, token_hash: str) -> SessionHolder | None:
    """The holder of a session whose user is still enabled (expiry is the caller's rule)."""
    row = (
        await session.execute(
            select(
                UiSession.user_id,
                User.name,
                User.role,
                UiSession.csrf_token,
                UiSession.created_at,
                UiSession.last_seen_at,
            )
            .join(User, User.id == UiSession.user_id)
            .where(UiSession.token_hash == token_hash, User.disabled_at.is_(None))
        )
    ).first()
    if row is None:
        return None
    return SessionHolder(
        row.user_id, row.name, Role(row.role), row.csrf_token, row.created_at, row.last_seen_at
    )


async def touch_session(session: AsyncSession, token_hash: str, at: datetime) -> None:
    await session.execute(
        update(UiSession).where(UiSession.token_hash == token_hash).values(last_seen_at=at)
    )


async def delete_session(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(UiSession).where(UiSession.token_hash == token_hash))


async def delete_sessions_of(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(UiSession).where(UiSession.user_id == user_id))


async def delete_sessions_before(
    session: AsyncSession, *, created_before: datetime, seen_before: datetime
) -> None:
    """Expired sessions: begun too long ago, or unused too long."""
    await session.execute(
        delete(UiSession).where(
            (UiSession.created_at < created_before) | (UiSession.last_seen_at < seen_before)
        )
    )
