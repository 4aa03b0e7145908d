"""How the gateway's pages answer: rendered templates with the headers each app needs (never
cached, never framed; a guest page's token never leaks through the referrer), and the check
that a post comes from this origin."""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template

from convive.gateway.web.language import LANGUAGE_NAMES, Language
from convive.gateway.web.refusals import Refused

GUEST_PAGE_HEADERS = {
    "cache-control": "no-store",
    # The token is in the URL: it must not leak to photo hosts through the referrer.
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'self'; img-src 'self' https: data:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "form-action 'self' https: http:; base-uri 'none'",
}

STAFF_PAGE_HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'",
}


def page(
    template: str,
    t: Language,
    context: dict[str, Any],
    status: int = 200,
    cookies: list[Cookie] | None = None,
    headers: dict[str, str] | None = None,
    *,
    app_headers: dict[str, str] = GUEST_PAGE_HEADERS,
) -> Template:
    """A page of one of the apps (a guest's by default) in the language `t`."""
    return Template(
        template_name=template,
        context={
            "language": t,
            "lang": t.code,
            "other_lang": t.other,
            "other_lang_name": LANGUAGE_NAMES[t.other],
            **context,
        },
        status_code=status,
        cookies=cookies,
        headers={**app_headers, **(headers or {})},
    )


staff_page = partial(page, app_headers=STAFF_PAGE_HEADERS)
"""A staff or console page (`STAFF_PAGE_HEADERS`)."""


def same_origin(request: Request[Any, Any, Any]) -> None:
    """Refuse a cross-site post: the cookies are SameSite=Lax, this is the second lock."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise Refused(403, "cross-site request refused", "origin")
