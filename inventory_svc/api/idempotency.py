"""The optional `Idempotency-Key` header of writes other than scans (services/idempotency.py
keeps the answers), and how a kept answer goes back out."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response
from litestar.params import HeaderParameter

from inventory_svc.domain import limits
from inventory_svc.services.idempotency import Answer

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        min_length=limits.IDEMPOTENCY_KEY.min_length,
        max_length=limits.IDEMPOTENCY_KEY.max_length,
        description=(
            "Optional. The same key with the same request answers the first answer again "
            "(`Idempotent-Replayed: true`); with another request `409 idempotency_key_reused`."
        ),
    ),
]


def idempotent_response(answer: Answer) -> Response[Any]:
    """The write's answer, marked when it is a replay of the first one."""
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    return Response(answer.body, status_code=answer.status_code, headers=headers)
