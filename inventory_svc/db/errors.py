"""Database errors that are the input's fault become domain errors, in one place: a value the
database cannot hold is a 400 `validation_error`, whatever route or use case sent it, and a
use case that records its rejections (scans) records this one like any other."""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.domain.errors import DomainError, UnstorableValue

log = logging.getLogger(__name__)

# SQLSTATE class 22, "data exception": a value too long for its column, a number out of
# range, a time out of range, a character the encoding cannot hold (NUL in text) ...
_DATA_EXCEPTION_CLASS = "22"


def is_data_error(error: BaseException) -> bool:
    """True when the database, or its driver encoding the parameters, refused a value."""
    if isinstance(error, OverflowError):  # sqlite3: an integer past 64 bits
        return True
    sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if isinstance(sqlstate, str):
        return sqlstate.startswith(_DATA_EXCEPTION_CLASS)
    # asyncpg refuses some parameters before sending them ("invalid input for query
    # argument"): its DataError arrives as the cause of the SQLAlchemy adapter's error.
    return any(
        type(e).__name__ == "DataError" and type(e).__module__.startswith("asyncpg")
        for e in (error, error.__cause__)
    )


def refuse_unstorable_values(context: ExceptionContext) -> BaseException | None:
    """An engine `handle_error` hook. A domain error raised while binding a parameter (a
    time UTC cannot express) is raised as itself; a value the database refused becomes
    UnstorableValue. Everything else (disconnects, deadlocks, our bugs) is left alone."""
    original = context.original_exception
    if isinstance(original, DomainError):
        return original
    if context.is_disconnect or not is_data_error(original):
        return None
    return unstorable(original, context.statement)


def unstorable(error: BaseException, statement: object) -> UnstorableValue:
    """The 400 for a value the database refused (both ways of reaching it: the engine hook
    above and statements sent on the driver)."""
    # Validation should have refused the value first: say which limit is missing.
    log.warning("the database refused a value: %s [SQL: %s]", error, statement)
    return UnstorableValue("A value in the request does not fit what the database can store.")


class StockChanged(Exception):
    """A move's real source was short when its write ran, though the read before it had
    the stock: another scan took it in between. The unit of work decides the scan again
    from a fresh read (which then moves what is left, or refuses with insufficient_stock)."""


# check_violation (a balance would go below zero), foreign_key_violation (a leg found no
# source balance, so the move's statement left its scan row out: db/moves.py)
_STOCK_CHANGED_STATES = ("23514", "23503")
_UNIQUE_VIOLATION = "23505"


async def translate_driver_error(session: AsyncSession, error: Exception, what: str) -> Exception:
    """A driver error from a statement sent on the raw connection, as the rest of the
    service knows database errors (SQLAlchemy's, with the driver's as `orig`): so the unit of
    work retries what is transient, the availability check answers 503 for a database that
    is away, and a value the database refuses is a 400, exactly as for every other route."""
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate in _STOCK_CHANGED_STATES:
        return StockChanged(str(error))
    if sqlstate == _UNIQUE_VIOLATION:
        return IntegrityError(what, None, error)
    if is_data_error(error):
        return unstorable(error, what)
    from_driver = type(error).__module__.startswith("asyncpg")
    if not from_driver and not isinstance(error, OSError):
        return error  # not the database's answer: our own bug, raised as it is
    lost = sqlstate is None or sqlstate.startswith("08")
    if lost:  # the connection itself failed (closed, reset, protocol): never reuse it
        with contextlib.suppress(Exception):
            await (await session.connection()).invalidate()
    return DBAPIError(what, None, error, connection_invalidated=lost)
