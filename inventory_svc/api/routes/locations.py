"""Locations (a tree), suppliers, and the location labels the service prints."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, MediaType, Response, get, post
from litestar.params import JSONBody, PathParameter

from inventory_svc.api.auth import requires
from inventory_svc.api.deps import CurrentActor, ReadSession, Writes
from inventory_svc.api.openapi import LABEL_PROBLEMS, READ_PROBLEMS, WRITE_PROBLEMS
from inventory_svc.api.params import text_filter
from inventory_svc.api.schemas import LocationIn, LocationOut, SupplierIn, SupplierOut
from inventory_svc.domain import limits
from inventory_svc.domain.roles import Permission
from inventory_svc.integrations import labels
from inventory_svc.services import catalog

LocationCode = Annotated[str, PathParameter(description="The location's code, e.g. MAIN-A1.")]


class LocationController(Controller):
    path = "/locations"
    tags = ["locations"]

    @post(
        "/",
        guards=[requires(Permission.MANAGE)],
        summary="Create a location",
        operation_id="createLocation",
        responses=WRITE_PROBLEMS,
    )
    async def create(
        self, data: JSONBody[LocationIn], transactions: Writes, actor: CurrentActor
    ) -> LocationOut:
        return await transactions.run(
            actor, catalog.create_location, data.code, data.name, data.kind, data.parent
        )

    @get(
        "/",
        guards=[requires(Permission.READ)],
        summary="List locations, virtual ones last",
        operation_id="listLocations",
        responses=READ_PROBLEMS,
    )
    async def list_all(
        self,
        reader: ReadSession,
        kind: Annotated[
            str | None,
            text_filter(
                limits.LOCATION_KIND, "Only locations of this kind, e.g. shelf or crash_cart."
            ),
        ] = None,
    ) -> list[LocationOut]:
        return await catalog.list_locations(reader, kind)

    @get(
        "/{code:str}/label.svg",
        guards=[requires(Permission.READ)],
        media_type="image/svg+xml",
        summary="Code128 shelf label LOC:<code> as SVG",
        operation_id="getLocationLabelSvg",
        responses=LABEL_PROBLEMS,
    )
    async def label_svg(self, code: LocationCode, reader: ReadSession) -> Response[bytes]:
        name = await catalog.label_caption(reader, code)
        return Response(labels.label_svg(f"LOC:{code}", name), media_type="image/svg+xml")

    @get(
        "/{code:str}/label.png",
        guards=[requires(Permission.READ)],
        media_type="image/png",
        summary="Code128 shelf label LOC:<code> as PNG",
        operation_id="getLocationLabelPng",
        responses=LABEL_PROBLEMS,
    )
    async def label_png(self, code: LocationCode, reader: ReadSession) -> Response[bytes]:
        name = await catalog.label_caption(reader, code)
        return Response(labels.label_png(f"LOC:{code}", name), media_type="image/png")


class SupplierController(Controller):
    path = "/suppliers"
    tags = ["suppliers"]

    @post(
        "/",
        guards=[requires(Permission.MANAGE)],
        summary="Create a supplier",
        operation_id="createSupplier",
        responses=WRITE_PROBLEMS,
    )
    async def create(
        self, data: JSONBody[SupplierIn], transactions: Writes, actor: CurrentActor
    ) -> SupplierOut:
        return await transactions.run(
            actor, catalog.create_supplier, data.code, data.name, data.account_number
        )

    @get(
        "/",
        guards=[requires(Permission.READ)],
        summary="List suppliers",
        operation_id="listSuppliers",
        responses=READ_PROBLEMS,
        media_type=MediaType.JSON,
    )
    async def list_all(self, reader: ReadSession) -> list[SupplierOut]:
        return await catalog.list_suppliers(reader)
