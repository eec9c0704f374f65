"""Scan ingest: the hot path. One short transaction per scan, idempotent by key.

Every scan is recorded, applied or rejected: a rejected scan rolls back its stock changes and
is then stored in a transaction of its own, with the problem it got, so nothing is lost.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any

import msgspec
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from inventory_svc.db import catalog, scanlog
from inventory_svc.db.engine import SessionMaker
from inventory_svc.db.ledger import (
    NewMovement,
    find_lot,
    lots_on_hand,
    move_lot,
    net_moved_to,
    record_movements,
    upsert_lot,
)
from inventory_svc.db.models import Location, Lot
from inventory_svc.domain import barcodes
from inventory_svc.domain.clock import SiteClock
from inventory_svc.domain.errors import (
    BadBarcodeError,
    DomainError,
    IdempotencyKeyReused,
    InsufficientStock,
    UnknownItem,
    UnknownLocation,
    to_problem,
)
from inventory_svc.domain.ledger import (
    Action,
    LotOnHand,
    Route,
    base_units,
    check_lot_may_move,
    check_names_real_locations,
    check_return_within_issued,
    pick_fefo,
    route_for,
    takes_unusable_stock,
)
from inventory_svc.domain.roles import permission_for_action
from inventory_svc.services import reports
from inventory_svc.services.actors import Actor

FEFO_ATTEMPTS = 3
TRANSIENT_ATTEMPTS = 3

log = logging.getLogger(__name__)


# Codes are kept whatever they hold (a rejected scan is recorded as sent); names are printable.
# Codes are kept whatever they hold (a rejected scan is recorded as sent); names are printable.
ScanCode = Annotated[str, msgspec.Meta(max_length=4096)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


class ScanRequest(msgspec.Struct, forbid_unknown_fields=True):
    """What a scanner posts (DESIGN §4)."""

    code: ScanCode
    action: Action
    location: Name
    to_location: Name | None = None
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 1
    purchase_order: Name | None = None
    restock_session: Annotated[int, msgspec.Meta(ge=1, le=2**53)] | None = None
    count_session: Annotated[int, msgspec.Meta(ge=1, le=2**53)] | None = None
    device: Name | None = None
    scanned_at: datetime | None = None


@dataclass(slots=True)
class ScanOutcome:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False

    @property
    def is_problem(self) -> bool:
        return self.status_code >= 400


@dataclass(slots=True)
class _Applied:
    item: dict[str, Any] | None = None  # plain values: ORM rows expire on rollback
    barcode: dict[str, Any] | None = None
    movements: list[dict[str, Any]] = field(default_factory=list)
    balances: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)


def request_fingerprint(request: ScanRequest, actor: Actor) -> str:
    payload = msgspec.json.encode([actor.key_id, request])
    return hashlib.sha256(payload).hexdigest()


async def ingest_scan(
    sessions: SessionMaker,
    request: ScanRequest,
    *,
    actor: Actor,
    idempotency_key: str,
    clock: SiteClock,
    now: datetime | None = None,
) -> ScanOutcome:
    """Apply a scan or record its rejection. Raises the DomainError of a fresh rejection
    (after recording it); returns the stored outcome for a replay. `clock` gives the site's
    date, which decides expiry; `now` (default: the clock's) stamps the scan."""
    now = now or clock.now()
    today = clock.today(now)
    fingerprint = request_fingerprint(request, actor)
    applied = _Applied()
    try:
        # Checks that need no database run before the transaction, outside any lock.
        barcode = _interpret(request.code)
        actor.require(permission_for_action(request.action))
        check_names_real_locations(request.location, request.to_location)
    except DomainError as error:
        return await _reject(
            sessions, request, actor, idempotency_key, fingerprint, now, error, applied
        )
    for attempt in range(1, TRANSIENT_ATTEMPTS + 1):
        applied = _Applied()
        try:
            return await _apply_in_transaction(
                sessions, request, barcode, actor, idempotency_key, fingerprint, now, today, applied
            )
        except IntegrityError:
            # The scan row's unique key is how a replay is detected: no read before writing.
            replay = await _replay(sessions, idempotency_key, fingerprint)
            if replay is None:
                raise
            return replay
        except DBAPIError as error:
            if attempt == TRANSIENT_ATTEMPTS or not _is_transient(error):
                raise
            log.info("scan transaction retried after %s", type(error.orig).__name__)
        except DomainError as error:
            return await _reject(
                sessions, request, actor, idempotency_key, fingerprint, now, error, applied
            )
    raise AssertionError("unreachable")


async def _apply_in_transaction(
    sessions: SessionMaker,
    request: ScanRequest,
    barcode: barcodes.Barcode,
    actor: Actor,
    idempotency_key: str,
    fingerprint: str,
    now: datetime,
    today: date,
    applied: _Applied,
) -> ScanOutcome:
    async with sessions() as session, session.begin():
        # Inserting the scan first claims its Idempotency-Key before any stock is touched.
        scan_id = await scanlog.insert_scan(
            session, _scan_row(request, actor, idempotency_key, fingerprint, now)
        )
        await _apply(session, request, barcode, actor, scan_id, applied, now, today)
        body = _applied_body(scan_id, request, applied)
        await scanlog.complete_scan(
            session,
            scan_id,
            status="applied",
            item_id=applied.item["id"] if applied.item else None,
            barcode=applied.barcode,
            response_status=201,
            response_body=body,
        )
    log.info(
        "scan %s applied: %s %s x%s at %s device=%s",
        scan_id,
        request.action.value,
        barcode.gtin,
        request.quantity,
        request.location,
        request.device,
    )
    return ScanOutcome(201, body)


def _is_transient(error: DBAPIError) -> bool:
    """Deadlock or serialisation failure (PostgreSQL), or a busy SQLite: safe to run again."""
    sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return sqlstate in ("40001", "40P01") or "database is locked" in str(error.orig)


async def _replay(sessions: SessionMaker, key: str, fingerprint: str) -> ScanOutcome | None:
    async with sessions() as session, session.begin():
        row = await scanlog.stored_answer(session, key)
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different scan; use a new key."
        )
    status = row.response_status or 500
    return ScanOutcome(200 if status < 400 else status, dict(row.response_body or {}), True)


