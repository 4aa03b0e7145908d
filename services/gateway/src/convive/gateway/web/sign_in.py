"""The staff sign-in pages of the back office and the POS console (`/admin/login`,
`/pos/login`): the form, the sign-in through pos-gateway (a wrong password, a lock-out and an
unreachable service each said on the form) and the sign-out."""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from convive.gateway.upstream import Services, UpstreamError
from convive.gateway.web.cookies import STAFF_COOKIE, StaffCookies, StaffProfile, new_csrf_token
from convive.gateway.web.guards import csrf_checked
from convive.gateway.web.language import UNAVAILABLE, language_of
from convive.gateway.web.responses import staff_page
from convive.gateway.web.staff import app_of, csrf_token, login_url, safe_next

log = logging.getLogger(__name__)

LOCK_OUT_SECONDS = 900  # what pos-gateway makes a locked-out e-mail wait, when it does not say


def _login_page(
    request: Request[Any, Any, Any],
    staff_cookies: StaffCookies,
    *,
    app: str,
    next_path: str,
    email: str = "",
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    t, set_cookies = language_of(request)
    title = {
        "admin": t.gettext("Back office sign-in"),
        "pos": t.gettext("POS console sign-in"),
    }
    context = {
        "title": title[app],
        "app": app,
        "action": f"/{app}/login",
        "next": next_path,
        "email": email,
        "error": error,
        "csrf_token": csrf_token(request, staff_cookies, set_cookies),
    }
    return staff_page("staff/login.html", t, context, status, set_cookies, headers)


@get(["/admin/login", "/pos/login"], summary="The staff login page (back office and POS)")
async def login_page(
    request: Request[Any, Any, Any], staff_cookies: NamedDependency[StaffCookies]
) -> Response[Any]:
    app = app_of(request.url.path)
    next_path = safe_next(request.query_params.get("next"), app)
    if staff_cookies.profile(request.cookies.get(STAFF_COOKIE)) is not None:
        return Redirect(next_path, status_code=303)
    return _login_page(request, staff_cookies, app=app, next_path=next_path)


@post(
    ["/admin/login", "/pos/login"],
    summary="Sign a staff member in (through pos-gateway)",
    guards=[csrf_checked],
)
async def login(
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    app = app_of(request.url.path)
    form = await request.form()
    email = str(form.get("email") or "").strip()[:320]
    password = str(form.get("password") or "")[:1000]
    next_path = safe_next(str(form.get("next") or ""), app)
    t, _ = language_of(request)

    def again(error: str, status: int, headers: dict[str, str] | None = None) -> Template:
        return _login_page(
            request,
            staff_cookies,
            app=app,
            next_path=next_path,
            email=email,
            error=error,
            status=status,
            headers=headers,
        )

    if not email or not password:
        return again(t.gettext("Enter your e-mail and your password."), 400)
    try:
        answer = await services.pos.login(email, password)
        profile = StaffProfile.from_login(answer, time.time())
    except UpstreamError as exc:
        if exc.status == 429:
            seconds = exc.number("retry_after") or LOCK_OUT_SECONDS
            wait = t.ngettext(
                "Too many tries: wait %(num)d minute before trying again.",
                "Too many tries: wait %(num)d minutes before trying again.",
                math.ceil(seconds / 60),
            )
            return again(wait, 429, {"retry-after": str(seconds)})
        if exc.status in (400, 401, 422):  # e.g. not an e-mail address: as a wrong one
            return again(t.gettext("Wrong e-mail or password."), 401)
        return again(t.gettext(UNAVAILABLE), exc.status)
    except ValueError as exc:
        log.warning("unexpected staff login answer", extra={"error": repr(exc)})
        return again(t.gettext(UNAVAILABLE), 503)
    log.info("staff signed in", extra={"staff_id": profile.staff_id, "role": profile.role})
    # A new CSRF token with the new sign-in: one planted before it is worth nothing after.
    return Redirect(
        next_path,
        status_code=303,
        cookies=[
            staff_cookies.profile_cookie(profile),
            staff_cookies.csrf_cookie(new_csrf_token()),
        ],
    )


@post(["/admin/logout", "/pos/logout"], summary="Sign the staff member out", guards=[csrf_checked])
async def logout(
    request: Request[Any, Any, Any], staff_cookies: NamedDependency[StaffCookies]
) -> Response[Any]:
    return Redirect(login_url(request.url.path), status_code=303, cookies=staff_cookies.sign_out())


ROUTES = [login_page, login, logout]
