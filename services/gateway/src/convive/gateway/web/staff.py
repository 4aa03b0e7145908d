"""Staff sign-in for the back office (`/admin`) and the POS console (`/pos`): which app a path
belongs to and where a login may lead, the CSRF token of staff forms, and keeping a signed-in
browser in step with its account.

pos-gateway owns the accounts (passwords, lock-out); the gateway only asks it `POST /staff/login`
and keeps what it answered (`staff_id, email, name, role, venue_ids`) in `convive_staff`, signed
with the guest cookies' key and dated: the cookie is refused once `exp` has passed, whatever the
browser does with its max-age. Roles and venue scope are enforced here (`web.guards`), before
any service's staff API is called (docs/decisions/0008); pos-gateway checks them again from
`X-Convive-Staff`.

CSRF: a double-submit token of our own, not Litestar's `CSRFConfig` (that one is app-wide and
would lock the guest app's and the services' JSON posts too). `convive_csrf` is a signed,
HttpOnly, SameSite=Lax cookie holding a random token; every staff form carries the same token
in a hidden `csrf_token` field (scripts send it as `X-CSRF-Token`), and a post whose token does
not match the cookie is refused with 403. It is minted on the login page and renewed at login
and logout. An `Origin` naming another host is refused too.
"""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request
from litestar.datastructures import Cookie

from convive.gateway.upstream import Services, UpstreamError
from convive.gateway.upstream.pos_gateway import StaffAccount
from convive.gateway.web.cookies import CSRF_COOKIE, StaffCookies, StaffProfile, new_csrf_token
from convive.gateway.web.refusals import Refused
from convive.gateway.web.responses import same_origin

log = logging.getLogger(__name__)

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ACCOUNT_CHECK_SECONDS = 30.0
"""How long pos-gateway's word on a signed-in account is trusted: a closed account, or a changed
role or venue, takes effect within this time rather than at the cookie's expiry."""


def app_of(path: str) -> str:
    """Which staff app a path belongs to: its login page and home."""
    return "pos" if path == "/pos" or path.startswith("/pos/") else "admin"


def login_url(path: str, next_path: str | None = None) -> str:
    url = f"/{app_of(path)}/login"
    return f"{url}?next={quote(next_path, safe='/')}" if next_path else url


def safe_next(next_path: str | None, app: str) -> str:
    """Where to go after login: only a page of the staff apps on this origin, never elsewhere."""
    home = f"/{app}"
    if not next_path or not next_path.startswith("/") or "\\" in next_path:
        return home
    parts = urlsplit(next_path)
    if parts.scheme or parts.netloc or next_path.startswith("//"):
        return home
    if app_of(parts.path) == "admin" and not (
        parts.path == "/admin" or parts.path.startswith("/admin/")
    ):
        return home
    if parts.path.endswith(("/login", "/logout")):
        return home
    return next_path


def csrf_token(
    request: Request[Any, Any, Any], staff_cookies: StaffCookies, set_cookies: list[Cookie]
) -> str:
    """The browser's CSRF token for a form; a new one (its cookie added to `set_cookies`) when
    it has none yet."""
    token = staff_cookies.csrf(request.cookies.get(CSRF_COOKIE))
    if token is None:
        token = new_csrf_token()
        set_cookies.append(staff_cookies.csrf_cookie(token))
    return token


async def check_csrf(request: Request[Any, Any, Any], cookies: StaffCookies) -> str:
    """Refuse a post from another origin or whose CSRF token does not match the browser's
    `convive_csrf` cookie; answers the token."""
    same_origin(request)
    expected = cookies.csrf(request.cookies.get(CSRF_COOKIE))
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # Litestar keeps it: the handler reads it again
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise Refused(403, "the form has expired: reload the page and try again", CSRF_FIELD)
    return expected


class StaffAccounts:
    """Keeps a signed-in browser in step with its account: pos-gateway's `GET /staff/me`,
    asked at most every `ACCOUNT_CHECK_SECONDS` per account."""

    def __init__(self) -> None:
        self._checked: dict[str, tuple[float, StaffAccount | None]] = {}

    async def current(self, services: Services, profile: StaffProfile) -> StaffProfile | None:
        """The profile as the account now stands; None once the account is closed. When
        pos-gateway cannot answer, the signed cookie's profile stands until it can."""
        now = time.monotonic()
        seen = self._checked.get(profile.staff_id)
        if seen is None or now - seen[0] > ACCOUNT_CHECK_SECONDS:
            try:
                answer: StaffAccount | None = await services.pos.me(profile.staff_id)
            except UpstreamError as exc:
                if exc.status not in (401, 403, 404):
                    log.warning("staff account not checked", extra={"error": exc.message})
                    return profile
                answer = None
            seen = (now, answer)
            self._checked[profile.staff_id] = seen
        account = seen[1]
        if account is None:
            return None
        return replace(
            profile,
            name=account.name or profile.name,
            role=account.role,
            venue_ids=tuple(account.venue_ids),
        )
