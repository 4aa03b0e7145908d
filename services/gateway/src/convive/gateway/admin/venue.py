"""The back office's venue pages: the member's venues, a venue's settings, its profit centres and
spots with their QR codes, its menu, its POS devices and pairing codes, and (owner only) the
staff accounts."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Redirect, Template

from convive.gateway.admin import forms
from convive.gateway.admin.office import Office, gather, p, passthrough, provide_office
from convive.gateway.upstream import UpstreamError
from convive.gateway.web.cookies import MANAGERS, ROLES
from convive.gateway.web.forms import FormError
from convive.gateway.web.guards import signed_in, staff_only
from convive.gateway.web.i18n import ALLERGENS
from convive.gateway.web.refusals import Refused

VENUE = "/venues/{venue_id:str}"


OFFICE = {"staff": Provide(signed_in, sync_to_thread=False), "office": Provide(provide_office)}
"""Every back-office route's dependencies: the member its guards let in, the `office` built for
them."""

EVERYONE_OF_VENUE = staff_only(*ROLES)
MANAGERS_OF_VENUE = staff_only(*MANAGERS)
OWNER_OF_VENUE = staff_only("owner")


def here(venue_id: str, page: str = "") -> str:
    return f"/admin/venues/{p(venue_id)}{page}"


@get(
    "/",
    summary="The back office: the member's venues",
    guards=EVERYONE_OF_VENUE,
    dependencies=OFFICE,
)
async def home(office: NamedDependency[Office]) -> Template:
    names = await gather(*(office.venue_name(v) for v in office.staff.venue_ids))
    venues = list(zip(office.staff.venue_ids, names, strict=True))
    return await office.page("admin/home.html", venues=venues)


@get(VENUE, summary="A venue's back office", guards=EVERYONE_OF_VENUE, dependencies=OFFICE)
async def venue_home(venue_id: FromPath[str], office: NamedDependency[Office]) -> Response[Any]:
    if not office.staff.is_manager:  # a cashier's part of the back office is the Orders list
        return Redirect(here(venue_id, "/offer-orders"), status_code=303)
    return await office.page("admin/venue.html", venue_id=venue_id)


# --- settings ----------------------------------------------------------------------------------


@get(f"{VENUE}/settings", summary="Venue settings", guards=MANAGERS_OF_VENUE, dependencies=OFFICE)
async def settings_page(venue_id: FromPath[str], office: NamedDependency[Office]) -> Template:
    current = await office.services.table_session.settings(venue_id)
    values = {"name": "", "language": "fr", "pms_integration": "none", **(current or {})}
    values["notification_email"] = values.get("notification_email") or ""
    return await office.page(
        "admin/settings.html",
        venue_id=venue_id,
        section="settings",
        values=values,
        configured=current is not None,
    )


@post(
    f"{VENUE}/settings",
    summary="Save the venue settings",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def save_settings(venue_id: FromPath[str], office: NamedDependency[Office]) -> Response[Any]:
    form = await office.form()
    try:
        body = forms.settings_body(form)
        await office.services.table_session.save_settings(venue_id, body)
    except (FormError, UpstreamError) as exc:
        status, error = office.error(exc)
        return await office.page(
            "admin/settings.html",
            venue_id=venue_id,
            section="settings",
            status=status,
            values={"name": "", "notification_email": "", **dict(form)},
            configured=True,
            error=error,
        )
    return office.back(here(venue_id, "/settings"), "saved_settings")


# --- profit centres and spots ------------------------------------------------------------------


@get(
    f"{VENUE}/spots",
    summary="Profit centres, spots, QR codes",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def spots_page(venue_id: FromPath[str], office: NamedDependency[Office]) -> Template:
    ts = office.services.table_session
    centres, spots = await gather(ts.profit_centres(venue_id), ts.spots(venue_id))
    names = {str(c.get("profit_centre_id")): str(c.get("name")) for c in centres}
    return await office.page(
        "admin/spots.html",
        venue_id=venue_id,
        section="spots",
        centres=centres,
        spots=[{**s, "centre_name": names.get(str(s.get("profit_centre_id")), "")} for s in spots],
        modes=forms.JOURNEY_MODES,
    )


@post(
    f"{VENUE}/profit-centres",
    summary="Add a profit centre or change its journey mode",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def save_profit_centre(
    venue_id: FromPath[str], office: NamedDependency[Office]
) -> Response[Any]:
    form = await office.form()
    try:
        body: dict[str, Any] = {
            "name": forms.text(form, "name", required=True, max_length=100),
            "mode": forms.choice(form, "mode", forms.JOURNEY_MODES),
        }
        if pc_id := forms.text(form, "profit_centre_id", max_length=100):
            body["profit_centre_id"] = pc_id
        await office.services.table_session.save_profit_centre(venue_id, body)
    except (FormError, UpstreamError) as exc:
        return office.refused(here(venue_id, "/spots"), exc)
    return office.back(here(venue_id, "/spots"), "saved_profit_centre")


@post(
    f"{VENUE}/spots", summary="Add a table or a room", guards=MANAGERS_OF_VENUE, dependencies=OFFICE
)
async def add_spot(venue_id: FromPath[str], office: NamedDependency[Office]) -> Response[Any]:
    form = await office.form()
    try:
        body = {
            "profit_centre_id": forms.text(form, "profit_centre_id", required=True),
            "name": forms.text(form, "name", required=True, max_length=100),
            "kind": forms.choice(form, "kind", forms.SPOT_KINDS),
        }
        await office.services.table_session.add_spot(venue_id, body)
    except (FormError, UpstreamError) as exc:
        return office.refused(here(venue_id, "/spots"), exc)
    return office.back(here(venue_id, "/spots"), "saved_spot", name=body["name"])


@get(
    f"{VENUE}/qr-sheet.pdf",
    summary="The venue's QR codes as one printable PDF",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def qr_sheet(venue_id: FromPath[str], office: NamedDependency[Office]) -> Response[Any]:
    return await passthrough(office.services.table_session.qr_sheet(venue_id), "application/pdf")


@get(
    f"{VENUE}/spots/{{spot_id:str}}/qr.svg",
    summary="A QR code",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def spot_qr(
    venue_id: FromPath[str], spot_id: FromPath[str], office: NamedDependency[Office]
) -> Response[Any]:
    spots = await office.services.table_session.spots(venue_id)
    if not any(str(s.get("spot_id")) == spot_id for s in spots):
        raise Refused(404, "no such spot in this venue", "spot_id")
    return await passthrough(office.services.table_session.qr_code(spot_id), "image/svg+xml")


# --- the menu ----------------------------------------------------------------------------------


async def _menu_page(
    office: Office,
    venue_id: str,
    *,
    status: int = 200,
    error: dict[str, str] | None = None,
) -> Template:
    menu = await office.services.ordering.menu(venue_id)
    t = office.t
    return await office.page(
        "admin/menu.html",
        venue_id=venue_id,
        section="menu",
        status=status,
        error=error,
        products=forms.product_rows(menu, t),
        categories=[
            (c["category_id"], t.text(c.get("name"))) for c in (menu or {}).get("categories") or []
        ],
        allergens=[(code, names[t.lang]) for code, names in ALLERGENS.items()],
        has_menu=menu is not None,
    )


@get(f"{VENUE}/menu", summary="The menu's products", guards=MANAGERS_OF_VENUE, dependencies=OFFICE)
async def menu_page(venue_id: FromPath[str], office: NamedDependency[Office]) -> Template:
    return await _menu_page(office, venue_id)


async def _publish(office: Office, venue_id: str, *, adding: bool) -> Response[Any]:
    """Publish the whole menu again, with the form's changes (ordering keeps one menu per
    venue; the last published wins)."""
    form = await office.form()
    try:
        menu = await office.services.ordering.menu(venue_id)
        if adding:
            body = forms.add_product(menu, form)
        elif menu is None:
            raise FormError("menu", "error_no_menu")
        else:
            body = forms.apply_product_edits(menu, form)
        await office.services.ordering.publish_menu(venue_id, body)
    except (FormError, UpstreamError) as exc:
        status, error = office.error(exc)
        return await _menu_page(office, venue_id, status=status, error=error)
    return office.back(here(venue_id, "/menu"), "saved_product" if adding else "saved_menu")


@post(
    f"{VENUE}/menu",
    summary="Save the products, publish the menu",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def save_menu(venue_id: FromPath[str], office: NamedDependency[Office]) -> Response[Any]:
    return await _publish(office, venue_id, adding=False)


@post(
    f"{VENUE}/menu/products",
    summary="Add a product and publish the menu",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def add_product(venue_id: FromPath[str], office: NamedDependency[Office]) -> Response[Any]:
    return await _publish(office, venue_id, adding=True)


# --- devices -----------------------------------------------------------------------------------


async def _devices_page(
    office: Office, venue_id: str, *, pairing: dict[str, Any] | None = None, status: int = 200
) -> Template:
    devices = await office.services.pos.devices(office.me, venue_id)
    rows = [
        {**d, "paired_at_text": office.t.when(d.get("paired_at"))}
        for d in sorted(devices, key=lambda d: (bool(d.get("revoked")), str(d.get("name"))))
    ]
    return await office.page(
        "admin/devices.html",
        venue_id=venue_id,
        section="devices",
        status=status,
        devices=rows,
        pairing=pairing,
    )


@get(
    f"{VENUE}/devices",
    summary="POS devices, pairing codes",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def devices_page(venue_id: FromPath[str], office: NamedDependency[Office]) -> Template:
    return await _devices_page(office, venue_id)


@post(
    f"{VENUE}/pairing-codes",
    summary="Issue a pairing code for a new POS device",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def new_pairing_code(
    venue_id: FromPath[str], office: NamedDependency[Office]
) -> Response[Any]:
    try:
        code = await office.services.pos.pairing_code(office.me, venue_id)
    except UpstreamError as exc:
        return office.refused(here(venue_id, "/devices"), exc)
    # Shown in this answer only, never in a URL or a cookie: it opens the venue's till.
    pairing = {
        "code": str(code.get("code") or ""),
        "expires_at": str(code.get("expires_at") or ""),
        "expires_text": office.t.when(code.get("expires_at"))[-5:],
    }
    return await _devices_page(office, venue_id, pairing=pairing, status=201)


@post(
    f"{VENUE}/devices/{{device_id:str}}/revoke",
    summary="Revoke a POS device",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def revoke_device(
    venue_id: FromPath[str], device_id: FromPath[str], office: NamedDependency[Office]
) -> Response[Any]:
    try:
        devices = await office.services.pos.devices(office.me, venue_id)
        device = next((d for d in devices if str(d.get("device_id")) == device_id), None)
        if device is None:
            raise Refused(404, "no such device in this venue", "device_id")
        await office.services.pos.revoke_device(office.me, device_id)
    except UpstreamError as exc:
        return office.refused(here(venue_id, "/devices"), exc)
    return office.back(here(venue_id, "/devices"), "revoked_device", name=str(device.get("name")))


# --- staff accounts ----------------------------------------------------------------------------


async def _staff_page(
    office: Office,
    venue_id: str,
    *,
    status: int = 200,
    error: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Template:
    accounts, names = await gather(
        office.services.pos.accounts(office.me),
        gather(*(office.venue_name(v) for v in office.staff.venue_ids)),
    )
    mine = [a for a in accounts if venue_id in (a.get("venue_ids") or [])]
    mine.sort(key=lambda a: (forms.STAFF_ROLES.index(a.get("role", "cashier")), a.get("name")))
    return await office.page(
        "admin/staff.html",
        venue_id=venue_id,
        section="staff",
        status=status,
        error=error,
        accounts=mine,
        my_venues=list(zip(office.staff.venue_ids, names, strict=True)),
        values=values or {"name": "", "email": "", "role": "cashier", "venue_ids": [venue_id]},
    )


@get(
    f"{VENUE}/staff",
    summary="Staff accounts of the venue",
    guards=OWNER_OF_VENUE,
    dependencies=OFFICE,
)
async def staff_page(venue_id: FromPath[str], office: NamedDependency[Office]) -> Template:
    return await _staff_page(office, venue_id)


@post(f"{VENUE}/staff", summary="Open a staff account", guards=OWNER_OF_VENUE, dependencies=OFFICE)
async def open_account(venue_id: FromPath[str], office: NamedDependency[Office]) -> Response[Any]:
    form = await office.form()
    venues = [v for v in form.getall("venue_ids", []) if v]
    values = {"name": "", "email": "", "role": "cashier", **dict(form), "venue_ids": venues}
    try:
        body = forms.account_body(form, venues, office.staff.venue_ids)
        await office.services.pos.open_account(office.me, body)
    except (FormError, UpstreamError) as exc:
        status, error = office.error(exc)
        return await _staff_page(office, venue_id, status=status, error=error, values=values)
    return office.back(here(venue_id, "/staff"), "opened_account", name=body["name"])


@post(
    f"{VENUE}/staff/{{staff_id:str}}/close",
    summary="Close a staff account",
    guards=OWNER_OF_VENUE,
    dependencies=OFFICE,
)
async def close_account(
    venue_id: FromPath[str], staff_id: FromPath[str], office: NamedDependency[Office]
) -> Response[Any]:
    if staff_id == office.staff.staff_id:
        return office.back(here(venue_id, "/staff"), "error_close_self", "error")
    try:
        accounts = await office.services.pos.accounts(office.me)
        account = next((a for a in accounts if str(a.get("staff_id")) == staff_id), None)
        if account is None or venue_id not in (account.get("venue_ids") or []):
            raise Refused(404, "no such staff account in this venue", "staff_id")
        await office.services.pos.close_account(office.me, staff_id)
    except UpstreamError as exc:
        return office.refused(here(venue_id, "/staff"), exc)
    return office.back(here(venue_id, "/staff"), "closed_account", name=str(account.get("name")))


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
]
