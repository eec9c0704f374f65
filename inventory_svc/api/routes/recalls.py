"""Recalls (find every unit, quarantine it) and expiring stock."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import Body, JSONBody, PathParameter, QueryParameter

from inventory_svc.api.auth import requires
from inventory_svc.api.deps import CurrentActor, ReadSession, Writes
from inventory_svc.api.openapi import READ_ONE_PROBLEMS, READ_PROBLEMS, problems
from inventory_svc.api.params import After, text_filter
from inventory_svc.api.schemas import MAX_ID, LocationRef, text
from inventory_svc.domain import limits
from inventory_svc.domain.recall_records import (
    ExpiringOut,
    QuarantineOut,
    RecallOut,
    SerialOut,
)
from inventory_svc.domain.roles import Permission
from inventory_svc.services import recalls

RecallId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="The recall's id.")]


class RecallIn(msgspec.Struct, forbid_unknown_fields=True):
    """`item` (id), `gtin` or `ndc`: exactly one names the recalled product."""

    lots: Annotated[
        list[Annotated[str, text(limits.RECALL_LOT)]],
        msgspec.Meta(min_length=1, max_length=limits.MAX_RECALL_LOTS),
    ]
    reason: Annotated[str, text(limits.RECALL_REASON)]
    item: Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)] | None = None
    gtin: Annotated[str, msgspec.Meta(min_length=8, max_length=14, pattern=r"^[0-9]+$")] | None = (
        None
    )
    ndc: Annotated[str, text(limits.IDENTIFIER)] | None = None
    source: Annotated[str, text(limits.RECALL_SOURCE)] | None = None


class QuarantineIn(msgspec.Struct, forbid_unknown_fields=True):
    quarantine_location: LocationRef | None = None


class RecallController(Controller):
    path = "/recalls"
    tags = ["recalls"]

    @post(
        "/",
        guards=[requires(Permission.MANAGE)],
        summary="Recall lots of an item",
        operation_id="createRecall",
        responses=problems(400, 401, 403, 422, 503),
        description=(
            '`{item | gtin | ndc, lots, reason, source?}` (`lots: ["*"]` recalls every lot). '
            "A lot number matches every expiry it was received with and later receipts of "
            "it. Answers where every unit is: `affected: [{location, kit, slot, lot, expiry, "
            "quantity, quarantined}]`. From now on issue, transfer (except into "
            "quarantine), restock and receipt of these lots are refused (`recalled_lot`)."
        ),
    )
    async def create(
        self, data: JSONBody[RecallIn], transactions: Writes, actor: CurrentActor
    ) -> RecallOut:
        return await transactions.run(
            actor,
            recalls.create_recall,
            item=data.item,
            gtin=data.gtin,
            ndc=data.ndc,
            lots=data.lots,
            reason=data.reason,
            source=data.source,
        )

    @get(
        "/",
        guards=[requires(Permission.READ)],
        summary="Recalls, oldest first, each with where its units are now",
        operation_id="listRecalls",
        responses=READ_PROBLEMS,
    )
    async def list_all(
        self,
        reader: ReadSession,
        after: After = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="Page size.")] = 100,
    ) -> list[RecallOut]:
        return await recalls.list_recalls(reader, after=after, limit=limit)

    @get(
        "/{recall_id:int}",
        guards=[requires(Permission.READ)],
        summary="One recall: where its units are now (live)",
        operation_id="getRecall",
        responses=READ_ONE_PROBLEMS,
    )
    async def get_one(self, recall_id: RecallId, reader: ReadSession) -> RecallOut:
        return await recalls.get_recall(reader, recall_id)

    @post(
        "/{recall_id:int}/quarantine",
        guards=[requires(Permission.MANAGE)],
        summary="Move the recalled stock to quarantine and flag the kits holding some",
        operation_id="quarantineRecall",
        responses=problems(400, 401, 403, 404, 422, 503),
        status_code=200,
        description=(
            "`{quarantine_location?}` (default: the site's only quarantine location; an "
            "empty body is fine): stock outside kits moves there as `quarantine` movements; "
            "each kit holding recalled units is `quarantined` with its pull list, and each "
            "unit comes out with a `remove` scan into quarantine."
        ),
    )
    async def quarantine(
        self,
        recall_id: RecallId,
        transactions: Writes,
        actor: CurrentActor,
        data: Annotated[QuarantineIn | None, Body()] = None,
    ) -> QuarantineOut:
        location = data.quarantine_location if data else None
        return await transactions.run(actor, recalls.quarantine, recall_id, location)


class ExpiringController(Controller):
    path = "/expiring"
    tags = ["recalls"]

    @get(
        "/",
        guards=[requires(Permission.READ)],
        summary="Stock expiring soon (and expired), kits included, earliest first",
        operation_id="listExpiring",
        responses=READ_PROBLEMS,
    )
    async def list_all(
        self,
        reader: ReadSession,
        state: State,
        expiring_within_days: Annotated[
            int, QueryParameter(ge=0, le=limits.EXPIRY_DAYS.le, description="How close.")
        ] = 30,
        location: Annotated[
            str | None, text_filter(limits.LOCATION_REF, "Only at or below this location.")
        ] = None,
        include_kits: Annotated[bool, QueryParameter(description="Kits' contents too.")] = True,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="Page size.")] = 1000,
        offset: Annotated[int, QueryParameter(ge=0, le=limits.OFFSET.le)] = 0,
    ) -> list[ExpiringOut]:
        return await recalls.expiring(
            reader,
            state.clock.today(),
            expiring_within_days=expiring_within_days,
            location=location,
            include_kits=include_kits,
            limit=limit,
            offset=offset,
        )


class SerialController(Controller):
    path = "/serials"
    tags = ["recalls"]

    @get(
        "/{gtin:str}/{serial:str}",
        guards=[requires(Permission.READ)],
        summary="Where a serialised pack is, and its history (DSCSA)",
        operation_id="getSerial",
        responses=READ_ONE_PROBLEMS,
    )
    async def get_one(
        self,
        gtin: Annotated[str, PathParameter(min_length=8, max_length=14, pattern=r"^[0-9]+$")],
        serial: Annotated[
            str,
            PathParameter(
                min_length=1,
                max_length=limits.SERIAL.max_length,
                pattern=limits.TEXT_PATTERN,
                description="GS1 AI 21.",
            ),
        ],
        reader: ReadSession,
    ) -> SerialOut:
        return await recalls.serial(reader, gtin, serial)
