"""Go-live CSV files: the columns, and each row read into a typed row or refused with why.

Pure Python (no I/O): the services look the rows up and book them. Column names are
case-insensitive; unknown columns are ignored; empty cells are absent.

Items (the wholesaler's item master), one item per row:
`name` (required), `strength`, `form`, `base_unit` (default `each`), `ndc` (as printed, any
10/11-digit layout), `gtins` (`GTIN` or `GTIN:units`, several separated by `;`, e.g.
`00304094921341;50304094921346:25`), `schedule` (`CII`..`CV`, empty when not controlled),
`preferred_supplier` (a supplier code). A row needs an NDC or a GTIN: that is how a second
import finds the item again.

Opening stock, one lot at one location per row:
`location` (required), `gtin` or `ndc` (required, one of them), `lot` (empty: none),
`expiry` (`YYYY-MM-DD`, empty: none), `quantity` (base units, >= 0: the balance to set).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from inventory_svc.domain import barcodes, limits
from inventory_svc.domain.errors import BadRequest
from inventory_svc.domain.ledger import MAX_BASE_UNITS_PER_SCAN, is_virtual_code
from inventory_svc.domain.vocabulary import IdentifierKind, Schedule

ITEM_COLUMNS = (
    "name",
    "strength",
    "form",
    "base_unit",
    "ndc",
    "gtins",
    "schedule",
    "preferred_supplier",
)
ITEM_REQUIRED = ("name",)
STOCK_COLUMNS = ("location", "gtin", "ndc", "lot", "expiry", "quantity")
STOCK_REQUIRED = ("location", "quantity")


class RowRefused(Exception):
    """A row that cannot be loaded: `code` and `detail` go into the import's report."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Identifier:
    kind: str
    value: str
    """Normalised: GTIN-14, or NDC 11 digits."""
    printed: str
    units: int = 1


@dataclass(frozen=True, slots=True)
class ItemRow:
    line: int
    name: str
    strength: str | None
    form: str | None
    base_unit: str
    schedule: str | None
    preferred_supplier: str | None
    identifiers: tuple[Identifier, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class StockRow:
    line: int
    location: str
    identifier: Identifier
    lot: str
    expiry: date | None
    quantity: int


def read_csv(
    body: bytes, required: tuple[str, ...], max_rows: int
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: stripped non-empty cell}) per data row; the header is line 1.
    A file without the required columns is refused as a whole (400)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadRequest("The file is not UTF-8 text.") from error
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except StopIteration:
        raise BadRequest("The file is empty: it needs a header line.") from None
    except csv.Error as error:
        raise BadRequest(f"Not CSV: {error}.") from error
    missing = [name for name in required if name not in header]
    if missing:
        raise BadRequest(f"The header lacks the column(s) {', '.join(missing)}.")
    count = 0
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            count += 1
            if count > max_rows:
                raise BadRequest(f"More than {max_rows} rows: split the file.")
            row = {
                name: cell.strip()
                for name, cell in zip(header, cells, strict=False)
                if cell.strip()
            }
            yield reader.line_num, row
    except csv.Error as error:
        raise BadRequest(f"Not CSV at line {reader.line_num}: {error}.") from error


def _text(row: dict[str, str], name: str, limit: limits.Text) -> str | None:
    value = row.get(name)
    if value is not None and not limit.allows(value):
        raise RowRefused(
            "validation_error",
            f"{name} must be {limit.min_length} to {limit.max_length} printable characters.",
        )
    return value


def _identifier(kind: IdentifierKind, value: str, units: int = 1) -> Identifier:
    if not limits.IDENTIFIER.allows(value):
        raise RowRefused("bad_barcode", f"{kind.value} {value[:40]!r} is not an identifier.")
    try:
        normalised = barcodes.normalize_identifier(kind, value)
    except ValueError as error:
        detail = getattr(error, "detail", str(error))
        raise RowRefused("bad_barcode", f"{kind.value} {value!r}: {detail}") from error
    return Identifier(kind.value, normalised, value, units)


