"""Staff sign-in for the back office (`/admin`) and the POS console (`/pos`): the login page, the
staff profile kept in a signed cookie, the `require_staff` dependency every staff route uses,
and the CSRF check of staff posts.

pos-gateway owns the accounts (passwords, lock-out); the gateway only asks it `POST /staff/login`
and keeps what it answered (`staff_id, email, name, role, venue_ids`) in `convive_staff`, signed
with the guest cookies' key and dated: the cookie is refused once `exp` has passed, whatever the
browser does with its max-age. Roles and venue scope are enforced here, before any service's
staff API is called (PLAN decision 3); pos-gateway checks them again from `X-Convive-Staff`.

CSRF: a double-submit token of our own, not Litestar's `CSRFConfig` (that one is app-wide and
would lock the guest app's and the services' JSON posts too). `convive_csrf` is a signed,
HttpOnly, SameSite=Lax cookie holding a random token; every staff form carries the same token
in a hidden `csrf_token` field (scripts send it as `X-CSRF-Token`), and a post whose token does
not match the cookie is refused with 403. It is minted on the login page and renewed at login
and logout. An `Origin` naming another host is refused too.

Using it in a staff route::

    @get("/pos/venues/{venue_id:str}", dependencies={"staff": require_staff("cashier")})
    async def console(staff: NamedDependency[StaffProfile], request: Request) -> Template:
        ...  # staff.csrf is the token the page's forms carry

`require_staff()` checks the posts' CSRF token itself. Without a valid cookie a page request is
sent to the login page (`?next=` the page), a script's request gets 401 JSON; a role or venue
the staff member does not have gets the 403 page (or 403 JSON).
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
import time
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect, Template

from convive.gateway.cookies import Signer, cookie, delete_cookie
from convive.gateway.guest import language
from convive.gateway.staff_i18n import StaffTranslator
from convive.gateway.upstream import Services, UpstreamError

log = logging.getLogger(__name__)

STAFF_COOKIE = "convive_staff"
CSRF_COOKIE = "convive_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
STAFF_SESSION_SECONDS = 12 * 3600  # one working day; staff sign in again the next one
CSRF_MAX_AGE = STAFF_SESSION_SECONDS

ROLES = ("owner", "manager", "cashier")
MANAGERS = ("owner", "manager")
EVERYONE = ROLES
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

STAFF_PAGE_HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'",
}


@dataclass(frozen=True)
class StaffProfile:
    """A signed-in staff member, as pos-gateway answered at login."""

    staff_id: str
    email: str
    name: str
    role: str
    venue_ids: tuple[str, ...]
    expires_at: int  # epoch seconds
    csrf: str = ""  # the token this browser's staff forms carry (from `convive_csrf`)

    def has_role(self, *roles: str) -> bool:
        return not roles or self.role in roles

    def has_venue(self, venue_id: str) -> bool:
        return venue_id in self.venue_ids

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGERS

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def header(self) -> dict[str, str]:
        """What pos-gateway's staff APIs need to know who calls."""
        return {"X-Convive-Staff": self.staff_id}

    @classmethod
    def from_login(cls, answer: dict[str, Any], now: float) -> StaffProfile:
        role = str(answer.get("role") or "")
        if role not in ROLES:
            raise ValueError(f"unknown staff role {role!r}")
        return cls(
            staff_id=str(answer["staff_id"]),
            email=str(answer.get("email") or ""),
            name=str(answer.get("name") or answer.get("email") or ""),
            role=role,
            venue_ids=tuple(str(v) for v in answer.get("venue_ids") or []),
            expires_at=int(now) + STAFF_SESSION_SECONDS,
        )

    @classmethod
    def parse(cls, value: dict[str, Any] | None, now: float) -> StaffProfile | None:
        if value is None:
            return None
        try:
            profile = cls(
                staff_id=str(value["staff_id"]),
                email=str(value["email"]),
                name=str(value["name"]),
                role=str(value["role"]),
                venue_ids=tuple(str(v) for v in value["venue_ids"]),
                expires_at=int(value["expires_at"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        if profile.role not in ROLES or profile.expires_at <= now:
            return None
        return profile


class StaffCookies:
    """Reads and writes the staff cookies with the guest cookies' key (the names are signed,
    so a guest value can never be read as a staff one)."""

    def __init__(self, key: str, *, secure: bool) -> None:
        self.signer = Signer(key)
        self.secure = secure

    def profile(self, raw: str | None, now: float | None = None) -> StaffProfile | None:
        value = self.signer.unsign(STAFF_COOKIE, raw)
        return StaffProfile.parse(value, time.time() if now is None else now)

    def profile_cookie(self, profile: StaffProfile) -> Cookie:
        value = asdict(profile)
        value.pop("csrf")
        value["venue_ids"] = list(profile.venue_ids)
        signed = self.signer.sign(STAFF_COOKIE, value)
        max_age = max(0, profile.expires_at - int(time.time()))
        return cookie(STAFF_COOKIE, signed, max_age, secure=self.secure)

    def csrf(self, raw: str | None) -> str | None:
        value = self.signer.unsign(CSRF_COOKIE, raw)
        token = value.get("c") if value else None
        return token if isinstance(token, str) and len(token) >= 16 else None

    def csrf_cookie(self, token: str) -> Cookie:
        signed = self.signer.sign(CSRF_COOKIE, {"c": token})
        return cookie(CSRF_COOKIE, signed, CSRF_MAX_AGE, secure=self.secure)

    def sign_out(self) -> list[Cookie]:
        return [
            delete_cookie(STAFF_COOKIE, secure=self.secure),
            self.csrf_cookie(new_csrf_token()),
        ]


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


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


def staff_page(
    template: str,
    context: dict[str, Any],
    status: int = 200,
    cookies: list[Cookie] | None = None,
    headers: dict[str, str] | None = None,
) -> Template:
    """A staff or console page, never cached nor framed (`STAFF_PAGE_HEADERS`)."""
    return Template(
        template_name=template,
        context=context,
        status_code=status,
        cookies=cookies,
        headers={**STAFF_PAGE_HEADERS, **(headers or {})},
    )


# --- refusals ----------------------------------------------------------------------------------


class StaffRefused(Exception):
    """A staff request refused before any service is called: not signed in (401), a role or
    venue the staff member does not have, or a bad CSRF token (403)."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def wants_json(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    content_type = request.headers.get("content-type", "")
    return (
        "application/json" in accept
        or content_type.startswith("application/json")
        or request.headers.get("x-requested-with") == "fetch"
    )


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


def on_staff_refused(request: Request[Any, Any, Any], exc: StaffRefused) -> Response[Any]:
    """The app-wide handler of `StaffRefused` (registered in app.py)."""
    if wants_json(request):
        body: dict[str, Any] = {"status": exc.status, "error": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status_code=exc.status, headers={"cache-control": "no-store"})
    path = request.url.path
    if exc.status == 401:
        next_path = path + (f"?{request.url.query}" if request.url.query else "")
        if request.method not in SAFE_METHODS:
            next_path = f"/{app_of(path)}"  # a post cannot be replayed after login
        return Redirect(login_url(path, next_path), status_code=303)
    t, _ = staff_language(request)
    context = {
        "t": t,
        "lang": t.lang,
        "status": exc.status,
        "title": t("notfound_title") if exc.status == 404 else t("forbidden_title"),
        "message": (
            t("forbidden_csrf")
            if exc.field == CSRF_FIELD
            else t("notfound_body")
            if exc.status == 404
            else t("forbidden_body")
        ),
        "home": f"/{app_of(path)}",
    }
    return staff_page("staff/forbidden.html", context, exc.status)


EXCEPTION_HANDLERS = {StaffRefused: on_staff_refused}


# --- checks ------------------------------------------------------------------------------------


def check_origin(request: Request[Any, Any, Any]) -> None:
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise StaffRefused(403, "cross-site request refused", "origin")


async def check_csrf(request: Request[Any, Any, Any], cookies: StaffCookies) -> str:
    """Refuse a post whose CSRF token does not match the browser's `convive_csrf` cookie;
    answers the token."""
    check_origin(request)
    expected = cookies.csrf(request.cookies.get(CSRF_COOKIE))
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # Litestar keeps it: the handler reads it again
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise StaffRefused(403, "the form has expired: reload the page and try again", CSRF_FIELD)
    return expected


ACCOUNT_CHECK_SECONDS = 30.0
"""How long pos-gateway's word on a signed-in account is trusted: a closed account, or a changed
role or venue, takes effect within this time rather than at the cookie's expiry."""


class StaffAccounts:
    """Keeps a signed-in browser in step with its account: pos-gateway's `GET /staff/me`,
    asked at most every `ACCOUNT_CHECK_SECONDS` per account."""

    def __init__(self) -> None:
        self._checked: dict[str, tuple[float, dict[str, Any] | None]] = {}

    async def current(self, services: Services, profile: StaffProfile) -> StaffProfile | None:
        """The profile as the account now stands; None once the account is closed. When
        pos-gateway cannot answer, the signed cookie's profile stands until it can."""
        now = time.monotonic()
        seen = self._checked.get(profile.staff_id)
        if seen is None or now - seen[0] > ACCOUNT_CHECK_SECONDS:
            try:
                _, answer = await services.call(
                    "GET", f"{services.pos}/staff/me", headers=profile.header
                )
            except UpstreamError as exc:
                if exc.status not in (401, 403, 404):
                    log.warning("staff account not checked", extra={"error": exc.message})
                    return profile
                answer = None
            seen = (now, answer if isinstance(answer, dict) else None)
            self._checked[profile.staff_id] = seen
        account = seen[1]
        if account is None:
            return None
        return replace(
            profile,
            name=str(account.get("name") or profile.name),
            role=str(account.get("role") or profile.role),
            venue_ids=tuple(str(v) for v in account.get("venue_ids") or ()),
        )


def require_staff(*roles: str, venue_param: str = "venue_id") -> Provide:
    """A dependency giving the signed-in `StaffProfile`; refuses (see the module docstring) when
    nobody is signed in, the role is not one of `roles` (any role when none given), the path's
    `venue_param` is not one of the staff member's venues, or a post's CSRF token is wrong."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    async def staff(
        request: Request[Any, Any, Any],
        staff_cookies: NamedDependency[StaffCookies],
        staff_accounts: NamedDependency[StaffAccounts],
        services: NamedDependency[Services],
    ) -> StaffProfile:
        profile = staff_cookies.profile(request.cookies.get(STAFF_COOKIE))
        if profile is None:
            raise StaffRefused(401, "sign in first", "staff")
        profile = await staff_accounts.current(services, profile)
        if profile is None:
            raise StaffRefused(401, "this account was closed: sign in again", "staff")
        venue_id = request.path_params.get(venue_param)
        if venue_id is not None and not profile.has_venue(str(venue_id)):
            raise StaffRefused(403, "this venue is not one of yours", venue_param)
        if not profile.has_role(*roles):
            raise StaffRefused(403, f"this needs the role {' or '.join(roles)}", "role")
        if request.method not in SAFE_METHODS:
            token = await check_csrf(request, staff_cookies)
        else:
            token = staff_cookies.csrf(request.cookies.get(CSRF_COOKIE)) or ""
        return StaffProfile(**{**asdict(profile), "csrf": token})

    return Provide(staff)


def staff_language(request: Request[Any, Any, Any]) -> tuple[StaffTranslator, list[Cookie]]:
    t, cookies = language(request)
    return StaffTranslator(t.lang), cookies


# --- pos-gateway -------------------------------------------------------------------------------


class LoginRefused(Exception):
    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


async def staff_login(services: Services, email: str, password: str) -> dict[str, Any]:
    """pos-gateway's answer to `POST /staff/login`, or `LoginRefused` (401 wrong e-mail or
    password, 429 with the seconds to wait, 503 unreachable)."""
    try:
        answer = await services.client.post(
            f"{services.pos}/staff/login", json={"email": email, "password": password}
        )
    except httpx.HTTPError as exc:
        log.warning("pos-gateway unreachable for a staff login", extra={"error": repr(exc)})
        raise LoginRefused(503, "a service is unreachable, retry in a moment") from exc
    try:
        body = answer.json() if answer.content else {}
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if 200 <= answer.status_code < 300:
        return body
    message = str(body.get("error") or answer.reason_phrase)
    if answer.status_code == 429:
        raise LoginRefused(429, message, _seconds(answer.headers.get("retry-after"), body))
    if answer.status_code >= 500:
        raise LoginRefused(503, "a service is unreachable, retry in a moment")
    if answer.status_code in (400, 422):  # e.g. not an e-mail address: the same as a wrong one
        raise LoginRefused(401, message)
    raise LoginRefused(answer.status_code, message)


def _seconds(header: str | None, body: dict[str, Any]) -> int | None:
    for value in (header, body.get("retry_after")):
        try:
            return max(1, int(float(str(value))))
        except (TypeError, ValueError):
            continue
    return None


# --- handlers ----------------------------------------------------------------------------------


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
    t, set_cookies = staff_language(request)
    context = {
        "t": t,
        "lang": t.lang,
        "other_lang": "en" if t.lang == "fr" else "fr",
        "app": app,
        "action": f"/{app}/login",
        "next": next_path,
        "email": email,
        "error": error,
        "csrf_token": csrf_token(request, staff_cookies, set_cookies),
    }
    return staff_page("staff/login.html", context, status, set_cookies, headers)


@get(["/admin/login", "/pos/login"], summary="The staff login page (back office and POS)")
async def login_page(
    request: Request[Any, Any, Any], staff_cookies: NamedDependency[StaffCookies]
) -> Response[Any]:
    app = app_of(request.url.path)
    next_path = safe_next(request.query_params.get("next"), app)
    if staff_cookies.profile(request.cookies.get(STAFF_COOKIE)) is not None:
        return Redirect(next_path, status_code=303)
    return _login_page(request, staff_cookies, app=app, next_path=next_path)


@post(["/admin/login", "/pos/login"], summary="Sign a staff member in (through pos-gateway)")
async def login(
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    app = app_of(request.url.path)
    await check_csrf(request, staff_cookies)
    form = await request.form()
    email = str(form.get("email") or "").strip()[:320]
    password = str(form.get("password") or "")[:1000]
    next_path = safe_next(str(form.get("next") or ""), app)
    t, _ = staff_language(request)
    if not email or not password:
        return _login_page(
            request,
            staff_cookies,
            app=app,
            next_path=next_path,
            email=email,
            error=t("login_missing"),
            status=400,
        )
    try:
        answer = await staff_login(services, email, password)
        profile = StaffProfile.from_login(answer, time.time())
    except LoginRefused as exc:
        if exc.status == 429:
            minutes = math.ceil((exc.retry_after or 900) / 60)
            error = t("login_locked", n=minutes)
            headers = {"retry-after": str(exc.retry_after or 900)}
        elif exc.status == 401:
            error, headers = t("login_wrong"), {}
        else:
            error, headers = t("unavailable"), {}
        return _login_page(
            request,
            staff_cookies,
            app=app,
            next_path=next_path,
            email=email,
            error=error,
            status=exc.status,
            headers=headers,
        )
    except (KeyError, ValueError) as exc:
        log.warning("unexpected staff login answer", extra={"error": repr(exc)})
        return _login_page(
            request, staff_cookies, app=app, next_path=next_path, error=t("unavailable"), status=503
        )
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


@post(["/admin/logout", "/pos/logout"], summary="Sign the staff member out")
async def logout(
    request: Request[Any, Any, Any], staff_cookies: NamedDependency[StaffCookies]
) -> Response[Any]:
    await check_csrf(request, staff_cookies)
    return Redirect(login_url(request.url.path), status_code=303, cookies=staff_cookies.sign_out())


ROUTES = [login_page, login, logout]
