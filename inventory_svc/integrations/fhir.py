"""FHIR R5 views for purchasing systems (`Accept: application/fhir+json`): a purchase order as
a Bundle of SupplyRequest (one per line), its receipts as a Bundle of SupplyDelivery, a
location's stock as an InventoryReport. Built with `fhir.resources` (R5 is its default
package), which validates every element as it is built: a mapping error fails here, not in
the purchasing system.

Items are coded by their GTINs (GS1) and NDCs, with the item's name as display and text;
lots and expiries travel as contained Medication resources (`batch`), which is where R5
keeps them. The PO number is an identifier (system `PO_NUMBER_SYSTEM`) on every resource.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from fhir.resources.bundle import Bundle
from fhir.resources.inventoryreport import InventoryReport
from fhir.resources.medication import Medication
from fhir.resources.supplydelivery import SupplyDelivery
from fhir.resources.supplyrequest import SupplyRequest

from inventory_svc.domain.purchasing import PurchaseOrderDetail
from inventory_svc.domain.records import ItemOut, ItemRef, StockRow
from inventory_svc.domain.shipments import ReceiptOut
from inventory_svc.domain.vocabulary import GTIN_KINDS, IdentifierKind, PurchaseOrderStatus

FHIR_JSON = "application/fhir+json"

GTIN_SYSTEM = "https://www.gs1.org/gtin"
NDC_SYSTEM = "http://hl7.org/fhir/sid/ndc"
ITEM_SYSTEM = "urn:inventory-svc:item"
"""The service's own item id, so a coding always exists (an item may have no GTIN yet)."""
PO_NUMBER_SYSTEM = "urn:inventory-svc:purchase-order"
PO_LINE_SYSTEM = "urn:inventory-svc:purchase-order-line"
MOVEMENT_SYSTEM = "urn:inventory-svc:movement"
LOCATION_SYSTEM = "urn:inventory-svc:location"
SUPPLIER_SYSTEM = "urn:inventory-svc:supplier"

_NAMESPACE = uuid.UUID("6f1c4a52-3a0e-4d59-9a59-2f1b8d0e7c11")

# R5 SupplyRequest.status: draft | active | suspended | cancelled | completed | ...
_REQUEST_STATUS = {
    PurchaseOrderStatus.DRAFT: "draft",
    PurchaseOrderStatus.SUBMITTED: "active",
    PurchaseOrderStatus.ACKNOWLEDGED: "active",
    PurchaseOrderStatus.PARTIALLY_RECEIVED: "active",
    PurchaseOrderStatus.RECEIVED: "completed",
    PurchaseOrderStatus.CANCELLED: "cancelled",
}


