"""Engine and session factory. Nothing is created at import time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeAlias

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from inventory_svc.config import Settings
from inventory_svc.db.errors import refuse_unstorable_values

SessionMaker: TypeAlias = Callable[[], AbstractAsyncContextManager[AsyncSession]]
"""`async with sessions() as session:`: an async_sessionmaker, or one gated for SQLite."""


def create_engine(settings: Settings) -> AsyncEngine:
    """Time limits everywhere, so a held lock or a saturated database makes a request fail
    fast (503, Retry-After) instead of holding a worker: waiting for a pooled connection
    (`db_pool_timeout`), for a row lock (`lock_timeout`, retried by the unit of work), for
    a statement, and for a transaction left idle."""
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            connect_args={"timeout": settings.db_lock_timeout_ms / 1000},
            pool_timeout=settings.db_pool_timeout,
        )
        _make_sqlite_serialise_writers(engine, settings.db_lock_timeout_ms)
    else:
        engine = create_async_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_size,
            pool_timeout=settings.db_pool_timeout,
            # No ping per checkout (a round trip each time): a connection the server closed
            # is known closed without one (below); one that dies in use is discarded and the
            # unit of work runs again on a fresh one.
            pool_pre_ping=False,
            connect_args={
                "timeout": settings.db_pool_timeout,  # establishing a connection
                "server_settings": {
                    "lock_timeout": str(settings.db_lock_timeout_ms),
                    "statement_timeout": str(settings.db_statement_timeout_ms),
                    "idle_in_transaction_session_timeout": str(
                        settings.db_statement_timeout_ms * 4
                    ),
                },
            },
        )
    event.listen(engine.sync_engine, "handle_error", refuse_unstorable_values)
    if not settings.is_sqlite:
        event.listen(engine.sync_engine, "checkout", _discard_closed_connections)
    return engine


def _discard_closed_connections(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pre-ping without the round trip: a connection the server closed while it sat in the
    pool (a restart, a failover, `pg_terminate_backend`) has already been told so by the
    event loop, so asyncpg knows it is closed. The pool then connects afresh instead of
    handing out a dead connection (SQLAlchemy's pessimistic disconnect handling)."""
    driver = dbapi_connection.driver_connection
    if driver is None or driver.is_closed():
        raise DisconnectionError("the database closed this pooled connection")


def _make_sqlite_serialise_writers(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so two writers never both read a balance
    and then collide on upgrade to a write lock (SQLite's "database is locked")."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Readers must not queue behind writers for the write lock: WAL gives them a snapshot.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


READ_ONLY = "inventory_read_only"


def create_sessionmaker(engine: AsyncEngine, *, read_only: bool = False) -> SessionMaker:
    """Sessions for one transaction each. Read-only ones are read-only transactions on
    PostgreSQL and deferred (lock-free) transactions on SQLite. SQLite writers of one process
    queue fairly in asyncio for their turn instead of polling in SQLite's busy handler."""
    bind = engine
    if read_only:
        bind = engine.execution_options(**{READ_ONLY: True, "postgresql_readonly": True})
    maker = async_sessionmaker(bind, expire_on_commit=False, autoflush=False)
    if read_only or engine.dialect.name != "sqlite":
        return maker
    turn = asyncio.Lock()
    pool_timeout = getattr(engine.pool, "timeout", None)
    wait: float = pool_timeout() if callable(pool_timeout) else 30.0

    @asynccontextmanager
    async def one_writer_at_a_time() -> AsyncIterator[AsyncSession]:
        # Waiting for the turn is waiting for the pool: as long, and the same error (503).
        try:
            await asyncio.wait_for(turn.acquire(), wait)
        except TimeoutError:
            raise PoolTimeout(f"no SQLite write turn within {wait} s") from None
        try:
            async with maker() as session:
                yield session
        finally:
            turn.release()

    return one_writer_at_a_time


async def driver_connection(session: AsyncSession) -> Any:
    """The driver's own connection (asyncpg) under the session's, for the statements of the
    hot path: asyncpg prepares and caches them itself, with none of SQLAlchemy's per-call
    work. No transaction is begun for it: a statement sent here outside one the session
    opened is a transaction of its own (autocommit)."""
    driver = session.info.get(_DRIVER)
    if driver is None:  # once per session: each of these calls is a greenlet switch
        connection = await session.connection()
        driver = session.info[_DRIVER] = (await connection.get_raw_connection()).driver_connection
    return driver


_DRIVER = "inventory_driver_connection"
