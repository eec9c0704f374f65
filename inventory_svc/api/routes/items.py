"""Items and their identifiers."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from inventory_svc.api.auth import requires
from inventory_svc.api.deps import CurrentActor, ReadSession, Writes
from inventory_svc.api.openapi import READ_ONE_PROBLEMS, READ_PROBLEMS, WRITE_PROBLEMS
from inventory_svc.api.params import text_filter
from inventory_svc.api.schemas import MAX_ID, MAX_OFFSET, ItemIn, ItemOut
from inventory_svc.domain import limits
from inventory_svc.domain.roles import Permission
from inventory_svc.services import catalog


class ItemController(Controller):
    path = "/items"
    tags = ["items"]

    @post(
        "/",
        guards=[requires(Permission.MANAGE)],
        summary="Create an item",
        operation_id="createItem",
        responses=WRITE_PROBLEMS,
    )
    async def create(
        self, data: JSONBody[ItemIn], transactions: Writes, actor: CurrentActor
    ) -> ItemOut:
        item = catalog.ItemInput(
            name=data.name,
            identifiers=[
                catalog.IdentifierInput(i.kind, i.value, i.units) for i in data.identifiers
            ],
            strength=data.strength,
            form=data.form,
            base_unit=data.base_unit,
            schedule=data.schedule,
            preferred_supplier=data.preferred_supplier,
        )
        return await transactions.run(actor, catalog.create_item, item)

    @get(
        "/",
        guards=[requires(Permission.READ)],
        summary="Search items by name or barcode",
        operation_id="listItems",
        responses=READ_PROBLEMS,
    )
    async def search(
        self,
        reader: ReadSession,
        q: Annotated[
            str | None,
            text_filter(
                limits.SEARCH,
                "Part of the name (case-insensitive), an identifier as printed or "
                "normalised (GTIN-14, NDC 5-4-2 or as printed, UPC, EAN, internal), or "
                "a scanned barcode such as a GS1 DataMatrix.",
                pattern=limits.NO_NUL_PATTERN,
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="Page size.")] = 100,
        offset: Annotated[
            int, QueryParameter(ge=0, le=MAX_OFFSET, description="Items to skip.")
        ] = 0,
    ) -> list[ItemOut]:
        return await catalog.search_items(reader, q, limit, offset)

    @get(
        "/{item_id:int}",
        guards=[requires(Permission.READ)],
        summary="One item",
        operation_id="getItem",
        responses=READ_ONE_PROBLEMS,
    )
    async def get_one(
        self, item_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)], reader: ReadSession
    ) -> ItemOut:
        return await catalog.get_item(reader, item_id)
