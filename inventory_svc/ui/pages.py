"""The UI's pages beyond the dashboard and admin, one module per area: stock, reorder and
purchase orders, kits (with the live restock view), recalls, counts, events, labels."""

from __future__ import annotations

from typing import Any

from inventory_svc.ui.pages_audit import CountPages, EventPages, RecallPages
from inventory_svc.ui.pages_common import sheet_css
from inventory_svc.ui.pages_kits import KitPages
from inventory_svc.ui.pages_labels import LabelPages
from inventory_svc.ui.pages_orders import PickListPages, PurchaseOrderPages, ReorderPages
from inventory_svc.ui.pages_stock import StockPages

PAGE_HANDLERS: list[Any] = [
    StockPages,
    ReorderPages,
    PickListPages,
    PurchaseOrderPages,
    KitPages,
    RecallPages,
    CountPages,
    EventPages,
    LabelPages,
    sheet_css,
]
