"""Scan ingest: the envelope every scan goes through, whatever its action.

One unit of work per scan, idempotent by key: the scan row is inserted first (its unique
Idempotency-Key claims the scan before any stock is touched), the action's handler
(services/scan_actions.py) does the work, and the answer is stored for replays. Every scan is
recorded, applied or rejected: a rejected scan rolls back its stock changes and is then
stored in a unit of work of its own, with the problem it got, so nothing is lost.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from sqlalchemy.exc import IntegrityError

from inventory_svc.db import moves, scanlog
from inventory_svc.db.engine import SessionMaker
from inventory_svc.domain import barcodes, limits
from inventory_svc.domain.errors import (
    DomainError,
    IdempotencyKeyReused,
)
from inventory_svc.domain.events import EventType
from inventory_svc.domain.ledger import Action, check_names_real_locations
from inventory_svc.domain.records import ScanResult
from inventory_svc.domain.roles import permission_for_action
from inventory_svc.domain.vocabulary import ScanStatus
from inventory_svc.observability.metrics import record_scan
from inventory_svc.services.actors import Actor
from inventory_svc.services.controlled import WitnessClaim
from inventory_svc.services.problems import to_problem
from inventory_svc.services.scan_actions import ScanContext, ScanEffect, ScanHandler, handler_for
from inventory_svc.services.uow import Transactions, UnitOfWork

log = logging.getLogger(__name__)


# Codes are kept whatever they hold (a rejected scan is recorded as sent); names are printable.
# Every limit comes from domain/limits, where the scan log's columns take theirs.
ScanCode = Annotated[str, msgspec.Meta(**limits.SCAN_CODE.constraints)]
Name = Annotated[str, msgspec.Meta(**limits.DEVICE.constraints)]


class ScanRequest(msgspec.Struct, forbid_unknown_fields=True):
    """What a scanner posts (DESIGN §4)."""

    code: ScanCode
    action: Action
    location: Annotated[str, msgspec.Meta(**limits.LOCATION_REF.constraints)]
    to_location: Annotated[str, msgspec.Meta(**limits.LOCATION_REF.constraints)] | None = None
    quantity: Annotated[int, msgspec.Meta(**limits.QUANTITY.constraints)] = 1
    purchase_order: Annotated[str, msgspec.Meta(**limits.REFERENCE.constraints)] | None = None
    reference: Annotated[str, msgspec.Meta(**limits.REFERENCE.constraints)] | None = None
    """Kept on the movements: e.g. the supplier's return authorisation of a
    `return_to_supplier` scan (a receipt's reference is its `purchase_order`)."""
    restock_session: Annotated[int, msgspec.Meta(**limits.REFERENCE_ID.constraints)] | None = None
    """A `restock` or `remove` scan's session; without it the kit's open one (or a new one)."""
    count_session: Annotated[int, msgspec.Meta(**limits.SESSION_ID.constraints)] | None = None
    pick_list: Annotated[int, msgspec.Meta(**limits.REFERENCE_ID.constraints)] | None = None
    """A `transfer` that fills this refill (pick) list."""
    device: Name | None = None
    scanned_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """An applied scan (`result`), or, on a replay of a refused one, its stored `problem`."""

    status_code: int
    result: ScanResult | None = None
    problem: dict[str, Any] | None = None
    replayed: bool = False


def request_fingerprint(request: ScanRequest, actor: Actor) -> str:
    payload = msgspec.json.encode([actor.key_id, request])
    return hashlib.sha256(payload).hexdigest()


async def ingest_scan(
    transactions: Transactions,
    request: ScanRequest,
    *,
    actor: Actor,
    idempotency_key: str,
    witness: WitnessClaim | None = None,
) -> ScanOutcome:
    """Apply a scan or record its rejection. Raises the DomainError of a fresh rejection
    (after recording it); returns the stored outcome for a replay. `witness`: what the
    `X-Witness-Key` header named, if sent."""
    fingerprint = request_fingerprint(request, actor)
    effect = ScanEffect()
    try:
        # Checks that need no database run before the transaction, in the contract's order.
        barcode = (
            barcodes.interpret_seal(request.code)
            if request.action is Action.SEAL
            else barcodes.interpret_stock(request.code)
        )
        actor.require(permission_for_action(request.action))
        check_names_real_locations(request.location, request.to_location)
        handler = handler_for(request.action)
    except DomainError as error:
        return await _reject(transactions, request, actor, idempotency_key, fingerprint, error)
    try:
        outcome = await transactions.run(
            actor, _apply, request, barcode, handler, idempotency_key, fingerprint, effect, witness
        )
    except IntegrityError as error:
        # The scan row's unique key is how a replay is detected: no read before writing.
        return await _first_answer(transactions, request, idempotency_key, fingerprint, error)
    except DomainError as error:
        return await _reject(
            transactions, request, actor, idempotency_key, fingerprint, error, effect
        )
    record_scan(request.action.value, "applied")
    return outcome


async def _apply(
    uow: UnitOfWork,
    request: ScanRequest,
    barcode: barcodes.Barcode,
    handler: ScanHandler,
    key: str,
    fingerprint: str,
    effect: ScanEffect,
    witness: WitnessClaim | None = None,
) -> ScanOutcome:
    """The handler decides; the scan row is then written once, with its answer (a move's
    in the same statement as its movements, balances and event: db/moves.py)."""
    effect.clear()  # a re-run after a transient failure starts afresh
    context = ScanContext(request, barcode, uow.actor, key, uow.now, uow.today, witness)
    await handler(uow, context, effect)
    assert effect.barcode is not None, "handlers say what the barcode was"
    assert effect.item is not None or effect.plan is None, "a move has its item"
    result = ScanResult(
        id=0,  # the scan row's own id; stored answers leave it out (the row has it)
        status="applied",
        action=request.action.value,
        barcode=effect.barcode,
        item=effect.item,
        movements=[],
        balances=effect.balances,
        warnings=effect.warnings,
        kit=effect.kit,
    )
    answer = _stored_answer(result)
    row = _scan_row(request, uow.actor, key, fingerprint, uow.now, ScanStatus.APPLIED)
    if effect.plan is not None:
        written = await moves.write_move(
            uow.session,
            effect.plan,
            {**row, "barcode": answer["barcode"]},
            reference=effect.reference or request.reference or request.purchase_order,
            answer_head={k: v for k, v in answer.items() if k not in ("movements", "balances")},
            event_head={"action": result.action, "device": request.device, "item": answer["item"]},
            witness=effect.witness,
            serial=effect.serial,
        )
        result.id, result.movements, result.balances = (
            written.scan_id,
            written.movements,
            written.balances,
        )
    else:
        row.update(
            item_id=effect.item.id if effect.item else None,
            barcode=answer["barcode"],
            response_status=201,
            response_body=answer,
        )
        result.id = await scanlog.insert_scan(uow.session, row)
    log.info(
        "scan %s applied: %s %s x%s at %s device=%s",
        result.id,
        request.action.value,
        barcode.gtin,
        request.quantity,
        request.location,
        request.device,
    )
    return ScanOutcome(201, result=result)


def _stored_answer(result: ScanResult) -> dict[str, Any]:
    """The answer as the scan log keeps it for replays: JSON, without the scan's own id."""
    answer: dict[str, Any] = msgspec.to_builtins(result)
    del answer["id"]
    return answer


async def _first_answer(
    transactions: Transactions,
    request: ScanRequest,
    key: str,
    fingerprint: str,
    error: IntegrityError,
) -> ScanOutcome:
    """The key names a recorded scan: its first answer is the answer (or, for another body,
    `idempotency_key_reused`). `error` is raised again if no scan holds the key after all."""
    replay = await _replay(transactions.sessions, key, fingerprint)
    if replay is None:
        raise error
    record_scan(request.action.value, "replayed")
    return replay


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
    if status >= 400:
        return ScanOutcome(status, problem=dict(row.response_body or {}), replayed=True)
    # Stored as JSON: dates come back exactly as the first answer had them.
    stored = msgspec.json.encode({**row.response_body, "id": row.id})
    return ScanOutcome(200, result=msgspec.json.decode(stored, type=ScanResult), replayed=True)


async def _reject(
    transactions: Transactions,
    request: ScanRequest,
    actor: Actor,
    key: str,
    fingerprint: str,
    error: DomainError,
    effect: ScanEffect | None = None,
) -> ScanOutcome:
    """Record the rejection in a unit of work of its own and raise it, unless the key was
    used before: then the first answer is the answer (a replay, or `idempotency_key_reused`)."""
    barcode = effect.barcode if effect else None

    async def record(uow: UnitOfWork) -> None:
        row = _scan_row(request, actor, key, fingerprint, uow.now, ScanStatus.REJECTED)
        row.update(
            error_code=error.code,
            error_detail=_printable(error.detail),
            response_status=error.status,
            response_body=to_problem(error),
            barcode=msgspec.to_builtins(barcode) if barcode else error.extra.get("barcode"),
            item_id=effect.item.id if effect and effect.item else None,
        )
        await _record_rejection(uow, row)

    try:
        await transactions.run(actor, record)
    except IntegrityError as used:
        return await _first_answer(transactions, request, key, fingerprint, used)
    record_scan(request.action.value, error.code)
    log.info(
        "scan rejected (%s): %s at %s device=%s: %s",
        error.code,
        request.action.value,
        request.location,
        request.device,
        error.detail,
    )
    raise error


async def _record_rejection(uow: UnitOfWork, row: dict[str, Any]) -> None:
    """Raises IntegrityError when the row's Idempotency-Key names a recorded scan."""
    scan_id = await scanlog.insert_scan(uow.session, row)
    uow.emit(
        EventType.SCAN_REJECTED,
        {
            "scan": scan_id,
            "action": row["action"],
            "code": row["code"],
            "location": row["location_code"],
            "device": row["device"],
            "error": {"code": row["error_code"], "detail": row["error_detail"]},
        },
    )


async def record_unreadable_scan(
    transactions: Transactions,
    body: bytes,
    *,
    actor: Actor,
    idempotency_key: str | None,
    problem: dict[str, Any],
) -> None:
    """Keep a scan whose request body was refused before it could be read as a scan (bad
    JSON, a missing field, quantity 0, no Idempotency-Key), so nothing a scanner sends is
    lost from the log. Each field is cut to what its column holds."""
    try:
        fields = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):  # not JSON, or nested past any sense
        fields = None
    fields = fields if isinstance(fields, dict) else {}

    def text(name: str, limit: limits.Text) -> str | None:
        value = fields.get(name)
        return None if value is None else _printable(str(value))[: limit.max_length]

    quantity = fields.get("quantity")

    async def record(uow: UnitOfWork) -> None:
        row = {
            "idempotency_key": idempotency_key or None,
            "request_hash": hashlib.sha256(body).hexdigest(),
            "api_key_id": actor.key_id,
            "actor": actor.name,
            "device": text("device", limits.DEVICE),
            "code": text("code", limits.SCAN_CODE)
            or _printable(body.decode(errors="replace"))[: limits.SCAN_CODE.max_length],
            "action": text("action", limits.SCAN_ACTION) or "",
            "location_code": text("location", limits.LOCATION_REF),
            "to_location_code": text("to_location", limits.LOCATION_REF),
            "quantity": quantity if isinstance(quantity, int) and abs(quantity) < 2**31 else None,
            "status": ScanStatus.REJECTED.value,
            "scanned_at": uow.now,
            "recorded_at": uow.now,
            "item_id": None,
            "barcode": None,
            "error_code": str(problem.get("code", "validation_error"))[
                : limits.ERROR_CODE.max_length
            ],
            "error_detail": str(problem.get("detail", ""))[:2000],
            "response_status": int(problem.get("status", 400)),
            "response_body": problem,
        }
        await _record_rejection(uow, row)

    with contextlib.suppress(IntegrityError):  # the key names a recorded scan: that stands
        await transactions.run(actor, record)


def _printable(text: str) -> str:
    """PostgreSQL text cannot hold NUL."""
    return text.replace("\x00", "\ufffd")


def _scan_row(
    request: ScanRequest,
    actor: Actor,
    key: str,
    fingerprint: str,
    now: datetime,
    status: ScanStatus,
) -> dict[str, Any]:
    """A scan as received and how it was decided; its item and answer are filled in by the
    caller (the row is written once, when the scan is decided)."""
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
        status=status.value,
        scanned_at=request.scanned_at or now,
        recorded_at=now,
        item_id=None,
        barcode=None,
        error_code=None,
        error_detail=None,
        response_status=None,
        response_body=None,
    )


__all__ = ["ScanOutcome", "ScanRequest", "ingest_scan", "record_unreadable_scan"]
