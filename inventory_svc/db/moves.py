"""The moving scan's two round trips: what the domain needs to decide (one read), and the
decision applied (one write that records the scan, its movements, the balances and the
outbox event together).

On PostgreSQL both are single statements sent on the driver (asyncpg prepares and caches
them) outside any explicit transaction: the write is one data-modifying CTE, atomic by
itself, so a scan costs two round trips and no BEGIN/COMMIT. The rules stay in the domain
(`domain.ledger.plan_move`); these statements only carry its plan out. A real source that
turns out short when the write runs (a concurrent scan took the stock after the read) fails
the whole statement on the balance's `quantity >= 0` check, and the scan is decided again
from a fresh read. On SQLite, in-process and with one writer at a time, the same plan runs
as a few statements inside the unit of work's transaction. The differential test runs random
scan sequences through both and compares the ledgers.

The answer is stored with the scan row in the same statement (what a replay of its
Idempotency-Key returns): the service builds it, and the statement only fills in what the
database knows, the movement ids and the balances after the move.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import msgspec
from sqlalchemy import Table, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import catalog
from inventory_svc.db import events as events_db
from inventory_svc.db.engine import driver_connection
from inventory_svc.db.errors import StockChanged, translate_driver_error
from inventory_svc.db.ledger import TAKE, balance_upsert, lot_key, net_moved_to
from inventory_svc.db.models import Balance, Location, Lot, Movement, Scan, SerialPack
from inventory_svc.domain import limits
from inventory_svc.domain.events import DomainEvent, EventType
from inventory_svc.domain.ledger import LotFacts, MovePlan, PlaceFacts
from inventory_svc.domain.records import BalanceLine, MovementLine
from inventory_svc.domain.vocabulary import GTIN_KINDS

_GTIN_KINDS = [kind.value for kind in GTIN_KINDS]


@dataclass(frozen=True, slots=True)
class MoveFacts:
    """What the read found: the item (None when no identifier matched), the places by code,
    the barcode's lot (with its on-hand at the source), and the source's lots in stock."""

    item_id: int | None
    item_name: str
    units: int
    ndc_printed: str | None
    places: dict[str, PlaceFacts]
    named_lot: LotFacts | None
    lots_at_source: list[LotFacts]
    earliest_usable: tuple[str, date] | None = None
    """The source's shortest-dated usable lot of the item (lot number, expiry), when asked
    for: an issue of a later lot is warned `not_fefo`."""
    serial_at: PlaceFacts | None = None
    """Where the barcode's serialised pack is now (None: a pack not seen before)."""
    schedule: str | None = None
    """The item's controlled-substance schedule (a waste of one needs a witness)."""


@dataclass(frozen=True, slots=True)
class SerialMove:
    """A serialised pack the move takes along: from where it was read to be
    (`expected_location_id`; None for a pack not seen before) to the move's destination."""

    gtin: str
    serial: str
    expected_location_id: int | None


@dataclass(frozen=True, slots=True)
class MoveWritten:
    scan_id: int
    movements: list[MovementLine]
    balances: list[BalanceLine]


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- the read ---------------------------------------------------------------------------

_LotTuple = tuple[int, str, date | None, bool, int]
_PlaceTuple = tuple[int, str, str, bool]

