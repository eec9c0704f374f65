"""Locations (a tree), suppliers, and the location labels the service prints."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, MediaType, Response, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.api.auth import requires
from inventory_svc.api.deps import DbSession, ReadSession
from inventory_svc.api.schemas import LocationIn, LocationOut, SupplierIn, SupplierOut
from inventory_svc.db import catalog as catalog_db
from inventory_svc.domain.errors import UnknownLocation
from inventory_svc.domain.roles import Permission
from inventory_svc.integrations import labels
from inventory_svc.services import catalog

LocationCode = Annotated[str, PathParameter(description="The location's code, e.g. MAIN-A1.")]


class LocationController(Controller):
    path = "/locations"
    tags = ["locations"]

    @post("/", guards=[requires(Permission.MANAGE)], summary="Create a location")
    async def create(self, data: JSONBody[LocationIn], db: DbSession) -> LocationOut:
        location = await catalog.create_location(db, data.code, data.name, data.kind, data.parent)
        await db.commit()
        return LocationOut(
            location.id, location.code, location.name, location.kind, data.parent, False
        )

    @get("/", guards=[requires(Permission.READ)], summary="List locations, virtual ones last")
    async def list_all(
        self,
        reader: ReadSession,
        kind: Annotated[
            str | None,
            QueryParameter(description="Only locations of this kind, e.g. shelf or crash_cart."),
        ] = None,
    ) -> list[LocationOut]:
        return [
            LocationOut(loc.id, loc.code, loc.name, loc.kind, parent, loc.is_virtual)
            for loc, parent in await catalog.list_locations(reader, kind)
        ]

    @get(
        "/{code:str}/label.svg",
        guards=[requires(Permission.READ)],
        media_type="image/svg+xml",
        summary="Code128 shelf label LOC:<code> as SVG",
    )
    async def label_svg(self, code: LocationCode, reader: ReadSession) -> Response[bytes]:
        name = await _location_name(reader, code)
        return Response(labels.label_svg(f"LOC:{code}", name), media_type="image/svg+xml")

    @get(
        "/{code:str}/label.png",
        guards=[requires(Permission.READ)],
        media_type="image/png",
        summary="Code128 shelf label LOC:<code> as PNG",
    )
    async def label_png(self, code: LocationCode, reader: ReadSession) -> Response[bytes]:
        name = await _location_name(reader, code)
        return Response(labels.label_png(f"LOC:{code}", name), media_type="image/png")


async def _location_name(db: AsyncSession, code: str) -> str:
    location = await catalog_db.location_by_code(db, code)
    if location is None or location.is_virtual:
        raise UnknownLocation(f"No location has the code {code!r}.")
    return location.name


class SupplierController(Controller):
    path = "/suppliers"
    tags = ["suppliers"]

    @post("/", guards=[requires(Permission.MANAGE)], summary="Create a supplier")
    async def create(self, data: JSONBody[SupplierIn], db: DbSession) -> SupplierOut:
        supplier = await catalog.create_supplier(db, data.code, data.name, data.account_number)
        await db.commit()
        return SupplierOut(supplier.id, supplier.code, supplier.name, supplier.account_number)

    @get(
        "/", guards=[requires(Permission.READ)], summary="List suppliers", media_type=MediaType.JSON
    )
    async def list_all(self, reader: ReadSession) -> list[SupplierOut]:
        return [
            SupplierOut(s.id, s.code, s.name, s.account_number)
            for s in await catalog.list_suppliers(reader)
        ]
