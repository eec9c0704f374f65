"""Request-scoped dependencies, and the explicit markers handlers declare them with.

Handlers name what they need explicitly (Litestar 2.23+): `db: DbSession` and
`actor: CurrentActor` are injected by name from the providers registered in `app.py`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, TypeAlias

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.services.actors import Actor

DbSession: TypeAlias = NamedDependency[AsyncSession]
"""The request's database session: declare it as `db: DbSession`."""

ReadSession: TypeAlias = NamedDependency[AsyncSession]
"""A read-only session for handlers that only read: declare it as `reader: ReadSession`."""

CurrentActor: TypeAlias = NamedDependency[Actor]
"""Who is calling, from the API key: declare it as `actor: CurrentActor`."""


async def provide_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """A session per request. Handlers that write commit explicitly, so a failed commit
    surfaces as an error response and never as a success."""
    async with state.sessions() as session:
        yield session


async def provide_read_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    async with state.read_sessions() as session:
        yield session


def provide_actor(request: Request[Actor, Any, Any]) -> Actor:
    return request.user
