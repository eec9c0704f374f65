"""Items and their identifiers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from inventory_svc.api.auth import requires
from inventory_svc.api.deps import DbSession, ReadSession
from inventory_svc.api.schemas import MAX_ID, MAX_OFFSET, IdentifierOut, ItemIn, ItemOut
from inventory_svc.db.models import Item, ItemIdentifier
from inventory_svc.domain.roles import Permission
from inventory_svc.services import catalog


def item_out(item: Item, identifiers: Sequence[ItemIdentifier]) -> ItemOut:
    return ItemOut(
        id=item.id,
        name=item.name,
        strength=item.strength,
        form=item.form,
        base_unit=item.base_unit,
        schedule=item.schedule,
        identifiers=[IdentifierOut(i.kind, i.value, i.printed, i.units) for i in identifiers],
    )


class ItemController(Controller):
    path = "/items"
    tags = ["items"]

    @post("/", guards=[requires(Permission.MANAGE)], summary="Create an item")
    async def create(self, data: JSONBody[ItemIn], db: DbSession) -> ItemOut:
        item, identifiers = await catalog.create_item(
            db,
            catalog.ItemInput(
                name=data.name,
                identifiers=[
                    catalog.IdentifierInput(i.kind, i.value, i.units) for i in data.identifiers
                ],
                strength=data.strength,
                form=data.form,
                base_unit=data.base_unit,
                schedule=data.schedule,
                preferred_supplier=data.preferred_supplier,
            ),
        )
        await db.commit()
        return item_out(item, identifiers)

    @get("/", guards=[requires(Permission.READ)], summary="Search items by name or barcode")
    async def search(
        self,
        reader: ReadSession,
        q: Annotated[
            str | None,
            QueryParameter(
                description=(
                    "Part of the name (case-insensitive), an identifier as printed or "
                    "normalised (GTIN-14, NDC 5-4-2 or as printed, UPC, EAN, internal), or "
                    "a scanned barcode such as a GS1 DataMatrix."
                )
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="Page size.")] = 100,
        offset: Annotated[
            int, QueryParameter(ge=0, le=MAX_OFFSET, description="Items to skip.")
        ] = 0,
    ) -> list[ItemOut]:
        return [item_out(i, ids) for i, ids in await catalog.search_items(reader, q, limit, offset)]

    @get("/{item_id:int}", guards=[requires(Permission.READ)], summary="One item")
    async def get_one(
        self, item_id: Annotated[int, PathParameter(ge=1, le=MAX_ID)], reader: ReadSession
    ) -> ItemOut:
        return item_out(*await catalog.get_item(reader, item_id))
