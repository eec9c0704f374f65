"""How the API reads what a client sends, before any handler runs.

- JSON bodies are decoded strictly, straight into the handler's declared type: Litestar's own
  path decodes to plain values and then converts them leniently, which turns
  `"quantity": "99999"` into a number. Deeply nested JSON is a 400, never a RecursionError.
- Every timestamp in a body must be expressible in UTC (timestamps are stored in UTC).
- No URL (path or query string) may carry NUL: no database compares text holding it.

All of them refuse with Litestar's ValidationException (400 `validation_error`), which a
route's own ClientException handler sees like any other malformed request (the scan route
records such scans).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import ValidationException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from inventory_svc.domain import limits
from inventory_svc.domain.errors import TimestampOutOfRange

_AT_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>.*)`)?$", re.DOTALL)


@cache
def _decoder(target: Any) -> msgspec.json.Decoder[Any] | None:
    try:
        return msgspec.json.Decoder(target, strict=True)
    except TypeError:  # a type msgspec cannot decode by itself: Litestar's own path decodes it
        return None


class StrictJsonRequest(Request[Any, Any, Any]):
    """The request class of the app: its `json()` decodes into the handler's `data` type."""

    async def json(self) -> Any:
        field = self.route_handler.parsed_data_field
        decoder = _decoder(field.annotation) if field is not None else None
        if decoder is None:
            try:
                return await super().json()
            except RecursionError:
                raise _too_deep(self) from None
        body = await self.body()
        try:
            value = decoder.decode(body or b"null")
        except msgspec.ValidationError as error:
            raise _invalid(self, str(error)) from error
        except msgspec.DecodeError as error:
            raise ValidationException(
                detail=f"The body is not valid JSON: {error}.", extra=[_message(str(error))]
            ) from error
        except RecursionError:
            raise _too_deep(self) from None
        for path, when in _timestamps(value, ""):
            try:
                limits.as_utc(when)
            except TimestampOutOfRange as error:
                raise _invalid(self, f"{error.detail} - at `${path}`") from error
        return value


def _message(text: str) -> dict[str, str]:
    match = _AT_PATH.match(text)
    assert match is not None  # the pattern matches any text
    message: dict[str, str] = {"message": match["message"], "source": "body"}
    if match["path"]:
        message["key"] = match["path"].removeprefix(".")
    return message


def _invalid(request: Request[Any, Any, Any], text: str) -> ValidationException:
    return ValidationException(
        detail=f"Validation failed for {request.method} {request.url.path}",
        extra=[_message(text)],
    )


def _too_deep(request: Request[Any, Any, Any]) -> ValidationException:
    return _invalid(request, "The JSON body is nested too deeply")


def _timestamps(value: Any, path: str) -> Iterator[tuple[str, datetime]]:
    """Every datetime in a decoded body, with its JSON path (`.scanned_at`, `[0].since`)."""
    if isinstance(value, datetime):
        yield path, value
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            yield from _timestamps(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, list | tuple):
        for index, element in enumerate(value):
            yield from _timestamps(element, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, element in value.items():
            yield from _timestamps(element, f"{path}.{key}")


class NoNulInUrl(ASGIMiddleware):
    """A NUL in the path or a query parameter is a 400 on every route: PostgreSQL cannot
    compare text holding it (SQLite would quietly match nothing)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["type"] == ScopeType.HTTP:
            if "\x00" in scope["path"]:
                raise ValidationException(
                    detail="The URL path contains a NUL character.",
                    extra=[{"message": "NUL is not allowed", "source": "path"}],
                )
            query = scope["query_string"]
            if b"%00" in query or b"\x00" in query:
                names = [
                    name
                    for name, value in parse_qsl(
                        query.decode("latin-1"), keep_blank_values=True, errors="replace"
                    )
                    if "\x00" in name or "\x00" in value
                ]
                if names:
                    raise ValidationException(
                        detail="A query parameter contains a NUL character.",
                        extra=[
                            {"message": "NUL is not allowed", "key": name, "source": "query"}
                            for name in names
                        ],
                    )
        await next_app(scope, receive, send)
