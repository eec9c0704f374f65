"""An integrator's afternoon: generate a client from the served OpenAPI document with
openapi-python-client and drive a scan, a rejection and a stock query through it. Every
operation must come through the generator with its short operationId, and every error
answer must parse as the `Problem` the service really sends."""

from __future__ import annotations

import importlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.helpers import EPINEPHRINE_GTIN, gs1
from tests.live import live_server, run_cli

pytestmark = pytest.mark.e2e

OPERATIONS = {
    "createItem",
    "listItems",
    "getItem",
    "createLocation",
    "listLocations",
    "getLocationLabelSvg",
    "getLocationLabelPng",
    "createSupplier",
    "listSuppliers",
    "createScan",
    "listScans",
    "listStock",
    "listMovements",
    "listEvents",
    "putSupplierItem",
    "listSupplierItems",
    "putParLevels",
    "listParLevels",
    "getReorderList",
    "createPurchaseOrder",
    "listPurchaseOrders",
    "getPurchaseOrder",
    "updatePurchaseOrder",
    "submitPurchaseOrder",
    "cancelPurchaseOrder",
    "acknowledgePurchaseOrder",
    "createPickList",
    "getPickList",
    "listSupplierReturns",
    "createKitTemplate",
    "listKitTemplates",
    "getKitTemplate",
    "createKit",
    "listKits",
    "getKit",
    "startRestock",
    "getRestockPlan",
    "openKit",
    "checkKit",
    "getKitUsage",
    "getKitLabelSvg",
    "getKitLabelPng",
    "getRestockSession",
    "completeRestock",
    "openCount",
    "getCount",
    "commitCount",
    "getControlledLedger",
    "importItems",
    "importStock",
    "reverseScan",
    "createRecall",
    "listRecalls",
    "getRecall",
    "quarantineRecall",
    "listExpiring",
    "getSerial",
    "createWebhook",
    "listWebhooks",
    "getWebhook",
    "deleteWebhook",
    "listWebhookDeliveries",
    "redeliverWebhookDelivery",
    "redeliverDeadWebhookDeliveries",
    "createShipment",
    "listShipments",
    "listPurchaseOrderReceipts",
    "getHealth",
    "getReady",
}


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('client') / 'inventory.db'}"


@pytest.fixture(scope="module")
def served(sqlite_url: str) -> Iterator[tuple[str, str]]:
    key = run_cli(sqlite_url, "keys", "create", "--role", "admin", "--name", "erp").stdout
    with live_server(sqlite_url) as base:
        yield base, key.split()[-1]


@pytest.fixture(scope="module")
def generated(served: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    base, _ = served
    workdir = tmp_path_factory.mktemp("generated")
    spec = workdir / "openapi.json"
    spec.write_bytes(httpx.get(f"{base}/schema/openapi.json", timeout=30).content)
    config = workdir / "config.yaml"
    # Labels are images, which the generator hands over as bytes once told to (README).
    config.write_text(
        "post_hooks: []\n"
        "content_type_overrides:\n"
        "  image/png: application/octet-stream\n"
        "  image/svg+xml: application/octet-stream\n"
    )
    generator = Path(sys.executable).with_name("openapi-python-client")
    arguments = ["--path", str(spec), "--config", str(config), "--meta", "none"]
    result = subprocess.run(
        [str(generator), "generate", *arguments, "--output-path", str(workdir / "client")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The generator warns about every response or operation it had to skip.
    output = result.stdout + result.stderr
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(workdir))
    module = importlib.import_module("client")
    return module


def _api(generated: ModuleType, name: str) -> Any:
    return importlib.import_module(f"client.api.{name}")


def test_every_operation_has_a_short_stable_id(generated: ModuleType) -> None:
    modules = {
        path.stem
        for path in Path(generated.__file__).parent.joinpath("api").rglob("*.py")
        if path.stem != "__init__"
    }
    snake = {
        "".join("_" + c.lower() if c.isupper() else c for c in op).lstrip("_") for op in OPERATIONS
    }
    assert modules == snake


def test_a_scan_a_rejection_and_a_stock_query_through_the_generated_client(
    generated: ModuleType, served: tuple[str, str]
) -> None:
    base, token = served
    client_module = importlib.import_module("client.client")
    models = importlib.import_module("client.models")
    client = client_module.AuthenticatedClient(base_url=base, token=token)

    item = _api(generated, "items.create_item").sync(
        client=client,
        body=models.ItemIn(
            name="Epinephrine",
            identifiers=[
                models.IdentifierIn(kind=models.IdentifierKind.GTIN, value=EPINEPHRINE_GTIN)
            ],
        ),
    )
    assert isinstance(item, models.ItemOut), item
    shelf = _api(generated, "locations.create_location").sync(
        client=client,
        body=models.LocationIn(code="SAT-ICU", name="ICU", kind=models.LocationKind.SATELLITE),
    )
    assert isinstance(shelf, models.LocationOut), shelf

    expiry = datetime.now(UTC).date() + timedelta(days=300)
    create_scan = _api(generated, "scans.create_scan")
    applied = create_scan.sync_detailed(
        client=client,
        idempotency_key=str(uuid.uuid4()),
        body=models.ScanRequest(
            code=gs1(EPINEPHRINE_GTIN, lot="GEN1", expiry=expiry),
            action=models.Action.RECEIVE,
            location="SAT-ICU",
            quantity=4,
        ),
    )
    assert applied.status_code == 201
    assert isinstance(applied.parsed, models.ScanResult)
    assert applied.parsed.balances[0].quantity == 4

    refused = create_scan.sync_detailed(
        client=client,
        idempotency_key=str(uuid.uuid4()),
        body=models.ScanRequest(
            code=EPINEPHRINE_GTIN, action=models.Action.ISSUE, location="SAT-ICU", quantity=40
        ),
    )
    assert refused.status_code == 409
    assert isinstance(refused.parsed, models.Problem)
    assert refused.parsed.code == "insufficient_stock"

    invalid = create_scan.sync_detailed(
        client=client,
        idempotency_key=str(uuid.uuid4()),
        body=models.ScanRequest(code=EPINEPHRINE_GTIN, action=models.Action.ISSUE, location="x/y"),
    )
    assert invalid.status_code == 400
    assert isinstance(invalid.parsed, models.Problem)
    assert invalid.parsed.code == "validation_error"

    label = _api(generated, "locations.get_location_label_png").sync_detailed(
        client=client, code="SAT-ICU"
    )
    assert label.status_code == 200 and label.content.startswith(b"\x89PNG")
    missing = _api(generated, "items.get_item").sync_detailed(client=client, item_id=999)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Problem) and missing.parsed.code == "not_found"

    stock = _api(generated, "stock.list_stock").sync(client=client, location="SAT-ICU")
    assert [(row.lot, row.quantity, row.status) for row in stock] == [
        ("GEN1", 4, models.LotStatus.OK)
    ]
