"""Is the database there? Which failures mean "unavailable, try again soon" (a 503 with
Retry-After, never a 500), and one log line when that changes, not a traceback per request.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger("inventory_svc.database")

# SQLSTATEs of a database that is away or too busy, not of a bad request: connection
# exceptions (class 08), shutting down or starting (57P01-57P03), a lock or statement
# timeout (55P03, 57014), too many connections (53300).
_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "55P03", "57014", "53300")
_UNAVAILABLE_TEXT = ("database is locked", "connection was closed", "connection is closed")


def is_unavailable(error: BaseException) -> bool:
    if isinstance(error, PoolTimeout | ConnectionError | TimeoutError):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        original = error.orig
        sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_STATES):
            return True
        cause = original.__cause__ if original is not None else None
        if isinstance(original, ConnectionError | TimeoutError) or isinstance(
            cause, ConnectionError | TimeoutError
        ):
            return True
        return any(text in str(original).lower() for text in _UNAVAILABLE_TEXT)
    return False


class DatabaseState:
    """Up or down, as the last request saw it; logs once per change."""

    def __init__(self) -> None:
        self._down = False
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self._down

    def mark_down(self, error: BaseException) -> None:
        with self._lock:
            if self._down:
                return
            self._down = True
        reason = getattr(error, "orig", None) or error
        log.warning("database unavailable: %s: %s", type(reason).__name__, reason)

    def mark_up(self) -> None:
        if not self._down:
            return
        with self._lock:
            if not self._down:
                return
            self._down = False
        log.warning("database available again")


DATABASE = DatabaseState()