_PG_FACTS = """
WITH item_match AS (
    SELECT i.id, i.name, ii.units, i.schedule,
           (SELECT n.printed FROM item_identifiers n
             WHERE n.item_id = i.id AND n.kind = 'ndc' AND n.value = ANY($3::text[])
             LIMIT 1) AS ndc_printed
      FROM item_identifiers ii JOIN items i ON i.id = ii.item_id
     WHERE (ii.kind = ANY($8::text[]) AND ii.value = $1::text)
        OR ($2::boolean AND ii.kind = 'ndc' AND ii.value = ANY($3::text[]))
     ORDER BY ii.kind = 'ndc', ii.id
     LIMIT 1
), places AS (
    SELECT id, code, kind, is_virtual FROM locations WHERE code = $4::text OR code = $5::text
), source AS (
    SELECT id FROM places WHERE code = $4::text
)
SELECT m.id, m.name, m.units, m.ndc_printed,
       (SELECT json_agg(json_build_array(p.id, p.code, p.kind, p.is_virtual)) FROM places p)::text,
       (SELECT json_build_array(l.id, l.lot_number, l.expiry, l.recalled,
                                coalesce(b.quantity, 0))
          FROM lots l
          LEFT JOIN balances b ON b.lot_id = l.id AND b.location_id = (SELECT id FROM source)
         WHERE l.item_id = m.id AND l.lot_key = $6::text)::text,
       (SELECT json_agg(json_build_array(l.id, l.lot_number, l.expiry, l.recalled, b.quantity))
          FROM balances b JOIN lots l ON l.id = b.lot_id
         WHERE $7::boolean AND b.item_id = m.id AND b.quantity > 0
           AND b.location_id = (SELECT id FROM source))::text,
       m.schedule,
       (SELECT json_build_array(l.lot_number, l.expiry)
          FROM balances b JOIN lots l ON l.id = b.lot_id
         WHERE $9::date IS NOT NULL AND b.item_id = m.id AND b.quantity > 0
           AND b.location_id = (SELECT id FROM source) AND NOT l.recalled
           AND l.expiry >= $9::date
         ORDER BY l.expiry, l.lot_number LIMIT 1)::text,
       (SELECT json_build_array(s.location_id, sl.code, sl.kind, sl.is_virtual)
          FROM serials s JOIN locations sl ON sl.id = s.location_id
         WHERE $10::text IS NOT NULL AND s.gtin = $1::text AND s.serial = $10::text)::text
  FROM (SELECT 1) AS one LEFT JOIN item_match m ON true
"""


async def move_facts(
    session: AsyncSession,
    *,
    gtin: str | None,
    ndc_candidates: Sequence[str],
    fallback_to_ndc: bool,
    source: str,
    destination: str,
    lot_number: str | None,
    expiry: date | None,
    fefo: bool,
    usable_from: date | None = None,
    serial: str | None = None,
) -> MoveFacts:
    """Everything a move decides on, in one statement on PostgreSQL. `lot_number` None
    means the barcode names no lot; `fefo` asks for the source's lots in stock;
    `usable_from` (today) for its shortest-dated lot usable from that day."""
    by_ndc = bool(ndc_candidates) and fallback_to_ndc
    key = lot_key(lot_number, expiry) if lot_number is not None else None
    if not _is_postgres(session):
        return await _sqlite_facts(
            session,
            gtin,
            ndc_candidates,
            fallback_to_ndc,
            source,
            destination,
            key,
            fefo,
            usable_from,
            serial,
        )
    if not gtin and not by_ndc:
        return await _places_only(session, source, destination)
    connection = await driver_connection(session)
    try:
        row = await connection.fetchrow(
            _PG_FACTS,
            gtin,
            by_ndc,
            list(ndc_candidates),
            source,
            destination,
            key,
            fefo,
            _GTIN_KINDS,
            usable_from,
            serial,
        )
    except Exception as error:
        raise await translate_driver_error(session, error, "move facts") from error
    assert row is not None
    places = msgspec.json.decode(row[4] or "[]", type=list[_PlaceTuple])
    named = msgspec.json.decode(row[5], type=_LotTuple) if row[5] else None
    at_source = msgspec.json.decode(row[6] or "[]", type=list[_LotTuple])
    return MoveFacts(
        item_id=row[0],
        item_name=row[1] or "",
        units=row[2] or 1,
        ndc_printed=row[3],
        places={code: PlaceFacts(id_, code, kind, virtual) for id_, code, kind, virtual in places},
        named_lot=LotFacts(*named) if named else None,
        lots_at_source=[LotFacts(*lot) for lot in at_source],
        schedule=row[7],
        earliest_usable=msgspec.json.decode(row[8], type=tuple[str, date]) if row[8] else None,
        serial_at=PlaceFacts(*msgspec.json.decode(row[9], type=_PlaceTuple)) if row[9] else None,
    )


