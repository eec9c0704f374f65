"""Consistency checks for the demo data set in ``inventory_svc.demo.data``."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from inventory_svc.demo.data import (
    ITEMS,
    LOCATIONS,
    PAR_LEVELS,
    STOCK,
    SUPPLIERS,
    gtin_for_ndc,
)
from inventory_svc.domain.vocabulary import LocationKind

NDC_LAYOUTS = (
    re.compile(r"^\d{4}-\d{4}-\d{2}$"),  # 4-4-2
    re.compile(r"^\d{5}-\d{3}-\d{2}$"),  # 5-3-2
    re.compile(r"^\d{5}-\d{4}-\d{1}$"),  # 5-4-1
)
SCHEDULES = {"CII", "CIII", "CIV", "CV"}


def independent_mod10_ok(code: str) -> bool:
    """GS1 check: weight 3 on every other digit counting from the left of a 14-digit code."""
    if len(code) != 14 or not code.isdigit():
        return False
    payload = [int(c) for c in code[:13]]
    weighted = sum(d * 3 for d in payload[0::2]) + sum(payload[1::2])
    return (weighted + int(code[13])) % 10 == 0


def ndc_of(item_key: str) -> str:
    item = next(i for i in ITEMS if i.key == item_key)
    return next(ident.value for ident in item.identifiers if ident.kind == "ndc")


# Real NDC -> barcode pairs (the 12-digit UPC-A / NDC barcode printed on the package, zero-padded
# to GTIN-14), as published in the FDA NDC directory.  They pin gtin_for_ndc to real labels.
KNOWN_BARCODES = (
    ("63323-616-03", "00363323616038"),
    ("0641-6251-10", "00306416251105"),
    ("63323-698-30", "00363323698300"),
    ("63323-651-04", "00363323651046"),
    ("44567-707-25", "00344567707256"),
    ("70756-611-82", "00370756611820"),
)


@pytest.mark.parametrize(("ndc", "gtin"), KNOWN_BARCODES)
def test_gtin_for_ndc_matches_real_barcodes(ndc: str, gtin: str) -> None:
    assert gtin_for_ndc(ndc) == gtin


def test_gtin_for_ndc_indicator_and_errors() -> None:
    carton = gtin_for_ndc("0409-4921-34", 5)
    assert carton.startswith("503") and independent_mod10_ok(carton)
    with pytest.raises(ValueError):
        gtin_for_ndc("0409-4921-3")
    with pytest.raises(ValueError):
        gtin_for_ndc("0409-4921-34", 10)


def test_counts() -> None:
    assert len(ITEMS) >= 32
    assert len(STOCK) >= 60
    assert len(PAR_LEVELS) >= 20
    assert 2 <= len(SUPPLIERS) <= 3


def test_every_gtin_has_a_valid_check_digit() -> None:
    gtins = [i.value for item in ITEMS for i in item.identifiers if i.kind == "gtin"]
    assert gtins
    for gtin in gtins:
        assert independent_mod10_ok(gtin), gtin


def test_every_item_has_ndc_and_matching_unit_gtin() -> None:
    for item in ITEMS:
        ndcs = [i for i in item.identifiers if i.kind == "ndc"]
        assert len(ndcs) == 1, item.key
        ndc = ndcs[0]
        assert ndc.units == 1
        assert any(layout.match(ndc.value) for layout in NDC_LAYOUTS), ndc.value
        digits = ndc.value.replace("-", "")
        assert len(digits) == 10 and digits.isdigit()

        gtins = [i for i in item.identifiers if i.kind == "gtin"]
        units = [g for g in gtins if g.value[0] == "0"]
        assert len(units) == 1, item.key
        assert units[0].units == 1
        for gtin in gtins:
            assert gtin.value[1:3] == "03", gtin.value
            assert gtin.value[3:13] == digits, (item.key, gtin.value)
            if gtin.value[0] == "5":
                assert gtin.units in (10, 25), item.key


def test_identifiers_are_globally_unique() -> None:
    values = Counter(i.value for item in ITEMS for i in item.identifiers)
    assert [v for v, n in values.items() if n > 1] == []


def test_carton_gtins_present() -> None:
    cartons = [
        item.key for item in ITEMS for i in item.identifiers if i.kind == "gtin" and i.units > 1
    ]
    assert len(cartons) >= 5


def test_keys_and_codes_unique() -> None:
    for keys in (
        [i.key for i in ITEMS],
        [loc.code for loc in LOCATIONS],
        [s.key for s in SUPPLIERS],
        [s.account_number for s in SUPPLIERS],
        [(p[0], p[1]) for p in PAR_LEVELS],
        [(s.item, s.location, s.lot) for s in STOCK],
    ):
        assert len(keys) == len(set(keys)), [k for k, n in Counter(keys).items() if n > 1]


def test_items_reference_suppliers_and_valid_schedules() -> None:
    supplier_keys = {s.key for s in SUPPLIERS}
    for item in ITEMS:
        assert item.supplier in supplier_keys, item.key
        assert item.schedule is None or item.schedule in SCHEDULES, item.key


def test_required_items_present() -> None:
    keys = {i.key for i in ITEMS}
    schedules = {i.key: i.schedule for i in ITEMS}
    assert ndc_of("epinephrine-1mg-10ml") == "0409-4921-34"
    assert {"epinephrine-1mg-10ml", "epinephrine-1mg-1ml"} <= keys
    assert schedules["fentanyl-100mcg-2ml"] == "CII"
    assert schedules["ketamine-500mg-5ml"] == "CIII"
    assert schedules["midazolam-2mg-2ml"] == "CIV"
    assert sum(i.crash_cart for i in ITEMS) >= 10
    assert sum(i.anesthesia for i in ITEMS) >= 13


def test_locations_tree() -> None:
    codes = [loc.code for loc in LOCATIONS]
    roots = [loc for loc in LOCATIONS if loc.parent is None]
    assert [r.code for r in roots] == ["HOSP"]
    for index, loc in enumerate(LOCATIONS):
        assert loc.kind in set(LocationKind), loc.code
        assert loc.kind not in {"crash_cart", "anesthesia_tray"}, loc.code
        if loc.parent is not None:
            assert loc.parent in codes, loc.code
            # parents are listed before their children, so a loader can insert in order
            assert codes.index(loc.parent) < index, loc.code
    kinds = {loc.code: loc.kind for loc in LOCATIONS}
    for code, kind in (
        ("MAIN-STORE", "storeroom"),
        ("MAIN-A1", "shelf"),
        ("MAIN-A4", "shelf"),
        ("SAT-ICU", "satellite"),
        ("SAT-OR", "satellite"),
        ("SAT-ED", "satellite"),
        ("ADC-4W", "adc"),
        ("QUAR", "quarantine"),
    ):
        assert kinds[code] == kind


def test_stock_and_par_reference_existing_rows() -> None:
    items = {i.key for i in ITEMS}
    locations = {loc.code for loc in LOCATIONS}
    for row in STOCK:
        assert row.item in items, row
        assert row.location in locations, row
        assert row.quantity > 0, row
        assert row.lot and row.lot == row.lot.strip(), row
    for item, location, par, reorder_point in PAR_LEVELS:
        assert item in items
        assert location in locations
        assert 0 <= reorder_point < par


def test_every_item_is_stocked() -> None:
    assert {s.item for s in STOCK} == {i.key for i in ITEMS}


def test_expiry_scenarios() -> None:
    expired = [s for s in STOCK if s.expiry_offset_days < 0]
    assert len(expired) == 1
    assert all(s.location == "QUAR" for s in expired)
    soon = [s for s in STOCK if 0 < s.expiry_offset_days <= 30]
    assert len(soon) >= 3
    assert max(s.expiry_offset_days for s in STOCK) <= 31 * 30  # ~30 months


def test_fefo_scenarios_exist() -> None:
    lots: defaultdict[tuple[str, str], set[int]] = defaultdict(set)
    for s in STOCK:
        lots[(s.item, s.location)].add(s.expiry_offset_days)
    assert sum(len(expiries) >= 2 for expiries in lots.values()) >= 3


def test_reorder_list_not_empty() -> None:
    on_hand: Counter[tuple[str, str]] = Counter()
    for s in STOCK:
        if s.expiry_offset_days > 0:
            on_hand[(s.item, s.location)] += s.quantity
    below = [(i, loc) for i, loc, _par, rp in PAR_LEVELS if on_hand[(i, loc)] < rp]
    assert len(below) >= 3
    # and most par rows are healthy
    assert len(below) < len(PAR_LEVELS) // 2
