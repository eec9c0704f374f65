"""The dashboard (`/ui`): what needs action now, each a count and a link to its page.

Every figure comes from the service the API's own listing uses (the reorder list, the kit
board, the expiring report, the recalls, the webhook deliveries), so the dashboard never
disagrees with the page it links to. One read session, a handful of statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import get
from litestar.datastructures import State
from litestar.params import QueryParameter
from litestar.response import Template

from inventory_svc.api.deps import ReadSession
from inventory_svc.domain import limits
from inventory_svc.domain.roles import Permission
from inventory_svc.services import kits, recalls, reorders, webhooks
from inventory_svc.ui.auth import CurrentUser
from inventory_svc.ui.render import page

EXPIRING_WITHIN_DAYS = 30
"""Kits and lots expiring within this many days (expired included) need action."""
COUNT_CAP = 1000
"""Lots expiring are counted up to this many ("1000+"): a count, not the whole list."""
RECALL_SCAN = 1000


@dataclass(frozen=True, slots=True)
class Tile:
    label: str
    count: int
    href: str | None
    hint: str
    capped: bool = False

    @property
    def shown(self) -> str:
        return f"{self.count}+" if self.capped else str(self.count)


@get("/", name="ui-dashboard")
async def dashboard(ui_user: CurrentUser, reader: ReadSession, state: State) -> Template:
    clock = state.clock
    today = clock.today()
    below = await reorders.reorder_list(reader, clock)
    board = await kits.board(reader, today)
    not_ready = [row for row in board if not row.ready]
    kits_expiring = [
        row
        for row in board
        if row.days_to_expiry is not None and row.days_to_expiry <= EXPIRING_WITHIN_DAYS
    ]
    lots = await recalls.expiring(
        reader,
        today,
        expiring_within_days=EXPIRING_WITHIN_DAYS,
        location=None,
        include_kits=False,
        limit=COUNT_CAP + 1,
        offset=0,
    )
    open_recalls = [
        r
        for r in await recalls.list_recalls(reader, after=None, limit=RECALL_SCAN)
        if r.outstanding > 0
    ]
    tiles = [
        Tile("Below reorder point", len(below), "/ui/reorder", "par levels to reorder"),
        Tile("Kits not ready", len(not_ready), "/ui/kits", "open, short or flagged"),
        Tile(
            "Kits expiring",
            len(kits_expiring),
            f"/ui/kits?expiring_within_days={EXPIRING_WITHIN_DAYS}",
            f"within {EXPIRING_WITHIN_DAYS} days",
        ),
        Tile(
            "Lots expiring",
            min(len(lots), COUNT_CAP),
            f"/ui/expiring?days={EXPIRING_WITHIN_DAYS}",
            f"in stock, within {EXPIRING_WITHIN_DAYS} days or expired",
            capped=len(lots) > COUNT_CAP,
        ),
        Tile("Open recalls", len(open_recalls), "/ui/recalls", "units still to pull"),
    ]
    if ui_user.may(Permission.EVENTS):
        failing = await webhooks.failing_deliveries(reader)
        tiles.append(Tile("Webhook deliveries failing", failing, "/ui/events", "retrying or dead"))
    return page("dashboard.html", ui_user, tiles=tiles)


Days = Annotated[
    int,
    QueryParameter(
        ge=limits.EXPIRY_DAYS.ge,
        le=limits.EXPIRY_DAYS.le,
        required=False,
        description="Expiring within this many days (expired included).",
    ),
]


@get("/expiring", name="ui-expiring")
async def expiring(
    ui_user: CurrentUser, reader: ReadSession, state: State, days: Days = EXPIRING_WITHIN_DAYS
) -> Template:
    """The dashboard's "lots expiring": stock outside kits expiring within `days`, earliest
    first (the API's `GET /expiring`)."""
    rows = await recalls.expiring(
        reader,
        state.clock.today(),
        expiring_within_days=days,
        location=None,
        include_kits=False,
        limit=COUNT_CAP,
        offset=0,
    )
    return page("expiring.html", ui_user, rows=rows, days=days, capped=len(rows) == COUNT_CAP)
