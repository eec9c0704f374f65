"""Go-live imports: a hospital's item master and its opening stock, from CSV (the columns
are domain/imports.py's). One unit of work per file: rows that cannot load are reported
with why and skipped, the others load together.

Items are idempotent by NDC/GTIN: a row whose identifiers name a known item updates it (and
adds the identifiers it lacks); identifiers of two different items refuse the row. Opening
stock sets each (location, lot) balance to the row's quantity, booking the difference as
`count_adjust` from or to `@adjustment`: neither receipts nor usage, and a second import of
the same file changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from inventory_svc.db import bookings
from inventory_svc.db import imports as db
from inventory_svc.db.ledger import lot_key
from inventory_svc.domain import imports as rows_of
from inventory_svc.domain import limits
from inventory_svc.domain.count_records import ImportProblem, ImportReport
from inventory_svc.domain.events import EventType
from inventory_svc.domain.imports import ITEM_COLUMNS, STOCK_COLUMNS, RowRefused
from inventory_svc.domain.ledger import ADJUSTMENT
from inventory_svc.services.actors import Actor
from inventory_svc.services.uow import Transactions, UnitOfWork

OPENING_STOCK = "import:stock"
"""What opening-stock movements carry in `reference`."""


@dataclass(slots=True)
class _Tally:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[ImportProblem] = field(default_factory=list)

    def refuse(self, line: int, code: str, detail: str) -> None:
        self.refused.append(ImportProblem(line, code, detail))


def _parse(
    body: bytes,
    required: tuple[str, ...],
    parse: Callable[[int, dict[str, str]], Any],
    tally: _Tally,
) -> list[Any]:
    parsed = []
    for line, row in rows_of.read_csv(body, required, limits.MAX_IMPORT_ROWS):
        tally.rows += 1
        try:
            parsed.append(parse(line, row))
        except RowRefused as refused:
            tally.refuse(line, refused.code, refused.detail)
    return parsed


async def _timed(
    transactions: Transactions, actor: Actor, kind: str, use_case: Any, body: bytes
) -> ImportReport:
    started = time.perf_counter()
    tally: _Tally = await transactions.run(actor, use_case, body)
    seconds = time.perf_counter() - started
    return ImportReport(
        kind=kind,
        rows=tally.rows,
        created=tally.created,
        updated=tally.updated,
        unchanged=tally.unchanged,
        refused=sorted(tally.refused, key=lambda p: p.line),
        seconds=round(seconds, 3),
        rows_per_second=round(tally.rows / seconds, 1) if seconds > 0 else 0.0,
    )


async def import_items(transactions: Transactions, actor: Actor, body: bytes) -> ImportReport:
    return await _timed(transactions, actor, "items", _load_items, body)


async def import_stock(transactions: Transactions, actor: Actor, body: bytes) -> ImportReport:
    return await _timed(transactions, actor, "stock", _load_stock, body)


async def _load_items(uow: UnitOfWork, body: bytes) -> _Tally:
    tally = _Tally()
    parsed: list[rows_of.ItemRow] = _parse(body, rows_of.ITEM_REQUIRED, rows_of.item_row, tally)
    session = uow.session
    known = await db.items_by_identifiers(
        session, {i.value for row in parsed for i in row.identifiers}
    )
    fields = await db.item_fields(session, set(known.values()))
    suppliers = await db.supplier_ids(session)
    claimed: dict[tuple[str, str], int] = {}  # identifier -> line that brought it in this file
    created: list[tuple[dict[str, Any], list[rows_of.Identifier]]] = []
    identifiers: list[dict[str, Any]] = []
    for row in parsed:
        keys = [(db.number_space(i.kind), i.value) for i in row.identifiers]
        if clash := [claimed[key] for key in keys if key in claimed]:
            tally.refuse(
                row.line, "duplicate_identifier", f"An identifier is already on line {clash[0]}."
            )
            continue
        supplier_id = None
        if row.preferred_supplier is not None:
            supplier_id = suppliers.get(row.preferred_supplier)
            if supplier_id is None:
                tally.refuse(
                    row.line,
                    "unknown_supplier",
                    f"No supplier has code {row.preferred_supplier!r}.",
                )
                continue
        items = {known[key] for key in keys if key in known}
        if len(items) > 1:
            owners = ", ".join(map(str, sorted(items)))
            tally.refuse(
                row.line,
                "duplicate_identifier",
                f"Its identifiers belong to different items ({owners}).",
            )
            continue
        for key in keys:
            claimed[key] = row.line
        values: dict[str, Any] = {
            "name": row.name,
            "strength": row.strength,
            "form": row.form,
            "base_unit": row.base_unit,
            "schedule": row.schedule,
            "preferred_supplier_id": supplier_id,
        }
        new = [i for i, key in zip(row.identifiers, keys, strict=True) if key not in known]
        if not items:
            created.append((values, new))
            continue
        (item_id,) = items
        current = fields[item_id]
        changed = {k: v for k, v in values.items() if getattr(current, k) != v}
        if changed:
            await db.update_item(session, item_id, changed)
        identifiers += [_identifier_row(item_id, i) for i in new]
        if changed or new:
            tally.updated += 1
        else:
            tally.unchanged += 1
    item_ids = await db.insert_items(session, [values for values, _ in created])
    for item_id, (_, new) in zip(item_ids, created, strict=True):
        identifiers += [_identifier_row(item_id, i) for i in new]
    await db.insert_identifiers(session, identifiers)
    tally.created = len(item_ids)
    _emit(uow, "items", tally)
    return tally


def _identifier_row(item_id: int, identifier: rows_of.Identifier) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "kind": identifier.kind,
        "value": identifier.value,
        "printed": identifier.printed,
        "units": identifier.units,
    }


async def _load_stock(uow: UnitOfWork, body: bytes) -> _Tally:
    tally = _Tally()
    parsed: list[rows_of.StockRow] = _parse(body, rows_of.STOCK_REQUIRED, rows_of.stock_row, tally)
    session = uow.session
    items = await db.items_by_identifiers(session, {row.identifier.value for row in parsed})
    places = await db.real_locations(session, {row.location for row in parsed})
    adjustment_id = await bookings.virtual_location_id(session, ADJUSTMENT)
    seen: dict[tuple[int, int, str], int] = {}
    accepted: list[tuple[rows_of.StockRow, int, int, str]] = []
    for row in parsed:
        item_id = items.get((db.number_space(row.identifier.kind), row.identifier.value))
        if item_id is None:
            tally.refuse(
                row.line,
                "unknown_item",
                f"No item has {row.identifier.kind} {row.identifier.printed}: import it first.",
            )
            continue
        location_id = places.get(row.location)
        if location_id is None:
            tally.refuse(row.line, "unknown_location", f"No location has code {row.location!r}.")
            continue
        key = lot_key(row.lot, row.expiry)
        if (location_id, item_id, key) in seen:
            tally.refuse(
                row.line,
                "duplicate_row",
                f"The same location and lot is on line {seen[(location_id, item_id, key)]}.",
            )
            continue
        seen[(location_id, item_id, key)] = row.line
        accepted.append((row, item_id, location_id, key))
    lots = await db.lots(
        session, {(item_id, key, row.lot, row.expiry) for row, item_id, _, key in accepted}
    )
    held = await db.on_hand(session, set(lots.values()))
    arrivals: list[bookings.Booking] = []
    departures: list[bookings.Booking] = []
    for row, item_id, location_id, key in accepted:
        lot_id = lots[(item_id, key)]
        before = held.get((location_id, lot_id), 0)
        delta = row.quantity - before
        if delta == 0:
            tally.unchanged += 1
            continue
        tally.created += before == 0
        tally.updated += before != 0
        leg = bookings.Booking(
            kind="count_adjust",
            item_id=item_id,
            lot_id=lot_id,
            from_id=adjustment_id if delta > 0 else location_id,
            from_virtual=delta > 0,
            to_id=location_id if delta > 0 else adjustment_id,
            to_virtual=delta < 0,
            quantity=abs(delta),
        )
        (arrivals if delta > 0 else departures).append(leg)
    await bookings.book_arrivals(
        session, arrivals, actor=uow.actor.name, reference=OPENING_STOCK, at=uow.now
    )
    await bookings.book(
        session, departures, actor=uow.actor.name, reference=OPENING_STOCK, at=uow.now
    )
    _emit(uow, "stock", tally)
    return tally


def _emit(uow: UnitOfWork, kind: str, tally: _Tally) -> None:
    uow.emit(
        EventType.IMPORT_COMPLETED,
        {
            "kind": kind,
            "rows": tally.rows,
            "created": tally.created,
            "updated": tally.updated,
            "unchanged": tally.unchanged,
            "refused": len(tally.refused),
        },
    )


__all__ = ["ITEM_COLUMNS", "OPENING_STOCK", "STOCK_COLUMNS", "import_items", "import_stock"]
