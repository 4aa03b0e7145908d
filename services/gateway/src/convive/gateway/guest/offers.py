"""The concierge offers on a room's guest page (`/t/<token>` at a ROOM spot): the venue's
available offers and upgrades, the form that orders one (name, e-mail, a note for the
concierge) and the guest's own offer orders with their status.

Ordering decides (only a seated guest of a room's session may order; the e-mail must be an
address); the gateway sends the guest id of the phone's seat cookie, never one from the form.
Offer events do not travel on the session's live feed (they carry an e-mail address), so the
guest sees a new status when the page is loaded again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from convive.gateway.guest.requests import form_or_json, refused_by, require_seat
from convive.gateway.upstream import Services, UpstreamError
from convive.gateway.upstream.ordering import Offer, OfferOrder, OrderOffer
from convive.gateway.web.cookies import GuestCookies, Seat
from convive.gateway.web.forms import EMAIL
from convive.gateway.web.language import Language, language_of
from convive.gateway.web.refusals import Refused, wants_json
from convive.gateway.web.responses import same_origin

log = logging.getLogger(__name__)
A = TypeVar("A")


@dataclass
class OfferView:
    offer_id: str
    name: str
    description: str
    price: str
    offer_type: str
    type_text: str


@dataclass
class OfferOrderView:
    offer_order_id: str
    name: str
    price: str
    status: str
    status_text: str


OFFER_ORDER_STATUSES = ("pending", "confirmed", "cancelled")


def offer_type_text(offer_type: str, t: Language) -> str:
    types = {"offer": t.gettext("Service"), "upgrade": t.gettext("Upgrade")}
    return types.get(offer_type, offer_type)


def offer_status_text(status: str, t: Language) -> str:
    return {
        "pending": t.gettext("Awaiting confirmation"),
        "confirmed": t.gettext("Confirmed"),
        "cancelled": t.gettext("Cancelled"),
    }[status]


def offers_view(offers: list[Offer], t: Language) -> list[OfferView]:
    return [
        OfferView(
            offer_id=o.offer_id,
            name=t.text(o.name),
            description=t.text(o.description),
            price=t.money(o.price),
            offer_type=o.offer_type,
            type_text=offer_type_text(o.offer_type, t),
        )
        for o in offers
        if o.available
    ]


def my_orders_view(orders: list[OfferOrder], t: Language) -> list[OfferOrderView]:
    views = []
    for o in sorted(orders, key=lambda o: o.ordered_at, reverse=True):
        status = o.status if o.status in OFFER_ORDER_STATUSES else "pending"
        views.append(
            OfferOrderView(
                offer_order_id=o.offer_order_id,
                name=t.text(o.offer_name),
                price=t.money(o.revenue),
                status=status,
                status_text=offer_status_text(status, t),
            )
        )
    return views


async def room_context(services: Services, seat: Seat, t: Language) -> dict[str, Any]:
    """What a seated phone at a room shows of the offers; nothing at a table."""
    if seat.kind != "room":
        return {}

    async def read(listing: Awaitable[list[A]]) -> list[A]:
        try:
            return await listing
        except UpstreamError as exc:
            # The offers are a part of the room's page: without them it still works.
            if exc.status != 404:
                log.warning("room offers unavailable", extra={"status": exc.status})
            return []

    offers, mine = await asyncio.gather(
        read(services.ordering.offers(seat.venue_id, available_only=True)),
        read(services.ordering.guest_offer_orders(seat.session_id, seat.guest_id)),
    )
    latest = max(mine, key=lambda o: o.ordered_at, default=None)
    return {
        "room_offers": offers_view(offers, t),
        "my_offer_orders": my_orders_view(mine, t),
        # The name and address of the guest's last request, so the next one is quicker.
        "offer_defaults": {
            "guest_name": latest.guest_name if latest is not None else "",
            "guest_email": latest.guest_email if latest is not None else "",
        },
    }


@post("/t/{token:str}/offers", summary="Order a concierge offer from a room's page")
async def order_offer(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    t, _ = language_of(request)
    same_origin(request)
    seat = require_seat(request, guest_cookies, token)
    if seat.kind != "room":
        raise Refused(409, "offers are ordered from a room", "spot")
    body = await form_or_json(request)
    offer_id = str(body.get("offer_id") or "").strip()
    name = str(body.get("guest_name") or "").strip()
    email = str(body.get("guest_email") or "").strip()
    note = str(body.get("note") or "").strip()
    if not offer_id or len(offer_id) > 100:
        raise Refused(400, t.gettext("This offer is no longer available."), "offer_id")
    if not name or len(name) > 100:
        raise Refused(400, t.gettext("Please give your name."), "guest_name")
    if not EMAIL.match(email) or len(email) > 254:
        message = t.gettext("Please give an e-mail address such as name@example.com.")
        raise Refused(400, message, "guest_email")
    order = OrderOffer(
        guest_id=seat.guest_id,
        offer_id=offer_id,
        guest_name=name,
        guest_email=email,
        language=t.code,
        **({"note": note[:1000]} if note else {}),
    )
    try:
        answer = await services.ordering.order_offer(seat.session_id, order)
    except UpstreamError as exc:
        raise refused_by(exc) from exc
    if wants_json(request):
        return Response(answer.json_body(), status_code=201)
    confirmed = answer.status == "confirmed"
    flash = guest_cookies.flash_cookie(
        "offer_ordered_confirmed" if confirmed else "offer_ordered", kind="ok"
    )
    return Redirect(f"/t/{token}#my-offers", status_code=303, cookies=[flash])


ROUTES = [order_offer]
