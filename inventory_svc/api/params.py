"""Query parameters shared by the listing endpoints (the log-like ones page by id)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar.params import QueryParameter

from inventory_svc.api.schemas import MAX_LEDGER_ID

Since = Annotated[
    datetime | None,
    QueryParameter(description="Only records made at or after this time (ISO 8601)."),
]
AfterId = Annotated[
    int | None,
    QueryParameter(
        ge=0,
        le=MAX_LEDGER_ID,
        description="Only records with a greater id: resume from the last one seen.",
    ),
]