async def _reject(
    sessions: SessionMaker,
    request: ScanRequest,
    actor: Actor,
    key: str,
    fingerprint: str,
    now: datetime,
    error: DomainError,
    applied: _Applied,
) -> ScanOutcome:
    """Record the rejection in a transaction of its own and raise it, unless the key was
    used before: then the first answer is the answer (a replay, or `idempotency_key_reused`)."""
    row = _scan_row(request, actor, key, fingerprint, now)
    row.update(
        status="rejected",
        error_code=error.code,
        error_detail=error.detail,
        response_status=error.status,
        response_body=to_problem(error),
        barcode=applied.barcode or error.extra.get("barcode"),
        item_id=applied.item["id"] if applied.item else None,
    )
    try:
        async with sessions() as session, session.begin():
            await scanlog.insert_scan(session, row)
    except IntegrityError:
        replay = await _replay(sessions, key, fingerprint)
        if replay is None:
            raise
        return replay
    log.info(
        "scan rejected (%s): %s at %s device=%s: %s",
        error.code,
        request.action.value,
        request.location,
        request.device,
        error.detail,
    )
    raise error


async def record_unreadable_scan(
    sessions: SessionMaker,
    body: bytes,
    *,
    actor: Actor,
    idempotency_key: str | None,
    problem: dict[str, Any],
    now: datetime | None = None,
) -> None:
    """Keep a scan whose request body was refused before it could be read as a scan (bad
    JSON, a missing field, quantity 0), so nothing a scanner sends is lost from the log."""
    now = now or datetime.now(UTC)
    try:
        fields = msgspec.json.decode(body)
    except msgspec.DecodeError:
        fields = None
    fields = fields if isinstance(fields, dict) else {}

    def text(name: str, limit: int = 200) -> str | None:
        value = fields.get(name)
        return None if value is None else _printable(str(value))[:limit]

    quantity = fields.get("quantity")
    row = {
        "idempotency_key": idempotency_key or None,
        "request_hash": hashlib.sha256(body).hexdigest(),
        "api_key_id": actor.key_id,
        "actor": actor.name,
        "device": text("device"),
        "code": text("code", 4096) or _printable(body.decode(errors="replace"))[:4096],
        "action": text("action", 32) or "",
        "location_code": text("location", 64),
        "to_location_code": text("to_location", 64),
        "quantity": quantity if isinstance(quantity, int) and abs(quantity) < 2**31 else None,
        "status": "rejected",
        "scanned_at": now,
        "recorded_at": now,
        "item_id": None,
        "barcode": None,
        "error_code": str(problem.get("code", "validation_error")),
        "error_detail": str(problem.get("detail", ""))[:2000],
        "response_status": int(problem.get("status", 400)),
        "response_body": problem,
    }
    try:
        async with sessions() as session, session.begin():
            await scanlog.insert_scan(session, row)
    except IntegrityError:
        pass  # the key already names a recorded scan: that record stands


