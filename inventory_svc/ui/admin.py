"""The admin page (`/ui/admin`), for admins only: people who log in (create, disable, reset
a password, unlock) and API keys (create, revoke), through the same services as the CLI.

A new password or key is shown once, on the page that answers the form (never in a URL,
never stored); the other forms redirect back to the page (post, redirect, get).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import PathParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from inventory_svc.domain import limits
from inventory_svc.domain.errors import DomainError
from inventory_svc.domain.roles import Permission, Role
from inventory_svc.services import keys, users
from inventory_svc.ui.auth import CurrentUser, UiForbidden, UiUser, require
from inventory_svc.ui.render import page

UserName = Annotated[
    str,
    PathParameter(
        min_length=1,
        max_length=limits.USER_NAME.max_length,
        pattern=limits.USER_NAME.pattern,
        description="The user's name.",
    ),
]
KeyId = Annotated[int, PathParameter(ge=1, le=limits.REFERENCE_ID.le, description="A key's id.")]

ADMIN = "/ui/admin"


async def admins_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """After the router's session guard: the user is an admin (the `keys` permission)."""
    if isinstance(connection, Request) and connection.method == "OPTIONS":
        return  # as ui_guard: Litestar's automatic 204 + Allow
    user = connection.state.get("ui_user")
    if not isinstance(user, UiUser):
        raise UiForbidden("Log in as an admin.")
    require(user, Permission.KEYS)


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


class AdminController(Controller):
    path = "/admin"
    guards = [admins_only]

    async def _page(
        self,
        request: Request[Any, Any, Any],
        ui_user: UiUser,
        *,
        status_code: int = 200,
        **context: Any,
    ) -> Template:
        state = request.app.state
        people = await users.list_users(state.read_sessions)
        api_keys = await state.transactions.run(ui_user.actor, keys.list_keys)
        now = state.clock.now()
        return page(
            "admin.html",
            ui_user,
            status_code=status_code,
            users=[(u, u.locked(now)) for u in people],
            keys=api_keys,
            roles=[r.value for r in Role],
            name_max=limits.USER_NAME.max_length,
            key_name_max=limits.API_KEY_NAME.max_length,
            **context,
        )

    @get("/", name="ui-admin")
    async def admin(self, request: Request[Any, Any, Any], ui_user: CurrentUser) -> Template:
        return await self._page(request, ui_user)

    @post("/users", name="ui-admin-user-create", status_code=200)
    async def create_user(self, request: Request[Any, Any, Any], ui_user: CurrentUser) -> Template:
        form = await request.form()
        name, role = _field(form, "name").strip(), _role(_field(form, "role"))
        if role is None:
            return await self._page(request, ui_user, status_code=400, error="Choose a role.")
        state = request.app.state
        try:
            password = await users.create_user(state.transactions, ui_user.actor, name, role)
        except DomainError as refused:
            return await self._page(
                request, ui_user, status_code=refused.status, error=refused.detail
            )
        return await self._page(
            request,
            ui_user,
            secret={"what": f"First password of {name} ({role.value})", "value": password},
        )

    @post("/users/{name:str}/disable", name="ui-admin-user-disable")
    async def disable_user(
        self, request: Request[Any, Any, Any], ui_user: CurrentUser, name: UserName
    ) -> Template | Redirect:
        if name == ui_user.name:
            return await self._page(
                request, ui_user, status_code=409, error="You cannot disable yourself."
            )
        await users.disable_user(request.app.state.transactions, ui_user.actor, name)
        return Redirect(ADMIN, status_code=HTTP_303_SEE_OTHER)

    @post("/users/{name:str}/reset-password", name="ui-admin-user-reset", status_code=200)
    async def reset_password(
        self, request: Request[Any, Any, Any], ui_user: CurrentUser, name: UserName
    ) -> Template:
        password = await users.reset_password(request.app.state.transactions, ui_user.actor, name)
        return await self._page(
            request, ui_user, secret={"what": f"New password of {name}", "value": password}
        )

    @post("/users/{name:str}/unlock", name="ui-admin-user-unlock")
    async def unlock_user(
        self, request: Request[Any, Any, Any], ui_user: CurrentUser, name: UserName
    ) -> Redirect:
        await users.unlock_user(request.app.state.transactions, ui_user.actor, name)
        return Redirect(ADMIN, status_code=HTTP_303_SEE_OTHER)

    @post("/keys", name="ui-admin-key-create", status_code=200)
    async def create_key(self, request: Request[Any, Any, Any], ui_user: CurrentUser) -> Template:
        form = await request.form()
        name, role = _field(form, "name").strip(), _role(_field(form, "role"))
        if role is None or not limits.API_KEY_NAME.allows(name):
            return await self._page(
                request,
                ui_user,
                status_code=400,
                error=(
                    f"A key needs a role and a name of 1 to {limits.API_KEY_NAME.max_length} "
                    "printable characters."
                ),
            )
        _, plain = await request.app.state.transactions.run(
            ui_user.actor, keys.create_key, role, name
        )
        return await self._page(
            request,
            ui_user,
            secret={"what": f"API key {name} ({role.value})", "value": plain},
        )

    @post("/keys/{key_id:int}/revoke", name="ui-admin-key-revoke")
    async def revoke_key(
        self, request: Request[Any, Any, Any], ui_user: CurrentUser, key_id: KeyId
    ) -> Redirect:
        await request.app.state.transactions.run(ui_user.actor, keys.revoke_key, key_id)
        return Redirect(ADMIN, status_code=HTTP_303_SEE_OTHER)
