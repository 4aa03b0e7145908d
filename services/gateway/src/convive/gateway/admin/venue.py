"""The back office's venue pages: the member's venues, a venue's settings, its profit centres and
spots with their QR codes (printed, or replaced by a new one), and its menu."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from convive.gateway.admin import forms
from convive.gateway.admin.office import (
    EVERYONE_OF_VENUE,
    MANAGERS_OF_VENUE,
    OFFICE,
    VENUE,
    Office,
    gather,
    here,
    passthrough,
)
from convive.gateway.upstream import UpstreamError
from convive.gateway.upstream.table_session import ProfitCentreIn, SpotIn
from convive.gateway.web.allergens import allergen_names
from convive.gateway.web.forms import FormError, choice, text
from convive.gateway.web.language import N_
from convive.gateway.web.refusals import Refused


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
    values = {"name": "", "language": "fr", "pms_integration": "none", "notification_email": ""}
    if current is not None:
        values = {
            "name": current.name,
            "language": current.language,
            "pms_integration": current.pms_integration,
            "notification_email": current.notification_email or "",
        }
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
    table_session = office.services.table_session
    try:
        # The time zone is not on the form: saving keeps the one table-session has.
        current = await table_session.settings(venue_id)
        time_zone = (
            current.time_zone if current and "time_zone" in current.model_fields_set else None
        )
        await table_session.save_settings(venue_id, forms.settings_body(form, time_zone))
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
    return office.back(here(venue_id, "/settings"), N_("Settings saved."))


# --- profit centres and spots ------------------------------------------------------------------


@dataclass
class SpotRow:
    spot_id: str
    name: str
    kind: str
    centre_name: str
    status: str
    guest_url: str


@get(
    f"{VENUE}/spots",
    summary="Profit centres, spots, QR codes",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def spots_page(venue_id: FromPath[str], office: NamedDependency[Office]) -> Template:
    table_session = office.services.table_session
    centres, spots = await gather(
        table_session.profit_centres(venue_id), table_session.spots(venue_id)
    )
    names = {c.profit_centre_id: c.name for c in centres}
    rows = [
        SpotRow(
            spot_id=s.spot_id,
            name=s.name,
            kind=s.kind,
            centre_name=names.get(s.profit_centre_id, ""),
            status=s.status,
            guest_url=s.guest_url or "",
        )
        for s in spots
    ]
    rotated = office.request.query_params.get("rotated")
    return await office.page(
        "admin/spots.html",
        venue_id=venue_id,
        section="spots",
        centres=centres,
        spots=rows,
        modes=forms.JOURNEY_MODES,
        rotated=next((row for row in rows if row.spot_id == rotated), None),
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
        pc_id = text(form, "profit_centre_id", max_length=100)
        centre = ProfitCentreIn(
            name=text(form, "name", required=True, max_length=100),
            mode=choice(form, "mode", forms.JOURNEY_MODES),
            **({"profit_centre_id": pc_id} if pc_id else {}),
        )
        await office.services.table_session.save_profit_centre(venue_id, centre)
    except (FormError, UpstreamError) as exc:
        return office.refused(here(venue_id, "/spots"), exc)
    return office.back(here(venue_id, "/spots"), N_("Profit centre saved."))


@post(
    f"{VENUE}/spots", summary="Add a table or a room", guards=MANAGERS_OF_VENUE, dependencies=OFFICE
)
async def add_spot(venue_id: FromPath[str], office: NamedDependency[Office]) -> Response[Any]:
    form = await office.form()
    try:
        spot = SpotIn(
            profit_centre_id=text(form, "profit_centre_id", required=True),
            name=text(form, "name", required=True, max_length=100),
            kind=choice(form, "kind", forms.SPOT_KINDS),
        )
        await office.services.table_session.add_spot(venue_id, spot)
    except (FormError, UpstreamError) as exc:
        return office.refused(here(venue_id, "/spots"), exc)
    return office.back(here(venue_id, "/spots"), N_("%(name)s added."), name=spot.name)


async def _spot_of(office: Office, venue_id: str, spot_id: str) -> str:
    """The spot's name, once it is known to be this venue's (table-session acts on any id)."""
    spot = await office.services.table_session.spot(venue_id, spot_id)
    if spot is None:
        raise Refused(404, "no such spot in this venue", "spot_id")
    return spot.name


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
    await _spot_of(office, venue_id, spot_id)
    return await passthrough(office.services.table_session.qr_code(spot_id), "image/svg+xml")


@post(
    f"{VENUE}/spots/{{spot_id:str}}/token/rotate",
    summary="Give a spot a new QR code: the printed one stops working at once",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def rotate_qr(
    venue_id: FromPath[str], spot_id: FromPath[str], office: NamedDependency[Office]
) -> Response[Any]:
    back = here(venue_id, "/spots")
    try:
        name = await _spot_of(office, venue_id, spot_id)
        await office.services.table_session.rotate_token(spot_id)
    except UpstreamError as exc:
        return office.refused(back, exc)
    done = N_("%(name)s has a new QR code: the old one no longer opens its page.")
    return office.back(f"{back}?rotated={quote(spot_id)}#rotated", done, name=name)


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
        categories=[(c.category_id, t.text(c.name)) for c in (menu.categories if menu else [])],
        allergens=allergen_names(t),
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
            raise FormError("menu", N_("This venue has no menu yet."))
        else:
            body = forms.apply_product_edits(menu, form)
        await office.services.ordering.publish_menu(venue_id, body)
    except (FormError, UpstreamError) as exc:
        status, error = office.error(exc)
        return await _menu_page(office, venue_id, status=status, error=error)
    done = N_("Product added; menu published.") if adding else N_("Menu published.")
    return office.back(here(venue_id, "/menu"), done)


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
    rotate_qr,
    menu_page,
    save_menu,
    add_product,
]