def _printable(text: str) -> str:
    """PostgreSQL text cannot hold NUL."""
    return text.replace("\x00", "\ufffd")


def _scan_row(
    request: ScanRequest, actor: Actor, key: str, fingerprint: str, now: datetime
) -> dict[str, Any]:
    """A scan as received; status, item and answer are filled in when it is decided."""
    return dict(
        idempotency_key=key,
        request_hash=fingerprint,
        api_key_id=actor.key_id,
        actor=actor.name,
        device=request.device,
        code=_printable(request.code),
        action=request.action.value,
        location_code=request.location,
        to_location_code=request.to_location,
        quantity=request.quantity,
        status="pending",
        scanned_at=request.scanned_at or now,
        recorded_at=now,
        item_id=None,
        barcode=None,
        error_code=None,
        error_detail=None,
        response_status=None,
        response_body=None,
    )


async def _apply(
    session: AsyncSession,
    request: ScanRequest,
    barcode: barcodes.Barcode,
    actor: Actor,
    scan_id: int,
    applied: _Applied,
    now: datetime,
    today: date,
) -> None:
    match = await _find_item(session, barcode)
    item, identifier = match.item, match.identifier
    applied.item = {"id": item.id, "name": item.name}
    applied.barcode = msgspec.to_builtins(_barcode_view(barcode, match.ndc_printed))

    if request.action is Action.LOOKUP:
        applied.balances = [
            {key: row[key] for key in ("location", "lot", "expiry", "quantity")}
            for row in await reports.stock(session, today=today, item=item.id, lot=barcode.lot)
        ]
        return

    route = route_for(request.action, request.location, request.to_location)
    locations = await _route_locations(session, route)
    quantity = base_units(request.quantity, identifier.units, barcode.count)

    if barcode.lot is not None or barcode.expiry is not None or not route.leaves_real_location:
        picks = await _move_named_lot(
            session, route, locations, item.id, barcode, quantity, today, applied
        )
    else:
        picks = await _move_fefo(session, route, locations, item.id, quantity, today)

    occurred_at = request.scanned_at or now
    new_movements = [
        NewMovement(
            kind=route.kind,
            item_id=item.id,
            lot_id=picked.lot_id,
            from_location_id=locations[route.source].id,
            to_location_id=locations[route.destination].id,
            quantity=taken,
            occurred_at=occurred_at,
            actor=actor.name,
            device=request.device,
            scan_id=scan_id,
            reference=request.purchase_order,
        )
        for picked, taken, _ in picks
    ]
    ids = await record_movements(session, new_movements)
    for movement_id, (picked, taken, after) in zip(ids, picks, strict=True):
        applied.movements.append(
            {
                "id": movement_id,
                "kind": route.kind,
                "from_location": route.source,
                "to_location": route.destination,
                "lot": picked.lot_number,
                "expiry": picked.expiry,
                "quantity": taken,
            }
        )
        for code, quantity_after in after.items():
            applied.balances.append(
                {
                    "location": code,
                    "lot": picked.lot_number,
                    "expiry": picked.expiry,
                    "quantity": quantity_after,
                }
            )


async def _move_named_lot(
    session: AsyncSession,
    route: Route,
    locations: dict[str, Location],
    item_id: int,
    barcode: barcodes.Barcode,
    quantity: int,
    today: date,
    applied: _Applied,
) -> list[tuple[LotOnHand, int, dict[str, int]]]:
    """The barcode names the lot (or stock arrives from outside): move exactly that lot.
    Only a receipt may bring a new lot into the ledger; every other move must find it."""
    lot_number = barcode.lot or ""
    destination_kind = locations[route.destination].kind
    lot: Lot | None
    if route.may_create_lot:
        lot = await upsert_lot(session, item_id, lot_number, barcode.expiry)
    else:
        # A return locks the lot so that concurrent returns count its issued units once.
        lot = await find_lot(
            session, item_id, lot_number, barcode.expiry, lock=route.bounded_by_issued
        )
    if lot is None:
        check_lot_may_move(route, destination_kind, lot_number, barcode.expiry, False, today)
        if route.bounded_by_issued:
            check_return_within_issued(lot_number, 0, quantity)
        raise InsufficientStock(f"No lot {lot_number or '(none)'} of this item at {route.source}.")
    applied.warnings += _warnings(
        check_lot_may_move(route, destination_kind, lot.lot_number, lot.expiry, lot.recalled, today)
    )
    if route.bounded_by_issued:
        issued = await net_moved_to(session, lot.id, locations[route.source])
        check_return_within_issued(lot.lot_number, issued, quantity)
    if barcode.lot is None and barcode.expiry is None:
        applied.warnings.append(
            {
                "code": "no_lot",
                "detail": "This barcode carries no lot or expiry; booked without lot.",
            }
        )
    moved = await move_lot(
        session, locations[route.source], locations[route.destination], item_id, lot.id, quantity
    )
    if moved is None:
        raise InsufficientStock(
            f"Not enough of lot {lot.lot_number or '(none)'} at {route.source} for {quantity}."
        )
    return [(_on_hand(lot), quantity, moved)]


