"""The handler of `Refused`, the one refusal of the gateway's own, whichever app refuses: a
script gets JSON; a guest's plain form post goes back to the guest page with the message; a
console form post goes back where it came from (`Refused.back`); a staff page asks to sign in
(401) or says what is not allowed (403, 404)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Redirect

from convive.gateway.web.language import language_of
from convive.gateway.web.refusals import Refused, wants_json
from convive.gateway.web.responses import staff_page
from convive.gateway.web.shared import Shared
from convive.gateway.web.staff import CSRF_FIELD, SAFE_METHODS, app_of, login_url


def on_refused(request: Request[Any, Any, Any], refused: Refused) -> Response[Any]:
    if wants_json(request):
        return refused.as_json()
    cookies = Shared.of(request).cookies
    path = request.url.path
    if refused.back is not None:
        flash = cookies.flash_cookie("pos", message=refused.message)
        return Redirect(refused.back, status_code=303, cookies=[flash])
    token = request.path_params.get("token") if path.startswith("/t/") else None
    if token is not None:
        flash = cookies.flash_cookie("raw", message=refused.message)
        return Redirect(f"/t/{token}", status_code=303, cookies=[flash])
    if refused.status == 401:
        next_path = path + (f"?{request.url.query}" if request.url.query else "")
        if request.method not in SAFE_METHODS:
            next_path = f"/{app_of(path)}"  # a post cannot be replayed after login
        return Redirect(login_url(path, next_path), status_code=303)
    t, _ = language_of(request)
    if refused.field == CSRF_FIELD:
        message = t.gettext("This form has expired. Go back, reload the page and try again.")
    elif refused.status == 404:
        message = t.gettext("This page does not exist, or no longer.")
    else:
        message = t.gettext("Your account may not open this page.")
    context = {
        "status": refused.status,
        "title": t.gettext("Not found") if refused.status == 404 else t.gettext("Not allowed"),
        "message": message,
        "home": f"/{app_of(path)}",
    }
    return staff_page("staff/forbidden.html", t, context, refused.status)
