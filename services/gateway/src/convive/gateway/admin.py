"""The back office at `/admin`: server-rendered pages with plain forms, for the venues of the
signed-in staff member (staff.py): venue settings, profit centres and spots with their QR
sheet, the menu, POS devices and pairing codes, staff accounts, concierge offers, and Guest
activity → Orders (the offer orders with their PMS posting and e-mails).

Who may do what (PLAN decision 3): the owner everything; a manager everything but staff
accounts; a cashier only views the Orders list. Every route names its roles in
`require_staff(...)`, which also refuses a venue that is not one of the member's (403) and a
post without the page's CSRF token. Ids in a path below a venue (an offer order, a device, a
staff account) are checked to belong to that venue before a service is asked to act on them:
table-session and ordering trust the gateway to do so.

A post redirects back to its page with a one-shot message (Post/Redirect/Get); a form with a
mistake is shown again, with what was typed and the error next to its field.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from convive.gateway import admin_views as av
from convive.gateway.cookies import cookie, delete_cookie
from convive.gateway.i18n import ALLERGENS
from convive.gateway.staff import (
    EVERYONE,
    MANAGERS,
    STAFF_PAGE_HEADERS,
    StaffCookies,
    StaffProfile,
    StaffRefused,
    require_staff,
    staff_language,
)
from convive.gateway.staff_i18n import StaffTranslator
from convive.gateway.upstream import Services, UpstreamError

log = logging.getLogger(__name__)

FLASH_COOKIE = "convive_admin_flash"
FLASH_MAX_AGE = 120
VENUE = "/admin/venues/{venue_id:str}"


def _p(segment: str) -> str:
    return quote(segment, safe="")


# --- calls to the services ---------------------------------------------------------------------


class Backoffice:
    """The services' staff APIs, called for one signed-in member (pos-gateway's carry
    `X-Convive-Staff`; the others trust the gateway's checks and take the name in the body)."""

    def __init__(self, services: Services, staff: StaffProfile) -> None:
        self.s = services
        self.staff = staff

    async def get(self, url: str, params: dict[str, str] | None = None) -> Any:
        return (await self.s.call("GET", url, params=params, headers=self.staff.header))[1]

    async def get_or(self, url: str, default: Any, params: dict[str, str] | None = None) -> Any:
        """The answer, or `default` when the service has nothing (404) or does not answer:
        one missing column should not take the whole page down."""
        try:
            return await self.get(url, params)
        except UpstreamError as exc:
            if exc.status != 404:
                log.warning("back office read failed", extra={"url": url, "status": exc.status})
            return default

    async def send(self, method: str, url: str, body: Any = None) -> Any:
        return (await self.s.call(method, url, json=body, headers=self.staff.header))[1]

    # table-session
    def settings_url(self, venue: str) -> str:
        return f"{self.s.table_session}/venues/{_p(venue)}/settings"

    async def settings(self, venue: str) -> dict[str, Any] | None:
        try:
            return await self.get(self.settings_url(venue))
        except UpstreamError as exc:
            if exc.status == 404:
                return None
            raise

    async def venue_name(self, venue: str) -> str:
        try:
            found = await self.settings(venue)
        except UpstreamError:
            found = None
        return str((found or {}).get("name") or venue)

    async def profit_centres(self, venue: str) -> list[dict[str, Any]]:
        return await self.get(f"{self.s.table_session}/venues/{_p(venue)}/profit-centres") or []

    async def spots(self, venue: str) -> list[dict[str, Any]]:
        return await self.get(f"{self.s.table_session}/venues/{_p(venue)}/spots") or []

    # ordering
    async def menu(self, venue: str) -> dict[str, Any] | None:
        try:
            return await self.get(f"{self.s.ordering}/venues/{_p(venue)}/menu")
        except UpstreamError as exc:
            if exc.status == 404:
                return None
            raise

    async def offers(self, venue: str) -> list[dict[str, Any]]:
        return await self.get(f"{self.s.ordering}/venues/{_p(venue)}/offers") or []

    async def offer_orders(self, venue: str, params: dict[str, str] | None = None) -> list[Any]:
        url = f"{self.s.ordering}/venues/{_p(venue)}/offer-orders"
        return await self.get(url, params) or []

    # pos-gateway
    async def devices(self, venue: str) -> list[dict[str, Any]]:
        return await self.get(f"{self.s.pos}/venues/{_p(venue)}/devices") or []

    async def postings(self, venue: str) -> list[dict[str, Any]]:
        return await self.get_or(f"{self.s.pos}/venues/{_p(venue)}/folio-postings", [])

    async def accounts(self) -> list[dict[str, Any]]:
        return await self.get(f"{self.s.pos}/staff") or []

    # notifier
    async def notifications(self, venue: str) -> list[dict[str, Any]]:
        return await self.get_or(f"{self.s.notifier}/venues/{_p(venue)}/notifications", [])


