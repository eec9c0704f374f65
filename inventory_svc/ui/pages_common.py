"""What the UI's pages share: the query parameters every listing takes, bounded like the
API's so hostile input is a 400, never a 500; the printable sheets' stylesheet."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated

from litestar import MediaType, Response, get
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter

from inventory_svc.domain import limits
from inventory_svc.integrations import pick_sheet

PAGE_SIZE = 100
MAX_LEDGER_ID = limits.LEDGER_ID.le

SearchText = Annotated[
    str,
    QueryParameter(
        max_length=limits.SEARCH.max_length,
        pattern=limits.NO_NUL_PATTERN,
        required=False,
        description="A name, GTIN, NDC, lot, location code or a scanned code.",
    ),
]
After = Annotated[
    int | None,
    QueryParameter(ge=0, le=MAX_LEDGER_ID, required=False, description="Resume after this id."),
]
Before = Annotated[
    int | None,
    QueryParameter(ge=1, le=MAX_LEDGER_ID, required=False, description="Older than this id."),
]


def one_of(values: Iterable[str], description: str) -> QueryParameter:
    """A filter a `<select>` sends: one of `values`, or empty for "any"."""
    alternatives = "|".join(re.escape(value) for value in values)
    return QueryParameter(
        pattern=f"^({alternatives})?$", max_length=64, required=False, description=description
    )


NumberText = Annotated[str, QueryParameter(max_length=20, pattern=r"^[0-9]*$", required=False)]
"""A number field of a form: empty (the field left blank) means no filter."""


def optional_number(text: str, bounds: limits.IntRange, name: str) -> int | None:
    if not text:
        return None
    value = int(text)
    if not bounds.allows(value):
        raise ValidationException(f"{name} must be a whole number from {bounds.ge} to {bounds.le}.")
    return value


SHEET_CSS = "/ui/sheet.css"


def printable_sheet(page_html: str) -> Response[str]:
    """A printable sheet from integrations (restock plan, pick list) as the API serves it,
    with its inline stylesheet moved to `SHEET_CSS`: the UI's Content-Security-Policy
    allows no inline style."""
    inline = f"<style>{pick_sheet.STYLE}</style>"
    linked = f'<link rel="stylesheet" href="{SHEET_CSS}">'
    return Response(page_html.replace(inline, linked), media_type=MediaType.HTML)


@get(SHEET_CSS.removeprefix("/ui"), name="ui_sheet_css", media_type="text/css")
async def sheet_css() -> Response[str]:
    return Response(pick_sheet.STYLE, media_type="text/css")
