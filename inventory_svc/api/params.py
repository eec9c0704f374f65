"""Query parameters shared by the listing endpoints (the log-like ones page by id)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar.params import QueryParameter

from inventory_svc.api.schemas import MAX_LEDGER_ID
from inventory_svc.domain import limits


def text_filter(
    limit: limits.Text, description: str, pattern: str = limits.OPTIONAL_TEXT_PATTERN
) -> QueryParameter:
    """A text filter naming a stored value: no longer than its column, printable (a value
    that cannot be stored cannot match; PostgreSQL refuses NUL outright). Empty means no
    filter. Codes are not held to today's code pattern here, so older codes stay findable."""
    return QueryParameter(
        max_length=limit.max_length, pattern=pattern, description=description, required=False
    )


Since = Annotated[
    datetime | None,
    QueryParameter(
        description=(
            "Only records made at or after this time (ISO 8601; a time UTC cannot express "
            "is refused)."
        )
    ),
]
After = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        le=MAX_LEDGER_ID,
        description="Only records with a greater id (exclusive): resume from the last one seen.",
    ),
]
AfterId = Annotated[
    int | None,
    QueryParameter(
        ge=0, le=MAX_LEDGER_ID, description="The older name of `after`; kept as an alias."
    ),
]


def resume_after(after: int | None, after_id: int | None) -> int | None:
    """`after` and its alias `after_id`: with both, the later position wins."""
    given = [value for value in (after, after_id) if value is not None]
    return max(given) if given else None


DeviceFilter = Annotated[str | None, text_filter(limits.DEVICE, "Only scans sent by this device.")]