async def _gather(*calls: Awaitable[Any]) -> list[Any]:
    return list(await asyncio.gather(*calls))


# --- pages -------------------------------------------------------------------------------------


def flash_cookie(staff_cookies: StaffCookies, key: str, kind: str = "ok", **values: Any) -> Cookie:
    signed = staff_cookies.signer.sign(FLASH_COOKIE, {"key": key, "kind": kind, "values": values})
    return cookie(FLASH_COOKIE, signed, FLASH_MAX_AGE, secure=staff_cookies.secure)


def flash_of(
    request: Request[Any, Any, Any], staff_cookies: StaffCookies, t: StaffTranslator
) -> dict[str, str] | None:
    value = staff_cookies.signer.unsign(FLASH_COOKIE, request.cookies.get(FLASH_COOKIE))
    if not value:
        return None
    values = value.get("values") or {}
    try:
        message = t(str(value.get("key")), **values) if values else t(str(value.get("key")))
    except (KeyError, IndexError):
        return None
    return {"kind": str(value.get("kind") or "ok"), "text": message}


async def render(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: Services,
    staff_cookies: StaffCookies,
    template: str,
    *,
    venue_id: str | None = None,
    section: str = "",
    status: int = 200,
    **context: Any,
) -> Template:
    t, set_cookies = staff_language(request)
    flash = flash_of(request, staff_cookies, t)
    if request.cookies.get(FLASH_COOKIE):
        set_cookies.append(delete_cookie(FLASH_COOKIE, secure=staff_cookies.secure))
    venue_name = ""
    if venue_id is not None:
        venue_name = context.pop("venue_name", None) or await Backoffice(
            services, staff
        ).venue_name(venue_id)
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    here = request.url.path
    return Template(
        template_name=template,
        context={
            "t": t,
            "lang": t.lang,
            "staff": staff,
            "csrf_token": staff.csrf,
            "venue_id": venue_id,
            "venue_name": venue_name,
            "section": section,
            "flash": flash,
            "lang_url": f"{here}?{urlencode({**query, 'lang': t('switch_lang')})}",
            "error": None,
            **context,
        },
        status_code=status,
        cookies=set_cookies,
        headers=STAFF_PAGE_HEADERS,
    )


def back(
    url: str, staff_cookies: StaffCookies, key: str, kind: str = "ok", **values: Any
) -> Redirect:
    return Redirect(
        url, status_code=303, cookies=[flash_cookie(staff_cookies, key, kind, **values)]
    )


def refused(url: str, staff_cookies: StaffCookies, exc: UpstreamError) -> Redirect:
    """Back to the page with what the service said (or that it is unavailable)."""
    if exc.status >= 500:
        return back(url, staff_cookies, "unavailable", "error")
    return back(url, staff_cookies, "service_refused", "error", message=exc.message)


def form_error(t: StaffTranslator, exc: av.FormError) -> dict[str, str]:
    return {"field": exc.field, "text": t(exc.key, **exc.values)}


def upstream_error(exc: UpstreamError) -> dict[str, str]:
    return {"field": exc.field or "", "text": exc.message}


async def form_of(request: Request[Any, Any, Any]) -> Any:
    return await request.form()


# --- home --------------------------------------------------------------------------------------


