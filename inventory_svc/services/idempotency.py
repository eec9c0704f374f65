"""Idempotency-Key for any write (DESIGN §4.1: required on scans, honoured elsewhere when
sent): the same key with the same request answers the first answer again, with another
request `409 idempotency_key_reused`.

The key is claimed by the first statement of the write's own unit of work and its answer
stored by the last, so the claim commits with the change or not at all. A concurrent twin
waits on the unique (scope, key) index, fails once the first commits, and replays its
answer: a write applies once (the scan log does the same for scans, services/scans.py).
A refused write stores nothing: it changed nothing, and the same key may be sent again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import msgspec
from sqlalchemy.exc import IntegrityError

from inventory_svc.db import idempotency as idempotency_db
from inventory_svc.domain.errors import IdempotencyKeyReused
from inventory_svc.services.actors import Actor
from inventory_svc.services.uow import Transactions, UnitOfWork

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Answer:
    """What the write answered, as JSON-ready builtins (fresh and replayed alike)."""

    status_code: int
    body: Any
    replayed: bool = False


def scope_of(actor: Actor) -> str:
    """Keys are the caller's own: two integrations may both send key "1"."""
    return f"key:{actor.key_id}" if actor.key_id is not None else f"actor:{actor.name}"[:32]


def fingerprint(operation: str, request: Any) -> str:
    """The request as decoded (path parameters and body), not its bytes: the same JSON with
    other spacing or key order is the same request."""
    return hashlib.sha256(msgspec.json.encode([operation, request])).hexdigest()


async def run_idempotent(
    transactions: Transactions,
    actor: Actor,
    key: str | None,
    operation: str,
    request: Any,
    status_code: int,
    use_case: Callable[Concatenate[UnitOfWork, P], Awaitable[T]],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Answer:
    """Run `use_case` in a unit of work, at most once per (caller, key). `request` is what
    identifies the request (e.g. [path parameter, body]); `status_code` the fresh answer's."""
    if key is None:
        result = await transactions.run(actor, use_case, *args, **kwargs)
        return Answer(status_code, msgspec.to_builtins(result))
    scope, digest = scope_of(actor), fingerprint(operation, request)

    async def claimed(uow: UnitOfWork) -> Any:
        record = await idempotency_db.claim(uow.session, scope, key, operation, digest, uow.now)
        body = msgspec.to_builtins(await use_case(uow, *args, **kwargs))
        await idempotency_db.answer(uow.session, record, status_code, body)
        return body

    claimed.__name__ = getattr(use_case, "__name__", operation)
    try:
        return Answer(status_code, await transactions.run(actor, claimed))
    except IntegrityError as error:
        # The unique key is how a replay is detected: no read before writing.
        async with transactions.sessions() as session, session.begin():
            first = await idempotency_db.stored(session, scope, key)
        if first is None:
            raise  # another constraint failed: not a replay
        if first.request_hash != digest or first.response_status is None:
            raise IdempotencyKeyReused(
                f"This Idempotency-Key was already used for a different request "
                f"({first.operation}); use a new key."
            ) from error
        return Answer(first.response_status, first.response_body, replayed=True)
