"""Ledger rules without a database: routes, lot checks, FEFO, base units, roles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory_svc.domain.errors import (
    BadRequest,
    ExpiredLot,
    InsufficientStock,
    InvalidMovement,
    QuantityTooLarge,
    RecalledLot,
    ReturnExceedsIssued,
    UnsupportedAction,
)
from inventory_svc.domain.ledger import (
    MAX_BASE_UNITS_PER_SCAN,
    MOVING_ACTIONS,
    VIRTUAL_LOCATIONS,
    Action,
    LotOnHand,
    Route,
    base_units,
    check_lot_may_move,
    check_return_within_issued,
    lot_status,
    pick_fefo,
    route_for,
)
from inventory_svc.domain.roles import Permission, Role, allows, permission_for_action

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("action", "source", "destination"),
    [
        (Action.RECEIVE, "@supplier", "SHELF"),
        (Action.ISSUE, "SHELF", "@consumed"),
        (Action.WASTE, "SHELF", "@waste"),
        (Action.RETURN, "@consumed", "SHELF"),
        (Action.TRANSFER, "SHELF", "SAT"),
    ],
)
def test_each_action_moves_stock_along_its_route(
    action: Action, source: str, destination: str
) -> None:
    route = route_for(action, "SHELF", "SAT")
    assert (route.source, route.destination) == (source, destination)


def test_a_transfer_needs_a_second_location() -> None:
    with pytest.raises(BadRequest):
        route_for(Action.TRANSFER, "SHELF", None)
    with pytest.raises(InvalidMovement):
        route_for(Action.TRANSFER, "SHELF", "SHELF")


def test_actions_of_later_workflows_say_so() -> None:
    with pytest.raises(UnsupportedAction):
        route_for(Action.COUNT, "SHELF", None)


@pytest.mark.parametrize(
    ("expiry", "recalled", "status"),
    [
        (None, False, "ok"),
        (TODAY + timedelta(days=31), False, "ok"),
        (TODAY + timedelta(days=30), False, "expiring"),
        (TODAY, False, "expiring"),
        (TODAY - timedelta(days=1), False, "expired"),
        (TODAY + timedelta(days=400), True, "recalled"),
    ],
)
def test_lot_status(expiry: date | None, recalled: bool, status: str) -> None:
    assert lot_status(expiry, recalled, TODAY) == status


def test_expired_stock_may_only_be_wasted_or_quarantined() -> None:
    expired = TODAY - timedelta(days=1)
    with pytest.raises(ExpiredLot):
        check_lot_may_move(
            route_for(Action.ISSUE, "S", None), "virtual", "L", expired, False, TODAY
        )
    with pytest.raises(ExpiredLot):
        check_lot_may_move(
            route_for(Action.TRANSFER, "S", "T"), "shelf", "L", expired, False, TODAY
        )
    assert (
        check_lot_may_move(
            route_for(Action.WASTE, "S", None), "virtual", "L", expired, False, TODAY
        )
        == []
    )
    assert (
        check_lot_may_move(
            route_for(Action.TRANSFER, "S", "Q"), "quarantine", "L", expired, False, TODAY
        )
        == []
    )


def test_recalled_stock_is_refused_for_issue() -> None:
    with pytest.raises(RecalledLot):
        check_lot_may_move(route_for(Action.ISSUE, "S", None), "virtual", "L", None, True, TODAY)


def test_expiring_stock_moves_with_a_warning() -> None:
    warnings = check_lot_may_move(
        route_for(Action.RECEIVE, "S", None), "shelf", "L", TODAY + timedelta(days=5), False, TODAY
    )
    assert [code for code, _ in warnings] == ["expiring_soon"]


def _lot(lot_id: int, days: int | None, quantity: int, recalled: bool = False) -> LotOnHand:
    expiry = None if days is None else TODAY + timedelta(days=days)
    return LotOnHand(lot_id, f"L{lot_id}", expiry, recalled, quantity)


def test_fefo_takes_earliest_expiry_first_and_skips_unusable_lots() -> None:
    lots = [
        _lot(1, 300, 5),
        _lot(2, 30, 2),
        _lot(3, None, 9),
        _lot(4, -1, 4),
        _lot(5, 10, 6, recalled=True),
    ]
    picks = pick_fefo(lots, 8, TODAY)
    assert [(lot.lot_id, take) for lot, take in picks] == [(2, 2), (1, 5), (3, 1)]


def test_fefo_pulls_expired_first_when_wasting() -> None:
    lots = [_lot(1, 300, 5), _lot(4, -1, 4)]
    picks = pick_fefo(lots, 5, TODAY, include_unusable=True)
    assert [(lot.lot_id, take) for lot, take in picks] == [(4, 4), (1, 1)]


def test_fefo_refuses_more_than_usable_and_says_why() -> None:
    with pytest.raises(InsufficientStock, match="expired or recalled"):
        pick_fefo([_lot(1, 300, 2), _lot(2, -3, 10)], 5, TODAY)


@given(
    st.lists(
        st.tuples(st.integers(-50, 500) | st.none(), st.integers(0, 20), st.booleans()), max_size=8
    ),
    st.integers(1, 60),
)
def test_fefo_takes_exactly_what_was_asked_from_usable_lots(
    specs: list[tuple[int | None, int, bool]], wanted: int
) -> None:
    lots = [_lot(i, days, quantity, recalled) for i, (days, quantity, recalled) in enumerate(specs)]
    usable = {
        lot.lot_id: lot.quantity
        for lot in lots
        if lot_status(lot.expiry, lot.recalled, TODAY) in ("ok", "expiring")
    }
    if sum(usable.values()) < wanted:
        with pytest.raises(InsufficientStock):
            pick_fefo(lots, wanted, TODAY)
        return
    picks = pick_fefo(lots, wanted, TODAY)
    assert sum(take for _, take in picks) == wanted
    assert all(0 < take <= usable[lot.lot_id] for lot, take in picks)
    expiries = [lot.expiry or date.max for lot, _ in picks]
    assert expiries == sorted(expiries)


def test_base_units_multiply_pack_size_and_gs1_count() -> None:
    assert base_units(2, 10, None) == 20
    assert base_units(1, 1, 12) == 12
    with pytest.raises(BadRequest):
        base_units(0, 1, None)


def test_base_units_per_scan_are_capped_at_a_pallet() -> None:
    assert base_units(100, 1_000, 100) == MAX_BASE_UNITS_PER_SCAN
    for quantity, units, count in [(100, 1_000, 101), (100_000, 100_000, 99_999_999)]:
        with pytest.raises(QuantityTooLarge) as refused:
            base_units(quantity, units, count)
        assert refused.value.extra["limit"] == MAX_BASE_UNITS_PER_SCAN


def test_route_knows_whether_it_leaves_a_real_location() -> None:
    assert Route("issue", "SHELF", "@consumed").leaves_real_location
    assert not Route("receive", "@supplier", "SHELF").leaves_real_location


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("virtual", [*VIRTUAL_LOCATIONS, "@anything"])
def test_no_scan_names_a_virtual_location(action: Action, virtual: str) -> None:
    with pytest.raises(InvalidMovement):
        route_for(action, virtual, "SHELF")
    with pytest.raises(InvalidMovement):
        route_for(action, "SHELF", virtual)


def test_only_a_receipt_brings_a_new_lot_and_only_a_return_is_bounded_by_issues() -> None:
    routes = {action: route_for(action, "SHELF", "SAT") for action in MOVING_ACTIONS}
    assert [a for a, r in routes.items() if r.may_create_lot] == [Action.RECEIVE]
    assert [a for a, r in routes.items() if r.bounded_by_issued] == [Action.RETURN]


def test_a_return_never_exceeds_what_was_issued_net_of_returns() -> None:
    check_return_within_issued("L1", 5, 5)
    with pytest.raises(ReturnExceedsIssued) as refused:
        check_return_within_issued("L1", 5, 6)
    assert refused.value.extra["returnable"] == 5
    with pytest.raises(ReturnExceedsIssued):
        check_return_within_issued("", 0, 1)


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        (Role.SCANNER, Action.ISSUE, True),
        (Role.SCANNER, Action.TRANSFER, False),
        (Role.SPECIALIST, Action.TRANSFER, True),
        (Role.INTEGRATION, Action.RECEIVE, False),
        (Role.ADMIN, Action.RESTOCK, True),
    ],
)
def test_role_matrix_for_scan_actions(role: Role, action: Action, allowed: bool) -> None:
    assert allows(role, permission_for_action(action)) is allowed


def test_only_admin_manages_keys() -> None:
    assert [role for role in Role if allows(role, Permission.KEYS)] == [Role.ADMIN]