@get(
    "/admin",
    summary="The back office: the staff member's venues",
    dependencies={"staff": require_staff(*EVERYONE)},
)
async def home(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Template:
    office = Backoffice(services, staff)
    names = await _gather(*(office.venue_name(v) for v in staff.venue_ids))
    venues = list(zip(staff.venue_ids, names, strict=True))
    return await render(request, staff, services, staff_cookies, "admin/home.html", venues=venues)


@get(VENUE, summary="A venue's back office", dependencies={"staff": require_staff(*EVERYONE)})
async def venue_home(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    if not staff.is_manager:
        return Redirect(f"/admin/venues/{_p(venue_id)}/offer-orders", status_code=303)
    return await render(
        request, staff, services, staff_cookies, "admin/venue.html", venue_id=venue_id
    )


# --- settings ----------------------------------------------------------------------------------


@get(
    f"{VENUE}/settings", summary="Venue settings", dependencies={"staff": require_staff(*MANAGERS)}
)
async def settings_page(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Template:
    current = await Backoffice(services, staff).settings(venue_id)
    values = current or {"name": "", "language": "fr", "pms_integration": "none"}
    return await render(
        request,
        staff,
        services,
        staff_cookies,
        "admin/settings.html",
        venue_id=venue_id,
        section="settings",
        values={**values, "notification_email": values.get("notification_email") or ""},
        configured=current is not None,
    )


@post(
    f"{VENUE}/settings",
    summary="Save the venue settings",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def save_settings(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    form = await form_of(request)
    t, _ = staff_language(request)
    office = Backoffice(services, staff)
    try:
        body = av.settings_body(form)
        await office.send("PUT", office.settings_url(venue_id), body)
    except (av.FormError, UpstreamError) as exc:
        error = form_error(t, exc) if isinstance(exc, av.FormError) else upstream_error(exc)
        return await render(
            request,
            staff,
            services,
            staff_cookies,
            "admin/settings.html",
            venue_id=venue_id,
            section="settings",
            status=getattr(exc, "status", 400) if isinstance(exc, UpstreamError) else 400,
            values=dict(form),
            configured=True,
            error=error,
        )
    return back(f"/admin/venues/{_p(venue_id)}/settings", staff_cookies, "saved_settings")


# --- profit centres and spots ------------------------------------------------------------------


@get(
    f"{VENUE}/spots",
    summary="Profit centres, spots and QR codes",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def spots_page(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Template:
    office = Backoffice(services, staff)
    centres, spots = await _gather(office.profit_centres(venue_id), office.spots(venue_id))
    names = {str(c.get("profit_centre_id")): str(c.get("name")) for c in centres}
    return await render(
        request,
        staff,
        services,
        staff_cookies,
        "admin/spots.html",
        venue_id=venue_id,
        section="spots",
        centres=centres,
        spots=[{**s, "centre_name": names.get(str(s.get("profit_centre_id")), "")} for s in spots],
        modes=av.JOURNEY_MODES,
        kinds=av.SPOT_KINDS,
    )


@post(
    f"{VENUE}/profit-centres",
    summary="Add or change a profit centre",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def save_profit_centre(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    form = await form_of(request)
    here = f"/admin/venues/{_p(venue_id)}/spots"
    office = Backoffice(services, staff)
    try:
        body: dict[str, Any] = {
            "name": av.text(form, "name", required=True, max_length=100),
            "mode": av.choice(form, "mode", av.JOURNEY_MODES),
        }
        if pc_id := av.text(form, "profit_centre_id", max_length=100):
            body["profit_centre_id"] = pc_id
        await office.send(
            "POST", f"{services.table_session}/venues/{_p(venue_id)}/profit-centres", body
        )
    except av.FormError as exc:
        return back(here, staff_cookies, exc.key, "error", **exc.values)
    except UpstreamError as exc:
        return refused(here, staff_cookies, exc)
    return back(here, staff_cookies, "saved_profit_centre")


@post(
    f"{VENUE}/spots",
    summary="Add a table or a room",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def add_spot(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    form = await form_of(request)
    here = f"/admin/venues/{_p(venue_id)}/spots"
    office = Backoffice(services, staff)
    try:
        body = {
            "profit_centre_id": av.text(form, "profit_centre_id", required=True),
            "name": av.text(form, "name", required=True, max_length=100),
            "kind": av.choice(form, "kind", av.SPOT_KINDS),
        }
        await office.send("POST", f"{services.table_session}/venues/{_p(venue_id)}/spots", body)
    except av.FormError as exc:
        return back(here, staff_cookies, exc.key, "error", **exc.values)
    except UpstreamError as exc:
        return refused(here, staff_cookies, exc)
    return back(here, staff_cookies, "saved_spot", name=body["name"])


async def _passthrough(services: Services, url: str, media_type: str) -> Response[Any]:
    try:
        answer = await services.client.get(url)
    except Exception as exc:  # httpx errors: the service is down
        log.warning("QR code unavailable", extra={"url": url, "error": repr(exc)})
        return Response({"status": 503, "error": "unavailable"}, status_code=503)
    if answer.status_code != 200:
        status = answer.status_code if answer.status_code < 500 else 503
        return Response(answer.content, status_code=status, media_type="application/json")
    headers = {"cache-control": "no-cache"}
    if disposition := answer.headers.get("content-disposition"):
        headers["content-disposition"] = disposition
    return Response(answer.content, media_type=media_type, headers=headers)


@get(
    f"{VENUE}/qr-sheet.pdf",
    summary="The venue's QR codes as one printable PDF",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def qr_sheet(
    venue_id: FromPath[str],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
) -> Response[Any]:
    url = f"{services.table_session}/venues/{_p(venue_id)}/qr-sheet.pdf"
    return await _passthrough(services, url, "application/pdf")


@get(
    f"{VENUE}/spots/{{spot_id:str}}/qr.svg",
    summary="One spot's QR code",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def spot_qr(
    venue_id: FromPath[str],
    spot_id: FromPath[str],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
) -> Response[Any]:
    spots = await Backoffice(services, staff).spots(venue_id)
    if not any(str(s.get("spot_id")) == spot_id for s in spots):
        raise StaffRefused(404, "no such spot in this venue", "spot_id")
    url = f"{services.table_session}/spots/{_p(spot_id)}/qr.svg"
    return await _passthrough(services, url, "image/svg+xml")


# --- the menu ----------------------------------------------------------------------------------


@get(
    f"{VENUE}/menu", summary="The menu's products", dependencies={"staff": require_staff(*MANAGERS)}
)
async def menu_page(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Template:
    return await _menu_page(request, staff, services, staff_cookies, venue_id)


async def _menu_page(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: Services,
    staff_cookies: StaffCookies,
    venue_id: str,
    *,
    status: int = 200,
    error: dict[str, str] | None = None,
    menu: dict[str, Any] | None = None,
) -> Template:
    t, _ = staff_language(request)
    if menu is None:
        menu = await Backoffice(services, staff).menu(venue_id)
    return await render(
        request,
        staff,
        services,
        staff_cookies,
        "admin/menu.html",
        venue_id=venue_id,
        section="menu",
        status=status,
        error=error,
        products=av.product_rows(menu, t),
        categories=[
            (c["category_id"], t.text(c.get("name"))) for c in (menu or {}).get("categories") or []
        ],
        allergens=[(code, names[t.lang]) for code, names in ALLERGENS.items()],
        has_menu=menu is not None,
    )


@post(
    f"{VENUE}/menu",
    summary="Save the products and publish the menu",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def save_menu(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    return await _publish(request, staff, services, staff_cookies, venue_id, adding=False)


@post(
    f"{VENUE}/menu/products",
    summary="Add a product and publish the menu",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def add_product(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    return await _publish(request, staff, services, staff_cookies, venue_id, adding=True)


async def _publish(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: Services,
    staff_cookies: StaffCookies,
    venue_id: str,
    *,
    adding: bool,
) -> Response[Any]:
    form = await form_of(request)
    t, _ = staff_language(request)
    office = Backoffice(services, staff)
    try:
        menu = await office.menu(venue_id)
        if adding:
            body = av.add_product(menu, form)
        elif menu is None:
            raise av.FormError("menu", "error_no_menu")
        else:
            body = av.apply_product_edits(menu, form)
        await office.send("PUT", f"{services.ordering}/venues/{_p(venue_id)}/menu", body)
    except av.FormError as exc:
        return await _menu_page(
            request,
            staff,
            services,
            staff_cookies,
            venue_id,
            status=400,
            error=form_error(t, exc),
        )
    except UpstreamError as exc:
        return await _menu_page(
            request,
            staff,
            services,
            staff_cookies,
            venue_id,
            status=exc.status,
            error=upstream_error(exc),
        )
    return back(
        f"/admin/venues/{_p(venue_id)}/menu",
        staff_cookies,
        "saved_product" if adding else "saved_menu",
    )


# --- devices -----------------------------------------------------------------------------------


@get(
    f"{VENUE}/devices",
    summary="POS devices and pairing codes",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def devices_page(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Template:
    return await _devices_page(request, staff, services, staff_cookies, venue_id)


async def _devices_page(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: Services,
    staff_cookies: StaffCookies,
    venue_id: str,
    *,
    pairing: dict[str, Any] | None = None,
    status: int = 200,
) -> Template:
    t, _ = staff_language(request)
    devices = await Backoffice(services, staff).devices(venue_id)
    rows = [
        {**d, "paired_at_text": av.when(d.get("paired_at"), t)}
        for d in sorted(devices, key=lambda d: (bool(d.get("revoked")), str(d.get("name"))))
    ]
    return await render(
        request,
        staff,
        services,
        staff_cookies,
        "admin/devices.html",
        venue_id=venue_id,
        section="devices",
        status=status,
        devices=rows,
        pairing=pairing,
    )


@post(
    f"{VENUE}/pairing-codes",
    summary="Issue a pairing code for a new POS device",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def new_pairing_code(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    t, _ = staff_language(request)
    office = Backoffice(services, staff)
    try:
        code = await office.send("POST", f"{services.pos}/venues/{_p(venue_id)}/pairing-codes")
    except UpstreamError as exc:
        return refused(f"/admin/venues/{_p(venue_id)}/devices", staff_cookies, exc)
    # Shown on this answer only (never in a URL or a cookie): it opens the venue's till.
    pairing = {
        "code": str(code.get("code") or ""),
        "expires_at": str(code.get("expires_at") or ""),
        "expires_text": av.when(code.get("expires_at"), t)[-5:],
    }
    return await _devices_page(
        request, staff, services, staff_cookies, venue_id, pairing=pairing, status=201
    )


@post(
    f"{VENUE}/devices/{{device_id:str}}/revoke",
    summary="Revoke a POS device",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def revoke_device(
    venue_id: FromPath[str],
    device_id: FromPath[str],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    here = f"/admin/venues/{_p(venue_id)}/devices"
    office = Backoffice(services, staff)
    try:
        devices = await office.devices(venue_id)
        device = next((d for d in devices if str(d.get("device_id")) == device_id), None)
        if device is None:
            raise StaffRefused(404, "no such device in this venue", "device_id")
        await office.send(
            "POST", f"{services.pos}/devices/{_p(device_id)}/revoke", {"staff": staff.name}
        )
    except UpstreamError as exc:
        return refused(here, staff_cookies, exc)
    return back(here, staff_cookies, "revoked_device", name=str(device.get("name") or ""))


# --- staff accounts ----------------------------------------------------------------------------


@get(
    f"{VENUE}/staff",
    summary="Staff accounts of the venue",
    dependencies={"staff": require_staff("owner")},
)
async def staff_page(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Template:
    return await _staff_page(request, staff, services, staff_cookies, venue_id)


async def _staff_page(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: Services,
    staff_cookies: StaffCookies,
    venue_id: str,
    *,
    status: int = 200,
    error: dict[str, str] | None = None,
    values: Any = None,
) -> Template:
    office = Backoffice(services, staff)
    accounts, names = await _gather(
        office.accounts(), _gather(*(office.venue_name(v) for v in staff.venue_ids))
    )
    mine = [a for a in accounts if venue_id in (a.get("venue_ids") or [])]
    mine.sort(key=lambda a: (av.STAFF_ROLES.index(a.get("role", "cashier")), a.get("name", "")))
    return await render(
        request,
        staff,
        services,
        staff_cookies,
        "admin/staff.html",
        venue_id=venue_id,
        section="staff",
        status=status,
        error=error,
        accounts=mine,
        roles=av.STAFF_ROLES,
        my_venues=list(zip(staff.venue_ids, names, strict=True)),
        values=values or {"name": "", "email": "", "role": "cashier", "venue_ids": [venue_id]},
    )


@post(
    f"{VENUE}/staff", summary="Open a staff account", dependencies={"staff": require_staff("owner")}
)
async def open_account(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    form = await form_of(request)
    t, _ = staff_language(request)
    venues = [v for v in form.getall("venue_ids") if v] if hasattr(form, "getall") else []
    values = {"name": "", "email": "", "role": "cashier", **dict(form), "venue_ids": venues}
    office = Backoffice(services, staff)
    try:
        email = av.text(form, "email", required=True, max_length=254)
        if not av.EMAIL.match(email):
            raise av.FormError("email", "error_email")
        password = str(form.get("password") or "")
        if len(password) < 10:
            raise av.FormError("password", "error_password")
        if not venues or not set(venues) <= set(staff.venue_ids):
            raise av.FormError("venue_ids", "error_venues")
        body = {
            "email": email,
            "name": av.text(form, "name", required=True, max_length=100),
            "role": av.choice(form, "role", av.STAFF_ROLES),
            "venue_ids": venues,
            "password": password,
        }
        await office.send("POST", f"{services.pos}/staff", body)
    except (av.FormError, UpstreamError) as exc:
        error = form_error(t, exc) if isinstance(exc, av.FormError) else upstream_error(exc)
        status = exc.status if isinstance(exc, UpstreamError) else 400
        return await _staff_page(
            request,
            staff,
            services,
            staff_cookies,
            venue_id,
            status=status,
            error=error,
            values=values,
        )
    return back(
        f"/admin/venues/{_p(venue_id)}/staff", staff_cookies, "opened_account", name=body["name"]
    )


@post(
    f"{VENUE}/staff/{{staff_id:str}}/close",
    summary="Close a staff account",
    dependencies={"staff": require_staff("owner")},
)
async def close_account(
    venue_id: FromPath[str],
    staff_id: FromPath[str],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    here = f"/admin/venues/{_p(venue_id)}/staff"
    if staff_id == staff.staff_id:
        return back(here, staff_cookies, "error_close_self", "error")
    office = Backoffice(services, staff)
    try:
        accounts = await office.accounts()
        account = next((a for a in accounts if str(a.get("staff_id")) == staff_id), None)
        if account is None or venue_id not in (account.get("venue_ids") or []):
            raise StaffRefused(404, "no such staff account in this venue", "staff_id")
        await office.send("DELETE", f"{services.pos}/staff/{_p(staff_id)}")
    except UpstreamError as exc:
        return refused(here, staff_cookies, exc)
    return back(here, staff_cookies, "closed_account", name=str(account.get("name") or ""))


# --- concierge offers --------------------------------------------------------------------------


@get(
    f"{VENUE}/offers",
    summary="Concierge offers and upgrades",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def offers_page(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Template:
    t, _ = staff_language(request)
    offers = await Backoffice(services, staff).offers(venue_id)
    offers.sort(key=lambda o: (not o.get("available", True), t.text(o.get("name")).casefold()))
    return await render(
        request,
        staff,
        services,
        staff_cookies,
        "admin/offers.html",
        venue_id=venue_id,
        section="offers",
        offers=[
            {
                **o,
                "name_text": t.text(o.get("name")),
                "price_text": t.money(o.get("price")),
                "description_text": t.text(o.get("description")),
            }
            for o in offers
        ],
    )


async def _offer_form(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: Services,
    staff_cookies: StaffCookies,
    venue_id: str,
    offer_id: str | None,
    values: dict[str, Any],
    *,
    status: int = 200,
    error: dict[str, str] | None = None,
) -> Template:
    return await render(
        request,
        staff,
        services,
        staff_cookies,
        "admin/offer_form.html",
        venue_id=venue_id,
        section="offers",
        status=status,
        error=error,
        offer_id=offer_id,
        values=values,
        types=av.OFFER_TYPES,
    )


@get(f"{VENUE}/offers/new", summary="A new offer", dependencies={"staff": require_staff(*MANAGERS)})
async def new_offer(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Template:
    return await _offer_form(
        request, staff, services, staff_cookies, venue_id, None, av.offer_form_values(None)
    )


async def _find_offer(office: Backoffice, venue_id: str, offer_id: str) -> dict[str, Any]:
    offers = await office.offers(venue_id)
    offer = next((o for o in offers if str(o.get("offer_id")) == offer_id), None)
    if offer is None:
        raise StaffRefused(404, "no such offer in this venue", "offer_id")
    return offer


@get(
    f"{VENUE}/offers/{{offer_id:str}}",
    summary="Edit an offer",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def edit_offer(
    venue_id: FromPath[str],
    offer_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Template:
    offer = await _find_offer(Backoffice(services, staff), venue_id, offer_id)
    return await _offer_form(
        request, staff, services, staff_cookies, venue_id, offer_id, av.offer_form_values(offer)
    )


@post(
    f"{VENUE}/offers", summary="Create an offer", dependencies={"staff": require_staff(*MANAGERS)}
)
async def create_offer(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    return await _save_offer(request, staff, services, staff_cookies, venue_id, None)


@post(
    f"{VENUE}/offers/{{offer_id:str}}",
    summary="Save an offer",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def update_offer(
    venue_id: FromPath[str],
    offer_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    return await _save_offer(request, staff, services, staff_cookies, venue_id, offer_id)


async def _save_offer(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: Services,
    staff_cookies: StaffCookies,
    venue_id: str,
    offer_id: str | None,
) -> Response[Any]:
    form = await form_of(request)
    t, _ = staff_language(request)
    office = Backoffice(services, staff)
    values = {
        **av.offer_form_values(None),
        **dict(form),
        "auto_confirm": av.checked(form, "auto_confirm"),
        "available": av.checked(form, "available"),
    }
    try:
        currency = "EUR"
        if offer_id is not None:
            existing = await _find_offer(office, venue_id, offer_id)
            currency = str((existing.get("price") or {}).get("currency") or "EUR")
        body = av.offer_body(form, currency)
        target = offer_id or av.new_id(body["name"]["en"], "offer-")
        await office.send(
            "PUT", f"{services.ordering}/venues/{_p(venue_id)}/offers/{_p(target)}", body
        )
    except (av.FormError, UpstreamError) as exc:
        error = form_error(t, exc) if isinstance(exc, av.FormError) else upstream_error(exc)
        status = exc.status if isinstance(exc, UpstreamError) else 400
        return await _offer_form(
            request,
            staff,
            services,
            staff_cookies,
            venue_id,
            offer_id,
            values,
            status=status,
            error=error,
        )
    return back(
        f"/admin/venues/{_p(venue_id)}/offers",
        staff_cookies,
        "saved_offer",
        name=t.text(body["name"]),
    )


# --- guest activity: offer orders --------------------------------------------------------------


@get(
    f"{VENUE}/offer-orders",
    summary="Guest activity: the offer orders, newest first",
    dependencies={"staff": require_staff(*EVERYONE)},
)
async def offer_orders_page(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Template:
    t, _ = staff_language(request)
    filters = av.OrderFilters.parse(request.query_params)
    office = Backoffice(services, staff)
    orders, postings, notifications, settings = await _gather(
        office.offer_orders(venue_id, filters.params()),
        office.postings(venue_id),
        office.notifications(venue_id),
        office.get_or(office.settings_url(venue_id), None),
    )
    integration = (settings or {}).get("pms_integration")
    rows = av.order_rows(orders, postings, notifications, integration, filters, t)
    return await render(
        request,
        staff,
        services,
        staff_cookies,
        "admin/offer_orders.html",
        venue_id=venue_id,
        venue_name=(settings or {}).get("name") or venue_id,
        section="offer-orders",
        rows=rows,
        filters=filters,
        statuses=av.OFFER_STATUSES,
        types=av.OFFER_TYPES,
        integration=integration or "none",
        failing_mails=av.failing_mails(notifications),
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    )


def _orders_url(venue_id: str, form: Any) -> str:
    """Back to the list as it was filtered (the form carries its query string)."""
    base = f"/admin/venues/{_p(venue_id)}/offer-orders"
    back_to = str(form.get("back") or "")
    return back_to if back_to.startswith(base) and "//" not in back_to else base


async def _offer_order_of(office: Backoffice, venue_id: str, offer_order_id: str) -> Any:
    orders = await office.offer_orders(venue_id)
    order = next((o for o in orders if str(o.get("offer_order_id")) == offer_order_id), None)
    if order is None:
        raise StaffRefused(404, "no such offer order in this venue", "offer_order_id")
    return order


async def _offer_order_action(
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: Services,
    staff_cookies: StaffCookies,
    venue_id: str,
    offer_order_id: str,
    action: str,
) -> Response[Any]:
    form = await form_of(request)
    here = _orders_url(venue_id, form)
    office = Backoffice(services, staff)
    try:
        order = await _offer_order_of(office, venue_id, offer_order_id)
        body: dict[str, Any] = {"staff": staff.name}
        if action == "cancel":
            if reason := av.text(form, "reason", max_length=500):
                body["reason"] = reason
            url = f"{services.ordering}/offer-orders/{_p(offer_order_id)}/cancel"
        elif action == "confirm":
            url = f"{services.ordering}/offer-orders/{_p(offer_order_id)}/confirm"
        else:  # mark-posted | retry: pos-gateway's folio posting of the order
            url = f"{services.pos}/folio-postings/{_p(offer_order_id)}/{action}"
        await office.send("POST", url, body)
    except av.FormError as exc:
        return back(here, staff_cookies, exc.key, "error", **exc.values)
    except UpstreamError as exc:
        return refused(here, staff_cookies, exc)
    return back(
        here,
        staff_cookies,
        f"done_{action.replace('-', '_')}",
        guest=str(order.get("guest_name") or ""),
    )


@post(
    f"{VENUE}/offer-orders/{{offer_order_id:str}}/confirm",
    summary="Confirm an offer order",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def confirm_offer_order(
    venue_id: FromPath[str],
    offer_order_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    return await _offer_order_action(
        request, staff, services, staff_cookies, venue_id, offer_order_id, "confirm"
    )


@post(
    f"{VENUE}/offer-orders/{{offer_order_id:str}}/cancel",
    summary="Cancel an offer order",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def cancel_offer_order(
    venue_id: FromPath[str],
    offer_order_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    return await _offer_order_action(
        request, staff, services, staff_cookies, venue_id, offer_order_id, "cancel"
    )


@post(
    f"{VENUE}/offer-orders/{{offer_order_id:str}}/mark-posted",
    summary="Mark an offer order posted to the PMS by hand (one-way PMS)",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def mark_posted(
    venue_id: FromPath[str],
    offer_order_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    return await _offer_order_action(
        request, staff, services, staff_cookies, venue_id, offer_order_id, "mark-posted"
    )


@post(
    f"{VENUE}/offer-orders/{{offer_order_id:str}}/retry",
    summary="Try posting an offer order to the PMS again now (two-way PMS)",
    dependencies={"staff": require_staff(*MANAGERS)},
)
async def retry_posting(
    venue_id: FromPath[str],
    offer_order_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    return await _offer_order_action(
        request, staff, services, staff_cookies, venue_id, offer_order_id, "retry"
    )


ROUTES = [
    home,
    venue_home,
    settings_page,
    save_settings,
    spots_page,
    save_profit_centre,
    add_spot,
    qr_sheet,
    spot_qr,
    menu_page,
    save_menu,
    add_product,
    devices_page,
    new_pairing_code,
    revoke_device,
    staff_page,
    open_account,
    close_account,
    offers_page,
    new_offer,
    edit_offer,
    create_offer,
    update_offer,
    offer_orders_page,
    confirm_offer_order,
    cancel_offer_order,
    mark_posted,
    retry_posting,
]
