"""Reorder and purchase-order pages: the reorder list per location with 30 days of usage
drawn as sparklines, editable quantities and a purchase order per supplier; refill (pick)
lists; purchase orders with their receiving progress, submit and cancel for managers."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from inventory_svc.api.deps import ReadSession, Writes
from inventory_svc.domain import limits
from inventory_svc.domain.errors import DomainError, NotFound
from inventory_svc.domain.purchasing import ALLOWED, PoAction
from inventory_svc.domain.records import ReorderLine
from inventory_svc.domain.roles import Permission
from inventory_svc.domain.vocabulary import PurchaseOrderStatus
from inventory_svc.integrations import pick_sheet
from inventory_svc.services import picking, purchasing, reorders
from inventory_svc.services.purchasing import LineInput
from inventory_svc.ui import sparkline
from inventory_svc.ui.auth import CurrentUser, require
from inventory_svc.ui.pages_common import PAGE_SIZE, After, one_of, printable_sheet
from inventory_svc.ui.render import page

USAGE_DAYS = 30
QUANTITY_FIELD = "qty-"
"""Form fields `qty-<item id>`: the quantity to order of each line, as edited."""

LocationFilter = Annotated[
    str | None,
    QueryParameter(
        max_length=limits.LOCATION_REF.max_length,
        pattern=r"^(@?[A-Za-z0-9._-]+)?$",
        required=False,
        description="Only this location's reorder list (empty: every location).",
    ),
]
PoNumber = Annotated[
    str, PathParameter(max_length=limits.PO_NUMBER.max_length, pattern=limits.TEXT_PATTERN)
]


def _groups(lines: list[ReorderLine]) -> list[tuple[str, list[tuple[str | None, list[Any]]]]]:
    """Lines per location, then per supplier (a purchase order each) or internal source
    (a refill list each): what one form orders."""
    by_place: dict[str, dict[str | None, list[ReorderLine]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for line in lines:
        key = line.supplier if line.source_location is None else f"@{line.source_location}"
        by_place[line.location][key].append(line)
    return [
        (place, sorted(groups.items(), key=lambda pair: (pair[0] is None, pair[0] or "")))
        for place, groups in sorted(by_place.items())
    ]


async def _reorder_page(
    ui_user: CurrentUser,
    reader: Any,
    state: State,
    location: str | None,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    try:
        lines = await reorders.reorder_list(reader, state.clock, location=location)
    except NotFound as missing:
        raise NotFoundException(missing.detail) from missing
    usage = await reorders.usage_by_day(reader, state.clock, lines, USAGE_DAYS)
    spark = {
        key: (sparkline.points(values), sparkline.summary(values)) for key, values in usage.items()
    }
    return page(
        "pages/reorder.html",
        ui_user,
        status_code=status_code,
        location=location or "",
        groups=_groups(lines),
        spark=spark,
        width=sparkline.WIDTH,
        height=sparkline.HEIGHT,
        may_order=ui_user.may(Permission.MANAGE),
        may_refill=ui_user.may(Permission.TRANSFER),
        error=error,
        max_quantity=limits.ORDER_QUANTITY.le,
        usage_days=USAGE_DAYS,
    )


def _ordered_lines(form: Any) -> list[LineInput]:
    """The edited quantities: whole numbers in range; a zero leaves the line out."""
    lines = []
    for name, value in form.items():
        if not name.startswith(QUANTITY_FIELD):
            continue
        item, raw = name[len(QUANTITY_FIELD) :], str(value).strip()
        if not (item.isdigit() and limits.REFERENCE_ID.allows(int(item))):
            raise ValueError(f"Unknown line {item[:20]!r}.")
        if not raw.isdigit() or not limits.ORDER_QUANTITY.allows(int(raw)):
            raise ValueError(
                f"Quantities are whole numbers from 0 to {limits.ORDER_QUANTITY.le}: "
                f"got {raw[:20]!r}."
            )
        if int(raw) > 0:
            lines.append(LineInput(int(item), int(raw)))
    if not lines:
        raise ValueError("Nothing to order: every quantity is 0.")
    return lines


def _form_text(form: Any, name: str, limit: limits.Text) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not limit.allows(value):
        raise ValueError(f"The form's {name} is missing or not valid.")
    return value


class ReorderPages(Controller):
    path = "/reorder"

    @get("/", name="ui_reorder")
    async def reorder_list(
        self,
        ui_user: CurrentUser,
        reader: ReadSession,
        state: State,
        location: LocationFilter = None,
    ) -> Template:
        return await _reorder_page(ui_user, reader, state, location or None)

    @post("/purchase-orders", name="ui_reorder_order", status_code=303)
    async def order(
        self,
        ui_user: CurrentUser,
        request: Request[Any, Any, Any],
        reader: ReadSession,
        transactions: Writes,
        state: State,
    ) -> Redirect | Template:
        """One supplier's lines of one location's list, at the quantities as edited."""
        require(ui_user, Permission.MANAGE)
        form = await request.form()
        try:
            location = _form_text(form, "location", limits.LOCATION_REF)
            supplier = _form_text(form, "supplier", limits.SUPPLIER_CODE)
            lines = _ordered_lines(form)
        except ValueError as bad:
            return await _reorder_page(
                ui_user, reader, state, None, error=str(bad), status_code=400
            )
        try:
            order = await transactions.run(
                ui_user.actor,
                purchasing.create_purchase_order,
                state.clock,
                supplier,
                location=location,
                lines=lines,
            )
        except DomainError as refused:
            return await _reorder_page(
                ui_user, reader, state, None, error=refused.detail, status_code=refused.status
            )
        return Redirect(f"/ui/purchase-orders/{order.number}", status_code=303)

    @post("/pick-lists", name="ui_reorder_refill", status_code=303)
    async def refill(
        self,
        ui_user: CurrentUser,
        request: Request[Any, Any, Any],
        reader: ReadSession,
        transactions: Writes,
        state: State,
    ) -> Redirect | Template:
        """A refill list for a location's lines that another location supplies."""
        require(ui_user, Permission.TRANSFER)
        form = await request.form()
        try:
            location = _form_text(form, "location", limits.LOCATION_REF)
            pick_list = await transactions.run(
                ui_user.actor, picking.create_pick_list, state.clock, location
            )
        except ValueError as bad:
            return await _reorder_page(
                ui_user, reader, state, None, error=str(bad), status_code=400
            )
        except DomainError as refused:
            return await _reorder_page(
                ui_user, reader, state, None, error=refused.detail, status_code=refused.status
            )
        return Redirect(f"/ui/pick-lists/{pick_list.id}", status_code=303)


