"""CSV in and out: par levels in (`PUT /par-levels` with `Content-Type: text/csv`), the
reorder list, purchase orders and their receipts out (`Accept: text/csv`). Pure text
handling."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from inventory_svc.domain.errors import BadRequest
from inventory_svc.domain.records import PurchaseOrderOut, ReorderLine
from inventory_svc.domain.shipments import ReceiptOut

PAR_LEVEL_COLUMNS = (
    "item",
    "location",
    "par",
    "reorder_point",
    "max",
    "source_supplier",
    "source_location",
)
PAR_LEVEL_REQUIRED = ("item", "location", "par", "reorder_point")
INTEGER_COLUMNS = ("item", "par", "reorder_point", "max")


def par_levels_from_csv(body: bytes, max_rows: int) -> list[dict[str, Any]]:
    """Rows as par-level request objects (`source` nested), numbers as integers; empty
    cells are absent. A header row names the columns (any order; optional ones may be left
    out)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadRequest("The CSV body is not UTF-8.") from error
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = reader.fieldnames or []
        unknown = [name for name in header if name not in PAR_LEVEL_COLUMNS]
        if unknown:
            raise BadRequest(
                f"Unknown CSV column {unknown[0]!r}: the columns are "
                f"{', '.join(PAR_LEVEL_COLUMNS)}."
            )
        if missing := [name for name in PAR_LEVEL_REQUIRED if name not in header]:
            raise BadRequest(f"The CSV header lacks the column {missing[0]!r}.")
        rows: list[dict[str, Any]] = []
        for n, raw in enumerate(reader, start=1):
            if n > max_rows:
                raise BadRequest(f"At most {max_rows} par levels at once.")
            if None in raw:
                raise BadRequest(f"CSV row {n} has more cells than the header.")
            row: dict[str, Any] = {}
            for name, value in raw.items():
                if value is None or value == "":
                    continue
                if name in INTEGER_COLUMNS:
                    if not value.isascii() or not value.isdigit():
                        raise BadRequest(f"CSV row {n}: {name} must be a whole number.")
                    row[name] = int(value)
                elif name == "source_supplier":
                    row.setdefault("source", {})["supplier"] = value
                elif name == "source_location":
                    row.setdefault("source", {})["location"] = value
                else:
                    row[name] = value
            rows.append(row)
    except csv.Error as error:
        raise BadRequest(f"The CSV body cannot be read: {error}.") from error
    return rows


REORDER_COLUMNS = (
    "item_id",
    "item_name",
    "location",
    "on_hand",
    "on_order",
    "reorder_point",
    "par",
    "max",
    "suggested_quantity",
    "daily_usage",
    "days_of_supply",
    "supplier",
    "source_location",
    "supplier_item_code",
    "pack_size",
    "min_order_quantity",
    "lead_time_days",
    "unit_cost_cents",
    "line_cost_cents",
)


def _cell(value: object) -> object:
    """No cell starts a formula in a spreadsheet (names are free text)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


def reorder_list_csv(lines: Sequence[ReorderLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REORDER_COLUMNS)
    for line in lines:
        writer.writerow(
            _cell(v)
            for v in (
                line.item.id,
                line.item.name,
                line.location,
                line.on_hand,
                line.on_order,
                line.reorder_point,
                line.par,
                line.max,
                line.suggested_quantity,
                line.daily_usage,
                line.days_of_supply,
                line.supplier,
                line.source_location,
                line.supplier_item_code,
                line.pack_size,
                line.min_order_quantity,
                line.lead_time_days,
                line.unit_cost_cents,
                line.line_cost_cents,
            )
        )
    return out.getvalue()


# Purchase orders and their receipts out (`Accept: text/csv`), one row per PO line / receipt;
# the README lists the columns. GTIN and NDC are the item's first of each.
PURCHASE_ORDER_COLUMNS = (
    "number",
    "status",
    "supplier",
    "location",
    "supplier_reference",
    "line",
    "item_id",
    "item_name",
    "gtin",
    "ndc",
    "ordered",
    "confirmed",
    "backordered",
    "received",
    "outstanding",
    "supplier_item_code",
    "unit_cost_cents",
)
RECEIPT_COLUMNS = (
    "purchase_order",
    "movement",
    "scan",
    "occurred_at",
    "item_id",
    "item_name",
    "gtin",
    "ndc",
    "lot",
    "expiry",
    "quantity",
    "location",
    "actor",
)


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(_cell(v) for v in row)
    return out.getvalue()


def purchase_order_csv(
    order: PurchaseOrderOut, codes: Mapping[int, tuple[str | None, str | None]]
) -> str:
    """`codes`: item id -> (GTIN, NDC)."""
    return _csv(
        PURCHASE_ORDER_COLUMNS,
        (
            (
                order.number,
                order.status.value,
                order.supplier,
                order.location,
                order.supplier_reference,
                line.line,
                line.item.id,
                line.item.name,
                *codes.get(line.item.id, (None, None)),
                line.ordered,
                line.confirmed,
                line.backordered,
                line.received,
                line.outstanding,
                line.supplier_item_code,
                line.unit_cost_cents,
            )
            for line in order.lines
        ),
    )


def receipts_csv(receipts: Sequence[ReceiptOut]) -> str:
    return _csv(
        RECEIPT_COLUMNS,
        (
            (
                r.purchase_order,
                r.movement,
                r.scan,
                r.occurred_at.isoformat(),
                r.item.id,
                r.item.name,
                r.gtin,
                r.ndc,
                r.lot,
                r.expiry.isoformat() if r.expiry else None,
                r.quantity,
                r.location,
                r.actor,
            )
            for r in receipts
        ),
    )
