"""Pages: one Jinja2 template per page, extending `base.html` (skip link, landmarks, the nav
the user's role may use, the logout form). Every page is rendered on the server in one round
trip and works without JavaScript; `ui.js` only adds to it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig
from markupsafe import Markup, escape

from inventory_svc.domain.roles import Permission, Role
from inventory_svc.ui.auth import CSRF_FIELD, UiUser

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True, slots=True)
class NavLink:
    label: str
    href: str
    permission: Permission | None = None
    """Shown to roles that have it; None: to every role."""
    admin_only: bool = False


NAV: tuple[NavLink, ...] = (
    NavLink("Dashboard", "/ui"),
    NavLink("Stock", "/ui/stock"),
    NavLink("Reorder", "/ui/reorder"),
    NavLink("Purchase orders", "/ui/purchase-orders"),
    NavLink("Kits", "/ui/kits"),
    NavLink("Recalls", "/ui/recalls"),
    NavLink("Counts", "/ui/counts"),
    NavLink("Labels", "/ui/labels"),
    NavLink("Events", "/ui/events", Permission.EVENTS),
    NavLink("Admin", "/ui/admin", admin_only=True),
)


def nav_for(user: UiUser) -> list[NavLink]:
    return [
        link
        for link in NAV
        if (link.permission is None or user.may(link.permission))
        and (not link.admin_only or user.role is Role.ADMIN)
    ]


def page(
    template_name: str, ui_user: UiUser, *, status_code: int = 200, **context: Any
) -> Template:
    """A page for the logged-in user: the template gets `ui_user`, `csrf_token`, `nav` and
    `now` (UTC) besides `context` (and Litestar's `request`)."""
    return Template(
        template_name=template_name,
        context={
            "ui_user": ui_user,
            "csrf_token": ui_user.csrf_token,
            "nav": nav_for(ui_user),
            "now": datetime.now(UTC),
            **context,
        },
        status_code=status_code,
    )


def public_page(template_name: str, *, status_code: int = 200, **context: Any) -> Template:
    """A page for someone not logged in (the login page, an error before login): no nav."""
    return Template(
        template_name=template_name,
        context={"ui_user": None, "nav": [], "now": datetime.now(UTC), **context},
        status_code=status_code,
    )


def _csrf_field(context: Mapping[str, Any]) -> Markup:
    """`{{ csrf_field() }}` in a form: the hidden `_csrf` input the guard checks."""
    token = context.get("csrf_token") or ""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(token))


def _register(engine: JinjaTemplateEngine) -> None:
    engine.register_template_callable("csrf_field", _csrf_field)
    engine.engine.autoescape = True


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_register
    )
