"""Scan ingest and the scan log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.exceptions import ClientException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, JSONBody, PathParameter, QueryParameter

from inventory_svc.api.auth import requires
from inventory_svc.api.deps import CurrentActor, ReadSession, Writes
from inventory_svc.api.openapi import READ_PROBLEMS, problems
from inventory_svc.api.params import After, AfterId, DeviceFilter, Since, resume_after
from inventory_svc.api.problems import PROBLEM_JSON, http_problem, problem_response
from inventory_svc.api.schemas import Problem
from inventory_svc.domain import limits
from inventory_svc.domain.count_records import ReversalOut
from inventory_svc.domain.errors import IdempotencyKeyRequired
from inventory_svc.domain.records import ScanRecord, ScanResult
from inventory_svc.domain.roles import Permission
from inventory_svc.domain.vocabulary import ScanStatus
from inventory_svc.services import reports
from inventory_svc.services.actors import Actor
from inventory_svc.services.controlled import WitnessClaim
from inventory_svc.services.corrections import reverse_scan
from inventory_svc.services.keys import authenticate
from inventory_svc.services.problems import to_problem
from inventory_svc.services.scans import ScanRequest, ingest_scan, record_unreadable_scan


def _refused_scan_body(request: Request[Actor, Any, State], exc: ClientException) -> Response[Any]:
    """A scan refused before it could be read (400) is still recorded, once the answer is
    sent; other client errors (401, 403, 413 ...) are answered as everywhere else. A scan
    without an Idempotency-Key is refused first: a retry of it could not be recognised."""
    body, headers = http_problem(exc)
    if exc.status_code != 400:
        return problem_response(body, headers)
    key = request.headers.get("idempotency-key")
    if not key:
        body = to_problem(
            IdempotencyKeyRequired(
                "Send an `Idempotency-Key` header with a fresh value (e.g. a UUID) per "
                "physical scan, and the same value again when retrying it."
            )
        )

    async def record() -> None:
        await record_unreadable_scan(
            request.app.state.transactions,
            await request.body(),
            actor=request.user,
            idempotency_key=key if limits.IDEMPOTENCY_KEY.allows(key or "") else None,
            problem=body,
        )

    response = problem_response(body, headers)
    response.background = BackgroundTask(record)
    return response


SCAN_PROBLEMS = {
    400: (
        "idempotency_key_required: no Idempotency-Key header; validation_error: the body is "
        "not a scan (both recorded all the same)"
    ),
    401: "unauthorized: missing or unknown API key",
    403: "forbidden: the key's role may not perform this action (recorded)",
    404: "not_found: the purchase order or pick list the scan names does not exist (recorded)",
    409: (
        "insufficient_stock, return_exceeds_issued, invalid_transition (a receipt naming a "
        "draft, cancelled or received purchase order, a pick on a completed pick list; all "
        "recorded), or "
        "idempotency_key_reused (the key names another scan)"
    ),
    422: (
        "bad_barcode, unknown_item, unknown_location, expired_lot, recalled_lot, "
        "invalid_movement, quantity_too_large, witness_required, unsupported_action "
        "(recorded; no stock changed)"
    ),
    503: "service_unavailable: the database is down or saturated; resend with the same key",
}


async def _witness(request: Request[Actor, Any, State], key: str | None) -> WitnessClaim | None:
    """The witness key verified as the `Authorization` key is (the key cache, then the
    database); whether a witness is needed is the scan's business."""
    if key is None or not key.strip():
        return None
    state = request.app.state
    return WitnessClaim(await authenticate(state.key_cache, state.read_sessions, key.strip()))


class ReverseIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(**limits.REVERSAL_REASON.constraints)]


ScanId = Annotated[int, PathParameter(ge=1, le=limits.LEDGER_ID.le, description="The scan's id.")]


