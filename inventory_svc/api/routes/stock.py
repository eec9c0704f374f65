"""Stock on hand and the movement ledger."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.params import QueryParameter

from inventory_svc.api.auth import requires
from inventory_svc.api.deps import ReadSession
from inventory_svc.api.negotiation import also_answers, negotiate, render
from inventory_svc.api.openapi import READ_PROBLEMS, problems
from inventory_svc.api.params import After, AfterId, Since, resume_after, text_filter
from inventory_svc.api.schemas import (
    MAX_ID,
    MAX_OFFSET,
    MovementOut,
    StockRow,
)
from inventory_svc.domain import limits
from inventory_svc.domain.roles import Permission
from inventory_svc.integrations import fhir
from inventory_svc.services import reports, shipments


class StockController(Controller):
    path = "/"
    tags = ["stock"]
    guards = [requires(Permission.READ)]

    @get(
        "/stock",
        summary="On-hand stock by item, location and lot",
        operation_id="listStock",
        responses=problems(400, 401, 403, 406, 503),
        operation_class=also_answers(fhir.FHIR_JSON),
        description=(
            "`Accept: application/fhir+json` answers the same rows as a FHIR R5 "
            "InventoryReport (a snapshot: one listing per location, one item per lot with "
            "GTIN/NDC codings and a contained Medication carrying lot and expiry)."
        ),
    )
    async def stock(
        self,
        reader: ReadSession,
        state: State,
        request: Request[Any, Any, Any],
        location: Annotated[
            str | None,
            text_filter(limits.LOCATION_REF, "Only stock at the location with this code."),
        ] = None,
        item: Annotated[
            int | None, QueryParameter(ge=1, le=MAX_ID, description="Only this item id.")
        ] = None,
        gtin: Annotated[
            str | None,
            text_filter(
                limits.IDENTIFIER, "Only the item with this GTIN (GTIN-14, or UPC/EAN digits)."
            ),
        ] = None,
        include_sublocations: Annotated[
            bool,
            QueryParameter(description="With `location`: also the locations below it in the tree."),
        ] = False,
        expiring_within_days: Annotated[
            int | None,
            QueryParameter(
                ge=0,
                le=3650,
                description="Only lots expiring within this many days (expired ones included).",
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=10000, description="Page size.")] = 1000,
        offset: Annotated[
            int, QueryParameter(ge=0, le=MAX_OFFSET, description="Rows to skip.")
        ] = 0,
    ) -> Response[list[StockRow]]:
        media_type = negotiate(request, (fhir.FHIR_JSON,))
        rows = await reports.stock(
            reader,
            today=state.clock.today(),
            location=location,
            item=item,
            gtin=gtin,
            include_sublocations=include_sublocations,
            expiring_within_days=expiring_within_days,
            limit=limit,
            offset=offset,
        )
        if media_type == fhir.FHIR_JSON:
            items = await shipments.items_of(reader, [row.item.id for row in rows])
            content: Any = await render(
                fhir.inventory_report, location, rows, items, state.clock.now()
            )
            return Response(content, media_type=fhir.FHIR_JSON)
        return Response(rows)

    @get(
        "/movements",
        summary="The append-only ledger, oldest first",
        operation_id="listMovements",
        responses=READ_PROBLEMS,
    )
    async def movements(
        self,
        reader: ReadSession,
        item: Annotated[
            int | None, QueryParameter(ge=1, le=MAX_ID, description="Only this item id.")
        ] = None,
        location: Annotated[
            str | None,
            text_filter(
                limits.LOCATION_REF, "Only movements from or to the location with this code."
            ),
        ] = None,
        lot: Annotated[
            str | None,
            text_filter(limits.LOT_NUMBER, "Only this lot number ('' for stock without lot)."),
        ] = None,
        since: Since = None,
        after: After = None,
        after_id: AfterId = None,
        limit: Annotated[int, QueryParameter(ge=1, le=5000, description="Page size.")] = 200,
    ) -> list[MovementOut]:
        return await reports.movements(
            reader,
            item=item,
            location=location,
            lot=lot,
            since=since,
            after_id=resume_after(after, after_id),
            limit=limit,
        )
