"""Every field the API accepts fits the column it is stored in (or looked up against): the
request types and the models take their limits from domain/limits, and this walks both so
that a limit changed on one side only, or a new field without one, fails here."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from sqlalchemy import BigInteger, Column, Date, Integer, String, Text

from inventory_svc.app import create_app
from inventory_svc.config import Settings
from inventory_svc.db.models import (
    Base,
    CountSession,
    Item,
    ItemIdentifier,
    Kit,
    KitCheck,
    KitOpening,
    KitTemplate,
    KitTemplateSlot,
    Location,
    Lot,
    Movement,
    ParLevel,
    PickList,
    PurchaseOrder,
    PurchaseOrderLine,
    Recall,
    ReceivedSscc,
    RestockSession,
    Scan,
    ScanReversal,
    Shipment,
    ShipmentLine,
    Supplier,
    SupplierItem,
    UtcDateTime,
    Webhook,
)
from inventory_svc.demo import data as demo_data
from inventory_svc.domain import limits
from inventory_svc.domain.errors import TimestampOutOfRange

# (request type, field) -> the columns the value is stored in or looked up against; a field
# that is not stored (yet) maps to an empty tuple and must still be bounded.
WHERE_FIELDS_GO: dict[tuple[str, str], tuple[Any, ...]] = {
    ("ItemIn", "name"): (Item.name,),
    ("ItemIn", "identifiers"): (),
    ("ItemIn", "strength"): (Item.strength,),
    ("ItemIn", "form"): (Item.form,),
    ("ItemIn", "base_unit"): (Item.base_unit,),
    ("ItemIn", "schedule"): (Item.schedule,),
    ("ItemIn", "preferred_supplier"): (Supplier.code,),
    ("IdentifierIn", "kind"): (ItemIdentifier.kind,),
    ("IdentifierIn", "value"): (ItemIdentifier.printed, ItemIdentifier.value),
    ("IdentifierIn", "units"): (ItemIdentifier.units,),
    ("LocationIn", "code"): (Location.code,),
    ("LocationIn", "name"): (Location.name,),
    ("LocationIn", "kind"): (Location.kind,),
    ("LocationIn", "parent"): (Location.code,),
    ("SupplierIn", "code"): (Supplier.code,),
    ("SupplierIn", "name"): (Supplier.name,),
    ("SupplierIn", "account_number"): (Supplier.account_number,),
    ("ScanRequest", "code"): (Scan.code,),
    ("ScanRequest", "action"): (Scan.action,),
    ("ScanRequest", "location"): (Scan.location_code, Location.code),
    ("ScanRequest", "to_location"): (Scan.to_location_code, Location.code),
    ("ScanRequest", "quantity"): (Scan.quantity, Movement.quantity),
    ("ScanRequest", "purchase_order"): (Movement.reference,),
    ("ScanRequest", "reference"): (Movement.reference,),
    ("ScanRequest", "restock_session"): (RestockSession.id,),
    ("ScanRequest", "count_session"): (CountSession.id,),
    ("ScanRequest", "pick_list"): (PickList.id,),
    ("ScanRequest", "device"): (Scan.device, Movement.device),
    ("ScanRequest", "scanned_at"): (Scan.scanned_at,),
    ("SupplierItemIn", "supplier"): (Supplier.code,),
    ("SupplierItemIn", "item"): (SupplierItem.item_id,),
    ("SupplierItemIn", "supplier_item_code"): (SupplierItem.supplier_item_code,),
    ("SupplierItemIn", "pack_size"): (SupplierItem.pack_size,),
    ("SupplierItemIn", "min_order_quantity"): (SupplierItem.min_order_quantity,),
    ("SupplierItemIn", "lead_time_days"): (SupplierItem.lead_time_days,),
    ("SupplierItemIn", "unit_cost_cents"): (SupplierItem.unit_cost_cents,),
    ("SupplierItemIn", "preferred"): (),
    ("ParLevelIn", "item"): (ParLevel.item_id,),
    ("ParLevelIn", "location"): (Location.code,),
    ("ParLevelIn", "par"): (ParLevel.par,),
    ("ParLevelIn", "reorder_point"): (ParLevel.reorder_point,),
    ("ParLevelIn", "max"): (ParLevel.max_level,),
    ("ParLevelIn", "source"): (),
    ("ParSourceIn", "supplier"): (Supplier.code,),
    ("ParSourceIn", "location"): (Location.code,),
    ("PurchaseOrderIn", "supplier"): (Supplier.code,),
    ("PurchaseOrderIn", "location"): (Location.code,),
    ("PurchaseOrderIn", "lines"): (),
    ("PurchaseOrderIn", "from_reorder_list"): (),
    ("FromReorderList", "location"): (Location.code,),
    ("PoLineIn", "item"): (PurchaseOrderLine.item_id,),
    ("PoLineIn", "ordered"): (PurchaseOrderLine.ordered,),
    ("PurchaseOrderPatch", "lines"): (),
    ("PoLineEdit", "item"): (PurchaseOrderLine.item_id,),
    ("PoLineEdit", "ordered"): (PurchaseOrderLine.ordered,),
    ("AcknowledgementIn", "supplier_reference"): (PurchaseOrder.supplier_reference,),
    ("AcknowledgementIn", "lines"): (),
    ("AcknowledgedLine", "line"): (PurchaseOrderLine.line,),
    ("AcknowledgedLine", "confirmed"): (PurchaseOrderLine.confirmed,),
    ("AcknowledgedLine", "backordered"): (PurchaseOrderLine.backordered,),
    ("PickListIn", "from_reorder_list"): (),
    ("KitTemplateIn", "code"): (KitTemplate.code,),
    ("KitTemplateIn", "name"): (KitTemplate.name,),
    ("KitTemplateIn", "kind"): (KitTemplate.kind, Location.kind),
    ("KitTemplateIn", "lines"): (),
    ("KitTemplateIn", "check_interval_days"): (KitTemplate.check_interval_days,),
    ("TemplateLineIn", "slot"): (KitTemplateSlot.slot,),
    ("TemplateLineIn", "items"): (),
    ("TemplateLineIn", "quantity"): (KitTemplateSlot.quantity,),
    ("TemplateLineIn", "min_days_to_expiry"): (KitTemplateSlot.min_days_to_expiry,),
    ("KitIn", "code"): (Location.code,),
    ("KitIn", "template"): (KitTemplate.code,),
    ("KitIn", "home_location"): (Location.code,),
    ("KitIn", "name"): (Location.name,),
    ("RestockIn", "source_location"): (Location.code,),
    ("CompleteIn", "seal_number"): (RestockSession.seal_number, Kit.seal_number),
    ("CompleteIn", "override_reason"): (RestockSession.override_reason,),
    ("OpenIn", "reason"): (KitOpening.reason,),
    ("OpenIn", "seal_number"): (KitOpening.seal_number,),
    ("OpenIn", "reference"): (KitOpening.reference,),
    ("CheckIn", "seal_number"): (KitCheck.seal_number,),
    ("CheckIn", "intact"): (),
    ("CountIn", "location"): (Location.code,),
    ("CountIn", "blind"): (),
    ("CommitIn", "reason"): (CountSession.reason,),
    ("ReverseIn", "reason"): (ScanReversal.reason,),
    ("RecallIn", "lots"): (),
    ("RecallIn", "reason"): (Recall.reason,),
    ("RecallIn", "item"): (Recall.item_id,),
    ("RecallIn", "gtin"): (ItemIdentifier.value,),
    ("RecallIn", "ndc"): (ItemIdentifier.printed,),
    ("RecallIn", "source"): (Recall.source,),
    ("QuarantineIn", "quarantine_location"): (Location.code,),
    ("WebhookIn", "url"): (Webhook.url,),
    ("WebhookIn", "secret"): (Webhook.secret,),
    ("WebhookIn", "events"): (),
    ("ShipmentIn", "lines"): (),
    ("ShipmentIn", "reference"): (Shipment.reference,),
    ("ShipmentLineIn", "gtin"): (ShipmentLine.gtin, ItemIdentifier.value),
    ("ShipmentLineIn", "lot"): (ShipmentLine.lot_number, Lot.lot_number),
    ("ShipmentLineIn", "expiry"): (ShipmentLine.expiry, Lot.expiry),
    ("ShipmentLineIn", "quantity"): (ShipmentLine.quantity,),
    ("ShipmentLineIn", "serials"): (),
    ("ShipmentLineIn", "sscc"): (ShipmentLine.sscc, ReceivedSscc.sscc),
}

# Kept exactly as sent, whatever it holds; NUL, which no database stores in text, is
# replaced when the scan is recorded (services/scans.py `_printable`).
STORED_THROUGH_PRINTABLE = {("ScanRequest", "code")}

INT_RANGES = {Integer: limits.INT32, BigInteger: limits.INT64}


def request_types() -> dict[str, Any]:
    """The body type of every route that takes one, and the Structs nested in them."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///unused.db"))
    found: dict[str, Any] = {}

    def collect(info: Any) -> None:
        if isinstance(info, msgspec.inspect.StructType) and info.cls.__name__ not in found:
            found[info.cls.__name__] = info
            for field in info.fields:
                collect(field.type)
        for attribute in ("type", "item_type"):
            if hasattr(info, attribute):
                collect(getattr(info, attribute))
        for inner in getattr(info, "types", ()):
            collect(inner)

    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if handler.parsed_data_field is not None:
                collect(msgspec.inspect.type_info(handler.parsed_data_field.annotation))
    return found


