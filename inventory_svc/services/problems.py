"""RFC 9457 problem bodies: how a domain error (or an HTTP error) is told to a client.

Built here, not in the domain: the scan envelope stores the body it answered, for replays,
and the API answers every error with one of these.
"""

from __future__ import annotations

from inventory_svc.domain.errors import DomainError

PROBLEM_TYPE_BASE = "https://inventory-svc.dev/problems/"


def problem(status: int, code: str, title: str, detail: str, **extra: object) -> dict[str, object]:
    """The RFC 9457 body; `type` is a stable URI derived from the code."""
    body: dict[str, object] = {
        "type": PROBLEM_TYPE_BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra)
    return body


def to_problem(error: DomainError) -> dict[str, object]:
    return problem(error.status, error.code, error.title, error.detail, **error.extra)
