"""Kits: templates, the kit board, restock sessions, opening, checks, charge sheets, labels."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import Body, JSONBody, PathParameter, QueryParameter

from inventory_svc.api.auth import requires
from inventory_svc.api.deps import CurrentActor, ReadSession, Writes
from inventory_svc.api.kit_schemas import (
    CheckIn,
    CompleteIn,
    KitIn,
    KitTemplateIn,
    OpenIn,
    RestockIn,
)
from inventory_svc.api.openapi import LABEL_PROBLEMS, READ_ONE_PROBLEMS, READ_PROBLEMS, problems
from inventory_svc.api.params import text_filter
from inventory_svc.api.schemas import MAX_ID
from inventory_svc.domain import limits
from inventory_svc.domain.kit_records import (
    KitBoardRow,
    KitCheckOut,
    KitOut,
    KitTemplateOut,
    KitUsageOut,
    RestockPlanOut,
    RestockSessionOut,
)
from inventory_svc.domain.roles import Permission
from inventory_svc.domain.vocabulary import KitStatus, LocationKind
from inventory_svc.integrations import kit_sheets, labels
from inventory_svc.services import kits
from inventory_svc.services.kits import SlotInput, TemplateInput

KitCode = Annotated[
    str,
    PathParameter(
        min_length=1,
        max_length=limits.LOCATION_CODE.max_length,
        pattern=limits.CODE_PATTERN,
        description="The kit's code (its location code), e.g. CART-ICU-1.",
    ),
]
TemplateCode = Annotated[
    str,
    PathParameter(
        min_length=1,
        max_length=limits.KIT_TEMPLATE_CODE.max_length,
        pattern=limits.CODE_PATTERN,
        description="The template's code.",
    ),
]
SessionId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="The session's id.")]
KIT_PROBLEMS = problems(
    400,
    401,
    403,
    404,
    409,
    422,
    503,
    s409="invalid_transition, session_closed or kit_incomplete (with `slots`)",
)


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    best = request.accept.best_match([MediaType.JSON.value, MediaType.HTML.value])
    return best == MediaType.HTML.value


class KitTemplateController(Controller):
    path = "/kit-templates"
    tags = ["kits"]

    @post(
        "/",
        guards=[requires(Permission.MANAGE)],
        summary="Create a kit template, or its next version",
        operation_id="createKitTemplate",
        responses=problems(400, 401, 403, 409, 422, 503),
        description=(
            "`{code, name, kind, check_interval_days?, lines: [{slot, items, quantity, "
            "min_days_to_expiry}]}`. Posting an existing code adds a version: kits keep "
            "theirs until their next restock. `items` are item ids (a GTIN stands for its "
            "item); an item is in at most one slot; quantities are base units."
        ),
    )
    async def create(
        self, data: JSONBody[KitTemplateIn], transactions: Writes, actor: CurrentActor
    ) -> KitTemplateOut:
        return await transactions.run(
            actor,
            kits.create_template,
            TemplateInput(
                code=data.code,
                name=data.name,
                kind=data.kind,
                check_interval_days=data.check_interval_days,
                lines=[
                    SlotInput(line.slot, line.items, line.quantity, line.min_days_to_expiry)
                    for line in data.lines
                ],
            ),
        )

    @get(
        "/",
        guards=[requires(Permission.READ)],
        summary="Kit templates (latest versions)",
        operation_id="listKitTemplates",
        responses=READ_PROBLEMS,
    )
    async def list_all(self, reader: ReadSession) -> list[KitTemplateOut]:
        return await kits.list_templates(reader)

    @get(
        "/{code:str}",
        guards=[requires(Permission.READ)],
        summary="One kit template (its latest version, or `version=`)",
        operation_id="getKitTemplate",
        responses=READ_ONE_PROBLEMS,
    )
    async def get_one(
        self,
        code: TemplateCode,
        reader: ReadSession,
        version: Annotated[int | None, QueryParameter(ge=1, le=limits.TEMPLATE_VERSION.le)] = None,
    ) -> KitTemplateOut:
        return await kits.get_template(reader, code, version)


class KitController(Controller):
    path = "/kits"
    tags = ["kits"]

    @post(
        "/",
        guards=[requires(Permission.MANAGE)],
        summary="Create a kit (a location bound to a template)",
        operation_id="createKit",
        responses=problems(400, 401, 403, 404, 409, 422, 503),
        description=(
            "`{code, template, home_location, name?}`: a location of the template's kind "
            "under `home_location`, bound to the template's latest version, `unsealed` and "
            "empty. Stock enters it only through restock scans."
        ),
    )
    async def create(
        self, data: JSONBody[KitIn], transactions: Writes, actor: CurrentActor
    ) -> KitOut:
        return await transactions.run(
            actor, kits.create_kit, data.code, data.template, data.home_location, data.name
        )

    @get(
        "/",
        guards=[requires(Permission.READ)],
        summary="The kit board",
        operation_id="listKits",
        responses=READ_PROBLEMS,
        description=(
            "Every kit with its status, live `ready` verdict, expiry (the earliest among "
            "its contents), days left, last check, next check due and what is short."
        ),
    )
    async def board(
        self,
        reader: ReadSession,
        state: State,
        status: Annotated[
            KitStatus | None, QueryParameter(description="Only kits in this status.")
        ] = None,
        kind: Annotated[
            LocationKind | None, QueryParameter(description="crash_cart, anesthesia_tray, kit.")
        ] = None,
        expiring_within_days: Annotated[
            int | None,
            QueryParameter(ge=0, le=3650, description="Only kits whose expiry is this close."),
        ] = None,
        location: Annotated[
            str | None, text_filter(limits.LOCATION_REF, "Only kits at or below this location.")
        ] = None,
    ) -> list[KitBoardRow]:
        return await kits.board(
            reader,
            state.clock.today(),
            status=status,
            kind=kind,
            expiring_within_days=expiring_within_days,
            location=location,
        )

    @get(
        "/{code:str}",
        guards=[requires(Permission.READ)],
        summary="One kit: slots, lots, expiry and verdict",
        operation_id="getKit",
        responses=READ_ONE_PROBLEMS,
    )
    async def get_one(self, code: KitCode, reader: ReadSession, state: State) -> KitOut:
        return await kits.get_kit(reader, code, state.clock.today())

    @post(
        "/{code:str}/restock",
        guards=[requires(Permission.RESTOCK)],
        summary="Start (or join) the kit's restock session",
        operation_id="startRestock",
        responses=KIT_PROBLEMS,
        status_code=200,
        description=(
            "`{source_location}`: opens the kit's restock session from that location, or "
            "answers its open one (starting twice is not an error). Opening binds the kit "
            "to its template's latest version and breaks its seal."
        ),
    )
    async def start_restock(
        self, code: KitCode, data: JSONBody[RestockIn], transactions: Writes, actor: CurrentActor
    ) -> RestockSessionOut:
        return await transactions.run(actor, kits.start_restock, code, data.source_location)

    @get(
        "/{code:str}/restock-plan",
        guards=[requires(Permission.READ)],
        summary="What a restock must take out and bring, with lots from the source",
        operation_id="getRestockPlan",
        responses=READ_ONE_PROBLEMS,
        description=(
            "Per slot of the template's latest version: what is missing, what must be "
            "swapped (expired, recalled, short-dated, or expiring before the next check is "
            "due) and suggested lots from `source`, earliest expiry first among those that "
            "outlast the next check. `Accept: text/html` answers a printable sheet."
        ),
    )
    async def restock_plan(
        self,
        code: KitCode,
        reader: ReadSession,
        state: State,
        request: Request[Any, Any, Any],
        source: Annotated[str, text_filter(limits.LOCATION_REF, "The restock's source.")],
    ) -> Response[RestockPlanOut]:
        plan = await kits.restock_plan(reader, code, source, state.clock.today())
        if _wants_html(request):
            page: Any = kit_sheets.restock_plan_html(plan)
            return Response(page, media_type=MediaType.HTML)
        return Response(plan)

    @post(
        "/{code:str}/open",
        guards=[requires(Permission.RESTOCK)],
        summary="Open a sealed kit (a case, a code blue)",
        operation_id="openKit",
        responses=KIT_PROBLEMS,
        status_code=200,
        description=(
            "`{reason?, seal_number?, reference?}` (an empty body is fine): breaks the seal "
            "of a `ready` kit, records who, when and the case or code-blue `reference`. "
            "What is issued from it until its next seal is its charge sheet."
        ),
    )
    async def open_kit(
        self,
        code: KitCode,
        transactions: Writes,
        actor: CurrentActor,
        data: Annotated[OpenIn | None, Body()] = None,
    ) -> KitOut:
        body = data or OpenIn()
        return await transactions.run(
            actor, kits.open_kit, code, body.reason, body.seal_number, body.reference
        )

    @post(
        "/{code:str}/checks",
        guards=[requires(Permission.RESTOCK)],
        summary="Record a check of the kit's seal",
        operation_id="checkKit",
        responses=problems(400, 401, 403, 404, 422, 503),
        description=(
            "`{seal_number, intact}`: every check is recorded. On a sealed kit, a seal "
            "that is not intact or not the recorded one flags the kit (`quarantined`, "
            "`kit.flagged`)."
        ),
    )
    async def check(
        self, code: KitCode, data: JSONBody[CheckIn], transactions: Writes, actor: CurrentActor
    ) -> KitCheckOut:
        return await transactions.run(actor, kits.check_kit, code, data.seal_number, data.intact)

    @get(
        "/{code:str}/usage",
        guards=[requires(Permission.READ)],
        summary="The charge sheet: what was used since the kit was last sealed",
        operation_id="getKitUsage",
        responses=READ_ONE_PROBLEMS,
    )
    async def usage(self, code: KitCode, reader: ReadSession) -> KitUsageOut:
        return await kits.usage(reader, code)

    @get(
        "/{code:str}/label.svg",
        guards=[requires(Permission.READ)],
        summary="Code128 kit label KIT:<code> as SVG",
        operation_id="getKitLabelSvg",
        responses=LABEL_PROBLEMS,
        media_type="image/svg+xml",
    )
    async def label_svg(self, code: KitCode, reader: ReadSession, state: State) -> Response[bytes]:
        caption = await kits.label_caption(reader, code, state.clock.today())
        return Response(labels.label_svg(f"KIT:{code}", caption), media_type="image/svg+xml")

    @get(
        "/{code:str}/label.png",
        guards=[requires(Permission.READ)],
        summary="Code128 kit label KIT:<code> as PNG",
        operation_id="getKitLabelPng",
        responses=LABEL_PROBLEMS,
        media_type="image/png",
    )
    async def label_png(self, code: KitCode, reader: ReadSession, state: State) -> Response[bytes]:
        caption = await kits.label_caption(reader, code, state.clock.today())
        return Response(labels.label_png(f"KIT:{code}", caption), media_type="image/png")


class RestockSessionController(Controller):
    path = "/restock-sessions"
    tags = ["kits"]

    @get(
        "/{session_id:int}",
        guards=[requires(Permission.READ)],
        summary="One restock session: who, when, what went in and out, the seal",
        operation_id="getRestockSession",
        responses=READ_ONE_PROBLEMS,
    )
    async def get_one(self, session_id: SessionId, reader: ReadSession) -> RestockSessionOut:
        return await kits.get_session(reader, session_id)

    @post(
        "/{session_id:int}/complete",
        guards=[requires(Permission.RESTOCK)],
        summary="Seal the kit and close the session",
        operation_id="completeRestock",
        responses=KIT_PROBLEMS,
        status_code=200,
        description=(
            "`{seal_number, override_reason?}`: `409 kit_incomplete` (with `slots: [{slot, "
            "required, present, missing}]`) while a slot is short, holds expired, recalled "
            "or short-dated stock, or the kit holds stock no slot takes; a manager may seal "
            "it anyway with `override_reason` (recorded with who; `kit.override`)."
        ),
    )
    async def complete(
        self,
        session_id: SessionId,
        data: JSONBody[CompleteIn],
        transactions: Writes,
        actor: CurrentActor,
    ) -> RestockSessionOut:
        return await transactions.run(
            actor, kits.complete, session_id, data.seal_number, data.override_reason
        )
