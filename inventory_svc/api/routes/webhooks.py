"""Webhooks (managers): subscriptions, their deliveries, and redelivery of dead ones."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, PathParameter, QueryParameter

from inventory_svc.api.auth import requires
from inventory_svc.api.deps import CurrentActor, ReadSession, Writes
from inventory_svc.api.openapi import problems
from inventory_svc.api.params import After
from inventory_svc.api.schemas import MAX_ID, MAX_LEDGER_ID, text
from inventory_svc.domain import limits
from inventory_svc.domain.roles import Permission
from inventory_svc.domain.vocabulary import DeliveryStatus
from inventory_svc.domain.webhooks import DeliveryOut, RedeliveredOut, WebhookOut
from inventory_svc.services import webhooks

WebhookId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="The webhook's id.")]
DeliveryId = Annotated[int, PathParameter(ge=1, le=MAX_LEDGER_ID, description="The delivery's id.")]
EventPattern = Annotated[str, text(limits.WEBHOOK_EVENT_PATTERN)]

MANAGE_PROBLEMS = problems(400, 401, 403, 404, 503, s404="not_found: no such webhook (or delivery)")


class WebhookIn(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, text(limits.WEBHOOK_URL)]
    secret: Annotated[str, text(limits.WEBHOOK_SECRET)]
    events: Annotated[
        list[EventPattern], msgspec.Meta(min_length=1, max_length=limits.MAX_WEBHOOK_EVENTS)
    ]


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]
    guards = [requires(Permission.MANAGE)]

    @post(
        "/",
        summary="Subscribe a URL to events",
        operation_id="createWebhook",
        responses=problems(
            400,
            401,
            403,
            422,
            503,
            s422="destination_refused: the host is, or resolves to, a loopback, private, "
            "link-local or otherwise non-public address, or is not an allowed host",
        ),
        description=(
            "`{url, secret, events}`: `events` are exact types (`purchase_order.submitted`), "
            "prefixes (`purchase_order.*`) or `*`. From now on each matching event is POSTed "
            "as `{id, type, occurred_at, data}` with `X-Inventory-Signature: "
            't=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by secret>`, in feed order, '
            "retried with backoff, at least once (de-duplicate by `id`). The secret is "
            "never shown again."
        ),
    )
    async def create(
        self, data: JSONBody[WebhookIn], transactions: Writes, actor: CurrentActor, state: State
    ) -> WebhookOut:
        return await webhooks.subscribe(
            transactions,
            actor,
            state.webhooks,
            url=data.url,
            secret=data.secret,
            events=data.events,
        )

    @get(
        "/",
        summary="Webhook subscriptions, oldest first",
        operation_id="listWebhooks",
        responses=problems(400, 401, 403, 503),
    )
    async def list_all(
        self,
        reader: ReadSession,
        after: After = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="Page size.")] = 100,
    ) -> list[WebhookOut]:
        return await webhooks.list_webhooks(reader, after=after, limit=limit)

    @get(
        "/{webhook_id:int}",
        summary="One webhook subscription",
        operation_id="getWebhook",
        responses=MANAGE_PROBLEMS,
    )
    async def get_one(self, webhook_id: WebhookId, reader: ReadSession) -> WebhookOut:
        return await webhooks.get_webhook(reader, webhook_id)

    @delete(
        "/{webhook_id:int}",
        summary="Unsubscribe: the webhook and its deliveries go",
        operation_id="deleteWebhook",
        responses=MANAGE_PROBLEMS,
    )
    async def remove(
        self, webhook_id: WebhookId, transactions: Writes, actor: CurrentActor
    ) -> None:
        await transactions.run(actor, webhooks.delete_webhook, webhook_id)

    @get(
        "/{webhook_id:int}/deliveries",
        summary="A webhook's deliveries in event order, each with every attempt",
        operation_id="listWebhookDeliveries",
        responses=MANAGE_PROBLEMS,
        description="`status` is pending, delivered or dead; `after` a delivery id.",
    )
    async def deliveries(
        self,
        webhook_id: WebhookId,
        reader: ReadSession,
        status: Annotated[
            DeliveryStatus | None, QueryParameter(description="Only this status.")
        ] = None,
        after: After = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="Page size.")] = 100,
    ) -> list[DeliveryOut]:
        return await webhooks.list_deliveries(
            reader, webhook_id, status=status, after=after, limit=limit
        )

    @post(
        "/{webhook_id:int}/deliveries/{delivery_id:int}/redeliver",
        summary="Send one delivery again (dead or delivered)",
        operation_id="redeliverWebhookDelivery",
        status_code=200,
        responses=problems(
            400,
            401,
            403,
            404,
            409,
            503,
            s409="invalid_transition: the delivery is pending (already on its way)",
        ),
    )
    async def redeliver(
        self,
        webhook_id: WebhookId,
        delivery_id: DeliveryId,
        transactions: Writes,
        actor: CurrentActor,
    ) -> DeliveryOut:
        return await transactions.run(actor, webhooks.redeliver, webhook_id, delivery_id)

    @post(
        "/{webhook_id:int}/redeliver-dead",
        summary="Send every dead delivery of the webhook again, in event order",
        operation_id="redeliverDeadWebhookDeliveries",
        status_code=200,
        responses=MANAGE_PROBLEMS,
    )
    async def redeliver_dead(
        self, webhook_id: WebhookId, transactions: Writes, actor: CurrentActor
    ) -> RedeliveredOut:
        return await transactions.run(actor, webhooks.redeliver_dead, webhook_id)