async def _places_only(session: AsyncSession, source: str, destination: str) -> MoveFacts:
    places = await catalog.locations_by_codes(session, (source, destination))
    return MoveFacts(
        None,
        "",
        1,
        None,
        {c: PlaceFacts(p.id, p.code, p.kind, p.is_virtual) for c, p in places.items()},
        None,
        [],
    )


async def _sqlite_facts(
    session: AsyncSession,
    gtin: str | None,
    ndc_candidates: Sequence[str],
    fallback_to_ndc: bool,
    source: str,
    destination: str,
    key: str | None,
    fefo: bool,
    usable_from: date | None,
    serial: str | None,
) -> MoveFacts:
    """The same facts from a few statements (in-process: a statement costs no round trip)."""
    found = await catalog.find_item_by_barcode(
        session, gtin, ndc_candidates, fallback_to_ndc=fallback_to_ndc
    )
    facts = await _places_only(session, source, destination)
    if found is None:
        return facts
    item_id = found.item.id
    source_place = facts.places.get(source)
    source_id = source_place.id if source_place else -1
    named: LotFacts | None = None
    if key is not None:
        lot = (
            await session.execute(select(Lot).where(Lot.item_id == item_id, Lot.lot_key == key))
        ).scalar_one_or_none()
        if lot is not None:
            named = LotFacts(
                lot.id,
                lot.lot_number,
                lot.expiry,
                lot.recalled,
                await _on_hand(session, lot.id, source_id),
            )
    at_source: list[LotFacts] = []
    if fefo:
        rows = await session.execute(
            select(Lot.id, Lot.lot_number, Lot.expiry, Lot.recalled, Balance.quantity)
            .join(Balance, Balance.lot_id == Lot.id)
            .where(
                Balance.item_id == item_id,
                Balance.location_id == source_id,
                Balance.quantity > 0,
            )
        )
        at_source = [LotFacts(*row) for row in rows.all()]
    return MoveFacts(
        item_id,
        found.item.name,
        found.identifier.units,
        found.ndc_printed,
        facts.places,
        named,
        at_source,
        earliest_usable=await _earliest_usable(session, item_id, source_id, usable_from),
        serial_at=await _serial_at(session, gtin, serial),
        schedule=found.item.schedule,
    )


async def _serial_at(
    session: AsyncSession, gtin: str | None, serial: str | None
) -> PlaceFacts | None:
    if gtin is None or serial is None:
        return None
    row = (
        await session.execute(
            select(Location.id, Location.code, Location.kind, Location.is_virtual)
            .join(SerialPack, SerialPack.location_id == Location.id)
            .where(SerialPack.gtin == gtin, SerialPack.serial == serial)
        )
    ).first()
    return PlaceFacts(row[0], row[1], row[2], row[3]) if row else None


async def _earliest_usable(
    session: AsyncSession, item_id: int, location_id: int, usable_from: date | None
) -> tuple[str, date] | None:
    if usable_from is None:
        return None
    first = (
        await session.execute(
            select(Lot.lot_number, Lot.expiry)
            .join(Balance, Balance.lot_id == Lot.id)
            .where(
                Balance.item_id == item_id,
                Balance.location_id == location_id,
                Balance.quantity > 0,
                Lot.recalled.is_(False),
                Lot.expiry >= usable_from,
            )
            .order_by(Lot.expiry, Lot.lot_number)
            .limit(1)
        )
    ).first()
    return (first[0], first[1]) if first and first[1] else None


async def _on_hand(session: AsyncSession, lot_id: int, location_id: int) -> int:
    quantity = (
        await session.execute(
            select(Balance.quantity).where(
                Balance.lot_id == lot_id, Balance.location_id == location_id
            )
        )
    ).scalar_one_or_none()
    return int(quantity or 0)


