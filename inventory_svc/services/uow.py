"""The unit of work: every write of every use case goes through `Transactions.run`.

One transaction per use case: begin, run the use case, write the events it raised to the
outbox in the same transaction, commit explicitly. A transient failure (deadlock,
serialisation failure, a busy SQLite) re-runs the whole use case from the start on a fresh
transaction; anything else rolls back and propagates. Controllers never commit.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import events as events_db
from inventory_svc.db.engine import SessionMaker
from inventory_svc.db.errors import StockChanged
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.errors import InsufficientStock
from inventory_svc.domain.events import DomainEvent, EventType
from inventory_svc.observability.metrics import observe_pool_wait
from inventory_svc.services.actors import Actor
from inventory_svc.services.availability import DATABASE

TRANSIENT_ATTEMPTS = 3

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger(__name__)


class UnitOfWork:
    """What a use case works with: one open transaction, who acts, when, and the events it
    raises (written when the use case returns, with the change)."""

    def __init__(self, session: AsyncSession, actor: Actor, clock: SiteClock) -> None:
        self.session = session
        self.actor = actor
        self.now: datetime = clock.now()
        self.today: date = clock.today(self.now)
        self.events: list[DomainEvent] = []

    def emit(self, type: EventType, data: Mapping[str, Any]) -> None:
        self.events.append(DomainEvent(type, data))


UseCase = Callable[Concatenate[UnitOfWork, P], Awaitable[T]]


class Transactions:
    """Runs use cases, each in a unit of work of its own."""

    def __init__(
        self, sessions: SessionMaker, clock: SiteClock, attempts: int = TRANSIENT_ATTEMPTS
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.attempts = attempts

    async def run(
        self, actor: Actor, use_case: UseCase[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        for attempt in range(1, self.attempts + 1):
            started = time.perf_counter()
            async with self.sessions() as session:
                uow = UnitOfWork(session, actor, self.clock)
                await session.connection()  # begun and checked out now: the wait is measured
                observe_pool_wait(time.perf_counter() - started)
                try:
                    result = await use_case(uow, *args, **kwargs)
                    await events_db.append(session, uow.events, actor=actor.name, at=uow.now)
                    await session.commit()
                    DATABASE.mark_up()
                    return result
                except DBAPIError as error:
                    await _rollback_quietly(session)
                    if attempt == self.attempts or not is_transient(error):
                        raise
                    name = getattr(use_case, "__name__", "use case")
                    log.info("%s retried after %s", name, type(error.orig).__name__)
                except StockChanged as error:
                    await _rollback_quietly(session)
                    if attempt == self.attempts:
                        raise InsufficientStock(
                            "Stock at the source changed while this scan was applied; scan again."
                        ) from error
                except BaseException:
                    await _rollback_quietly(session)
                    raise
        raise AssertionError("unreachable")


async def _rollback_quietly(session: AsyncSession) -> None:
    """A connection that died mid-transaction cannot roll back; the original error is the
    one worth raising, and the pool discards the connection."""
    with contextlib.suppress(SQLAlchemyError, OSError):
        await session.rollback()


# Serialisation failure, deadlock, lock timeout (a hot balance held for long): run again.
TRANSIENT_STATES = ("40001", "40P01", "55P03")


def is_transient(error: DBAPIError) -> bool:
    """Safe to run the whole use case again: PostgreSQL gave up waiting or chose a victim,
    a statement found its pooled connection dead (not a COMMIT, whose outcome is unknown;
    the scan's one-statement write is safe to re-run, its Idempotency-Key being unique), or
    SQLite was busy. Exhausted, the same error answers 503 (services/availability.py)."""
    if error.connection_invalidated and error.statement not in (None, "COMMIT"):
        return True
    sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return sqlstate in TRANSIENT_STATES or "database is locked" in str(error.orig)
