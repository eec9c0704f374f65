"""A reorder line is built from its sums by position (services/reorders.reorder_line, for
speed): every field must land where its name says, whatever order the records keep."""

from __future__ import annotations

import msgspec

from inventory_svc.db.reorders import ReorderSums
from inventory_svc.domain.records import ItemRef, ReorderLine
from inventory_svc.services.reorders import reorder_line


def test_every_field_of_a_line_comes_from_the_sum_of_that_name() -> None:
    sums = ReorderSums(
        par_id=1,
        item_id=2,
        item_name="Heparin 5000 units/mL",
        location="SAT-3",
        par=41,
        reorder_point=13,
        max_level=47,
        supplier="WHOLESALE",
        source_location="STORE",
        supplier_item_code="W-2",
        pack_size=5,
        min_order_quantity=7,
        lead_time_days=3,
        unit_cost_cents=250,
        usable=11,
        used=17,
        on_order=1,
    )
    line = reorder_line(sums, usage_days=30)
    # par 41 - usable 11 - on order 1 = 29 missing, at least 7, in packs of 5: 30
    assert msgspec.structs.asdict(line) == {
        "item": ItemRef(2, "Heparin 5000 units/mL"),
        "location": "SAT-3",
        "on_hand": 11,
        "on_order": 1,
        "reorder_point": 13,
        "par": 41,
        "max": 47,
        "suggested_quantity": 30,
        "daily_usage": 0.567,
        "days_of_supply": 19.4,
        "supplier": "WHOLESALE",
        "source_location": "STORE",
        "supplier_item_code": "W-2",
        "pack_size": 5,
        "min_order_quantity": 7,
        "lead_time_days": 3,
        "unit_cost_cents": 250,
        "line_cost_cents": 7500,
        "used_in_window": 17,
        "usage_days": 30,
    }
    assert set(ReorderLine.__struct_fields__) == set(msgspec.structs.asdict(line))


def test_a_line_with_no_usage_and_no_cost_says_so() -> None:
    sums = ReorderSums(
        1, 2, "Gauze", "STORE", 10, 5, None, None, None, None, 1, 1, 0, None, 0, 0, 0
    )
    line = reorder_line(sums, usage_days=30)
    assert (line.daily_usage, line.days_of_supply, line.line_cost_cents) == (0.0, None, None)
    assert (line.suggested_quantity, line.max, line.supplier) == (10, None, None)