async def lock_lot_issued(session: AsyncSession, lot_id: int, consumed: PlaceFacts) -> int:
    """A return's bound, exact under concurrency: the lot's row is locked for the rest of the
    transaction (so concurrent returns of it queue), then its net issue is summed from the
    movements. The caller's unit of work holds a transaction for this (PostgreSQL)."""
    await session.execute(select(Lot.id).where(Lot.id == lot_id).with_for_update())
    return await net_moved_to(session, lot_id, consumed.id)


async def create_lot(
    session: AsyncSession,
    item_id: int,
    lot_number: str,
    expiry: date | None,
    *,
    recalled: bool = False,
) -> int:
    """The id of a lot arriving for the first time (or of the one a concurrent receipt just
    created): the one statement of a receive that is not in the move's write."""
    table = cast(Table, Lot.__table__)
    key = lot_key(lot_number, expiry)
    if _is_postgres(session):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = (
        insert(table)
        .values(
            item_id=item_id, lot_number=lot_number, expiry=expiry, lot_key=key, recalled=recalled
        )
        .on_conflict_do_nothing(index_elements=["item_id", "lot_key"])
        .returning(table.c.id)
    )
    created = (await session.execute(stmt)).scalar_one_or_none()
    if created is not None:
        return int(created)
    existing = (
        await session.execute(select(Lot.id).where(Lot.item_id == item_id, Lot.lot_key == key))
    ).scalar_one()
    return int(existing)


# --- the write --------------------------------------------------------------------------

