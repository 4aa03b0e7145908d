"""The back office's concierge pages: the offers and upgrades guests in rooms may order, and
Guest activity → Orders, the offer orders newest first with their PMS posting and e-mails, where
managers confirm, cancel, mark posted by hand (one-way PMS) or post again (two-way)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from convive.gateway.admin import forms, orders
from convive.gateway.admin.office import (
    EVERYONE_OF_VENUE,
    MANAGERS_OF_VENUE,
    OFFICE,
    VENUE,
    Office,
    gather,
    here,
    or_default,
)
from convive.gateway.upstream import Services, UpstreamError
from convive.gateway.upstream.notifier import Notification
from convive.gateway.upstream.ordering import Offer, StaffDecision
from convive.gateway.upstream.pos_gateway import FolioPosting, StaffAction
from convive.gateway.upstream.table_session import VenueSettings
from convive.gateway.web.forms import FormError, checked, text
from convive.gateway.web.language import N_
from convive.gateway.web.refusals import Refused

# --- offers ------------------------------------------------------------------------------------


@dataclass
class OfferRow:
    offer_id: str
    name_text: str
    price_text: str
    description_text: str
    offer_type: str
    auto_confirm: bool
    available: bool


@get(
    f"{VENUE}/offers",
    summary="Concierge offers and upgrades",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def offers_page(venue_id: FromPath[str], office: NamedDependency[Office]) -> Template:
    t = office.t
    offers = await office.services.ordering.offers(venue_id)
    offers.sort(key=lambda o: (not o.available, t.text(o.name).casefold()))
    return await office.page(
        "admin/offers.html",
        venue_id=venue_id,
        section="offers",
        offers=[
            OfferRow(
                offer_id=o.offer_id,
                name_text=t.text(o.name),
                price_text=t.money(o.price),
                description_text=t.text(o.description),
                offer_type=o.offer_type,
                auto_confirm=o.auto_confirm,
                available=o.available,
            )
            for o in offers
        ],
    )


async def _offer_form(
    office: Office,
    venue_id: str,
    offer_id: str | None,
    values: dict[str, Any],
    *,
    status: int = 200,
    error: dict[str, str] | None = None,
) -> Template:
    return await office.page(
        "admin/offer_form.html",
        venue_id=venue_id,
        section="offers",
        status=status,
        error=error,
        offer_id=offer_id,
        values=values,
    )


async def _find_offer(services: Services, venue_id: str, offer_id: str) -> Offer:
    listed = await services.ordering.offers(venue_id)
    offer = next((o for o in listed if o.offer_id == offer_id), None)
    if offer is None:
        raise Refused(404, "no such offer in this venue", "offer_id")
    return offer


@get(f"{VENUE}/offers/new", summary="A new offer", guards=MANAGERS_OF_VENUE, dependencies=OFFICE)
async def new_offer(venue_id: FromPath[str], office: NamedDependency[Office]) -> Template:
    return await _offer_form(office, venue_id, None, forms.offer_form_values(None))


@get(
    f"{VENUE}/offers/{{offer_id:str}}",
    summary="Edit an offer",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def edit_offer(
    venue_id: FromPath[str], offer_id: FromPath[str], office: NamedDependency[Office]
) -> Template:
    offer = await _find_offer(office.services, venue_id, offer_id)
    return await _offer_form(office, venue_id, offer_id, forms.offer_form_values(offer))


async def _save_offer(office: Office, venue_id: str, offer_id: str | None) -> Response[Any]:
    form = await office.form()
    values = {
        **forms.offer_form_values(None),
        **dict(form),
        "auto_confirm": checked(form, "auto_confirm"),
        "available": checked(form, "available"),
    }
    try:
        currency = forms.DEFAULT_CURRENCY
        if offer_id is not None:
            currency = (await _find_offer(office.services, venue_id, offer_id)).price.currency
        body = forms.offer_body(form, currency)
        target = offer_id or forms.new_id(body.name.en, "offer-")
        await office.services.ordering.save_offer(venue_id, target, body)
    except (FormError, UpstreamError) as exc:
        status, error = office.error(exc)
        return await _offer_form(office, venue_id, offer_id, values, status=status, error=error)
    name = office.t.text(body.name)
    return office.back(here(venue_id, "/offers"), N_("%(name)s saved."), name=name)


@post(f"{VENUE}/offers", summary="Create an offer", guards=MANAGERS_OF_VENUE, dependencies=OFFICE)
async def create_offer(venue_id: FromPath[str], office: NamedDependency[Office]) -> Response[Any]:
    return await _save_offer(office, venue_id, None)


@post(
    f"{VENUE}/offers/{{offer_id:str}}",
    summary="Save an offer",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def update_offer(
    venue_id: FromPath[str], offer_id: FromPath[str], office: NamedDependency[Office]
) -> Response[Any]:
    return await _save_offer(office, venue_id, offer_id)


# --- guest activity: offer orders --------------------------------------------------------------


@get(
    f"{VENUE}/offer-orders",
    summary="Guest activity: the offer orders, newest first",
    guards=EVERYONE_OF_VENUE,
    dependencies=OFFICE,
)
async def offer_orders_page(venue_id: FromPath[str], office: NamedDependency[Office]) -> Template:
    filters = orders.OrderFilters.parse(office.request.query_params)
    services = office.services
    no_postings: list[FolioPosting] = []
    no_notifications: list[Notification] = []
    no_settings: VenueSettings | None = None
    found, postings, notifications, settings = await gather(
        services.ordering.offer_orders(venue_id, filters.params()),
        or_default(services.pos.folio_postings(office.me, venue_id), no_postings),
        or_default(services.notifier.notifications(venue_id), no_notifications),
        or_default(services.table_session.settings(venue_id), no_settings),
    )
    integration = settings.pms_integration if settings is not None else None
    await office.in_venue(venue_id)
    url = office.request.url
    return await office.page(
        "admin/offer_orders.html",
        venue_id=venue_id,
        venue_name=settings.name if settings is not None else venue_id,
        section="offer-orders",
        rows=orders.order_rows(found, postings, notifications, integration, filters, office.t),
        filters=filters,
        statuses=orders.OFFER_STATUSES,
        types=forms.OFFER_TYPES,
        failing_mails=orders.failing_mails(notifications),
        here=url.path + (f"?{url.query}" if url.query else ""),
    )


DONE = {
    "confirm": N_("Order of %(guest)s confirmed."),
    "cancel": N_("Order of %(guest)s cancelled."),
    "mark-posted": N_("Order of %(guest)s marked posted to the PMS."),
    "retry": N_("Posting the order of %(guest)s again."),
}
ACTIONS = {
    # action: (service, path after the offer order's id)
    "confirm": ("ordering", "confirm"),
    "cancel": ("ordering", "cancel"),
    "mark-posted": ("pos", "mark-posted"),  # one-way PMS: staff posted it by hand
    "retry": ("pos", "retry"),  # two-way PMS: post again now
}


async def _act(office: Office, venue_id: str, offer_order_id: str, action: str) -> Response[Any]:
    form = await office.form()
    base = here(venue_id, "/offer-orders")
    back_to = str(form.get("back") or "")  # the list as it was filtered
    back_to = back_to if back_to.startswith(base) and "//" not in back_to else base
    try:
        # Ordering and pos-gateway act on any id: the gateway checks it is this venue's.
        listed = await office.services.ordering.offer_orders(venue_id)
        order = next((o for o in listed if o.offer_order_id == offer_order_id), None)
        if order is None:
            raise Refused(404, "no such offer order in this venue", "offer_order_id")
        service, verb = ACTIONS[action]
        if service == "ordering":
            reason = text(form, "reason", max_length=500) if action == "cancel" else ""
            decision = StaffDecision(
                staff=office.staff.name, **({"reason": reason} if reason else {})
            )
            await office.services.ordering.decide_offer_order(offer_order_id, verb, decision)
        else:
            staff_action = StaffAction(staff=office.staff.name)
            await office.services.pos.act_on_posting(office.me, offer_order_id, verb, staff_action)
    except (FormError, UpstreamError) as exc:
        return office.refused(back_to, exc)
    return office.back(back_to, DONE[action], guest=order.guest_name)


@post(
    f"{VENUE}/offer-orders/{{offer_order_id:str}}/{{action:str}}",
    summary="Confirm, cancel, mark posted to the PMS by hand, or post to the PMS again",
    guards=MANAGERS_OF_VENUE,
    dependencies=OFFICE,
)
async def offer_order_action(
    venue_id: FromPath[str],
    offer_order_id: FromPath[str],
    action: FromPath[str],
    office: NamedDependency[Office],
) -> Response[Any]:
    if action not in ACTIONS:
        raise Refused(404, f"no action {action!r} on an offer order", "action")
    return await _act(office, venue_id, offer_order_id, action)


ROUTES = [
    offers_page,
    new_offer,
    edit_offer,
    create_offer,
    update_offer,
    offer_orders_page,
    offer_order_action,
]