def _full_url(*parts: object) -> str:
    """A stable absolute URL per resource (the same PO line is always the same entry)."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '/'.join(str(p) for p in parts))}"


def _when(value: datetime) -> str:
    return value.isoformat()


def _concept(item: ItemRef, known: ItemOut | None) -> dict[str, Any]:
    """GTINs (GTIN-14), NDCs (11 digits, as FHIR's NDC system writes them without dashes),
    then the service's item id; each coding displays the item's name."""
    codings: list[dict[str, str]] = []
    for identifier in known.identifiers if known else []:
        if identifier.kind in GTIN_KINDS:
            codings.append({"system": GTIN_SYSTEM, "code": identifier.value})
        elif identifier.kind is IdentifierKind.NDC:
            codings.append({"system": NDC_SYSTEM, "code": identifier.value.replace("-", "")})
    codings.append({"system": ITEM_SYSTEM, "code": str(item.id)})
    unique = list({(c["system"], c["code"]): c for c in codings}.values())
    return {"coding": [{**c, "display": item.name} for c in unique], "text": item.name}


def _unit(known: ItemOut | None) -> str:
    return known.base_unit if known else "unit"


def _medication(
    ref: str, item: ItemRef, known: ItemOut | None, lot: str, expiry: date | None
) -> Medication:
    batch: dict[str, Any] = {"lotNumber": lot} if lot else {}
    if expiry is not None:
        batch["expirationDate"] = expiry.isoformat()
    return Medication.model_validate(
        {"id": ref, "code": _concept(item, known), "batch": batch or None}
    )


def _bundle(identifier: str | None, entries: Sequence[tuple[str, Any]], now: datetime) -> str:
    bundle = Bundle.model_validate(
        {
            "type": "collection",
            "timestamp": _when(now),
            "identifier": {"system": PO_NUMBER_SYSTEM, "value": identifier} if identifier else None,
            "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries] or None,
        }
    )
    return bundle.model_dump_json()


def supply_request_bundle(
    order: PurchaseOrderDetail, items: Mapping[int, ItemOut], now: datetime
) -> str:
    """One SupplyRequest per PO line: quantity ordered (base units), the item's codings,
    deliver to the PO's location, from its supplier, identified by PO number and line."""
    entries = []
    for line in order.lines:
        known = items.get(line.item.id)
        request = SupplyRequest.model_validate(
            {
                "id": f"{order.number}-{line.line}",
                "identifier": [
                    {"system": PO_NUMBER_SYSTEM, "value": order.number},
                    {"system": PO_LINE_SYSTEM, "value": f"{order.number}/{line.line}"},
                ],
                "status": _REQUEST_STATUS[order.status],
                "item": {"concept": _concept(line.item, known)},
                "quantity": {"value": line.ordered, "unit": _unit(known)},
                "authoredOn": _when(order.submitted_at or order.created_at),
                "supplier": [
                    {
                        "type": "Organization",
                        "identifier": {"system": SUPPLIER_SYSTEM, "value": order.supplier},
                        "display": order.supplier,
                    }
                ],
                "deliverTo": {
                    "type": "Location",
                    "identifier": {"system": LOCATION_SYSTEM, "value": order.location},
                    "display": order.location,
                },
            }
        )
        entries.append((_full_url("po", order.number, line.line), request))
    return _bundle(order.number, entries, now)


def supply_delivery_bundle(
    number: str,
    supplier: str,
    receipts: Sequence[ReceiptOut],
    items: Mapping[int, ItemOut],
    now: datetime,
) -> str:
    """One SupplyDelivery per receipt (a `receive` movement): completed, the quantity in
    base units of a contained Medication that carries the lot and expiry, based on the PO's
    SupplyRequests (by PO number), delivered to the location received at."""
    entries = []
    for receipt in receipts:
        known = items.get(receipt.item.id)
        delivery = SupplyDelivery.model_validate(
            {
                "id": f"receipt-{receipt.movement}",
                "identifier": [{"system": MOVEMENT_SYSTEM, "value": str(receipt.movement)}],
                "basedOn": [
                    {
                        "type": "SupplyRequest",
                        "identifier": {"system": PO_NUMBER_SYSTEM, "value": number},
                        "display": number,
                    }
                ],
                "status": "completed",
                "contained": [_medication("lot", receipt.item, known, receipt.lot, receipt.expiry)],
                "suppliedItem": [
                    {
                        "quantity": {"value": receipt.quantity, "unit": _unit(known)},
                        "itemReference": {"reference": "#lot", "display": receipt.item.name},
                    }
                ],
                "occurrenceDateTime": _when(receipt.occurred_at),
                "supplier": {
                    "type": "Organization",
                    "identifier": {"system": SUPPLIER_SYSTEM, "value": supplier},
                    "display": supplier,
                },
                "destination": {
                    "type": "Location",
                    "identifier": {"system": LOCATION_SYSTEM, "value": receipt.location},
                    "display": receipt.location,
                },
            }
        )
        entries.append((_full_url("receipt", receipt.movement), delivery))
    return _bundle(number, entries, now)


def inventory_report(
    location: str | None, rows: Sequence[StockRow], items: Mapping[int, ItemOut], now: datetime
) -> str:
    """A snapshot of stock at a location (and below it, when asked): one listing per
    location, one item per lot (its quantity in base units, a contained Medication with the
    lot and expiry, and the lot's status as the item's category)."""
    contained: list[Medication] = []
    listings: dict[str, list[dict[str, Any]]] = {}
    for n, row in enumerate(rows, start=1):
        known = items.get(row.item.id)
        ref = f"lot{n}"
        contained.append(_medication(ref, row.item, known, row.lot, row.expiry))
        listings.setdefault(row.location, []).append(
            {
                "category": {"text": str(row.status)},
                "quantity": {"value": row.quantity, "unit": _unit(known)},
                "item": {
                    "concept": _concept(row.item, known),
                    "reference": {"reference": f"#{ref}"},
                },
            }
        )
    report = InventoryReport.model_validate(
        {
            "identifier": [{"system": LOCATION_SYSTEM, "value": location}] if location else None,
            "status": "active",
            "countType": "snapshot",
            "reportedDateTime": _when(now),
            "contained": contained or None,
            "inventoryListing": [
                {
                    "location": {
                        "type": "Location",
                        "identifier": {"system": LOCATION_SYSTEM, "value": code},
                        "display": code,
                    },
                    "countingDateTime": _when(now),
                    "item": listed,
                }
                for code, listed in listings.items()
            ]
            or None,
        }
    )
    return report.model_dump_json()