_PG_WRITE = """
WITH sid AS (
    SELECT nextval('scans_id_seq') AS id
), legs AS (
    SELECT nextval('movements_id_seq') AS id, t.lot_id, t.qty, t.ord
      FROM unnest($19::bigint[], $20::bigint[]) WITH ORDINALITY AS t(lot_id, qty, ord)
), locked AS MATERIALIZED (
    -- the move's existing real balances, locked in one order (location, lot) before any
    -- is changed: two moves of a lot in opposite directions queue instead of deadlocking
    SELECT count(*) AS n FROM (
        SELECT b.id FROM balances b
         WHERE b.lot_id = ANY($19::bigint[])
           AND ((b.location_id = $17::integer AND $21::boolean)
                OR (b.location_id = $18::integer AND $22::boolean))
         ORDER BY b.location_id, b.lot_id
           FOR UPDATE
    ) AS rows_in_order
), take AS (
    UPDATE balances b SET quantity = b.quantity - l.qty, updated_at = $15::timestamptz
      FROM legs l
     WHERE (SELECT n FROM locked) >= 0
       AND $21::boolean AND b.location_id = $17::integer AND b.lot_id = l.lot_id
    RETURNING b.lot_id, b.quantity
), put AS (
    INSERT INTO balances (item_id, location_id, lot_id, quantity, updated_at)
    SELECT $12::integer, $18::integer, l.lot_id, l.qty, $15::timestamptz FROM legs l
     WHERE (SELECT n FROM locked) >= 0 AND $22::boolean
    ON CONFLICT (location_id, lot_id) DO UPDATE
       SET quantity = balances.quantity + excluded.quantity, updated_at = excluded.updated_at
    RETURNING lot_id, quantity
), ser AS (
    -- a serialised pack moves where it was read to be (or arrives for the first time): a
    -- concurrent scan of the same pack leaves no row here, and the scan is decided again
    INSERT INTO serials (gtin, serial, item_id, lot_id, location_id, updated_at)
    SELECT $31::text, $32::text, $12::integer, (($19::bigint[])[1])::integer, $18::integer,
           $15::timestamptz
     WHERE $32::text IS NOT NULL
    ON CONFLICT (gtin, serial) DO UPDATE
       SET location_id = excluded.location_id, lot_id = excluded.lot_id,
           updated_at = excluded.updated_at
     WHERE $34::boolean AND serials.location_id = $33::integer
    RETURNING 1
), mv AS (
    INSERT INTO movements (id, kind, item_id, lot_id, from_location_id, to_location_id,
                           quantity, actor, device, scan_id, reference, occurred_at,
                           recorded_at, witness, serial)
    SELECT l.id, $16::text, $12::integer, l.lot_id, $17::integer, $18::integer, l.qty,
           $4::text, $5::text, sid.id, $27::text, $14::timestamptz, $15::timestamptz,
           $30::text, $32::text
      FROM legs l, sid
), mj AS (
    SELECT coalesce(jsonb_agg(e.elem || jsonb_build_object('id', l.id) ORDER BY e.ord),
                    '[]'::jsonb) AS v
      FROM jsonb_array_elements($23::jsonb) WITH ORDINALITY AS e(elem, ord)
      JOIN legs l ON l.ord = e.ord
), bj AS (
    SELECT coalesce(jsonb_agg(e.elem || jsonb_build_object(
               'quantity', coalesce(t.quantity, p.quantity)) ORDER BY e.ord), '[]'::jsonb) AS v
      FROM jsonb_array_elements($24::jsonb) WITH ORDINALITY AS e(elem, ord)
      JOIN unnest($25::text[], $26::bigint[]) WITH ORDINALITY AS k(side, lot_id, ord)
        ON k.ord = e.ord
      LEFT JOIN take t ON k.side = 'from' AND t.lot_id = k.lot_id
      LEFT JOIN put p ON k.side = 'to' AND p.lot_id = k.lot_id
), scan AS (
    INSERT INTO scans (id, idempotency_key, request_hash, api_key_id, actor, device, code,
                       action, location_code, to_location_code, quantity, barcode, item_id,
                       status, response_status, response_body, scanned_at, recorded_at)
    SELECT sid.id, $1::text, $2::text, $3::integer, $4::text, $5::text, $6::text, $7::text,
           $8::text, $9::text, $10::integer, $11::json, $12::integer, 'applied', 201,
           ($13::jsonb || jsonb_build_object('movements', mj.v, 'balances', bj.v))::json,
           $14::timestamptz, $15::timestamptz
      FROM sid, mj, bj
     -- every leg must have found its source balance: without the scan row, the movements'
     -- foreign key fails the whole statement (it is then decided again from a fresh read)
     WHERE (SELECT count(*) FROM take) = CASE WHEN $21::boolean
                                              THEN cardinality($19::bigint[]) ELSE 0 END
       AND ($32::text IS NULL OR (SELECT count(*) FROM ser) = 1)
), ev AS (
    INSERT INTO events (type, occurred_at, actor, data)
    SELECT $28::text, $15::timestamptz, $4::text,
           ($29::jsonb || jsonb_build_object('scan', sid.id, 'movements', mj.v,
                                             'balances', bj.v))::json
      FROM sid, mj, bj
)
SELECT sid.id, mj.v::text, bj.v::text FROM sid, mj, bj
"""

_SOURCE, _DESTINATION = "from", "to"


def stock_changed_data(
    head: dict[str, Any], scan_id: int, movements: Any, balances: Any
) -> dict[str, Any]:
    """The `stock.changed` event's data: the scan's action, device and item (`head`), and
    what it moved (the PostgreSQL write builds the same object in SQL)."""
    return {**head, "scan": scan_id, "movements": movements, "balances": balances}


@dataclass(frozen=True, slots=True)
class _Templates:
    """The answer's movement and balance lines in their order, without what the write
    decides (movement ids, balances after); each balance line's side and lot say which
    balance's new on-hand fills it."""

    movements: list[dict[str, Any]]
    balances: list[dict[str, Any]]
    sides: list[str]
    lots: list[int]


