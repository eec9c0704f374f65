"""Request-scoped dependencies, and the explicit markers handlers declare them with.

Handlers name what they need explicitly (Litestar 2.23+): `reader: ReadSession` and
`actor: CurrentActor` are injected by name from the providers registered in `app.py`.
Writes never take a session here: they run a use case through `state.transactions`, the
unit of work, which commits (controllers never do).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any, TypeAlias

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.services.actors import Actor
from inventory_svc.services.uow import Transactions

ReadSession: TypeAlias = NamedDependency[AsyncSession]
"""A read-only session for handlers that only read: declare it as `reader: ReadSession`."""

Writes: TypeAlias = NamedDependency[Transactions]
"""The unit of work every write runs in: declare it as `transactions: Writes`."""

CurrentActor: TypeAlias = NamedDependency[Actor]
"""Who is calling, from the API key: declare it as `actor: CurrentActor`."""


async def provide_read_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    async with state.read_sessions() as session:
        yield session


def provide_transactions(state: State) -> Transactions:
    transactions: Transactions = state.transactions
    return transactions


def provide_actor(request: Request[Actor, Any, Any]) -> Actor:
    return request.user
