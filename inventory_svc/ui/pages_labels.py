"""The label sheet: location, kit and command labels (Code128, integrations/labels.py) laid
out for printing; the images are served here too, as the UI cannot use the API's key-only
label routes."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template

from inventory_svc.api.deps import ReadSession
from inventory_svc.domain import limits
from inventory_svc.domain.errors import NotFound, UnknownLocation
from inventory_svc.domain.vocabulary import KIT_KINDS
from inventory_svc.integrations import labels
from inventory_svc.services import catalog, kits
from inventory_svc.ui.auth import CurrentUser
from inventory_svc.ui.render import page

COMMANDS = (
    "RECEIVE",
    "ISSUE",
    "TRANSFER",
    "RESTOCK",
    "REMOVE",
    "WASTE",
    "RETURN",
    "COUNT",
    "LOOKUP",
    "SEAL",
)
"""The `CMD:` barcodes the scanner client understands (scanner_client/README.md)."""
MAX_LABELS = 200
"""Labels on one sheet: a few pages of a label printer's roll, not the whole hospital."""
SVG = "image/svg+xml"

Codes = Annotated[list[str] | None, QueryParameter(required=False)]
LabelCode = Annotated[
    str, PathParameter(max_length=limits.LOCATION_CODE.max_length, pattern=limits.CODE_PATTERN)
]


def _checked(values: list[str] | None, allowed: set[str], what: str) -> list[str]:
    chosen = list(dict.fromkeys(values or []))
    unknown = [value for value in chosen if value not in allowed]
    if unknown:
        raise ValidationException(f"Unknown {what}: {unknown[0][:64]!r}.")
    return chosen


class LabelPages(Controller):
    path = "/labels"

    @get("/", name="ui_labels")
    async def sheet(
        self,
        ui_user: CurrentUser,
        reader: ReadSession,
        state: State,
        location: Codes = None,
        kit: Codes = None,
        command: Codes = None,
    ) -> Template:
        places = [
            place
            for place in await catalog.list_locations(reader, None)
            if not place.virtual and place.kind not in KIT_KINDS
        ]
        board = await kits.board(reader, state.clock.today())
        chosen_places = _checked(location, {p.code for p in places}, "location")
        chosen_kits = _checked(kit, {k.code for k in board}, "kit")
        chosen_commands = _checked(command, set(COMMANDS), "command")
        sheet = (
            [("LOC", code, f"/ui/labels/locations/{code}/label.svg") for code in chosen_places]
            + [("KIT", code, f"/ui/labels/kits/{code}/label.svg") for code in chosen_kits]
            + [("CMD", code, f"/ui/labels/commands/{code}/label.svg") for code in chosen_commands]
        )
        if len(sheet) > MAX_LABELS:
            raise ValidationException(f"At most {MAX_LABELS} labels on one sheet.")
        return page(
            "pages/labels.html",
            ui_user,
            places=places,
            kits=board,
            commands=COMMANDS,
            chosen=set(chosen_places) | set(chosen_kits) | set(chosen_commands),
            sheet=sheet,
        )

    @get("/locations/{code:str}/label.svg", name="ui_label_location", media_type=SVG)
    async def location_label(
        self, ui_user: CurrentUser, reader: ReadSession, code: LabelCode
    ) -> Response[bytes]:
        try:
            caption = await catalog.label_caption(reader, code)
        except (NotFound, UnknownLocation) as missing:
            raise NotFoundException(missing.detail) from missing
        return _svg(labels.label_svg(f"LOC:{code}", caption))

    @get("/kits/{code:str}/label.svg", name="ui_label_kit", media_type=SVG)
    async def kit_label(
        self, ui_user: CurrentUser, reader: ReadSession, state: State, code: LabelCode
    ) -> Response[bytes]:
        try:
            caption = await kits.label_caption(reader, code, state.clock.today())
        except NotFound as missing:
            raise NotFoundException(missing.detail) from missing
        return _svg(labels.label_svg(f"KIT:{code}", caption))

    @get("/commands/{action:str}/label.svg", name="ui_label_command", media_type=SVG)
    async def command_label(
        self,
        ui_user: CurrentUser,
        action: Annotated[str, PathParameter(max_length=32, pattern=r"^[A-Z_]+$")],
    ) -> Response[bytes]:
        if action not in COMMANDS:
            raise NotFoundException(f"No scanner command {action!r}.")
        return _svg(labels.label_svg(f"CMD:{action}", f"Action: {action.lower()}"))


def _svg(body: bytes) -> Response[bytes]:
    return Response(body, media_type=SVG)