def _templates(plan: MovePlan) -> _Templates:
    movements: list[dict[str, Any]] = []
    balances: list[dict[str, Any]] = []
    sides: list[str] = []
    lots: list[int] = []
    for leg in plan.legs:
        assert leg.lot_id is not None, "new lots are created before the write"
        expiry = leg.expiry.isoformat() if leg.expiry else None
        movements.append(
            {
                "kind": plan.route.kind,
                "from_location": plan.source.code,
                "to_location": plan.destination.code,
                "lot": leg.lot_number,
                "expiry": expiry,
                "quantity": leg.quantity,
            }
        )
        for place, side in ((plan.source, _SOURCE), (plan.destination, _DESTINATION)):
            if not place.is_virtual:
                balances.append({"location": place.code, "lot": leg.lot_number, "expiry": expiry})
                sides.append(side)
                lots.append(leg.lot_id)
    return _Templates(movements, balances, sides, lots)


async def write_move(
    session: AsyncSession,
    plan: MovePlan,
    scan: Mapping[str, Any],
    *,
    reference: str | None,
    answer_head: dict[str, Any],
    event_head: dict[str, Any],
    witness: str | None = None,
    serial: SerialMove | None = None,
) -> MoveWritten:
    """Apply the plan and record the scan with its answer (`answer_head` plus movements and
    balances) and its `stock.changed` event. `scan` is the scan log row as received (the
    columns of `scans`, its parsed barcode set); `reference` and `witness` (who witnessed a
    controlled-substance waste) go on the movements. Raises
    StockChanged when a real source is short by now, IntegrityError when the scan's
    Idempotency-Key is already taken."""
    templates = _templates(plan)
    if not _is_postgres(session):
        return await _write_sqlite(
            session, plan, scan, reference, answer_head, event_head, templates, witness, serial
        )
    connection = await driver_connection(session)
    encode = msgspec.json.encode
    try:
        row = await connection.fetchrow(
            _PG_WRITE,
            scan["idempotency_key"],
            scan["request_hash"],
            scan["api_key_id"],
            scan["actor"],
            scan["device"],
            scan["code"],
            scan["action"],
            scan["location_code"],
            scan["to_location_code"],
            scan["quantity"],
            encode(scan["barcode"]).decode(),
            plan.item_id,
            encode(answer_head).decode(),
            limits.as_utc(scan["scanned_at"]),
            limits.as_utc(scan["recorded_at"]),
            plan.route.kind,
            plan.source.id,
            plan.destination.id,
            [leg.lot_id for leg in plan.legs],
            [leg.quantity for leg in plan.legs],
            not plan.source.is_virtual,
            not plan.destination.is_virtual,
            encode(templates.movements).decode(),
            encode(templates.balances).decode(),
            templates.sides,
            templates.lots,
            reference,
            EventType.STOCK_CHANGED.value,
            encode(event_head).decode(),
            witness,
            serial.gtin if serial else None,
            serial.serial if serial else None,
            serial.expected_location_id if serial else None,
            serial is not None and serial.expected_location_id is not None,
        )
    except Exception as error:
        raise await translate_driver_error(session, error, "move write") from error
    assert row is not None
    return MoveWritten(
        row[0],
        msgspec.json.decode(row[1], type=list[MovementLine]),
        msgspec.json.decode(row[2], type=list[BalanceLine]),
    )


