"""Consistency checks for the demo data set in ``inventory_svc.demo.data``."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from inventory_svc.config import Settings
from inventory_svc.db.engine import create_sessionmaker
from inventory_svc.demo import load_demo
from inventory_svc.demo.data import (
    ITEMS,
    KIT_SOURCE,
    KIT_TEMPLATES,
    KITS,
    LOCATIONS,
    PAR_LEVELS,
    STOCK,
    SUPPLIERS,
    gtin_for_ndc,
)
from inventory_svc.demo.kits import fill_plan
from inventory_svc.domain import limits
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.roles import Role
from inventory_svc.domain.vocabulary import KIT_KINDS, KitStatus, LocationKind
from inventory_svc.services.actors import Actor
from inventory_svc.services.uow import Transactions
from tests.api.test_ledger_properties import _ledger_violations
from tests.conftest import Keys

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


# --- kits ----------------------------------------------------------------------------------

TEMPLATES = {template.code: template for template in KIT_TEMPLATES}
SOURCE_STOCK = {(s.item, s.lot): s for s in STOCK if s.location == KIT_SOURCE}


def test_kit_templates_are_drawer_by_drawer_and_use_demo_items() -> None:
    items = {i.key: i for i in ITEMS}
    assert {t.kind for t in KIT_TEMPLATES} == {"crash_cart", "anesthesia_tray"}
    assert {"CC-ADULT", "CC-PEDS", "TRAY-GA"} == set(TEMPLATES)
    for template in KIT_TEMPLATES:
        assert template.kind in KIT_KINDS
        assert limits.KIT_TEMPLATE_CODE.allows(template.code)
        assert limits.NAME.allows(template.name)
        assert 1 <= template.check_interval_days <= 90
        slots = [slot.slot for slot in template.slots]
        assert len(slots) == len(set(slots)), template.code
        listed = [item for slot in template.slots for item in slot.items]
        # an item is in at most one slot of a template: every unit in a kit has one slot
        assert len(listed) == len(set(listed)), template.code
        for slot in template.slots:
            assert limits.KIT_SLOT.allows(slot.slot), slot.slot
            assert slot.quantity > 0 and 14 <= slot.min_days_to_expiry <= 90, slot
            for item in slot.items:
                assert item in items, item
                flag = "crash_cart" if template.kind == "crash_cart" else "anesthesia"
                assert getattr(items[item], flag), (template.code, item)
        for slot in template.slots:  # interchangeable means the same drug and strength
            assert len({items[item].strength for item in slot.items}) == 1, slot.slot
            assert len({items[item].base_unit for item in slot.items}) == 1, slot.slot
    adult = TEMPLATES["CC-ADULT"]
    assert adult.slots[0].slot.startswith("Drawer 1: Epinephrine") and adult.slots[0].quantity == 6
    # interchangeable makers in one slot, in the adult and the pediatric carts
    assert sum(len(slot.items) > 1 for slot in adult.slots) == 2
    assert any(len(slot.items) > 1 for slot in TEMPLATES["CC-PEDS"].slots)
    # pediatric strengths only in the pediatric cart
    peds_items = {item for slot in TEMPLATES["CC-PEDS"].slots for item in slot.items}
    adult_items = {item for slot in adult.slots for item in slot.items}
    assert {"dextrose-25pct-10ml", "sodium-bicarbonate-4.2pct-10ml"} <= peds_items - adult_items
    # the kit-only items, by the NDCs on their labels
    assert ndc_of("dextrose-25pct-10ml") == "0409-1775-10"  # Hospira Ansyr 25%, 10 mL
    assert ndc_of("sodium-bicarbonate-4.2pct-10ml") == "0409-5534-34"  # Abboject infant
    assert ndc_of("epinephrine-1mg-10ml-ims") == "76329-3316-1"  # IMS Luer-Jet


def test_kits_cover_every_state_on_real_homes() -> None:
    kinds = {loc.code: loc.kind for loc in LOCATIONS}
    assert {kit.status for kit in KITS} == {status.value for status in KitStatus}
    assert {kit.template for kit in KITS} == set(TEMPLATES)
    assert len({kit.code for kit in KITS}) == len(KITS)
    assert len({kit.seal for kit in KITS if kit.seal}) == sum(kit.seal is not None for kit in KITS)
    codes = {loc.code for loc in LOCATIONS}
    for kit in KITS:
        assert kit.code not in codes and limits.LOCATION_CODE.allows(kit.code)
        assert limits.NAME.allows(kit.name)
        assert kinds[kit.home] not in KIT_KINDS and kinds[kit.home] != "quarantine", kit.code
        sealed = kit.status not in (KitStatus.UNSEALED, KitStatus.RESTOCKING)
        assert (kit.seal is not None) == sealed, kit.code
        assert kit.seal is None or limits.SEAL_NUMBER.allows(kit.seal)
        assert (kit.status == KitStatus.QUARANTINED) == (kit.check_seal is not None)
        assert kit.check_seal is None or kit.check_seal != kit.seal
        assert (kit.status == KitStatus.OPEN) == bool(
            kit.used and kit.reference and kit.open_reason
        )
        assert (kit.fill_slots is not None) == (kit.status == KitStatus.RESTOCKING)
        assert bool(kit.short) == bool(kit.override_reason), kit.code
        if kit.override_reason:
            assert limits.KIT_REASON.allows(kit.override_reason)
    assert [k.code for k in KITS if k.override_reason] == ["PC-ICU-1"]


def test_kit_fills_come_from_the_source_shelf_fit_for_their_slots() -> None:
    """Every restock the loader scans is one the service accepts: the lot is on the source
    shelf, meets the slot's minimum shelf life, and the shelf holds enough for every kit."""
    taken: Counter[tuple[str, str]] = Counter()
    for kit in KITS:
        if kit.status == KitStatus.UNSEALED:
            continue
        template = TEMPLATES[kit.template]
        slot_of = {item: slot for slot in template.slots for item in slot.items}
        plan = fill_plan(template, kit)
        in_slot: Counter[str] = Counter()
        for item, lot, quantity in plan:
            stock = SOURCE_STOCK[(item, lot)]
            assert stock.expiry_offset_days >= slot_of[item].min_days_to_expiry, (kit.code, lot)
            taken[(item, lot)] += quantity
            in_slot[slot_of[item].slot] += quantity
        short = dict(kit.short)
        slots = template.slots if kit.fill_slots is None else template.slots[: kit.fill_slots]
        assert dict(in_slot) == {s.slot: s.quantity - short.get(s.slot, 0) for s in slots}
        if kit.status != KitStatus.RESTOCKING:
            assert kit.fill_slots is None and len(slots) == len(template.slots)
        used = dict(kit.used)
        for item, quantity in used.items():
            assert sum(q for i, _, q in plan if i == item) >= quantity, (kit.code, item)
    for key, quantity in taken.items():
        assert quantity <= SOURCE_STOCK[key].quantity, key
    # the epinephrine slot of a full adult cart takes both makers
    adult = next(kit for kit in KITS if kit.template == "CC-ADULT" and kit.status == "ready")
    epi = [
        row for row in fill_plan(TEMPLATES["CC-ADULT"], adult) if "epinephrine-1mg-10ml" in row[0]
    ]
    assert [(item, quantity) for item, _, quantity in epi] == [
        ("epinephrine-1mg-10ml", 4),
        ("epinephrine-1mg-10ml-ims", 2),
    ]
    # exactly one ready kit expires within ~3 weeks, because of one lot
    soon = [
        kit.code
        for kit in KITS
        if kit.status == KitStatus.READY
        and any(
            SOURCE_STOCK[(item, lot)].expiry_offset_days <= 21
            for item, lot, _ in fill_plan(TEMPLATES[kit.template], kit)
        )
    ]
    assert soon == ["CC-ED-1"]


