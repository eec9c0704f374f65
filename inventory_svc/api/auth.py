"""Bearer API keys -> an Actor on the connection (from the key cache, so most requests need no
database read: services/key_cache.py); guards check the role matrix."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection, Request
from litestar.exceptions import (
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from inventory_svc.api.hygiene import RateLimiter, key_in_query
from inventory_svc.domain.roles import Permission, allows
from inventory_svc.services.actors import Actor
from inventory_svc.services.key_cache import KeyCache
from inventory_svc.services.keys import authenticate

PUBLIC_PATHS = ["^/health$", "^/ready$", "^/schema", "^/favicon.ico$", "^/ui(/|$)"]
"""No API key here. `/ui` has its own login (ui/auth.py): a key never logs anyone in there."""


class ApiKeyMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        if name := key_in_query(connection.query_params):
            raise ValidationException(
                f"Query parameter {name!r} looks like an API key: keys go in the "
                "'Authorization: Bearer <api key>' header, never in a URL (URLs are logged)."
            )
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("Send 'Authorization: Bearer <api key>'.")
        state = connection.app.state
        cache: KeyCache = state.key_cache  # no database read for a key it holds
        actor = await authenticate(cache, state.read_sessions, token.strip())
        if actor is None:
            raise NotAuthorizedException("This API key is unknown or revoked.")
        limiter: RateLimiter | None = connection.app.state.get("rate_limiter")
        if limiter is not None:
            limiter.take(actor.key_id)
        return AuthenticationResult(user=actor, auth=None)


def requires(
    permission: Permission,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]:
    """A route guard for the role matrix. Async on purpose: Litestar runs a plain function
    guard in a worker thread, a round trip through the thread pool on every request."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if isinstance(connection, Request) and connection.method == "OPTIONS":
            # OPTIONS is never authenticated (CORS preflights carry no key) and its only
            # handlers are Litestar's automatic 204 + Allow answers, which disclose nothing
            # the public OpenAPI document does not: a guard inherited from a controller
            # lets them through instead of failing on a missing actor.
            return
        actor = connection.scope.get("user")
        if not isinstance(actor, Actor):
            raise NotAuthorizedException("Send 'Authorization: Bearer <api key>'.")
        if not allows(actor.role, permission):
            raise PermissionDeniedException(
                f"The role {actor.role.value!r} may not {permission.value}."
            )

    guard.__name__ = f"requires_{permission.value}"
    return guard
