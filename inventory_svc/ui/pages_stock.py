"""Stock pages: search by name, identifier, lot, location or a scanned code; an item's and a
location's stock, movements and scan log (rejected scans with their error)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from inventory_svc.api.deps import ReadSession
from inventory_svc.domain import barcodes, limits
from inventory_svc.domain.errors import NotFound, UnknownLocation
from inventory_svc.domain.records import StockRow
from inventory_svc.services import catalog, reports
from inventory_svc.ui.auth import CurrentUser
from inventory_svc.ui.pages_common import SearchText
from inventory_svc.ui.render import page

RESULT_ITEMS = 25
"""Items listed for one search: a search box is for finding, not for browsing everything."""
HISTORY_ROWS = 100
"""Latest movements and scans shown on an item's or a location's page."""
STOCK_ROWS = 2000


def _label_target(text: str) -> str | None:
    """A scanned LOC:/KIT: label (or a location code typed as such) names a place."""
    try:
        barcode = barcodes.interpret(text)
    except barcodes.BadBarcode:
        return None
    if barcode.kind in ("location", "kit") and barcode.label:
        return barcode.label
    return None


class StockPages(Controller):
    path = "/stock"

    @get("/", name="ui_stock")
    async def search(
        self, ui_user: CurrentUser, reader: ReadSession, state: State, q: SearchText = ""
    ) -> Template | Redirect:
        text = q.strip()
        if not text:
            return page("pages/stock.html", ui_user, q="", searched=False)
        place = _label_target(text)
        if place is not None:
            return Redirect(f"/ui/stock/locations/{place}", status_code=303)
        today = state.clock.today()
        try:
            barcode: barcodes.Barcode | None = barcodes.interpret(text)
        except barcodes.BadBarcode:
            barcode = None
        lot = barcode.lot if barcode is not None and barcode.lot else None
        items = await catalog.search_items(reader, text, RESULT_ITEMS, 0)
        held: dict[int, list[StockRow]] = {item.id: [] for item in items}
        if items:
            for row in await reports.stock(
                reader, today=today, items=list(held), lot=lot, limit=STOCK_ROWS
            ):
                held[row.item.id].append(row)
        results = [(item, held[item.id]) for item in items]
        lot_rows = []
        if (barcode is None or barcode.gtin is None) and limits.LOT_NUMBER.allows(text):
            lot_rows = await reports.stock(reader, today=today, lot=text, limit=500)
        needle = text.casefold()
        locations = [
            location
            for location in await catalog.list_locations(reader, None)
            if not location.virtual
            and (needle in location.code.casefold() or needle in location.name.casefold())
        ][:RESULT_ITEMS]
        return page(
            "pages/stock.html",
            ui_user,
            q=text,
            searched=True,
            barcode=barcode,
            lot=lot,
            results=results,
            lot_rows=lot_rows,
            locations=locations,
        )

    @get("/items/{item_id:int}", name="ui_stock_item")
    async def item(
        self,
        ui_user: CurrentUser,
        reader: ReadSession,
        state: State,
        item_id: Annotated[int, PathParameter(ge=1, le=limits.REFERENCE_ID.le)],
    ) -> Template:
        try:
            item = await catalog.get_item(reader, item_id)
        except NotFound as error:
            raise NotFoundException(error.detail) from error
        return page(
            "pages/stock_detail.html",
            ui_user,
            heading=item.name,
            item=item,
            location=None,
            rows=await reports.stock(reader, today=state.clock.today(), item=item_id),
            movements=await reports.movements(
                reader, item=item_id, limit=HISTORY_ROWS, newest_first=True
            ),
            scans=await reports.scans(reader, item=item_id, limit=HISTORY_ROWS, newest_first=True),
        )

    @get("/locations/{code:str}", name="ui_stock_location")
    async def location(
        self,
        ui_user: CurrentUser,
        reader: ReadSession,
        state: State,
        code: Annotated[
            str,
            PathParameter(
                max_length=limits.LOCATION_REF.max_length, pattern=limits.CODE_REF_PATTERN
            ),
        ],
    ) -> Template:
        try:
            rows = await reports.stock(
                reader, today=state.clock.today(), location=code, include_sublocations=True
            )
        except UnknownLocation as error:
            raise NotFoundException(error.detail) from error
        return page(
            "pages/stock_detail.html",
            ui_user,
            heading=code,
            item=None,
            location=code,
            rows=rows,
            movements=await reports.movements(
                reader, location=code, limit=HISTORY_ROWS, newest_first=True
            ),
            scans=await reports.scans(reader, location=code, limit=HISTORY_ROWS, newest_first=True),
        )