def item_row(line: int, row: dict[str, str]) -> ItemRow:
    name = _text(row, "name", limits.NAME)
    if name is None:
        raise RowRefused("validation_error", "name is empty.")
    identifiers: list[Identifier] = []
    if ndc := row.get("ndc"):
        identifiers.append(_identifier(IdentifierKind.NDC, ndc))
    for part in (row.get("gtins") or "").split(";"):
        part = part.strip()
        if not part:
            continue
        value, _, units_text = part.partition(":")
        try:
            units = int(units_text) if units_text.strip() else 1
        except ValueError:
            raise RowRefused(
                "validation_error", f"GTIN units {units_text!r} is not a number."
            ) from None
        if not limits.UNITS.allows(units):
            raise RowRefused(
                "validation_error", f"GTIN units must be {limits.UNITS.ge} to {limits.UNITS.le}."
            )
        identifiers.append(_identifier(IdentifierKind.GTIN, value.strip(), units))
    if not identifiers:
        raise RowRefused(
            "validation_error",
            "The row has neither an NDC nor a GTIN: it could not be found again.",
        )
    if len({(i.kind, i.value) for i in identifiers}) != len(identifiers):
        raise RowRefused("validation_error", "The same identifier is listed twice.")
    schedule = row.get("schedule")
    if schedule is not None and schedule.upper() not in {s.value for s in Schedule}:
        raise RowRefused(
            "validation_error", f"schedule {schedule!r} is not one of {', '.join(Schedule)}."
        )
    return ItemRow(
        line=line,
        name=name,
        strength=_text(row, "strength", limits.STRENGTH),
        form=_text(row, "form", limits.FORM),
        base_unit=_text(row, "base_unit", limits.BASE_UNIT) or "each",
        schedule=schedule.upper() if schedule else None,
        preferred_supplier=_text(row, "preferred_supplier", limits.SUPPLIER_CODE),
        identifiers=tuple(identifiers),
    )


def stock_row(line: int, row: dict[str, str]) -> StockRow:
    location = row.get("location")
    if location is None or not limits.LOCATION_REF.allows(location):
        raise RowRefused("unknown_location", f"location {location!r} is not a location code.")
    if is_virtual_code(location):
        raise RowRefused(
            "invalid_movement", f"{location} is a virtual location: opening stock is on shelves."
        )
    if gtin := row.get("gtin"):
        identifier = _identifier(IdentifierKind.GTIN, gtin)
    elif ndc := row.get("ndc"):
        identifier = _identifier(IdentifierKind.NDC, ndc)
    else:
        raise RowRefused("validation_error", "The row has neither a GTIN nor an NDC.")
    lot = _text(row, "lot", limits.LOT_NUMBER) or ""
    expiry = None
    if expiry_text := row.get("expiry"):
        try:
            expiry = date.fromisoformat(expiry_text)
        except ValueError:
            raise RowRefused(
                "validation_error", f"expiry {expiry_text!r} is not a date (YYYY-MM-DD)."
            ) from None
    quantity_text = row.get("quantity", "")
    try:
        quantity = int(quantity_text)
    except ValueError:
        raise RowRefused(
            "validation_error", f"quantity {quantity_text!r} is not a whole number."
        ) from None
    if not 0 <= quantity <= MAX_BASE_UNITS_PER_SCAN:
        raise RowRefused(
            "validation_error", f"quantity must be 0 to {MAX_BASE_UNITS_PER_SCAN} base units."
        )
    return StockRow(line, location, identifier, lot, expiry, quantity)


__all__ = [
    "ITEM_COLUMNS",
    "STOCK_COLUMNS",
    "Identifier",
    "ItemRow",
    "RowRefused",
    "StockRow",
    "item_row",
    "read_csv",
    "stock_row",
]