def _interpret(code: str) -> barcodes.Barcode:
    try:
        barcode = barcodes.interpret(code)
    except barcodes.BadBarcode as error:
        raise BadBarcodeError(error.detail) from error
    if barcode.kind in ("location", "kit", "command"):
        raise BadBarcodeError(
            f"{code!r} is a {barcode.kind} label: it sets the scanner's context, it is not stock."
        )
    return barcode


async def _find_item(session: AsyncSession, barcode: barcodes.Barcode) -> catalog.ItemMatch:
    gtin = barcode.gtin
    # An NDC alone says nothing about pack size, so only unit-of-use GTINs (indicator 0) may
    # fall back to it; a carton GTIN must be registered with its units.
    ndc_candidates = barcodes.ndc11_candidates(barcode.ndc) if barcode.ndc else []
    found = await catalog.find_item_by_barcode(
        session, gtin, ndc_candidates, fallback_to_ndc=bool(gtin and gtin[0] == "0")
    )
    if found is None:
        ndc = f" (NDC digits {barcode.ndc})" if barcode.ndc else ""
        raise UnknownItem(
            f"No item has GTIN {gtin}{ndc}: add the identifier to the item first.",
            barcode=barcode.as_dict(),
        )
    return found


def _barcode_view(barcode: barcodes.Barcode, ndc_printed: str | None) -> dict[str, Any]:
    """The parsed barcode, with the NDC shown in the layout printed on this item's package."""
    view = barcode.as_dict()
    if barcode.ndc and ndc_printed:
        view["ndc"] = barcodes.format_ndc10(barcode.ndc, like=ndc_printed)
    return view


async def _route_locations(session: AsyncSession, route: Route) -> dict[str, Location]:
    """The route's two locations; `route_for` has made sure the scan named real ones only."""
    locations = await catalog.locations_by_codes(session, (route.source, route.destination))
    for code in (route.source, route.destination):
        if code not in locations:
            raise UnknownLocation(f"No location has the code {code!r}.", location=code)
    return locations


async def _move_fefo(
    session: AsyncSession,
    route: Route,
    locations: dict[str, Location],
    item_id: int,
    quantity: int,
    today: date,
) -> list[tuple[LotOnHand, int, dict[str, int]]]:
    """No lot on the barcode: take earliest-expiring usable lots first. A concurrent scan may
    empty a lot between reading and taking; then the plan is made again from fresh balances."""
    source = locations[route.source]
    include_unusable = takes_unusable_stock(route, locations[route.destination].kind)
    for _attempt in range(FEFO_ATTEMPTS):
        on_hand = await lots_on_hand(session, item_id, source.id)
        plan = pick_fefo(on_hand, quantity, today, include_unusable=include_unusable)
        done: list[tuple[LotOnHand, int, dict[str, int]]] = []
        savepoint = await session.begin_nested()
        for lot, take in plan:
            after = await move_lot(
                session,
                locations[route.source],
                locations[route.destination],
                item_id,
                lot.lot_id,
                take,
            )
            if after is None:
                await savepoint.rollback()
                break
            done.append((lot, take, after))
        else:
            await savepoint.commit()
            return done
    raise InsufficientStock(f"Stock at {route.source} changed while picking; scan again.")


def _on_hand(lot: Lot) -> LotOnHand:
    return LotOnHand(lot.id, lot.lot_number, lot.expiry, lot.recalled, 0)


def _warnings(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"code": code, "detail": detail} for code, detail in pairs]


def _applied_body(scan_id: int, request: ScanRequest, applied: _Applied) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": scan_id,
        "status": "applied",
        "action": request.action.value,
        "barcode": applied.barcode,
        "item": applied.item,
        "movements": applied.movements,
        "balances": applied.balances,
        "warnings": applied.warnings,
    }
    # Stored as JSON for replays: dates become ISO strings exactly as the first answer had them.
    result: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(body))
    return result


__all__ = ["ScanOutcome", "ScanRequest", "ingest_scan", "record_unreadable_scan"]
