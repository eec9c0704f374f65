"""Cycle counts, the controlled-substance ledger and go-live imports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import Body, JSONBody, PathParameter, QueryParameter

from inventory_svc.api.auth import requires
from inventory_svc.api.deps import CurrentActor, ReadSession, Writes
from inventory_svc.api.negotiation import CSV
from inventory_svc.api.openapi import READ_ONE_PROBLEMS, READ_PROBLEMS, problems
from inventory_svc.api.params import text_filter
from inventory_svc.api.schemas import MAX_ID, text
from inventory_svc.domain import limits
from inventory_svc.domain.count_records import ControlledLedgerRow, CountOut, ImportReport
from inventory_svc.domain.errors import BadRequest
from inventory_svc.domain.roles import Permission
from inventory_svc.integrations import controlled_csv
from inventory_svc.services import controlled, counts, imports

CountId = Annotated[
    int, PathParameter(ge=1, le=limits.SESSION_ID.le, description="The count's id.")
]


class CountIn(msgspec.Struct, forbid_unknown_fields=True):
    location: Annotated[str, text(limits.LOCATION_CODE)]
    blind: bool = False
    """A blind count hides the expected quantities from its counters until it is committed."""


class CommitIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, text(limits.COUNT_REASON)] | None = None
    """Required when a scheduled (controlled) item has a variance: the manager's sign-off."""


COUNT_PROBLEMS = problems(
    400,
    401,
    403,
    404,
    409,
    422,
    503,
    s409="invalid_transition: the count is already committed",
    s422="count_reason_required: a controlled substance has a variance and no `reason` was given",
)


class CountController(Controller):
    path = "/counts"
    tags = ["counts"]

    @post(
        "/",
        guards=[requires(Permission.COUNT)],
        summary="Open a cycle count of one location",
        operation_id="openCount",
        responses=problems(
            400,
            401,
            403,
            409,
            422,
            503,
            s409="invalid_transition: the location already has an open count",
            s422="unknown_location",
        ),
        description=(
            "`{location, blind?}`. Then `count` scans naming `count_session` (at this "
            "location) add counted units; a manager commits."
        ),
    )
    async def open(
        self, data: JSONBody[CountIn], transactions: Writes, actor: CurrentActor
    ) -> CountOut:
        return await transactions.run(actor, counts.open_count, data.location, data.blind)

    @get(
        "/{count_id:int}",
        guards=[requires(Permission.READ)],
        summary="A count: counted against expected",
        operation_id="getCount",
        responses=READ_ONE_PROBLEMS,
        description=(
            "Each lot counted (or not counted: zero) against its balance at its first count "
            "scan; a blind count hides expected quantities from anyone but managers while open."
        ),
    )
    async def get_one(
        self, count_id: CountId, reader: ReadSession, actor: CurrentActor
    ) -> CountOut:
        return await counts.get_count(reader, count_id, actor)

    @post(
        "/{count_id:int}/commit",
        guards=[requires(Permission.MANAGE)],
        summary="Commit a count: write its adjustments",
        operation_id="commitCount",
        status_code=200,
        responses=COUNT_PROBLEMS,
        description=(
            "An empty body, or `{reason}` (required when a controlled substance has a "
            "variance). Writes one `count_adjust` movement from or to `@adjustment` per "
            "difference; items not scanned count as zero."
        ),
    )
    async def commit(
        self,
        count_id: CountId,
        transactions: Writes,
        actor: CurrentActor,
        data: Annotated[CommitIn | None, Body()] = None,
    ) -> CountOut:
        body = data or CommitIn()
        return await transactions.run(actor, counts.commit_count, count_id, body.reason)


class ControlledController(Controller):
    path = "/controlled"
    tags = ["controlled substances"]

    @get(
        "/ledger",
        guards=[requires(Permission.READ)],
        summary="Controlled-substance ledger: running balance per location",
        operation_id="getControlledLedger",
        responses=READ_PROBLEMS,
        description=(
            "Every movement of a scheduled item (CII-CV), once per real location it touches, "
            "with the location's running balance of the item, the actor and the witness. "
            "`since`/`until` (exclusive) narrow the rows; balances count everything before. "
            "`Accept: text/csv` answers CSV."
        ),
    )
    async def ledger(
        self,
        request: Request[Any, Any, State],
        reader: ReadSession,
        item: Annotated[
            int | None, QueryParameter(ge=1, le=MAX_ID, description="Only this item.")
        ] = None,
        location: Annotated[
            str | None, text_filter(limits.LOCATION_REF, "Only this location.")
        ] = None,
        since: Annotated[
            datetime | None, QueryParameter(description="Rows at or after this time.")
        ] = None,
        until: Annotated[
            datetime | None, QueryParameter(description="Rows before this time.")
        ] = None,
    ) -> Response[list[ControlledLedgerRow]]:
        rows = await controlled.ledger(
            reader,
            item=item,
            location=location or None,
            since=limits.as_utc(since) if since else None,
            until=limits.as_utc(until) if until else None,
        )
        if request.accept.best_match([MediaType.JSON.value, CSV]) == CSV:
            body: Any = controlled_csv.ledger_csv(rows)
            return Response(body, media_type=f"{CSV}; charset=utf-8")
        return Response(rows)


IMPORT_PROBLEMS = problems(
    400,
    401,
    403,
    413,
    503,
    s400="validation_error: not `text/csv`, or the header lacks a required column",
)


async def _csv_body(request: Request[Any, Any, State]) -> bytes:
    if request.content_type[0] != CSV:
        raise BadRequest("Send the file with `Content-Type: text/csv`.")
    body = await request.body()
    if len(body) > limits.MAX_IMPORT_BYTES:
        raise BadRequest(f"The file is over {limits.MAX_IMPORT_BYTES} bytes: split it.")
    return body


class ImportController(Controller):
    path = "/imports"
    tags = ["imports"]

    @post(
        "/items",
        guards=[requires(Permission.MANAGE)],
        summary="Import the item master (CSV)",
        operation_id="importItems",
        status_code=200,
        responses=IMPORT_PROBLEMS,
        description=(
            "`Content-Type: text/csv` with the header "
            f"`{','.join(imports.ITEM_COLUMNS)}` (README: Go-live imports). Idempotent by "
            "NDC/GTIN: a known item is updated. Bad rows are refused with why; the rest load."
        ),
    )
    async def items(
        self, request: Request[Any, Any, State], transactions: Writes, actor: CurrentActor
    ) -> ImportReport:
        body = await _csv_body(request)
        return await imports.import_items(transactions, actor, body)

    @post(
        "/stock",
        guards=[requires(Permission.MANAGE)],
        summary="Import opening stock (CSV)",
        operation_id="importStock",
        status_code=200,
        responses=IMPORT_PROBLEMS,
        description=(
            "`Content-Type: text/csv` with the header "
            f"`{','.join(imports.STOCK_COLUMNS)}`. Each row sets a location's balance of a "
            "lot, booked as `count_adjust` from `@adjustment` (so again with the same file "
            "changes nothing). Bad rows are refused with why; the rest load."
        ),
    )
    async def stock(
        self, request: Request[Any, Any, State], transactions: Writes, actor: CurrentActor
    ) -> ImportReport:
        body = await _csv_body(request)
        return await imports.import_stock(transactions, actor, body)


__all__ = ["ControlledController", "CountController", "ImportController"]
