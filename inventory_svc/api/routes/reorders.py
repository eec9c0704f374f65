"""Reorders: supplier items, par levels, the reorder list, purchase orders, pick lists."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, patch, post, put
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import JSONBody, PathParameter, QueryParameter

from inventory_svc.api.auth import requires
from inventory_svc.api.deps import CurrentActor, ReadSession, Writes
from inventory_svc.api.idempotency import IdempotencyKey, idempotent_response
from inventory_svc.api.inputs import StrictJsonRequest
from inventory_svc.api.negotiation import CSV, JSON, also_answers, negotiate, render
from inventory_svc.api.openapi import READ_ONE_PROBLEMS, READ_PROBLEMS, WRITE_PROBLEMS, problems
from inventory_svc.api.params import After, Since, text_filter
from inventory_svc.api.reorder_schemas import (
    AcknowledgementIn,
    ParLevelIn,
    ParLevelsIn,
    PickListIn,
    PurchaseOrderIn,
    PurchaseOrderPatch,
    SupplierItemIn,
)
from inventory_svc.api.schemas import MAX_ID, MAX_OFFSET
from inventory_svc.domain import limits
from inventory_svc.domain.purchasing import Acknowledgement, PurchaseOrderDetail
from inventory_svc.domain.records import (
    ParLevelOut,
    PickListOut,
    PurchaseOrderOut,
    ReorderLine,
    SupplierItemOut,
    SupplierReturnOut,
)
from inventory_svc.domain.reorder import DEFAULT_USAGE_DAYS
from inventory_svc.domain.roles import Permission
from inventory_svc.domain.vocabulary import PurchaseOrderStatus
from inventory_svc.integrations import csv_io, fhir, pick_sheet
from inventory_svc.services import picking, purchasing, reorders, shipments
from inventory_svc.services.idempotency import run_idempotent
from inventory_svc.services.purchasing import LineInput

ItemFilter = Annotated[
    int | None, QueryParameter(ge=1, le=MAX_ID, description="Only this item id.")
]
Limit = Annotated[int, QueryParameter(ge=1, le=1000, description="Page size.")]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="Rows to skip.")]
PoNumber = Annotated[
    str,
    PathParameter(
        max_length=limits.PO_NUMBER.max_length,
        pattern=limits.TEXT_PATTERN,
        description="The purchase order's number, e.g. PO-000042.",
    ),
]
PO_PROBLEMS = problems(
    400,
    401,
    403,
    404,
    409,
    503,
    s409="invalid_transition: the purchase order's status does not allow this",
)


class SupplierItemController(Controller):
    path = "/supplier-items"
    tags = ["reorders"]

    @put(
        "/",
        guards=[requires(Permission.MANAGE)],
        summary="Set a supplier's terms for an item",
        operation_id="putSupplierItem",
        responses=WRITE_PROBLEMS,
        description=(
            "Creates or replaces the terms of (`supplier`, `item`): pack size (order "
            "multiple, base units), minimum order quantity, lead time in days, unit cost in "
            "integer cents per base unit. `preferred: true` makes the supplier the item's "
            "preferred one (what replenishes a par level without a `source`)."
        ),
    )
    async def put_one(
        self, data: JSONBody[SupplierItemIn], transactions: Writes, actor: CurrentActor
    ) -> SupplierItemOut:
        return await transactions.run(
            actor,
            reorders.put_supplier_item,
            reorders.SupplierItemInput(
                supplier=data.supplier,
                item=data.item,
                supplier_item_code=data.supplier_item_code,
                pack_size=data.pack_size,
                min_order_quantity=data.min_order_quantity,
                lead_time_days=data.lead_time_days,
                unit_cost_cents=data.unit_cost_cents,
                preferred=data.preferred,
            ),
        )

    @get(
        "/",
        guards=[requires(Permission.READ)],
        summary="Supplier items",
        operation_id="listSupplierItems",
        responses=READ_PROBLEMS,
    )
    async def list_all(
        self,
        reader: ReadSession,
        supplier: Annotated[
            str | None, text_filter(limits.SUPPLIER_CODE, "Only this supplier's items.")
        ] = None,
        item: ItemFilter = None,
        limit: Limit = 1000,
        offset: Offset = 0,
    ) -> list[SupplierItemOut]:
        return await reorders.list_supplier_items(
            reader, supplier=supplier, item=item, limit=limit, offset=offset
        )


class ParLevelsRequest(StrictJsonRequest):
    """A `text/csv` body is read as par-level rows (integrations/csv_io.py), then checked
    against the same request type as a JSON body."""

    async def json(self) -> Any:
        if self.content_type[0] != CSV:
            return await super().json()
        rows = csv_io.par_levels_from_csv(await self.body(), limits.MAX_PAR_LEVELS_PER_REQUEST)
        try:
            return msgspec.convert(rows, list[ParLevelIn], strict=True)
        except msgspec.ValidationError as error:
            message, _, where = str(error).partition(" - at `$")
            extra: dict[str, str] = {"message": message, "source": "body"}
            if where:
                extra["key"] = where.rstrip("`")
            raise ValidationException(
                detail=f"Validation failed for {self.method} {self.url.path}", extra=[extra]
            ) from error


class ParLevelController(Controller):
    path = "/par-levels"
    tags = ["reorders"]

    @put(
        "/",
        guards=[requires(Permission.MANAGE)],
        summary="Set par levels (one, a JSON array, or CSV)",
        operation_id="putParLevels",
        responses=WRITE_PROBLEMS,
        request_class=ParLevelsRequest,
        description=(
            "Creates or replaces par levels: one object, an array of them, or (with "
            "`Content-Type: text/csv`) a CSV with the header "
            "`item,location,par,reorder_point,max,source_supplier,source_location` (the last "
            "three optional; empty cells are absent). All or none are stored. Answers the "
            "par levels as stored. `reorder_point <= par <= max`; `source` is `{supplier}` "
            "or `{location}`, absent: the item's preferred supplier."
        ),
    )
    async def put_many(
        self,
        data: JSONBody[ParLevelIn | ParLevelsIn],
        transactions: Writes,
        actor: CurrentActor,
    ) -> list[ParLevelOut]:
        given = data if isinstance(data, list) else [data]
        levels = [
            reorders.ParLevelInput(
                item=level.item,
                location=level.location,
                par=level.par,
                reorder_point=level.reorder_point,
                max=level.max,
                source_supplier=level.source.supplier if level.source else None,
                source_location=level.source.location if level.source else None,
            )
            for level in given
        ]
        return await transactions.run(actor, reorders.put_par_levels, levels)

    @get(
        "/",
        guards=[requires(Permission.READ)],
        summary="Par levels",
        operation_id="listParLevels",
        responses=READ_PROBLEMS,
    )
    async def list_all(
        self,
        reader: ReadSession,
        location: Annotated[
            str | None, text_filter(limits.LOCATION_REF, "Only this location's par levels.")
        ] = None,
        item: ItemFilter = None,
        limit: Limit = 1000,
        offset: Offset = 0,
    ) -> list[ParLevelOut]:
        return await reorders.list_par_levels(
            reader, location=location, item=item, limit=limit, offset=offset
        )


class ReorderListController(Controller):
    path = "/reorder-list"
    tags = ["reorders"]

    @get(
        "/",
        guards=[requires(Permission.READ)],
        summary="What to order or refill: par levels at or below their reorder point",
        operation_id="getReorderList",
        responses=READ_PROBLEMS,
        description=(
            "Lines where usable on hand + on order <= reorder point. `on_hand` is usable "
            "stock at the location and below it: not expired, recalled or in a quarantine "
            "location, and not expiring within the supplier's lead time. `daily_usage` is "
            "what left to @consumed/@waste or to the locations this one refills, over the "
            "last `usage_days` site days (today included). `suggested_quantity` = par - "
            "on_hand - on_order rounded up to the pack size, at least the minimum order. "
            "Money in integer cents. `Accept: text/csv` answers the same list as CSV."
        ),
    )
    async def list_all(
        self,
        reader: ReadSession,
        state: State,
        request: Request[Any, Any, Any],
        location: Annotated[
            str | None,
            text_filter(limits.LOCATION_REF, "Only par levels of the location with this code."),
        ] = None,
        supplier: Annotated[
            str | None,
            text_filter(limits.SUPPLIER_CODE, "Only lines this supplier replenishes."),
        ] = None,
        include_sublocations: Annotated[
            bool,
            QueryParameter(description="With `location`: also the par levels below it."),
        ] = False,
        usage_days: Annotated[
            int,
            QueryParameter(
                ge=limits.USAGE_DAYS.ge,
                le=limits.USAGE_DAYS.le,
                description="The trailing window daily usage is measured over, in days.",
            ),
        ] = DEFAULT_USAGE_DAYS,
    ) -> Response[list[ReorderLine]]:
        lines = await reorders.reorder_list(
            reader,
            state.clock,
            location=location,
            supplier=supplier,
            include_sublocations=include_sublocations,
            usage_days=usage_days,
        )
        if request.accept.best_match([MediaType.JSON.value, CSV]) == CSV:
            text: Any = csv_io.reorder_list_csv(lines)
            return Response(text, media_type=f"{CSV}; charset=utf-8")
        return Response(lines)


def _lines(given: list[Any] | None) -> list[LineInput] | None:
    return None if given is None else [LineInput(line.item, line.ordered) for line in given]


class PurchaseOrderController(Controller):
    path = "/purchase-orders"
    tags = ["purchase orders"]

    @post(
        "/",
        guards=[requires(Permission.MANAGE)],
        summary="Create a draft purchase order",
        operation_id="createPurchaseOrder",
        responses=problems(400, 401, 403, 422, 503),
        description=(
            "`{supplier, location, lines: [{item, ordered}]}`, or `{supplier, "
            "from_reorder_list: {location}}`: the location's reorder-list lines that this "
            "supplier replenishes or that have no supplier yet, at the suggested quantities."
        ),
    )
    async def create(
        self,
        data: JSONBody[PurchaseOrderIn],
        transactions: Writes,
        actor: CurrentActor,
        state: State,
    ) -> PurchaseOrderOut:
        return await transactions.run(
            actor,
            purchasing.create_purchase_order,
            state.clock,
            data.supplier,
            location=data.location,
            lines=_lines(data.lines),
            from_reorder_list=data.from_reorder_list.location if data.from_reorder_list else None,
        )

    @get(
        "/",
        guards=[requires(Permission.READ)],
        summary="Purchase orders, oldest first",
        operation_id="listPurchaseOrders",
        responses=READ_PROBLEMS,
    )
    async def list_all(
        self,
        reader: ReadSession,
        status: Annotated[
            PurchaseOrderStatus | None, QueryParameter(description="Only in this status.")
        ] = None,
        supplier: Annotated[
            str | None, text_filter(limits.SUPPLIER_CODE, "Only this supplier's orders.")
        ] = None,
        location: Annotated[
            str | None, text_filter(limits.LOCATION_REF, "Only orders for this location.")
        ] = None,
        after: After = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="Page size.")] = 200,
    ) -> list[PurchaseOrderOut]:
        return await purchasing.list_purchase_orders(
            reader, status=status, supplier=supplier, location=location, after=after, limit=limit
        )

    @get(
        "/{number:str}",
        guards=[requires(Permission.READ)],
        summary="One purchase order (JSON, FHIR SupplyRequest bundle, CSV)",
        operation_id="getPurchaseOrder",
        responses=problems(400, 401, 403, 404, 406, 503),
        operation_class=also_answers(fhir.FHIR_JSON, CSV),
        description=(
            "`Accept: application/fhir+json` answers a FHIR R5 Bundle with one SupplyRequest "
            "per line (GTIN/NDC codings, the PO number as identifier); `Accept: text/csv` "
            "one CSV row per line (columns in the README); an Accept allowing none of JSON, "
            "FHIR and CSV is `406 not_acceptable`."
        ),
    )
    async def get_one(
        self,
        number: PoNumber,
        reader: ReadSession,
        state: State,
        request: Request[Any, Any, Any],
    ) -> Response[PurchaseOrderDetail]:
        media_type = negotiate(request, (fhir.FHIR_JSON, CSV))
        order = await purchasing.get_purchase_order(reader, number)
        if media_type == JSON:
            return Response(order)
        items = await shipments.items_of(reader, [line.item.id for line in order.lines])
        if media_type == CSV:
            text: Any = csv_io.purchase_order_csv(order, shipments.first_codes(items))
            return Response(text, media_type=f"{CSV}; charset=utf-8")
        content: Any = await render(fhir.supply_request_bundle, order, items, state.clock.now())
        return Response(content, media_type=fhir.FHIR_JSON)

    @patch(
        "/{number:str}",
        guards=[requires(Permission.MANAGE)],
        summary="Edit a draft's lines",
        operation_id="updatePurchaseOrder",
        responses=problems(400, 401, 403, 404, 409, 422, 503),
        description=(
            "`{lines: [{item, ordered}]}`: each sets its item's ordered quantity (a new item "
            "adds a line, `ordered: 0` removes one); lines not named stay. Drafts only."
        ),
    )
    async def edit(
        self,
        number: PoNumber,
        data: JSONBody[PurchaseOrderPatch],
        transactions: Writes,
        actor: CurrentActor,
    ) -> PurchaseOrderOut:
        lines = _lines(data.lines) or []
        return await transactions.run(actor, purchasing.edit_lines, number, lines)

    @post(
        "/{number:str}/submit",
        guards=[requires(Permission.MANAGE)],
        summary="Submit a draft to the supplier",
        operation_id="submitPurchaseOrder",
        responses=PO_PROBLEMS,
        status_code=200,
    )
    async def submit(
        self, number: PoNumber, transactions: Writes, actor: CurrentActor
    ) -> PurchaseOrderOut:
        return await transactions.run(actor, purchasing.submit, number)

    @post(
        "/{number:str}/cancel",
        guards=[requires(Permission.MANAGE)],
        summary="Cancel a purchase order (draft, submitted or acknowledged)",
        operation_id="cancelPurchaseOrder",
        responses=PO_PROBLEMS,
        status_code=200,
    )
    async def cancel(
        self, number: PoNumber, transactions: Writes, actor: CurrentActor
    ) -> PurchaseOrderOut:
        return await transactions.run(actor, purchasing.cancel, number)

    @post(
        "/{number:str}/acknowledge",
        guards=[requires(Permission.ACKNOWLEDGE)],
        summary="The supplier's acknowledgement",
        operation_id="acknowledgePurchaseOrder",
        responses=problems(
            400,
            401,
            403,
            404,
            409,
            503,
            s409="invalid_transition: the PO is not submitted; idempotency_key_reused",
        ),
        status_code=200,
        description=(
            "`{supplier_reference, lines?: [{line, confirmed, backordered}]}`; lines not "
            "named are confirmed as ordered. Backordered units still count as on order. "
            "Honours `Idempotency-Key`: a retry answers the first answer again."
        ),
    )
    async def acknowledge(
        self,
        number: PoNumber,
        data: JSONBody[AcknowledgementIn],
        transactions: Writes,
        actor: CurrentActor,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PurchaseOrderOut]:
        lines = [Acknowledgement(a.line, a.confirmed, a.backordered) for a in data.lines or []]
        answer = await run_idempotent(
            transactions,
            actor,
            idempotency_key,
            "acknowledgePurchaseOrder",
            [number, data],
            200,
            purchasing.acknowledge,
            number,
            data.supplier_reference,
            lines,
        )
        return idempotent_response(answer)


class PickListController(Controller):
    path = "/pick-lists"
    tags = ["pick lists"]

    @post(
        "/",
        guards=[requires(Permission.TRANSFER)],
        summary="Create a refill (pick) list from the reorder list",
        operation_id="createPickList",
        responses=problems(400, 401, 403, 422, 503),
        description=(
            "`{from_reorder_list: {location}}`: the location's reorder-list lines whose par "
            "source is another location, at the suggested quantities, each with FEFO lot "
            "suggestions from that source's shelves and bins (usable stock only), lines in "
            "walking order (by bin)."
        ),
    )
    async def create(
        self,
        data: JSONBody[PickListIn],
        transactions: Writes,
        actor: CurrentActor,
        state: State,
    ) -> PickListOut:
        return await transactions.run(
            actor, picking.create_pick_list, state.clock, data.from_reorder_list.location
        )

    @get(
        "/{pick_list_id:int}",
        guards=[requires(Permission.READ)],
        summary="One pick list with its progress and current suggestions",
        operation_id="getPickList",
        responses=READ_ONE_PROBLEMS,
        description="`Accept: text/html` answers a printable pick sheet (walking order).",
    )
    async def get_one(
        self,
        pick_list_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)],
        reader: ReadSession,
        state: State,
        request: Request[Any, Any, Any],
    ) -> Response[PickListOut]:
        found = await picking.get_pick_list(reader, state.clock, pick_list_id)
        if request.accept.best_match([MediaType.JSON.value, MediaType.HTML.value]) == (
            MediaType.HTML.value
        ):
            page: Any = pick_sheet.pick_sheet_html(found)
            return Response(page, media_type=MediaType.HTML)
        return Response(found)


class SupplierReturnController(Controller):
    path = "/supplier-returns"
    tags = ["purchase orders"]

    @get(
        "/",
        guards=[requires(Permission.READ)],
        summary="Stock sent back to suppliers, for the credit claim",
        operation_id="listSupplierReturns",
        responses=READ_PROBLEMS,
        description=(
            "`return_to_supplier` scans, oldest first, each with its return authorisation "
            "(`reference`) and the supplier it goes back to: the one whose purchase order "
            "received the lot, else the item's preferred supplier."
        ),
    )
    async def list_all(
        self,
        reader: ReadSession,
        supplier: Annotated[
            str | None, text_filter(limits.SUPPLIER_CODE, "Only returns to this supplier.")
        ] = None,
        since: Since = None,
        after: After = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="Page size.")] = 200,
    ) -> list[SupplierReturnOut]:
        return await purchasing.supplier_returns(
            reader, supplier=supplier, since=since, after=after, limit=limit
        )