async def _write_sqlite(
    session: AsyncSession,
    plan: MovePlan,
    scan: Mapping[str, Any],
    reference: str | None,
    answer_head: dict[str, Any],
    event_head: dict[str, Any],
    templates: _Templates,
    witness: str | None,
    serial: SerialMove | None,
) -> MoveWritten:
    """The plan as statements, inside the unit of work's transaction (SQLite's one writer
    holds the database from the read on, so nothing moves between read and write)."""
    after: dict[tuple[str, int], int] = {}
    upsert = balance_upsert("sqlite")
    for leg in plan.legs:
        assert leg.lot_id is not None
        if not plan.source.is_virtual:
            left = (
                await session.execute(
                    TAKE,
                    {
                        "b_location_id": plan.source.id,
                        "b_lot_id": leg.lot_id,
                        "b_take": leg.quantity,
                    },
                )
            ).scalar_one_or_none()
            if left is None:
                raise StockChanged("a source balance is short")
            after[(_SOURCE, leg.lot_id)] = int(left)
        if not plan.destination.is_virtual:
            arrived = (
                await session.execute(
                    upsert,
                    {
                        "item_id": plan.item_id,
                        "location_id": plan.destination.id,
                        "lot_id": leg.lot_id,
                        "quantity": leg.quantity,
                    },
                )
            ).scalar_one()
            after[(_DESTINATION, leg.lot_id)] = int(arrived)
    # One writer at a time: the next ids are known (rows are never deleted).
    scan_id = (
        int((await session.execute(select(func.coalesce(func.max(Scan.id), 0)))).scalar_one()) + 1
    )
    first_movement = (
        int((await session.execute(select(func.coalesce(func.max(Movement.id), 0)))).scalar_one())
        + 1
    )
    movement_lines = [
        {**line, "id": first_movement + index} for index, line in enumerate(templates.movements)
    ]
    balance_lines = [
        {**line, "quantity": after[(side, lot)]}
        for line, side, lot in zip(templates.balances, templates.sides, templates.lots, strict=True)
    ]
    body = {**answer_head, "movements": movement_lines, "balances": balance_lines}
    scans = cast(Table, Scan.__table__)
    await session.execute(
        scans.insert(),
        {
            **scan,
            "id": scan_id,
            "item_id": plan.item_id,
            "status": "applied",
            "response_status": 201,
            "response_body": body,
        },
    )
    await session.execute(
        cast(Table, Movement.__table__).insert(),
        [
            {
                "id": first_movement + index,
                "kind": plan.route.kind,
                "item_id": plan.item_id,
                "lot_id": leg.lot_id,
                "from_location_id": plan.source.id,
                "to_location_id": plan.destination.id,
                "quantity": leg.quantity,
                "actor": scan["actor"],
                "device": scan["device"],
                "scan_id": scan_id,
                "reference": reference,
                "occurred_at": scan["scanned_at"],
                "recorded_at": scan["recorded_at"],
                "witness": witness,
                "serial": serial.serial if serial else None,
            }
            for index, leg in enumerate(plan.legs)
        ],
    )
    if serial is not None:
        await _move_serial_sqlite(session, plan, serial)
    data = stock_changed_data(event_head, scan_id, movement_lines, balance_lines)
    await events_db.append(
        session,
        [DomainEvent(EventType.STOCK_CHANGED, data)],
        actor=scan["actor"],
        at=scan["recorded_at"],
    )
    # The lines are JSON values (dates as text), as stored: typed as the answer types.
    return MoveWritten(
        scan_id,
        msgspec.convert(movement_lines, list[MovementLine]),
        msgspec.convert(balance_lines, list[BalanceLine]),
    )


async def _move_serial_sqlite(session: AsyncSession, plan: MovePlan, serial: SerialMove) -> None:
    """The pack's row as the PostgreSQL write keeps it: moved from where it was read to be,
    or new; StockChanged when it is elsewhere by now."""
    from sqlalchemy.dialects.sqlite import insert

    table = cast(Table, SerialPack.__table__)
    stmt = insert(table).values(
        gtin=serial.gtin,
        serial=serial.serial,
        item_id=plan.item_id,
        lot_id=plan.legs[0].lot_id,
        location_id=plan.destination.id,
        updated_at=func.now(),
    )
    expected = serial.expected_location_id
    upsert = stmt.on_conflict_do_update(
        index_elements=["gtin", "serial"],
        set_={
            "location_id": stmt.excluded.location_id,
            "lot_id": stmt.excluded.lot_id,
            "updated_at": stmt.excluded.updated_at,
        },
        where=table.c.location_id == expected if expected is not None else false(),
    ).returning(table.c.id)
    if (await session.execute(upsert)).first() is None:
        raise StockChanged("the serialised pack moved meanwhile")


__all__ = [
    "MoveFacts",
    "MoveWritten",
    "SerialMove",
    "create_lot",
    "lock_lot_issued",
    "move_facts",
    "stock_changed_data",
    "write_move",
]