class PickListPages(Controller):
    path = "/pick-lists"

    @get("/{pick_list_id:int}", name="ui_pick_list", media_type=MediaType.HTML)
    async def sheet(
        self,
        ui_user: CurrentUser,
        reader: ReadSession,
        state: State,
        pick_list_id: Annotated[int, PathParameter(ge=1, le=limits.REFERENCE_ID.le)],
    ) -> Response[str]:
        """The printable pick sheet, the same the API answers to `Accept: text/html`."""
        try:
            found = await picking.get_pick_list(reader, state.clock, pick_list_id)
        except NotFound as missing:
            raise NotFoundException(missing.detail) from missing
        return printable_sheet(pick_sheet.pick_sheet_html(found))


def _actions(status: PurchaseOrderStatus) -> dict[str, bool]:
    return {
        "submit": status in ALLOWED[PoAction.SUBMIT],
        "cancel": status in ALLOWED[PoAction.CANCEL],
    }


class PurchaseOrderPages(Controller):
    path = "/purchase-orders"

    @get("/", name="ui_purchase_orders")
    async def list_all(
        self,
        ui_user: CurrentUser,
        reader: ReadSession,
        status: Annotated[
            str, one_of([s.value for s in PurchaseOrderStatus], "Only POs in this status.")
        ] = "",
        after: After = None,
    ) -> Template:
        orders = await purchasing.list_purchase_orders(
            reader,
            status=PurchaseOrderStatus(status) if status else None,
            after=after,
            limit=PAGE_SIZE,
        )
        return page(
            "pages/purchase_orders.html",
            ui_user,
            orders=orders,
            status=status,
            statuses=[s.value for s in PurchaseOrderStatus],
            next_after=orders[-1].id if len(orders) == PAGE_SIZE else None,
        )

    async def _detail(
        self,
        ui_user: CurrentUser,
        reader: Any,
        number: str,
        *,
        error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        try:
            order = await purchasing.get_purchase_order(reader, number)
        except NotFound as missing:
            raise NotFoundException(missing.detail) from missing
        return page(
            "pages/purchase_order.html",
            ui_user,
            status_code=status_code,
            order=order,
            actions=_actions(order.status) if ui_user.may(Permission.MANAGE) else {},
            error=error,
        )

    @get("/{number:str}", name="ui_purchase_order")
    async def detail(self, ui_user: CurrentUser, reader: ReadSession, number: PoNumber) -> Template:
        return await self._detail(ui_user, reader, number)

    async def _step(
        self, ui_user: CurrentUser, reader: Any, transactions: Any, number: str, use_case: Any
    ) -> Redirect | Template:
        require(ui_user, Permission.MANAGE)
        try:
            await transactions.run(ui_user.actor, use_case, number)
        except NotFound as missing:
            raise NotFoundException(missing.detail) from missing
        except DomainError as refused:
            return await self._detail(
                ui_user, reader, number, error=refused.detail, status_code=refused.status
            )
        return Redirect(f"/ui/purchase-orders/{number}", status_code=303)

    @post("/{number:str}/submit", name="ui_purchase_order_submit", status_code=303)
    async def submit(
        self, ui_user: CurrentUser, reader: ReadSession, transactions: Writes, number: PoNumber
    ) -> Redirect | Template:
        return await self._step(ui_user, reader, transactions, number, purchasing.submit)

    @post("/{number:str}/cancel", name="ui_purchase_order_cancel", status_code=303)
    async def cancel(
        self, ui_user: CurrentUser, reader: ReadSession, transactions: Writes, number: PoNumber
    ) -> Redirect | Template:
        return await self._step(ui_user, reader, transactions, number, purchasing.cancel)
