"""Content negotiation for reads that also answer CSV or FHIR: the `Accept` header picks
(JSON when absent or `*/*`), an `Accept` that excludes every form offered is `406
not_acceptable` (problem+json), and the OpenAPI document lists each extra media type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVarTuple, Unpack

import anyio.to_thread
from litestar import MediaType, Request
from litestar.exceptions import HTTPException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema

from inventory_svc.integrations.fhir import FHIR_JSON

JSON = MediaType.JSON.value
CSV = "text/csv"

_SCHEMAS = {
    CSV: Schema(type=OpenAPIType.STRING, description="CSV with a header row (see the README)."),
    FHIR_JSON: Schema(
        type=OpenAPIType.OBJECT, description="A FHIR R5 resource (see the operation)."
    ),
}


def negotiate(request: Request[Any, Any, Any], offered: tuple[str, ...]) -> str:
    """The media type to answer, JSON first among equals."""
    chosen = request.accept.best_match([JSON, *offered])
    if chosen is None:
        raise HTTPException(
            status_code=406,
            detail=f"This resource is available as {', '.join([JSON, *offered])}; "
            f"Accept: {request.headers.get('accept', '')!r} allows none of them.",
        )
    return chosen


Ts = TypeVarTuple("Ts")


async def render(build: Callable[[Unpack[Ts]], str], *args: *Ts) -> bytes:
    """A FHIR document built in a worker thread: validating a 1,000-line purchase order
    takes most of a second, which would stall every other request on the event loop."""
    text = await anyio.to_thread.run_sync(build, *args)
    return text.encode()


def also_answers(*media_types: str) -> type[Operation]:
    """An operation class whose success responses list `media_types` beside JSON."""

    @dataclass
    class NegotiatedOperation(Operation):
        def __post_init__(self) -> None:
            for status, response in (self.responses or {}).items():
                if status.startswith("2") and isinstance(response, OpenAPIResponse):
                    content = response.content if response.content is not None else {}
                    for media_type in media_types:
                        content[media_type] = OpenAPIMediaType(schema=_SCHEMAS[media_type])
                    response.content = content

    return NegotiatedOperation
