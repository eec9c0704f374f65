"""FHIR R5 views, read back with `fhir.resources` itself: a purchase order as a Bundle of
SupplyRequest, its receipts as a Bundle of SupplyDelivery, a location's stock as an
InventoryReport; codes, quantities, references and identifiers checked; content
negotiation (406) and the OpenAPI document's media types."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fhir.resources.bundle import Bundle
from fhir.resources.inventoryreport import InventoryReport
from fhir.resources.medication import Medication
from fhir.resources.supplydelivery import SupplyDelivery
from fhir.resources.supplyrequest import SupplyRequest

from inventory_svc.domain.barcodes import ndc11
from inventory_svc.domain.roles import Role
from inventory_svc.integrations.fhir import (
    GTIN_SYSTEM,
    ITEM_SYSTEM,
    NDC_SYSTEM,
    PO_NUMBER_SYSTEM,
)
from tests.api.purchasing_setup import ATROPINE_GTIN, TODAY, Client, purchase_order
from tests.conftest import Keys
from tests.helpers import (
    EPINEPHRINE_CARTON_GTIN,
    EPINEPHRINE_GTIN,
    EPINEPHRINE_NDC,
    assert_problem,
    gs1,
    make_location,
    scan,
)

FHIR = {"Accept": "application/fhir+json"}
EXPIRY = TODAY + timedelta(days=200)


def _codes(concept: Any) -> set[tuple[str, str]]:
    return {(coding.system, coding.code) for coding in concept.coding}


async def _fhir(client: Client, url: str, headers: dict[str, str], **params: Any) -> bytes:
    response = await client.get(url, params=params, headers={**headers, **FHIR})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    return response.content


async def test_a_purchase_order_as_a_bundle_of_supply_requests(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    po = await purchase_order(client, admin, ordered=120)
    number = po["number"]
    bundle = Bundle.model_validate_json(
        await _fhir(client, f"/api/v1/purchase-orders/{number}", await keys.header(Role.SCANNER))
    )
    assert bundle.type == "collection"
    assert (bundle.identifier.system, bundle.identifier.value) == (PO_NUMBER_SYSTEM, number)
    (entry,) = bundle.entry
    request = entry.resource
    assert isinstance(request, SupplyRequest)
    assert entry.fullUrl.startswith("urn:uuid:")
    assert request.status == "active"
    assert (request.quantity.value, request.quantity.unit) == (120, "each")
    assert (PO_NUMBER_SYSTEM, number) in {(i.system, i.value) for i in request.identifier}
    concept = request.item.concept
    assert _codes(concept) == {
        (GTIN_SYSTEM, EPINEPHRINE_GTIN),
        (GTIN_SYSTEM, EPINEPHRINE_CARTON_GTIN),
        (NDC_SYSTEM, ndc11(EPINEPHRINE_NDC).replace("-", "")),
        (ITEM_SYSTEM, str(po["epinephrine"])),
    }
    assert concept.text == "Epinephrine"
    assert all(coding.display == "Epinephrine" for coding in concept.coding)
    assert request.deliverTo.identifier.value == "MAIN"
    assert request.supplier[0].identifier.value == "CARD"
    # The JSON form is still the default, and names the same order.
    plain = await client.get(f"/api/v1/purchase-orders/{number}", headers=admin)
    assert plain.headers["content-type"].startswith("application/json")
    assert plain.json()["lines"][0]["ordered"] == 120
    # A draft is a draft request; a cancelled one is cancelled.
    await client.post(f"/api/v1/purchase-orders/{number}/cancel", headers=admin)
    cancelled = Bundle.model_validate_json(
        await _fhir(client, f"/api/v1/purchase-orders/{number}", admin)
    )
    assert cancelled.entry[0].resource.status == "cancelled"
    assert_problem(
        await client.get("/api/v1/purchase-orders/PO-999999", headers={**admin, **FHIR}),
        404,
        "not_found",
    )


async def test_receipts_as_supply_deliveries_with_lot_and_expiry(
    client: Client, keys: Keys
) -> None:
    admin = await keys.header(Role.ADMIN)
    po = await purchase_order(client, admin)
    number = po["number"]
    url = f"/api/v1/purchase-orders/{number}/receipts"
    empty = Bundle.model_validate_json(await _fhir(client, url, admin))
    assert not empty.entry
    for lot, quantity in (("R1", 3), ("R2", 2)):
        received = await scan(
            client,
            admin,
            gs1(EPINEPHRINE_CARTON_GTIN, lot=lot, expiry=EXPIRY),
            "receive",
            "MAIN",
            quantity=quantity,
            purchase_order=number,
        )
        assert received.status_code == 201, received.text
    json_receipts = (await client.get(url, headers=admin)).json()
    assert [(r["lot"], r["quantity"]) for r in json_receipts] == [("R1", 30), ("R2", 20)]
    bundle = Bundle.model_validate_json(
        await _fhir(client, url, await keys.header(Role.INTEGRATION))
    )
    assert len(bundle.entry) == 2
    for entry, receipt in zip(bundle.entry, json_receipts, strict=True):
        delivery = entry.resource
        assert isinstance(delivery, SupplyDelivery)
        assert delivery.status == "completed"
        assert delivery.identifier[0].value == str(receipt["movement"])
        assert delivery.basedOn[0].identifier.value == number
        assert delivery.basedOn[0].type == "SupplyRequest"
        (supplied,) = delivery.suppliedItem
        assert supplied.quantity.value == receipt["quantity"]
        (medication,) = delivery.contained
        assert isinstance(medication, Medication)
        assert supplied.itemReference.reference == f"#{medication.id}"
        assert medication.batch.lotNumber == receipt["lot"]
        assert medication.batch.expirationDate.isoformat() == EXPIRY.isoformat()
        assert (GTIN_SYSTEM, EPINEPHRINE_GTIN) in _codes(medication.code)
        assert delivery.destination.identifier.value == "MAIN"
        assert delivery.supplier.identifier.value == "CARD"
        assert delivery.occurrenceDateTime is not None


async def test_a_locations_stock_as_an_inventory_report(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    po = await purchase_order(client, admin)
    for code, quantity in (
        (gs1(EPINEPHRINE_GTIN, lot="S1", expiry=EXPIRY), 4),
        (gs1(ATROPINE_GTIN, lot="T1", expiry=EXPIRY + timedelta(days=1)), 6),
    ):
        response = await scan(client, admin, code, "receive", "MAIN", quantity=quantity)
        assert response.status_code == 201, response.text
    rows = (await client.get("/api/v1/stock", params={"location": "MAIN"}, headers=admin)).json()
    report = InventoryReport.model_validate_json(
        await _fhir(client, "/api/v1/stock", admin, location="MAIN")
    )
    assert (report.status, report.countType) == ("active", "snapshot")
    assert report.identifier[0].value == "MAIN"
    (listing,) = report.inventoryListing
    assert listing.location.identifier.value == "MAIN"
    contained = {resource.id: resource for resource in report.contained}
    seen = []
    for listed in listing.item:
        medication = contained[listed.item.reference.reference.removeprefix("#")]
        seen.append(
            (
                listed.item.concept.text,
                medication.batch.lotNumber,
                medication.batch.expirationDate.isoformat(),
                listed.quantity.value,
                listed.category.text,
            )
        )
    assert sorted(seen) == sorted(
        (row["item"]["name"], row["lot"], row["expiry"], row["quantity"], row["status"])
        for row in rows
    )
    atropine = next(i for i in listing.item if i.item.concept.text == "Atropine")
    assert _codes(atropine.item.concept) == {
        (GTIN_SYSTEM, ATROPINE_GTIN),
        (ITEM_SYSTEM, str(po["atropine"])),
    }
    await make_location(client, admin, "EMPTY")
    nothing = InventoryReport.model_validate_json(
        await _fhir(client, "/api/v1/stock", admin, location="EMPTY")
    )
    assert not nothing.inventoryListing and not nothing.contained
    unknown = await client.get(
        "/api/v1/stock", params={"location": "NOWHERE"}, headers={**admin, **FHIR}
    )
    assert_problem(unknown, 422, "unknown_location")


async def test_an_accept_without_json_fhir_or_csv_is_406(client: Client, keys: Keys) -> None:
    admin = await keys.header(Role.ADMIN)
    number = (await purchase_order(client, admin))["number"]
    for url in (
        f"/api/v1/purchase-orders/{number}",
        f"/api/v1/purchase-orders/{number}/receipts",
        "/api/v1/stock",
    ):
        refused = await client.get(url, headers={**admin, "Accept": "application/xml"})
        assert_problem(refused, 406, "not_acceptable")
        wildcard = await client.get(url, headers={**admin, "Accept": "*/*"})
        assert wildcard.headers["content-type"].startswith("application/json")
        preferred = await client.get(
            url,
            headers={**admin, "Accept": "application/json;q=0.5, application/fhir+json"},
        )
        assert preferred.headers["content-type"].startswith("application/fhir+json")
    stock_csv = await client.get("/api/v1/stock", headers={**admin, "Accept": "text/csv"})
    assert_problem(stock_csv, 406, "not_acceptable")


async def test_the_openapi_document_lists_the_extra_media_types(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    po = paths["/api/v1/purchase-orders/{number}"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "application/fhir+json", "text/csv"} <= set(po)
    receipts = paths["/api/v1/purchase-orders/{number}/receipts"]["get"]["responses"]["200"]
    assert {"application/json", "application/fhir+json", "text/csv"} <= set(receipts["content"])
    stock = paths["/api/v1/stock"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "application/fhir+json"} <= set(stock)
    ack = paths["/api/v1/purchase-orders/{number}/acknowledge"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in ack["parameters"]}
