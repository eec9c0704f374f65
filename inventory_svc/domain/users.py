"""People who log in to the web UI: the rules of lockouts and session expiry, no I/O.

A user has one of the API keys' roles (domain/roles.py) and acts as `user:<name>` (events and
movements say who did it). Repeated failed logins lock the user for a while; a UI session
ends when unused for a while, after a fixed time however busy, at logout, and when its user
is disabled or has its password reset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from inventory_svc.domain import limits
from inventory_svc.domain.roles import Role

LOCK_DURATION = timedelta(minutes=limits.LOGIN_LOCK_MINUTES)
SESSION_IDLE = timedelta(minutes=limits.SESSION_IDLE_MINUTES)
SESSION_ABSOLUTE = timedelta(hours=limits.SESSION_ABSOLUTE_HOURS)
SESSION_TOUCH = timedelta(seconds=limits.SESSION_TOUCH_SECONDS)

ACTOR_PREFIX = "user:"


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    name: str
    role: Role
    created_at: datetime
    disabled_at: datetime | None
    failed_logins: int
    locked_until: datetime | None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    @property
    def status(self) -> str:
        return "disabled" if self.disabled_at is not None else "active"


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a login checks: the stored hash and whether the user may log in at all."""

    user: UserRecord
    password_hash: str


@dataclass(frozen=True, slots=True)
class SessionHolder:
    """Who holds a live UI session, and its CSRF token."""

    user_id: int
    name: str
    role: Role
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


def actor_name(user_name: str) -> str:
    return ACTOR_PREFIX + user_name


def lock_for(failed_logins: int, now: datetime) -> datetime | None:
    """Until when a user is locked after `failed_logins` failures in a row: locked on the
    Nth (and the count starts again, so the next lock needs N more)."""
    if failed_logins >= limits.LOGIN_FAILURES_BEFORE_LOCK:
        return now + LOCK_DURATION
    return None


def session_alive(holder: SessionHolder, now: datetime) -> bool:
    return now - holder.last_seen_at < SESSION_IDLE and now - holder.created_at < SESSION_ABSOLUTE


def needs_touch(holder: SessionHolder, now: datetime) -> bool:
    return now - holder.last_seen_at >= SESSION_TOUCH