class ScanController(Controller):
    path = "/scans"
    tags = ["scans"]

    @post(
        "/",
        # Any key reaches the scan service, which checks the action against the role and
        # records a refusal like any other: nothing a scanner sends is lost from the log.
        guards=[requires(Permission.READ)],
        summary="Apply one barcode scan",
        operation_id="createScan",
        description=(
            "Idempotent by the `Idempotency-Key` header, which is required: a replay returns "
            "the first response with status 200 and `Idempotent-Replayed: true`. Rejections "
            "are problem+json and change no stock; they are recorded all the same."
        ),
        status_code=201,
        exception_handlers={ClientException: _refused_scan_body},
        responses={
            200: ResponseSpec(ScanResult, description="Replay: the first answer, unchanged"),
            **{
                status: ResponseSpec(
                    Problem,
                    description=description,
                    media_type=PROBLEM_JSON,
                    generate_examples=False,
                )
                for status, description in SCAN_PROBLEMS.items()
            },
        },
    )
    async def create(
        self,
        request: Request[Actor, Any, State],
        data: JSONBody[ScanRequest],
        idempotency_key: Annotated[
            str,
            HeaderParameter(
                name="Idempotency-Key",
                min_length=1,
                max_length=200,
                required=True,
                description=(
                    "Required. A fresh unique value (e.g. a UUID) per physical scan; resend it "
                    "unchanged on retry so the scan is applied at most once."
                ),
            ),
        ],
        witness_key: Annotated[
            str | None,
            HeaderParameter(
                name="X-Witness-Key",
                required=False,
                max_length=1000,
                description=(
                    "A controlled-substance waste's witness: another person's API key (role "
                    "specialist or above). Verified, never stored: only the witness's name."
                ),
            ),
        ] = None,
    ) -> Response[ScanResult]:
        # The hot path takes the unit of work and the caller from the request itself: two
        # injected dependencies cost Litestar a task group per request (profiled).
        outcome = await ingest_scan(
            request.app.state.transactions,
            data,
            actor=request.user,
            idempotency_key=idempotency_key,
            witness=await _witness(request, witness_key),
        )
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
        if outcome.result is None:  # a replayed refusal: the stored problem, as first sent
            return problem_response(outcome.problem or {}, headers)
        return Response(outcome.result, status_code=outcome.status_code, headers=headers)

    @get(
        "/",
        guards=[requires(Permission.READ)],
        summary="Recorded scans, rejected ones included",
        operation_id="listScans",
        responses=READ_PROBLEMS,
    )
    async def list_all(
        self,
        reader: ReadSession,
        device: DeviceFilter = None,
        status: Annotated[
            Literal["applied", "rejected"] | None,
            QueryParameter(description="Only applied or only rejected scans."),
        ] = None,
        since: Since = None,
        after: After = None,
        after_id: AfterId = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="Page size.")] = 200,
    ) -> list[ScanRecord]:
        return await reports.scans(
            reader,
            device=device,
            status=ScanStatus(status) if status else None,
            since=since,
            after_id=resume_after(after, after_id),
            limit=limit,
        )

    @post(
        "/{scan_id:int}/reverse",
        guards=[requires(Permission.MANAGE)],
        summary="Reverse an applied scan",
        operation_id="reverseScan",
        status_code=201,
        responses=problems(
            400,
            401,
            403,
            404,
            409,
            503,
            s409=(
                "insufficient_stock: the stock has moved on since; invalid_transition: the "
                "scan was already reversed, was rejected, moved nothing or is a reversal"
            ),
        ),
        description=(
            "`{reason}`. Writes the opposite movements of the scan as a new scan row (action "
            "`reverse`) linked to it; nothing is edited or deleted. The scan log shows both."
        ),
    )
    async def reverse(
        self, scan_id: ScanId, data: JSONBody[ReverseIn], transactions: Writes, actor: CurrentActor
    ) -> ReversalOut:
        return await transactions.run(actor, reverse_scan, scan_id, data.reason)
