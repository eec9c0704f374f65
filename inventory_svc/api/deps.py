"""Request-scoped dependencies."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.services.actors import Actor


async def provide_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """A session per request. Handlers that write commit explicitly, so a failed commit
    surfaces as an error response and never as a success."""
    async with state.sessions() as session:
        yield session


def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    actor: Actor = request.user
    return actor
