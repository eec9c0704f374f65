"""Go-live imports on both databases: a few thousand item-master and opening-stock rows with
bad rows reported (line, code, why), idempotent on a second run; the CLI does the same."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from inventory_svc.cli import main
from inventory_svc.domain.barcodes import gtin_from_ndc
from inventory_svc.domain.roles import Role
from tests.conftest import Keys
from tests.helpers import assert_problem, make_location

Client = AsyncTestClient[Any]
ROWS = 3000


def _ndc(n: int) -> str:
    return f"{50000 + n // 1000:05d}-{n % 1000:03d}-{n % 7:02d}"


def _items_csv(rows: int) -> tuple[str, dict[int, str]]:
    """`rows` good items (every 10th scheduled, every 3rd with a carton GTIN), then bad rows;
    returns the CSV and {line: the code each bad row is refused with}."""
    lines = ["Name,Strength,Form,Base_Unit,NDC,GTINs,Schedule,Preferred_Supplier"]
    for n in range(rows):
        ndc = _ndc(n)
        gtins = gtin_from_ndc(ndc)
        if n % 3 == 0:
            gtins += f";{gtin_from_ndc(ndc, indicator=5)}:25"
        schedule = "CII" if n % 10 == 0 else ""
        supplier = "MCK" if n % 2 else ""
        lines.append(f'"Drug {n}, 1 mg",1 mg,tablet,tablet,{ndc},{gtins},{schedule},{supplier}')
    bad = {
        f",1 mg,tablet,,{_ndc(rows + 1)},,,": "validation_error",  # no name
        "Bad GTIN,,,,,00312345678907,,": "bad_barcode",  # wrong check digit
        f"No supplier,,,,{_ndc(rows + 2)},,,NOBODY": "unknown_supplier",
        f"Bad schedule,,,,{_ndc(rows + 3)},,CVII,": "validation_error",
        f"Twice in file,,,,{_ndc(5)},,,": "duplicate_identifier",  # row 5's NDC again
        "No identifiers,,,,,,,": "validation_error",
    }
    refused = {}
    for row, code in bad.items():
        lines.append(row)
        refused[len(lines)] = code
    return "\n".join(lines) + "\n", refused


def _stock_csv(rows: int) -> tuple[str, dict[int, str]]:
    lines = ["location,gtin,ndc,lot,expiry,quantity"]
    for n in range(rows):
        location = ("MAIN", "SAT")[n % 2]
        if n % 4 == 0:
            lines.append(f"{location},,{_ndc(n)},L{n},2030-0{1 + n % 9}-15,{1 + n % 50}")
        else:
            lines.append(f"{location},{gtin_from_ndc(_ndc(n))},,L{n},,{1 + n % 50}")
    bad = {
        f"MAIN,{gtin_from_ndc('0409-4921-34')},,X,,5": "unknown_item",
        f"NOWHERE,{gtin_from_ndc(_ndc(1))},,L1,,5": "unknown_location",
        f"MAIN,{gtin_from_ndc(_ndc(2))},,L2,31-12-2030,5": "validation_error",
        f"MAIN,{gtin_from_ndc(_ndc(3))},,L3,,-4": "validation_error",
        f"@adjustment,{gtin_from_ndc(_ndc(3))},,L3,,4": "invalid_movement",
        f"MAIN,{gtin_from_ndc(_ndc(0))},,L0,2030-01-15,9": "duplicate_row",
    }
    refused = {}
    for row, code in bad.items():
        lines.append(row)
        refused[len(lines)] = code
    return "\n".join(lines) + "\n", refused


async def _post_csv(client: Client, headers: dict[str, str], kind: str, body: str) -> Any:
    return await client.post(
        f"/api/v1/imports/{kind}",
        content=body.encode(),
        headers={**headers, "Content-Type": "text/csv"},
    )


async def test_a_catalogue_and_its_opening_stock_load_from_csv(
    client: Client, keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = await keys.header(Role.ADMIN)
    manager = await keys.header(Role.MANAGER)
    supplier = await client.post(
        "/api/v1/suppliers", json={"code": "MCK", "name": "McKesson"}, headers=admin
    )
    assert supplier.status_code == 201
    items_csv, items_refused = _items_csv(ROWS)

    first = await _post_csv(client, manager, "items", items_csv)

    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["rows"], report["created"], report["updated"]) == (ROWS + 6, ROWS, 0)
    assert {p["line"]: p["code"] for p in report["refused"]} == items_refused
    assert all(p["detail"] for p in report["refused"])
    found = (await client.get("/api/v1/items", params={"q": _ndc(30)}, headers=admin)).json()
    (item,) = found
    assert (item["name"], item["schedule"]) == ("Drug 30, 1 mg", "CII")
    assert sorted(i["units"] for i in item["identifiers"]) == [1, 1, 25]

    again = (await _post_csv(client, manager, "items", items_csv)).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, ROWS)
    renamed = items_csv.replace('"Drug 7, 1 mg"', '"Drug 7 (new label), 1 mg"')
    changed = (await _post_csv(client, manager, "items", renamed)).json()
    assert (changed["created"], changed["updated"]) == (0, 1)

    await make_location(client, admin, "MAIN", "storeroom")
    await make_location(client, admin, "SAT", "satellite")
    stock_csv, stock_refused = _stock_csv(ROWS)
    loaded = (await _post_csv(client, manager, "stock", stock_csv)).json()
    assert (loaded["rows"], loaded["created"]) == (ROWS + 6, ROWS)
    assert {p["line"]: p["code"] for p in loaded["refused"]} == stock_refused
    stock = (
        await client.get("/api/v1/stock", params={"location": "MAIN", "limit": 5000}, headers=admin)
    ).json()
    assert len(stock) == ROWS // 2
    assert sum(r["quantity"] for r in stock) == sum(1 + n % 50 for n in range(0, ROWS, 2))
    sample = random.Random(4).sample(range(ROWS), 20)
    movements = (
        await client.get("/api/v1/movements", params={"limit": 5000}, headers=admin)
    ).json()
    assert {(m["kind"], m["from_location"]) for m in movements} == {("count_adjust", "@adjustment")}
    by_lot = {m["lot"]: m for m in movements}
    for n in sample:
        assert by_lot[f"L{n}"]["quantity"] == 1 + n % 50
        assert by_lot[f"L{n}"]["to_location"] == ("MAIN", "SAT")[n % 2]
    rerun = (await _post_csv(client, manager, "stock", stock_csv)).json()
    assert (rerun["created"], rerun["updated"], rerun["unchanged"]) == (0, 0, ROWS)
    assert len((await client.get("/api/v1/movements?limit=5000", headers=admin)).json()) == ROWS
    with capsys.disabled():
        print(
            f"\nimport items: {report['rows_per_second']} rows/s ({report['seconds']} s); "
            f"stock: {loaded['rows_per_second']} rows/s ({loaded['seconds']} s)"
        )


async def test_an_import_is_csv_for_managers_only(client: Client, keys: Keys) -> None:
    specialist = await keys.header(Role.SPECIALIST)
    manager = await keys.header(Role.MANAGER)
    assert_problem(await _post_csv(client, specialist, "items", "name\n"), 403, "forbidden")
    as_json = await client.post("/api/v1/imports/items", json={"name": "x"}, headers=manager)
    assert_problem(as_json, 400, "validation_error")
    no_header = await _post_csv(client, manager, "stock", "location,gtin\nMAIN,1\n")
    assert "quantity" in assert_problem(no_header, 400, "validation_error")["detail"]
    empty = await _post_csv(client, manager, "items", "")
    assert_problem(empty, 400, "validation_error")


def test_the_cli_imports_items_and_stock(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INVENTORY_DATABASE_URL", database_url)
    items = tmp_path / "items.csv"
    items.write_text(f"name,ndc,schedule\nMorphine 10 mg/mL,{_ndc(1)},CII\nBroken,123,\n")
    assert main(["import", "items", str(items)]) == 1  # a row was refused
    report = json.loads(capsys.readouterr().out)
    assert (report["created"], [p["line"] for p in report["refused"]]) == (1, [3])
    assert main(["import", "items", str(items)]) == 1
    assert json.loads(capsys.readouterr().out)["unchanged"] == 1
    stock = tmp_path / "stock.csv"
    stock.write_text(f"location,ndc,lot,expiry,quantity\nNOWHERE,{_ndc(1)},A,2030-01-31,5\n")
    assert main(["import", "stock", str(stock)]) == 1
    refused = json.loads(capsys.readouterr().out)["refused"]
    assert [p["code"] for p in refused] == ["unknown_location"]
