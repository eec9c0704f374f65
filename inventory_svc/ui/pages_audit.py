"""Recalls (open ones first, and where their stock is), count sessions and their state, and
the event log read as the audit trail (paged with `after`, filtered by type)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import QueryParameter
from litestar.response import Template

from inventory_svc.api.deps import ReadSession, Writes
from inventory_svc.api.routes.events import EVENT_TYPE_PATTERN
from inventory_svc.domain import limits
from inventory_svc.domain.roles import Permission
from inventory_svc.domain.vocabulary import CountStatus
from inventory_svc.services import counts, events, recalls
from inventory_svc.ui.auth import CurrentUser, require
from inventory_svc.ui.pages_common import (
    PAGE_SIZE,
    After,
    Before,
    NumberText,
    one_of,
    optional_number,
)
from inventory_svc.ui.render import page

RECALL_PAGE = 50
"""Recalls per page: each one lists where its lots are now (a query of its own)."""


class RecallPages(Controller):
    path = "/recalls"

    @get("/", name="ui_recalls")
    async def list_all(
        self,
        ui_user: CurrentUser,
        reader: ReadSession,
        after: After = None,
        show: Annotated[str, QueryParameter(pattern=r"^(open|all)$", required=False)] = "open",
    ) -> Template:
        found = await recalls.list_recalls(reader, after=after, limit=RECALL_PAGE)
        shown = found if show == "all" else [r for r in found if r.outstanding > 0]
        return page(
            "pages/recalls.html",
            ui_user,
            recalls=shown,
            show=show,
            next_after=found[-1].id if len(found) == RECALL_PAGE else None,
        )


class CountPages(Controller):
    path = "/counts"

    @get("/", name="ui_counts")
    async def list_all(
        self,
        ui_user: CurrentUser,
        reader: ReadSession,
        status: Annotated[
            str, one_of([s.value for s in CountStatus], "Only counts in this status.")
        ] = "",
        before: Before = None,
    ) -> Template:
        rows = await counts.recent_counts(
            reader,
            status=CountStatus(status) if status else None,
            before=before,
            limit=PAGE_SIZE,
        )
        return page(
            "pages/counts.html",
            ui_user,
            counts=rows,
            status=status,
            statuses=[s.value for s in CountStatus],
            next_before=rows[-1].id if len(rows) == PAGE_SIZE else None,
        )


class EventPages(Controller):
    path = "/events"

    @get("/", name="ui_events")
    async def list_all(
        self,
        ui_user: CurrentUser,
        transactions: Writes,
        state: State,
        after: NumberText = "",
        type: Annotated[
            str | None,
            QueryParameter(max_length=64, pattern=r"^$|" + EVENT_TYPE_PATTERN, required=False),
        ] = None,
    ) -> Template:
        """The same feed as `GET /api/v1/events` (whoever may read events there may here)."""
        require(ui_user, Permission.EVENTS)
        position = optional_number(after, limits.LEDGER_ID, "after") or 0
        await transactions.run(ui_user.actor, events.position_pending)
        feed = await events.read_feed(
            state.read_sessions, after=position, limit=PAGE_SIZE, type_pattern=type or None
        )
        return page(
            "pages/events.html",
            ui_user,
            events=feed,
            type=type or "",
            after=position,
            next_after=feed[-1].id if len(feed) == PAGE_SIZE else None,
        )
