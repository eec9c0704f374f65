"""Request bodies (msgspec Structs) and the problem body; the response types are the typed
rows of domain/records. Together they make the served OpenAPI schema."""

from __future__ import annotations

from typing import Annotated

import msgspec

from inventory_svc.domain import limits
from inventory_svc.domain.records import (  # the response types: one definition, typed rows
    BalanceLine,
    BarcodeOut,
    IdentifierOut,
    ItemOut,
    ItemRef,
    LocationOut,
    MovementLine,
    MovementOut,
    ScanRecord,
    ScanResult,
    StockRow,
    SupplierOut,
    Warning,
)
from inventory_svc.domain.vocabulary import IdentifierKind, LocationKind, Schedule

# Bounds keep absurd numbers a 400 rather than a database error: reference data (items,
# locations) has 32-bit ids, the ledger and the scan log 64-bit ones (domain/limits.py).
MAX_ID = limits.REFERENCE_ID.le
MAX_LEDGER_ID = limits.LEDGER_ID.le
MAX_OFFSET = limits.OFFSET.le


def text(limit: limits.Text) -> msgspec.Meta:
    """The msgspec constraints of a text field, from its one definition in domain/limits."""
    return msgspec.Meta(**limit.constraints)


Name = Annotated[str, text(limits.NAME)]
LocationCode = Annotated[str, text(limits.LOCATION_CODE)]
LocationRef = Annotated[str, text(limits.LOCATION_REF)]
SupplierCode = Annotated[str, text(limits.SUPPLIER_CODE)]
Strength = Annotated[str, text(limits.STRENGTH)]
Form = Annotated[str, text(limits.FORM)]
BaseUnit = Annotated[str, text(limits.BASE_UNIT)]
IdentifierValue = Annotated[str, text(limits.IDENTIFIER)]
AccountNumber = Annotated[str, text(limits.ACCOUNT_NUMBER)]
Units = Annotated[int, msgspec.Meta(**limits.UNITS.constraints)]


class IdentifierIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: IdentifierKind
    value: IdentifierValue
    units: Units = 1


class ItemIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    identifiers: Annotated[
        list[IdentifierIn], msgspec.Meta(max_length=limits.MAX_IDENTIFIERS_PER_ITEM)
    ] = []
    strength: Strength | None = None
    form: Form | None = None
    base_unit: BaseUnit = "each"
    schedule: Schedule | None = None
    preferred_supplier: SupplierCode | None = None


class LocationIn(msgspec.Struct, forbid_unknown_fields=True):
    code: LocationCode
    name: Name
    kind: LocationKind
    parent: LocationRef | None = None


class SupplierIn(msgspec.Struct, forbid_unknown_fields=True):
    code: SupplierCode
    name: Name
    account_number: AccountNumber | None = None


class Problem(msgspec.Struct):
    """RFC 9457 problem details; `code` is the stable, machine-readable reason."""

    type: str
    title: str
    status: int
    detail: str
    code: str


class Health(msgspec.Struct):
    status: str


__all__ = [
    "BalanceLine",
    "BarcodeOut",
    "IdentifierOut",
    "ItemOut",
    "ItemRef",
    "LocationOut",
    "MovementLine",
    "MovementOut",
    "ScanRecord",
    "ScanResult",
    "StockRow",
    "SupplierOut",
    "Warning",
]
