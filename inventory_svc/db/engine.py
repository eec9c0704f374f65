"""Engine and session factory. Nothing is created at import time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeAlias

from sqlalchemy import event
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
    if settings.is_sqlite:
        engine = create_async_engine(settings.database_url, connect_args={"timeout": 30})
        _make_sqlite_serialise_writers(engine)
    else:
        engine = create_async_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_size,
            pool_pre_ping=True,
        )
    event.listen(engine.sync_engine, "handle_error", refuse_unstorable_values)
    return engine


def _make_sqlite_serialise_writers(engine: AsyncEngine) -> None:
    """WAL for concurrent readers; BEGIN IMMEDIATE so two writers never both read a balance
    and then collide on upgrade to a write lock (SQLite's "database is locked")."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
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

    @asynccontextmanager
    async def one_writer_at_a_time() -> AsyncIterator[AsyncSession]:
        async with turn, maker() as session:
            yield session

    return one_writer_at_a_time