REQUEST_TYPES = request_types()
FIELDS = [(name, field) for name, info in sorted(REQUEST_TYPES.items()) for field in info.fields]


def bare(info: Any) -> Any:
    """The field's type without `| None` and without its description metadata."""
    if isinstance(info, msgspec.inspect.UnionType):
        (info,) = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
    if isinstance(info, msgspec.inspect.Metadata):
        info = info.type
    return info


def test_the_walk_finds_every_request_body() -> None:
    assert {"ItemIn", "IdentifierIn", "LocationIn", "SupplierIn", "ScanRequest"} <= set(
        REQUEST_TYPES
    )


def test_every_request_field_says_where_it_is_stored() -> None:
    fields = {(name, field.name) for name, field in FIELDS}
    assert fields - set(WHERE_FIELDS_GO) == set(), "map the new fields to their columns"
    assert set(WHERE_FIELDS_GO) - fields == set(), "drop the fields that no longer exist"


@pytest.mark.parametrize(
    ("owner", "field"), FIELDS, ids=[f"{name}.{field.name}" for name, field in FIELDS]
)
def test_a_request_field_fits_its_columns(owner: str, field: msgspec.inspect.Field) -> None:
    info = bare(field.type)
    columns: tuple[Column[Any], ...] = tuple(
        c.property.columns[0] for c in WHERE_FIELDS_GO[(owner, field.name)]
    )
    where = f"{owner}.{field.name}"
    if isinstance(info, msgspec.inspect.StrType):
        assert info.max_length is not None, f"{where} has no maximum length"
        if (owner, field.name) not in STORED_THROUGH_PRINTABLE:
            assert info.pattern is not None, f"{where} accepts NUL, which PostgreSQL refuses"
            assert not re.search(info.pattern, "A\x00B"), f"{where} accepts NUL"
        for column in columns:
            if isinstance(column.type, String) and not isinstance(column.type, Text):
                assert column.type.length is not None, f"{column} is unbounded"
                assert info.max_length <= column.type.length, (
                    f"{where} accepts {info.max_length} characters, {column} holds "
                    f"{column.type.length}"
                )
    elif isinstance(info, msgspec.inspect.LiteralType | msgspec.inspect.EnumType):
        values = (
            [member.value for member in info.cls]
            if isinstance(info, msgspec.inspect.EnumType)
            else list(info.values)
        )
        for column in columns:
            assert isinstance(column.type, String)
            assert column.type.length is not None
            assert max(len(str(v)) for v in values) <= column.type.length, where
    elif isinstance(info, msgspec.inspect.IntType):
        assert info.ge is not None and info.le is not None, f"{where} is unbounded"
        for column in columns or (None,):
            bounds = INT_RANGES[type(column.type)] if column is not None else limits.INT64
            assert bounds.ge <= info.ge and info.le <= bounds.le, (
                f"{where} accepts {info.ge}..{info.le}, {column} holds {bounds.ge}..{bounds.le}"
            )
    elif isinstance(info, msgspec.inspect.ListType):
        assert info.max_length is not None, f"{where} takes any number of elements"
    elif isinstance(info, msgspec.inspect.DateTimeType):
        for column in columns:
            assert isinstance(column.type, UtcDateTime), where
    elif isinstance(info, msgspec.inspect.DateType):
        for column in columns:
            assert isinstance(column.type, Date), where
    elif isinstance(info, msgspec.inspect.StructType | msgspec.inspect.BoolType):
        # A nested object's own fields are walked as a request type of their own.
        assert columns == (), f"{where} is an object or a flag: map its parts instead"
    else:  # pragma: no cover - a new kind of field: teach this test about it
        pytest.fail(f"{where}: no rule for {info!r}")


