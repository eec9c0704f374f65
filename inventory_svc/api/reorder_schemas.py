"""Request bodies of the reorder routes: supplier items, par levels, purchase orders. Their
limits come from domain/limits like every other request field."""

from __future__ import annotations

from typing import Annotated

import msgspec

from inventory_svc.api.schemas import MAX_ID, LocationRef, SupplierCode, text
from inventory_svc.domain import limits

ItemId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID, description="The item's id.")]
ParQuantity = Annotated[int, msgspec.Meta(**limits.PAR_QUANTITY.constraints)]
OrderQuantity = Annotated[int, msgspec.Meta(**limits.ORDER_QUANTITY.constraints)]
LineNumber = Annotated[int, msgspec.Meta(ge=1, le=limits.INT32.le)]


class SupplierItemIn(msgspec.Struct, forbid_unknown_fields=True):
    supplier: SupplierCode
    item: ItemId
    supplier_item_code: Annotated[str, text(limits.SUPPLIER_ITEM_CODE)] | None = None
    pack_size: Annotated[int, msgspec.Meta(**limits.PACK_SIZE.constraints)] = 1
    min_order_quantity: Annotated[int, msgspec.Meta(**limits.MIN_ORDER_QUANTITY.constraints)] = 1
    lead_time_days: Annotated[int, msgspec.Meta(**limits.LEAD_TIME_DAYS.constraints)] = 0
    unit_cost_cents: Annotated[int, msgspec.Meta(**limits.COST_CENTS.constraints)] | None = None
    preferred: bool | None = None


class ParSourceIn(msgspec.Struct, forbid_unknown_fields=True):
    """`{supplier: CODE}` (purchase orders) or `{location: CODE}` (refills by transfer)."""

    supplier: SupplierCode | None = None
    location: LocationRef | None = None


class ParLevelIn(msgspec.Struct, forbid_unknown_fields=True):
    item: ItemId
    location: LocationRef
    par: ParQuantity
    reorder_point: ParQuantity
    max: ParQuantity | None = None
    source: ParSourceIn | None = None


ParLevelsIn = Annotated[
    list[ParLevelIn], msgspec.Meta(max_length=limits.MAX_PAR_LEVELS_PER_REQUEST)
]


class PoLineIn(msgspec.Struct, forbid_unknown_fields=True):
    item: ItemId
    ordered: Annotated[int, msgspec.Meta(ge=1, le=limits.ORDER_QUANTITY.le)]


class PoLineEdit(msgspec.Struct, forbid_unknown_fields=True):
    """`ordered: 0` removes the item's line."""

    item: ItemId
    ordered: OrderQuantity


class FromReorderList(msgspec.Struct, forbid_unknown_fields=True):
    location: LocationRef


class PurchaseOrderIn(msgspec.Struct, forbid_unknown_fields=True):
    """`{supplier, location, lines}` or `{supplier, from_reorder_list: {location}}`."""

    supplier: SupplierCode
    location: LocationRef | None = None
    lines: Annotated[list[PoLineIn], msgspec.Meta(max_length=limits.MAX_PO_LINES)] | None = None
    from_reorder_list: FromReorderList | None = None


class PurchaseOrderPatch(msgspec.Struct, forbid_unknown_fields=True):
    lines: Annotated[list[PoLineEdit], msgspec.Meta(max_length=limits.MAX_PO_LINES)]


class AcknowledgedLine(msgspec.Struct, forbid_unknown_fields=True):
    line: LineNumber
    confirmed: OrderQuantity
    backordered: OrderQuantity = 0


class AcknowledgementIn(msgspec.Struct, forbid_unknown_fields=True):
    supplier_reference: Annotated[str, text(limits.SUPPLIER_REFERENCE)]
    lines: (
        Annotated[list[AcknowledgedLine], msgspec.Meta(max_length=limits.MAX_PO_LINES)] | None
    ) = None


class PickListIn(msgspec.Struct, forbid_unknown_fields=True):
    """`{from_reorder_list: {location}}`: the location's lines refilled from another one."""

    from_reorder_list: FromReorderList