async def test_the_demo_load_builds_a_living_kit_board(
    client: Any, keys: Keys, engine: AsyncEngine, settings: Settings
) -> None:
    """Loaded through the use cases and scans, the board shows every state with the live
    verdict, kit expiry from the ledger, the code blue's charge sheet and the override; the
    ledger still adds up (stock entered the kits only by restock scans)."""
    actor = Actor(key_id=None, name="demo-test", role=Role.ADMIN)
    counts = await load_demo(Transactions(create_sessionmaker(engine), SiteClock()), actor)
    assert counts is not None and counts["kits"] == len(KITS)
    admin = await keys.header(Role.ADMIN)
    today = datetime.now(UTC).date()

    response = await client.get("/api/v1/kits", headers=admin)
    assert response.status_code == 200, response.text
    board = {row["code"]: row for row in response.json()}
    assert set(board) == {kit.code for kit in KITS}
    assert {code: row["status"] for code, row in board.items()} == {
        kit.code: kit.status for kit in KITS
    }
    ready = {code for code, row in board.items() if row["ready"]}
    assert ready == {"CC-ICU-1", "CC-ED-1", "PC-ED-1", "AT-OR1"}
    assert board["CC-ED-1"]["expiry"] == (today + timedelta(days=18)).isoformat()
    assert board["CC-ED-1"]["days_to_expiry"] == 18
    assert all(board[code]["last_check_at"] for code in ready)
    assert board["PC-ICU-1"]["short"] == [
        {"slot": "Drawer 2: Dextrose 25% 10 mL (infant)", "missing": 2, "to_pull": 0}
    ]
    assert {s["slot"]: s["missing"] for s in board["CC-ED-2"]["short"]} == {
        "Drawer 1: Epinephrine 1 mg/10 mL syringe": 3,
        "Drawer 1: Amiodarone 150 mg/3 mL": 2,
        "Drawer 2: Sodium bicarbonate 8.4% 50 mL": 1,
    }
    assert len(board["AT-OR3"]["short"]) == len(TEMPLATES["TRAY-GA"].slots) - 5
    assert board["AT-OR4"]["expiry"] is None

    expiring = await client.get("/api/v1/kits", params={"expiring_within_days": 30}, headers=admin)
    assert [row["code"] for row in expiring.json()] == ["CC-ED-1"]

    usage = (await client.get("/api/v1/kits/CC-ED-2/usage", headers=admin)).json()
    assert usage["openings"][0]["reference"] == "CODE-BLUE-26-0142"
    assert sum(line["quantity"] for line in usage["lines"]) == 6
    kit = (await client.get("/api/v1/kits/PC-ICU-1", headers=admin)).json()
    assert kit["status"] == "ready" and kit["ready"] is False
    events = (await client.get("/api/v1/events", params={"type": "kit.*"}, headers=admin)).json()
    assert {e["type"] for e in events} == {
        "kit.restocked",
        "kit.override",
        "kit.opened",
        "kit.flagged",
    }
    assert await _ledger_violations(settings) == []
