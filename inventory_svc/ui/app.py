"""The web UI's router (`/ui`): logging in and out, the dashboard, the admin page, the pages
(ui/pages.py), the static files, and how errors look in a browser.

Every handler here sits behind `ui_guard` (a live session, a CSRF token on every unsafe
method) except those marked `opt={PUBLIC: True}`. Errors are the API's (the same codes and
statuses, from api/problems.py) shown as an HTML page; no session is a redirect to the login
page. The UI is not part of the API's OpenAPI document.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_303_SEE_OTHER

from inventory_svc.api.problems import EXCEPTION_HANDLERS
from inventory_svc.domain import limits
from inventory_svc.services import users
from inventory_svc.ui.admin import AdminController
from inventory_svc.ui.auth import (
    LOGIN_CSRF_COOKIE,
    LOGIN_PATH,
    PUBLIC,
    SESSION_COOKIE,
    CurrentUser,
    UiForbidden,
    UiLoginRequired,
    UiUser,
    login_url,
    provide_ui_user,
    safe_next,
    ui_guard,
)
from inventory_svc.ui.dashboard import dashboard, expiring
from inventory_svc.ui.pages import PAGE_HANDLERS
from inventory_svc.ui.render import STATIC, page, public_page, template_config

__all__ = ["template_config", "ui_router"]

COOKIE_PATH = "/ui"
"""The session cookie is sent to the UI only: the API never sees it (nor would accept it)."""


def _secure(request: Request[Any, Any, Any]) -> bool:
    return request.url.scheme == "https"


def _cookie(request: Request[Any, Any, Any], key: str, value: str, **extra: Any) -> Cookie:
    return Cookie(
        key=key,
        value=value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        **extra,
    )


def _expired(request: Request[Any, Any, Any], key: str) -> Cookie:
    return _cookie(request, key, "", max_age=0)


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _login_page(
    request: Request[Any, Any, Any], *, next_path: str, error: str | None, name: str, status: int
) -> Template:
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
    response = public_page(
        "login.html",
        status_code=status,
        csrf_token=token,
        next_path=next_path,
        error=error,
        name=name,
        name_max=limits.USER_NAME.max_length,
        password_max=limits.PASSWORD.max_length,
    )
    response.cookies.append(_cookie(request, LOGIN_CSRF_COOKIE, token))
    return response


@get(LOGIN_PATH.removeprefix("/ui"), opt={PUBLIC: True}, name="ui-login")
async def login_form(request: Request[Any, Any, Any]) -> Template:
    return _login_page(
        request,
        next_path=safe_next(request.query_params.get("next")),
        error=None,
        name="",
        status=200,
    )


@post(LOGIN_PATH.removeprefix("/ui"), opt={PUBLIC: True}, name="ui-login-submit")
async def login_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    form = await request.form()
    name, password = _field(form, "name"), _field(form, "password")
    next_path = safe_next(_field(form, "next"))
    state = request.app.state
    new = await users.login(state.transactions, state.read_sessions, name, password)
    if new is None:
        return _login_page(
            request,
            next_path=next_path,
            error=(
                "Wrong name or password. After "
                f"{limits.LOGIN_FAILURES_BEFORE_LOCK} failures in a row the account is locked "
                f"for {limits.LOGIN_LOCK_MINUTES} minutes (an admin can unlock it)."
            ),
            name=name if limits.USER_NAME.allows(name) else "",
            status=401,
        )
    if old := request.cookies.get(SESSION_COOKIE):
        await users.logout(state.transactions, old)  # the browser's earlier session ends
    redirect = Redirect(next_path, status_code=HTTP_303_SEE_OTHER)
    redirect.cookies.append(_cookie(request, SESSION_COOKIE, new.token))
    redirect.cookies.append(_expired(request, LOGIN_CSRF_COOKIE))
    return redirect


@post("/logout", name="ui-logout")
async def logout(request: Request[Any, Any, Any], ui_user: CurrentUser) -> Redirect:
    await users.logout(request.app.state.transactions, request.cookies.get(SESSION_COOKIE, ""))
    redirect = Redirect(LOGIN_PATH, status_code=HTTP_303_SEE_OTHER)
    redirect.cookies.append(_expired(request, SESSION_COOKIE))
    return redirect


@get("/{rest:path}", name="ui-not-found")
async def not_found(rest: FromPath[str], ui_user: CurrentUser) -> Template:
    """Any other `/ui` path: the login page without a session (the guard), else a 404 page."""
    raise NotFoundException(f"There is no page at /ui{rest}.")


# --- errors as pages ------------------------------------------------------------------------------


def _to_login(request: Request[Any, Any, Any], error: UiLoginRequired) -> Response[Any]:
    redirect = Redirect(login_url(error.next_path), status_code=HTTP_303_SEE_OTHER)
    if request.cookies.get(SESSION_COOKIE):
        redirect.cookies.append(_expired(request, SESSION_COOKIE))  # stale: forget it
    return redirect


def _error_page(
    request: Request[Any, Any, Any], *, status: int, title: str, detail: str, code: str
) -> Template:
    user = request.state.get("ui_user")
    context = {"status": status, "title": title, "detail": detail, "code": code}
    if isinstance(user, UiUser):
        return page("error.html", user, status_code=status, **context)
    return public_page("error.html", status_code=status, **context)


def _forbidden(request: Request[Any, Any, Any], error: UiForbidden) -> Template:
    return _error_page(
        request, status=403, title="Forbidden", detail=error.detail, code="forbidden"
    )


def _api_handler(error: Exception) -> Any:
    for kind in type(error).__mro__:
        if kind in EXCEPTION_HANDLERS:
            return EXCEPTION_HANDLERS[kind]
    return EXCEPTION_HANDLERS[Exception]


def _problem_page(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    """The API's answer to this error (status, code, detail; logged as the API logs it),
    as a page."""
    answer: Response[Any] = _api_handler(error)(request, error)
    body = answer.content if isinstance(answer.content, dict) else {}
    status = int(body.get("status") or answer.status_code or 500)
    response = _error_page(
        request,
        status=status,
        title=str(body.get("title", "Error")),
        detail=str(body.get("detail", "")),
        code=str(body.get("code", "error")),
    )
    if retry_after := answer.headers.get("Retry-After"):
        response.headers["Retry-After"] = retry_after
    return response


UI_EXCEPTION_HANDLERS: dict[Any, Any] = {
    **{kind: _problem_page for kind in EXCEPTION_HANDLERS},
    UiLoginRequired: _to_login,
    UiForbidden: _forbidden,
}


def ui_router() -> Router:
    static = create_static_files_router(
        path="/static",
        directories=[STATIC],
        include_in_schema=False,
        name="ui-static",
        opt={PUBLIC: True},
    )
    return Router(
        path="/ui",
        route_handlers=[
            login_form,
            login_submit,
            logout,
            dashboard,
            expiring,
            AdminController,
            *PAGE_HANDLERS,
            not_found,
            static,
        ],
        guards=[ui_guard],
        dependencies={"ui_user": Provide(provide_ui_user, sync_to_thread=False)},
        exception_handlers=UI_EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
