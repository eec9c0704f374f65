"""Who is using the web UI: a session cookie -> a `UiUser`, checked before any handler runs.

The UI and the API authenticate apart: `/ui` is outside the API-key middleware (an
`Authorization` header logs nobody in here) and the API never reads the session cookie.
A router guard (`ui_guard`) resolves the session of every `/ui` request; without a live one
the request is answered with a redirect to the login page and never reaches its handler.
On every unsafe method it also checks the form's `_csrf` field (or an `X-CSRF-Token`
header, for scripts) against the session's token, in constant time.

The cookie is HttpOnly and SameSite=Lax, and Secure when the request came over HTTPS: the
request's own scheme, which uvicorn takes from a trusted proxy's X-Forwarded-Proto
(`FORWARDED_ALLOW_IPS`, README "Web UI").
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any, TypeAlias
from urllib.parse import quote, urlsplit

from litestar.connection import ASGIConnection, Request
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from inventory_svc.domain.roles import Permission, Role, allows
from inventory_svc.domain.users import SessionHolder, actor_name
from inventory_svc.services.actors import Actor
from inventory_svc.services.users import session_user

SESSION_COOKIE = "inv_session"
LOGIN_CSRF_COOKIE = "inv_login_csrf"
"""Before a session exists the login form's CSRF token is a cookie of its own (double
submit): a page on another site cannot log a browser in as someone else."""
CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"
PUBLIC = "ui_public"
"""`opt` key of the handlers that need no session: the login page and the static files."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_PATH = "/ui/login"


@dataclass(frozen=True)
class UiUser:
    """The logged-in person: declare `ui_user: UiUser` in a `/ui` handler."""

    id: int
    name: str
    role: Role
    csrf_token: str

    def may(self, permission: Permission) -> bool:
        return allows(self.role, permission)

    @property
    def actor(self) -> Actor:
        """Who acts in `transactions.run(...)`: events and movements say `user:<name>`."""
        return Actor(key_id=None, name=actor_name(self.name), role=self.role)


CurrentUser: TypeAlias = NamedDependency[UiUser]
"""`ui_user: CurrentUser` declares the dependency explicitly (Litestar 3 will require it);
`ui_user: UiUser` works too, with a deprecation warning."""


class UiLoginRequired(Exception):
    """No live session: answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class UiForbidden(Exception):
    """The user's role may not do this (or the form's CSRF token is wrong): a 403 page."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def require(user: UiUser, permission: Permission) -> None:
    if not user.may(permission):
        raise UiForbidden(f"The role {user.role.value!r} may not {permission.value}.")


def safe_next(value: str | None) -> str:
    """A local `/ui` path to go to after logging in, else the dashboard: never another site
    (`//evil.example`, `/\\evil.example`, `https://...`), never the login page itself."""
    if not value or len(value) > 2000 or any(c in value for c in "\\\r\n\t\x00"):
        return "/ui"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/ui"):
        return "/ui"
    path = parts.path.lower()
    if "/." in path or "%2e" in path or "%2f" in path or "%5c" in path:
        return "/ui"  # `/ui/../api`: a browser resolves it outside the UI
    if parts.path not in ("/ui",) and not parts.path.startswith("/ui/"):
        return "/ui"
    if parts.path.startswith(LOGIN_PATH):
        return "/ui"
    return value


def login_url(next_path: str) -> str:
    next_path = safe_next(next_path)
    if next_path == "/ui":
        return LOGIN_PATH
    return f"{LOGIN_PATH}?next={quote(next_path, safe='/')}"


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


async def _submitted_token(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def check_csrf(request: Request[Any, Any, Any]) -> None:
    """The request's CSRF token is its session's (or, at login, its login cookie's)."""
    user = request.state.get("ui_user")
    expected = (
        user.csrf_token if isinstance(user, UiUser) else request.cookies.get(LOGIN_CSRF_COOKIE, "")
    )
    given = await _submitted_token(request)
    if not expected or not given or not _same(given, expected):
        raise UiForbidden(
            "The form's security token is missing or stale: reload the page and try again."
        )


async def _holder(connection: ASGIConnection[Any, Any, Any, Any]) -> SessionHolder | None:
    state = connection.app.state
    return await session_user(
        state.transactions, state.read_sessions, connection.cookies.get(SESSION_COOKIE, "")
    )


def _adopt(connection: ASGIConnection[Any, Any, Any, Any], holder: SessionHolder) -> None:
    user = UiUser(holder.user_id, holder.name, holder.role, holder.csrf_token)
    connection.state.ui_user = user
    connection.scope["user"] = user.actor  # `actor: CurrentActor` works here too


async def ui_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Every `/ui` handler's guard: a live session (else the login page), and a valid CSRF
    token on every unsafe method. A WebSocket needs a session too, and must come from a
    page of this site (its Origin): a browser sends the cookie to a socket whoever opens it."""
    if not isinstance(connection, Request):
        holder = await _holder(connection)
        origin = connection.headers.get("origin", "")
        if holder is None or urlsplit(origin).netloc != connection.headers.get("host"):
            raise NotAuthorizedException("Log in at /ui/login first.")
        _adopt(connection, holder)
        return
    if connection.method == "OPTIONS":
        return  # Litestar's automatic 204 + Allow: discloses nothing (as api/auth.py)
    if not handler.opt.get(PUBLIC):
        holder = await _holder(connection)
        if holder is None:
            target = connection.url.path
            if connection.url.query:
                target += "?" + connection.url.query
            raise UiLoginRequired(target if connection.method == "GET" else "/ui")
        _adopt(connection, holder)
    if connection.method not in SAFE_METHODS:
        await check_csrf(connection)


def provide_ui_user(request: Request[Any, Any, Any]) -> UiUser:
    user = request.state.get("ui_user")
    if not isinstance(user, UiUser):  # a public handler asked for a user: it has none
        raise UiLoginRequired(request.url.path)
    return user
