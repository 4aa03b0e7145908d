"""The handler of `Refused`, the one refusal of the gateway's own, whichever app refuses: a
script gets JSON; a guest's plain form post goes back to the guest page with the message; a
console form post goes back where it came from (`Refused.back`); a staff page asks to sign in
(401) or says what is not allowed (403, 404)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.response import Redirect

from convive.gateway.web.refusals import Refused, wants_json
from convive.gateway.web.responses import staff_page
from convive.gateway.web.shared import Shared
from convive.gateway.web.staff import CSRF_FIELD, SAFE_METHODS, app_of, login_url
from convive.gateway.web.staff_i18n import staff_language


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
    t, _ = staff_language(request)
    context = {
        "t": t,
        "lang": t.lang,
        "status": refused.status,
        "title": t("notfound_title") if refused.status == 404 else t("forbidden_title"),
        "message": (
            t("forbidden_csrf")
            if refused.field == CSRF_FIELD
            else t("notfound_body")
            if refused.status == 404
            else t("forbidden_body")
        ),
        "home": f"/{app_of(path)}",
    }
    return staff_page("staff/forbidden.html", context, refused.status)
