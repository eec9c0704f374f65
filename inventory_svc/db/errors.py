"""Database errors that are the input's fault become domain errors, in one place: a value the
database cannot hold is a 400 `validation_error`, whatever route or use case sent it, and a
use case that records its rejections (scans) records this one like any other."""

from __future__ import annotations

import logging

from sqlalchemy.engine import ExceptionContext

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
    cause = error.__cause__
    return type(cause).__name__ == "DataError" and type(cause).__module__.startswith("asyncpg")


def refuse_unstorable_values(context: ExceptionContext) -> BaseException | None:
    """An engine `handle_error` hook. A domain error raised while binding a parameter (a
    time UTC cannot express) is raised as itself; a value the database refused becomes
    UnstorableValue. Everything else (disconnects, deadlocks, our bugs) is left alone."""
    original = context.original_exception
    if isinstance(original, DomainError):
        return original
    if context.is_disconnect or not is_data_error(original):
        return None
    # Validation should have refused the value first: say which limit is missing.
    log.warning("the database refused a value: %s [SQL: %s]", original, context.statement)
    return UnstorableValue("A value in the request does not fit what the database can store.")
