"""The event feed (the outbox, read in order)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import QueryParameter

from inventory_svc.api.auth import requires
from inventory_svc.api.deps import CurrentActor, Writes
from inventory_svc.api.openapi import READ_PROBLEMS
from inventory_svc.api.schemas import MAX_LEDGER_ID
from inventory_svc.domain.records import EventRecord
from inventory_svc.domain.roles import Permission
from inventory_svc.services import events

EVENT_TYPE_PATTERN = r"^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$"


class EventController(Controller):
    path = "/events"
    tags = ["events"]

    @get(
        "/",
        guards=[requires(Permission.EVENTS)],
        summary="Events in feed order, from after the last one seen",
        operation_id="listEvents",
        responses=READ_PROBLEMS,
        description=(
            "Every change, in the order readers see them: follow `after=<id of the last event "
            "you processed>` and you see every event exactly once, none missed and none "
            "repeated, even under concurrent writers. Each event names its `actor`: the feed "
            "is also the audit trail."
        ),
    )
    async def list_all(
        self,
        state: State,
        transactions: Writes,
        actor: CurrentActor,
        after: Annotated[
            int,
            QueryParameter(
                ge=0, le=MAX_LEDGER_ID, description="Only events after this id (exclusive)."
            ),
        ] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="Page size.")] = 100,
        type: Annotated[
            str | None,
            QueryParameter(
                max_length=64,
                pattern=EVENT_TYPE_PATTERN,
                description="An exact type (`stock.changed`), a `prefix.*` pattern, or `*`.",
            ),
        ] = None,
    ) -> list[EventRecord]:
        await transactions.run(actor, events.position_pending)
        return await events.read_feed(
            state.read_sessions, after=after, limit=limit, type_pattern=type
        )