def test_every_text_column_is_bounded_or_deliberately_text() -> None:
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String) and not isinstance(column.type, Text):
                assert column.type.length, f"{column} has no length"


def test_codes_are_what_a_label_and_a_url_can_carry() -> None:
    for good in ("MAIN-A1", "SAT_ICU.2", "cardinal", "A" * 64):
        assert limits.LOCATION_CODE.allows(good) and limits.SUPPLIER_CODE.allows(good)
    for bad in ("", "A/B", "CAFÉ", "TWO WORDS", "A\x00", "A\x01", "@supplier", "A" * 65, "A%2F"):
        assert not limits.LOCATION_CODE.allows(bad), bad
    assert limits.LOCATION_REF.allows("@supplier")


def test_names_take_any_printable_text_but_no_control_characters() -> None:
    assert limits.NAME.allows("Épinéphrine 1 mg/10 mL — 💉 (adrenaline)")
    for bad in ("", "A\x00B", "A\x01", "line\nbreak", "tab\t", "\x7f", "\x85", "N" * 201):
        assert not limits.NAME.allows(bad), repr(bad)


def test_the_demo_data_keeps_to_the_limits() -> None:
    for location in demo_data.LOCATIONS:
        assert limits.LOCATION_CODE.allows(location.code), location.code
        assert limits.NAME.allows(location.name), location.name
    for supplier in demo_data.SUPPLIERS:
        assert limits.SUPPLIER_CODE.allows(supplier.key), supplier.key
        assert limits.NAME.allows(supplier.name)
        assert limits.ACCOUNT_NUMBER.allows(supplier.account_number)
    for item in demo_data.ITEMS:
        assert limits.NAME.allows(item.name)
        assert limits.STRENGTH.allows(item.strength), item.strength
        assert limits.FORM.allows(item.form)
        assert limits.BASE_UNIT.allows(item.base_unit)
        assert len(item.identifiers) <= limits.MAX_IDENTIFIERS_PER_ITEM
        for identifier in item.identifiers:
            assert limits.IDENTIFIER.allows(identifier.value)
            assert limits.UNITS.allows(identifier.units)


@pytest.mark.parametrize(
    "when",
    [
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-14))),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
    ],
)
def test_a_time_utc_cannot_express_is_refused(when: datetime) -> None:
    with pytest.raises(TimestampOutOfRange) as refused:
        limits.as_utc(when)
    assert refused.value.code == "validation_error"


def test_times_utc_can_express_are_converted_to_it() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert limits.as_utc(datetime(2030, 1, 1, 2, tzinfo=plus_two)) == datetime(
        2030, 1, 1, tzinfo=UTC
    )
    assert limits.as_utc(datetime(2030, 1, 1)) == datetime(2030, 1, 1, tzinfo=UTC)
    assert limits.as_utc(limits.LATEST_TIMESTAMP) == limits.LATEST_TIMESTAMP


def test_a_limit_describes_itself_for_msgspec() -> None:
    meta = msgspec.Meta(**limits.LOCATION_CODE.constraints)
    assert (meta.min_length, meta.max_length, meta.pattern) == (1, 64, limits.CODE_PATTERN)
