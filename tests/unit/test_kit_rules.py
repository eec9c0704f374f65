"""Kit rules in the pure domain: slot accounting with interchangeable items, shelf-life
edges, what may seal, what a restock scan is refused for (in the contract's order)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory_svc.domain import barcodes
from inventory_svc.domain.errors import (
    BelowMinShelfLife,
    ExpiredLot,
    InsufficientStock,
    KitIncomplete,
    NotInTemplate,
    RecalledLot,
    SessionClosed,
    SlotFull,
)
from inventory_svc.domain.kits import (
    KitLot,
    SlotRule,
    TemplateRules,
    UnitState,
    assess,
    check_may_seal,
    check_template_lines,
    is_ready,
    plan_restock,
    suggest_lots,
    summarize,
    to_replace,
    unit_state,
)
from inventory_svc.domain.ledger import LotFacts, PlaceFacts, Route
from inventory_svc.domain.vocabulary import KitStatus

TODAY = date(2026, 11, 29)
EPI, EPI_OTHER, AMIO, ATROPINE = 1, 2, 3, 4
RULES = TemplateRules(
    id=1,
    code="CART",
    version=1,
    check_interval_days=30,
    slots=(
        SlotRule("Epinephrine", frozenset({EPI, EPI_OTHER}), 4, 30),
        SlotRule("Amiodarone", frozenset({AMIO}), 2, 0),
    ),
)
SOURCE = PlaceFacts(10, "PHARM", "shelf", False)
KIT = PlaceFacts(20, "CART-1", "crash_cart", False)
ROUTE = Route("restock", "PHARM", "CART-1")


def lot(item: int, number: str, days: int | None, quantity: int, recalled: bool = False) -> KitLot:
    expiry = None if days is None else TODAY + timedelta(days=days)
    return KitLot(item, f"item {item}", hash(number) % 10_000, number, expiry, recalled, quantity)


def test_interchangeable_items_fill_one_slot_and_the_earliest_expiry_is_the_kits() -> None:
    assessment = assess(
        RULES,
        [lot(EPI, "E1", 400, 3), lot(EPI_OTHER, "O1", 200, 1), lot(AMIO, "A1", 90, 2)],
        TODAY,
    )
    epi, amio = assessment.slots
    assert (epi.present, epi.fit, epi.missing) == (4, 4, 0)
    assert (amio.present, amio.missing) == (2, 0)
    assert assessment.complete and assessment.expiry == TODAY + timedelta(days=90)
    assert is_ready(KitStatus.READY, assessment)
    assert not is_ready(KitStatus.OPEN, assessment)


@pytest.mark.parametrize(
    ("days", "min_days", "state"),
    [
        (-1, 0, UnitState.EXPIRED),
        (0, 0, UnitState.EXPIRING),  # expires today: still usable today, swap it
        (30, 30, UnitState.OK),  # exactly the minimum is enough (and outlasts the check)
        (29, 30, UnitState.SHORT_DATED),
        (0, 1, UnitState.SHORT_DATED),
        (45, 30, UnitState.OK),
        (None, 365, UnitState.OK),  # no expiry: never short-dated
    ],
)
def test_shelf_life_edges(days: int | None, min_days: int, state: UnitState) -> None:
    slot = SlotRule("x", frozenset({EPI}), 1, min_days)
    expiry = None if days is None else TODAY + timedelta(days=days)
    assert unit_state(expiry, False, slot, TODAY, TODAY + timedelta(days=30)) is state


def test_a_day_00_expiry_means_the_last_day_of_its_month() -> None:
    barcode = barcodes.interpret("]d2010031234567890617261200" + "10LOT")
    assert barcode.expiry == date(2026, 12, 31)
    slot = SlotRule("x", frozenset({EPI}), 1, 32)  # 2026-11-29 + 32 days = 2026-12-31
    assert unit_state(barcode.expiry, False, slot, TODAY, TODAY) is UnitState.OK
    slot = SlotRule("x", frozenset({EPI}), 1, 33)
    assert unit_state(barcode.expiry, False, slot, TODAY, TODAY) is UnitState.SHORT_DATED


def test_unfit_units_count_as_present_but_not_as_fit_and_block_the_seal() -> None:
    assessment = assess(
        RULES,
        [
            lot(EPI, "E1", 400, 2),
            lot(EPI, "OLD", -3, 1),
            lot(EPI_OTHER, "SHORT", 10, 1),
            lot(AMIO, "A1", 90, 1, recalled=True),
            lot(ATROPINE, "T1", 400, 1),
        ],
        TODAY,
    )
    epi, amio = assessment.slots
    assert (epi.present, epi.fit, epi.missing, epi.expired, epi.short_dated) == (4, 2, 2, 1, 1)
    assert (amio.present, amio.fit, amio.missing, amio.expired) == (1, 0, 2, 1)
    assert [x.item_id for x in assessment.off_template] == [ATROPINE]
    assert not assessment.complete
    with pytest.raises(KitIncomplete) as refused:
        check_may_seal(assessment, None)
    assert refused.value.extra["slots"][0] == {
        "slot": "Epinephrine",
        "required": 4,
        "present": 4,
        "missing": 2,
        "expired": 1,
        "short_dated": 1,
    }
    assert check_may_seal(assessment, "backorder") is True
    assert not is_ready(KitStatus.READY, assessment)


def test_a_complete_kit_seals_without_an_override() -> None:
    assessment = assess(RULES, [lot(EPI, "E1", 400, 4), lot(AMIO, "A1", 90, 2)], TODAY)
    assert check_may_seal(assessment, None) is False
    assert check_may_seal(assessment, "not needed") is False


def _restock(
    item: int,
    *,
    named: LotFacts | None = None,
    lot_number: str | None = "L",
    expiry: date | None = TODAY + timedelta(days=400),
    at_source: list[LotFacts] | None = None,
    present: int = 0,
    quantity: int = 1,
    session_open: bool = True,
) -> object:
    return plan_restock(
        ROUTE,
        RULES,
        item_id=item,
        source=SOURCE,
        destination=KIT,
        quantity=quantity,
        barcode_lot=lot_number,
        barcode_expiry=expiry,
        named_lot=named,
        lots_at_source=at_source or [],
        present_in_slot=present,
        session_open=session_open,
        today=TODAY,
    )


def test_restock_refusals_come_in_the_contract_order() -> None:
    far = TODAY + timedelta(days=400)
    expired = LotFacts(1, "OLD", TODAY - timedelta(days=1), False, 5)
    recalled = LotFacts(2, "BAD", far, True, 5)
    short = LotFacts(3, "SHORT", TODAY + timedelta(days=10), False, 5)
    good = LotFacts(4, "GOOD", far, False, 5)
    # lot fitness first, even for an item no slot takes or a full slot
    with pytest.raises(ExpiredLot):
        _restock(ATROPINE, named=expired, present=4, session_open=False)
    with pytest.raises(RecalledLot):
        _restock(EPI, named=recalled, present=4)
    with pytest.raises(BelowMinShelfLife):
        _restock(EPI, named=short, present=4, session_open=False)
    with pytest.raises(NotInTemplate):
        _restock(ATROPINE, named=good, present=4)
    with pytest.raises(SlotFull):
        _restock(EPI, named=good, present=4, session_open=False)
    with pytest.raises(SessionClosed):
        _restock(EPI, named=good, present=3, session_open=False)
    with pytest.raises(InsufficientStock):
        _restock(EPI, named=LotFacts(5, "FEW", far, False, 2), present=0, quantity=3)
    plan = _restock(EPI, named=good, present=3)
    assert [leg.quantity for leg in plan.legs] == [1]  # type: ignore[attr-defined]


def test_fefo_restock_takes_only_lots_with_the_slots_shelf_life() -> None:
    short = LotFacts(3, "SHORT", TODAY + timedelta(days=10), False, 5)
    good = LotFacts(4, "GOOD", TODAY + timedelta(days=400), False, 2)
    plan = _restock(EPI, lot_number=None, expiry=None, at_source=[short, good], quantity=2)
    assert [(leg.lot_number, leg.quantity) for leg in plan.legs] == [("GOOD", 2)]  # type: ignore[attr-defined]
    with pytest.raises(BelowMinShelfLife):  # enough units, but not enough shelf life
        _restock(EPI, lot_number=None, expiry=None, at_source=[short, good], quantity=3)
    with pytest.raises(InsufficientStock):
        _restock(EPI, lot_number=None, expiry=None, at_source=[good], quantity=3)


def test_suggestions_prefer_lots_that_outlast_the_next_check() -> None:
    slot = RULES.slots[0]
    lots = [
        lot(EPI, "SOON", 35, 5),  # meets the 30 days, but expires before the check (day 40)
        lot(EPI, "LATE", 500, 5),
        lot(EPI_OTHER, "MID", 200, 1),
        lot(EPI, "SHORT", 5, 9),
        lot(AMIO, "A", 400, 9),
    ]
    picks = suggest_lots(slot, lots, 3, TODAY, TODAY + timedelta(days=40))
    assert [(p.lot, p.quantity) for p in picks] == [("MID", 1), ("LATE", 2)]


def test_what_a_restock_brings_is_the_missing_plus_the_expiring() -> None:
    # amiodarone needs no minimum shelf life; the kit is checked every 30 days
    assessment = assess(RULES, [lot(AMIO, "A1", 400, 1), lot(AMIO, "SOON", 20, 1)], TODAY)
    amio = assessment.slots[1]
    assert (amio.fit, amio.expiring, amio.missing) == (2, 1, 0)
    assert to_replace(amio) == 1


def test_templates_refuse_an_item_in_two_slots() -> None:
    assert check_template_lines([("A", [1, 2]), ("B", [3])]) == []
    assert len(check_template_lines([("A", [1]), ("B", [1])])) == 1
    assert len(check_template_lines([("A", [1]), ("A", [2])])) == 1


@given(
    st.lists(
        st.tuples(
            st.sampled_from([EPI, EPI_OTHER, AMIO, ATROPINE]),
            st.one_of(st.none(), st.integers(-10, 100)),
            st.integers(0, 5),
            st.booleans(),
        ),
        max_size=12,
    )
)
def test_the_boards_summary_counts_as_the_full_assessment_does(
    lots: list[tuple[int, int | None, int, bool]],
) -> None:
    rules = TemplateRules(id=1, code="CART", version=1, check_interval_days=30, slots=RULES.slots)
    contents = [
        lot(item, f"L{index}", days, quantity, recalled=recalled and index % 3 == 0)
        for index, (item, days, quantity, recalled) in enumerate(lots)
    ]
    full = assess(rules, contents, TODAY)
    summary = summarize(rules, contents, TODAY)
    assert summary.expiry == full.expiry
    assert summary.complete == full.complete
    assert summary.short == [(s.slot, s.missing, s.unusable) for s in full.short()]
    assert summary.off_template == sum(x.quantity for x in full.off_template)
