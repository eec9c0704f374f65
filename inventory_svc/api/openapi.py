"""How every operation documents its errors: as the `Problem` schema, sent as
`application/problem+json`, which is what the service really answers (integrators generate
clients from the served document, so it must not say otherwise)."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from inventory_svc.api.problems import PROBLEM_JSON
from inventory_svc.api.schemas import Problem

DEFAULT_DESCRIPTIONS = {
    400: "validation_error: a malformed body, parameter or header",
    401: "unauthorized: missing, unknown or revoked API key",
    403: "forbidden: the key's role may not do this",
    404: "not_found",
    409: "conflict",
    422: "the request is well-formed but cannot be applied",
    503: "service_unavailable: the database is down or saturated; retry after Retry-After",
}


def problems(*statuses: int, **descriptions: str) -> dict[int, ResponseSpec]:
    """Problem responses for these statuses; `descriptions` (keyed `s400=...`) says which
    codes each status carries on this operation."""
    return {
        status: ResponseSpec(
            Problem,
            description=descriptions.get(f"s{status}", DEFAULT_DESCRIPTIONS.get(status, "error")),
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
        for status in statuses
    }


READ_PROBLEMS = problems(400, 401, 403, 503)
"""What any authenticated read may answer."""
WRITE_PROBLEMS = problems(400, 401, 403, 409, 422, 503)
READ_ONE_PROBLEMS = problems(400, 401, 403, 404, 503)
LABEL_PROBLEMS = problems(
    400, 401, 403, 422, 503, s422="unknown_location: no location has (or can have) this code"
)
