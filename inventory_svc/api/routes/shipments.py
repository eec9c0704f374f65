"""A purchase order's shipment notices (ASN) and receipts (JSON, FHIR SupplyDelivery, CSV)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, QueryParameter

from inventory_svc.api.auth import requires
from inventory_svc.api.deps import CurrentActor, ReadSession, Writes
from inventory_svc.api.idempotency import IdempotencyKey, idempotent_response
from inventory_svc.api.negotiation import CSV, also_answers, negotiate, render
from inventory_svc.api.openapi import READ_ONE_PROBLEMS, problems
from inventory_svc.api.params import After
from inventory_svc.api.routes.reorders import PoNumber
from inventory_svc.api.schemas import text
from inventory_svc.domain import limits
from inventory_svc.domain.roles import Permission
from inventory_svc.domain.shipments import NoticeLine, ReceiptOut, ShipmentOut
from inventory_svc.integrations import csv_io, fhir
from inventory_svc.services import purchasing, shipments
from inventory_svc.services.idempotency import run_idempotent

Serial = Annotated[str, text(limits.SERIAL)]


class ShipmentLineIn(msgspec.Struct, forbid_unknown_fields=True):
    """One lot of one GTIN, in base units (DESIGN §4.1), as an X12 856 or a wholesaler's
    JSON carries it: the item (LIN), lot and expiry, quantity (SN1), serials, case SSCC."""

    gtin: Annotated[str, text(limits.GTIN_TEXT)]
    lot: Annotated[str, text(limits.LOT_NUMBER)]
    expiry: date | None
    quantity: Annotated[int, msgspec.Meta(**limits.SHIPPED_QUANTITY.constraints)]
    serials: (
        Annotated[list[Serial], msgspec.Meta(max_length=limits.MAX_SERIALS_PER_SHIPMENT_LINE)]
        | None
    ) = None
    sscc: Annotated[str, text(limits.SSCC)] | None = None


class ShipmentIn(msgspec.Struct, forbid_unknown_fields=True):
    lines: Annotated[
        list[ShipmentLineIn], msgspec.Meta(min_length=1, max_length=limits.MAX_SHIPMENT_LINES)
    ]
    reference: Annotated[str, text(limits.SHIPMENT_REFERENCE)] | None = None


class ShipmentController(Controller):
    path = "/purchase-orders/{number:str}"
    tags = ["purchase orders"]

    @post(
        "/shipments",
        guards=[requires(Permission.ACKNOWLEDGE)],
        summary="The supplier's shipment notice (ASN)",
        operation_id="createShipment",
        status_code=201,
        responses=problems(
            400,
            401,
            403,
            404,
            409,
            422,
            503,
            s409=(
                "invalid_transition: the PO is draft, cancelled or received; idempotency_key_reused"
            ),
            s422="bad_barcode: a GTIN or SSCC with a wrong check digit",
        ),
        description=(
            "`{lines: [{gtin, lot, expiry, quantity, serials?, sscc?}], reference?}`: what the "
            "supplier says is on its way, quantities in base units. Receiving scans naming "
            "the PO are checked against its notices (`lot_not_shipped`, `expiry_conflict`, "
            "`over_shipment`, `duplicate_sscc` warnings). A GTIN that is not on the order is "
            "kept with a `not_on_order` warning (on the answer and the PO), not refused. "
            "Honours `Idempotency-Key`."
        ),
    )
    async def create(
        self,
        number: PoNumber,
        data: JSONBody[ShipmentIn],
        transactions: Writes,
        actor: CurrentActor,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ShipmentOut]:
        notice = shipments.ShipmentInput(
            reference=data.reference,
            lines=[
                NoticeLine(
                    gtin=line.gtin,
                    lot=line.lot,
                    expiry=line.expiry,
                    quantity=line.quantity,
                    serials=tuple(line.serials or ()),
                    sscc=line.sscc,
                )
                for line in data.lines
            ],
        )
        answer = await run_idempotent(
            transactions,
            actor,
            idempotency_key,
            "createShipment",
            [number, data],
            201,
            shipments.post_shipment,
            number,
            notice,
        )
        return idempotent_response(answer)

    @get(
        "/shipments",
        guards=[requires(Permission.READ)],
        summary="A purchase order's shipment notices, oldest first",
        operation_id="listShipments",
        responses=READ_ONE_PROBLEMS,
    )
    async def list_all(
        self,
        number: PoNumber,
        reader: ReadSession,
        after: After = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="Page size.")] = 200,
    ) -> list[ShipmentOut]:
        return await shipments.list_shipments(reader, number, after=after, limit=limit)

    @get(
        "/receipts",
        guards=[requires(Permission.READ)],
        summary="What arrived against a purchase order (JSON, FHIR SupplyDelivery, CSV)",
        operation_id="listPurchaseOrderReceipts",
        responses=problems(400, 401, 403, 404, 406, 503),
        operation_class=also_answers(fhir.FHIR_JSON, CSV),
        description=(
            "Each `receive` movement naming the PO, oldest first. `Accept: "
            "application/fhir+json` answers a FHIR R5 Bundle of SupplyDelivery (lot and "
            "expiry in a contained Medication), `Accept: text/csv` a CSV (columns in the "
            "README); an Accept allowing none of JSON, FHIR and CSV is `406 not_acceptable`."
        ),
    )
    async def receipts(
        self,
        number: PoNumber,
        reader: ReadSession,
        state: State,
        request: Request[Any, Any, Any],
        after: After = None,
        limit: Annotated[int, QueryParameter(ge=1, le=5000, description="Page size.")] = 1000,
    ) -> Response[list[ReceiptOut]]:
        media_type = negotiate(request, (fhir.FHIR_JSON, CSV))
        found = await shipments.receipts(reader, number, after=after, limit=limit)
        if media_type == CSV:
            content: Any = csv_io.receipts_csv(found)
            return Response(content, media_type=f"{CSV}; charset=utf-8")
        if media_type == fhir.FHIR_JSON:
            order = await purchasing.get_purchase_order(reader, number)
            items = await shipments.items_of(reader, [r.item.id for r in found])
            content = await render(
                fhir.supply_delivery_bundle, number, order.supplier, found, items, state.clock.now()
            )
            return Response(content, media_type=fhir.FHIR_JSON)
        return Response(found)
