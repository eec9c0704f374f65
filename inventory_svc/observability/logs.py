"""Structured logs: one JSON object per line on stderr, with the request being served."""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request this task serves (set by the API's middleware), else None."""

# What a proxy may hand us: short, printable, nothing a log reader could trip on.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def accept_or_make_request_id(sent: str | None) -> str:
    """A proxy's `X-Request-ID` when it is a sane token, otherwise a new one."""
    if sent is not None and _ACCEPTABLE_ID.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id", ...}` on one line; extra fields
    passed with `extra={...}` are added; an exception adds `exc_info` (its traceback)."""

    _STANDARD = frozenset(
        vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
    )

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        for key, value in vars(record).items():
            if key not in self._STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


# The server's own loggers: their lines go through ours (JSON, stderr). Its access log is
# replaced by ours (`inventory_svc.access`, which knows the route and the request id).
SERVER_LOGGERS = ("uvicorn", "uvicorn.error")
SERVER_ACCESS_LOGGERS = ("uvicorn.access",)


def configure_logging(level: str) -> None:
    """JSON lines on stderr at `level` (INVENTORY_LOG_LEVEL) for every logger. Idempotent."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    adopt_server_loggers()


def adopt_server_loggers() -> None:
    """Uvicorn configures its loggers when it starts (after the app is built): send its lines
    to the root logger's JSON handler and silence its plain-text access log. Run again at
    startup for that reason."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    for name in SERVER_ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = False
