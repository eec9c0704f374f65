"""Kit pages: the board (every kit as a card coloured by status and days to expiry), one kit
(slots, lots, expiry, seal, checks, history; its restock plan and label), and the live view
a technician watches while restocking: server-sent events carrying the kit's state rendered
on the server, sent whenever it changes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import PathParameter, QueryParameter
from litestar.response import ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage

from inventory_svc.api.deps import ReadSession
from inventory_svc.domain import limits
from inventory_svc.domain.errors import NotFound
from inventory_svc.domain.kit_records import KitOut
from inventory_svc.domain.vocabulary import KitStatus
from inventory_svc.integrations import kit_sheets
from inventory_svc.services import kits, reports
from inventory_svc.ui.auth import CurrentUser
from inventory_svc.ui.pages_common import (
    NumberText,
    one_of,
    optional_number,
    printable_sheet,
)
from inventory_svc.ui.render import page

LIVE_POLL_SECONDS = 1.0
"""How often the live view reads the kit: a restock scan shows within about a second."""
LIVE_MAX_SECONDS = 600.0
"""A live stream ends after this long; the browser's EventSource reconnects by itself, so a
forgotten tab does not hold a connection (and a read every second) forever."""
FRAGMENT = "pages/_kit_state.html"
EXPIRING_SOON_DAYS = 30
EXPIRY_WINDOW = limits.IntRange(0, 3650)
HISTORY_ROWS = 50

KitCode = Annotated[
    str,
    PathParameter(max_length=limits.LOCATION_CODE.max_length, pattern=limits.CODE_PATTERN),
]


def expiry_band(days: int | None) -> str:
    """The colour of a kit's expiry: expired, within a week, within 30 days, or later."""
    if days is None:
        return "none"
    if days < 0:
        return "expired"
    if days <= 7:
        return "week"
    if days <= EXPIRING_SOON_DAYS:
        return "month"
    return "later"


async def _kit_or_404(reader: Any, code: str, state: State) -> KitOut:
    try:
        return await kits.get_kit(reader, code, state.clock.today())
    except NotFound as missing:
        raise NotFoundException(missing.detail) from missing


def _render_fragment(request: Request[Any, Any, Any], kit: KitOut) -> str:
    engine = request.app.template_engine
    assert engine is not None  # the app is built with ui.render.template_config()
    template = engine.get_template(FRAGMENT)
    html: str = template.render(kit=kit, band=expiry_band(kit.days_to_expiry))
    return html


class KitPages(Controller):
    path = "/kits"

    @get("/", name="ui_kits")
    async def board(
        self,
        ui_user: CurrentUser,
        reader: ReadSession,
        state: State,
        status: Annotated[
            str, one_of([s.value for s in KitStatus], "Only kits in this status.")
        ] = "",
        expiring_within_days: NumberText = "",
    ) -> Template:
        within = optional_number(expiring_within_days, EXPIRY_WINDOW, "expiring_within_days")
        rows = await kits.board(
            reader,
            state.clock.today(),
            status=KitStatus(status) if status else None,
            expiring_within_days=within,
        )
        return page(
            "pages/kits.html",
            ui_user,
            kits=[(row, expiry_band(row.days_to_expiry)) for row in rows],
            status=status,
            statuses=[s.value for s in KitStatus],
            expiring_within_days=within,
        )

    @get("/{code:str}", name="ui_kit")
    async def kit(
        self,
        ui_user: CurrentUser,
        request: Request[Any, Any, Any],
        reader: ReadSession,
        state: State,
        code: KitCode,
    ) -> Template:
        kit = await _kit_or_404(reader, code, state)
        checks, openings = await kits.history(reader, code, HISTORY_ROWS)
        movements = await reports.movements(
            reader, location=code, limit=HISTORY_ROWS, newest_first=True
        )
        return page(
            "pages/kit.html",
            ui_user,
            kit=kit,
            fragment=_render_fragment(request, kit),
            checks=checks,
            openings=openings,
            movements=movements,
        )

    @get("/{code:str}/restock-plan", name="ui_kit_restock_plan", media_type=MediaType.HTML)
    async def restock_plan(
        self,
        ui_user: CurrentUser,
        reader: ReadSession,
        state: State,
        code: KitCode,
        source: Annotated[
            str,
            QueryParameter(
                max_length=limits.LOCATION_REF.max_length, pattern=limits.CODE_REF_PATTERN
            ),
        ],
    ) -> Response[str]:
        """The printable restock plan, the same sheet the API answers in HTML."""
        try:
            plan = await kits.restock_plan(reader, code, source, state.clock.today())
        except NotFound as missing:
            raise NotFoundException(missing.detail) from missing
        return printable_sheet(kit_sheets.restock_plan_html(plan))

    @get("/{code:str}/live", name="ui_kit_live")
    async def live(
        self,
        ui_user: CurrentUser,
        request: Request[Any, Any, Any],
        state: State,
        code: KitCode,
    ) -> ServerSentEvent:
        """The kit's state as HTML, first at once and then whenever it changes. No `reader`
        here: a request-long session would be held for the whole stream."""
        async with state.read_sessions() as session:
            await _kit_or_404(session, code, state)  # a 404 before the stream, not inside it
        return ServerSentEvent(_kit_changes(request, state, code), retry_duration=2000)


async def _kit_changes(
    request: Request[Any, Any, Any], state: State, code: str
) -> AsyncGenerator[ServerSentEventMessage, None]:
    """Reads the kit about once a second, each read in a short session of its own (a stream
    must not hold a connection of the pool for minutes), and sends the fragment when it
    differs from the last one sent; a comment now and then keeps proxies from closing an
    idle stream."""
    sent: str | None = None
    started = time.monotonic()
    quiet = 0
    while time.monotonic() - started < LIVE_MAX_SECONDS:
        try:
            async with state.read_sessions() as session:
                kit = await kits.get_kit(session, code, state.clock.today())
        except NotFound:
            yield ServerSentEventMessage(event="gone", data="")
            return
        html = _render_fragment(request, kit)
        if html != sent:
            sent, quiet = html, 0
            yield ServerSentEventMessage(event="kit", data=html)
        else:
            quiet += 1
            if quiet % 15 == 0:
                yield ServerSentEventMessage(comment="waiting", data=None)
        await asyncio.sleep(LIVE_POLL_SECONDS)
