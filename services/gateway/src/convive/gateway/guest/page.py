"""The guest web app at `/t/<token>`: the page a phone opens by scanning a spot's QR code, its
live fragment, and joining a table with its PIN (the cart and payment actions are in
`guest.actions`, a room's concierge offers in `guest.offers`).

The phone is known by two signed cookies: `convive_device` (minted on the first visit; what
table-session recognises a returning phone by) and `convive_seat` (set when table-session
seated it: the session and guest id every action uses; a guest id from the browser is never
trusted). Actions answer JSON to scripts (`Accept: application/json`, 4xx with the service's
message) and redirect plain form posts back to the page with a one-shot message.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from markupsafe import escape

from convive.gateway.guest import offers, views
from convive.gateway.guest.requests import form_or_json, refused_by, require_seat
from convive.gateway.upstream import Services, UpstreamError
from convive.gateway.upstream.table_session import Scanned
from convive.gateway.web.cookies import (
    DEVICE_COOKIE,
    FLASH_COOKIE,
    SEAT_COOKIE,
    GuestCookies,
    Seat,
    new_device_id,
)
from convive.gateway.web.language import N_, UNAVAILABLE, Language, language_of
from convive.gateway.web.refusals import Refused, wants_json
from convive.gateway.web.responses import GUEST_PAGE_HEADERS, page, same_origin

log = logging.getLogger(__name__)

# The session feed's event types the page reacts to (the notifier names each SSE message so).
LIVE_EVENT_TYPES = (
    "CartItemAdded",
    "CartItemChanged",
    "CartItemRemoved",
    "OrderPlaced",
    "RoundAdded",
    "OrderValidated",
    "SentToProduction",
    "OrderClosed",
    "PaymentSettled",
    "OnlinePaymentStarted",
    "OnlinePaymentFailed",
    "GuestJoined",
    "PinRotated",
    "SessionClosed",
)

PROBLEM = N_("Something went wrong")
REASON_TEXTS = {
    # Why a phone at the spot may only read the menu, as table-session names it.
    "pin_required": N_(
        "This table has already ordered. Enter the PIN shown to your table's host to join it. "
        "Meanwhile you can read the menu."
    ),
    "locked_out": N_(
        "Too many wrong PINs from this phone: it can no longer join this table. Ask the staff, "
        "or the host of the table."
    ),
    "menu_only": N_("Here you can read the menu; ordering is done with the staff."),
    "previous_bill_open": N_(
        "This table's previous bill is still open; ask the staff. You can read the menu meanwhile."
    ),
    "nothing_to_pay": N_("There is nothing to pay at this table yet."),
    "viewer": N_("You can read the menu."),
}

# --- rendering ---------------------------------------------------------------------------------


FLASHES = {
    # The one-shot messages a redirect leaves for the page, by the flash cookie's key.
    "wrong_pin_plain": N_("Wrong PIN."),
    "locked_out": REASON_TEXTS["locked_out"],
    "room_charge_done": N_("Charged to your room. Thank you!"),
    "offer_ordered": N_("Request sent. The concierge will confirm it by e-mail."),
    "offer_ordered_confirmed": N_("Confirmed! A confirmation is on its way to your e-mail."),
}


def flash_message(
    request: Request[Any, Any, Any], cookies: GuestCookies, t: Language
) -> dict[str, str] | None:
    value = cookies.flash(request.cookies.get(FLASH_COOKIE))
    if value is None:
        payment = request.query_params.get("status")
        if request.query_params.get("payment") and payment == "paid":
            return {"kind": "ok", "text": t.gettext("Payment received. Thank you!")}
        if request.query_params.get("payment") and payment == "cancelled":
            message = t.gettext("The payment was cancelled; nothing was charged.")
            return {"kind": "info", "text": message}
        return None
    key, values = str(value.get("key")), value.get("values") or {}
    if key == "raw":
        text = str(values.get("message", ""))
    elif key == "wrong_pin" and isinstance(n := values.get("tries_left"), int):
        text = t.ngettext("Wrong PIN. %(num)d try left.", "Wrong PIN. %(num)d tries left.", n)
    elif key == "wrong_pin":
        text = t.gettext(FLASHES["wrong_pin_plain"])
    elif key in FLASHES:
        text = t.gettext(FLASHES[key])
    else:
        return None
    return {"kind": str(value.get("kind", "error")), "text": text}


def script_strings(t: Language, kind: str) -> dict[str, str]:
    """What the page's script says itself: its live notices (it fills the `{names}`)."""
    return {
        "notice_added": t.gettext("{who} added {item}"),
        "notice_changed": t.gettext("{who} changed a quantity"),
        "notice_removed": t.gettext("{who} removed an item"),
        "notice_round": t.gettext("Round {n} sent to the staff"),
        "notice_validated": t.gettext("Round {n} validated"),
        "notice_amended": t.gettext("The staff changed round {n}"),
        "notice_rejected": t.gettext("The staff refused round {n}"),
        "notice_production": t.gettext("Round {n} is in production"),
        "notice_joined": t.gettext("{who} joined the table"),
        "notice_paid": t.gettext("The bill is paid"),
        "notice_pin": (
            t.gettext("The room's PIN changed")
            if kind == "room"
            else t.gettext("The table's PIN changed")
        ),
        "notice_who_you": t.gettext("You"),
        "notice_who_guest": t.gettext("Guest {n}"),
        "notice_who_someone": t.gettext("Someone"),
        "notice_you_added": t.gettext("{item} added to the cart"),
    }


async def live_context(
    services: Services, seat: Seat, access: views.Access, t: Language
) -> dict[str, Any]:
    """The live part of a seated phone's page: cart, rounds, bill, the host's PIN."""
    wants_cart = access.mode in views.ORDER_MODES
    cart, order, session = await asyncio.gather(
        services.ordering.cart(seat.session_id) if wants_cart else _none(),
        services.ordering.order(seat.session_id),
        services.table_session.session(seat.session_id),
    )
    labels = views.guest_labels(session, seat.guest_id, t)
    numbers = views.guest_numbers(session)
    pin = access.pin
    if seat.role == "host" and session is not None and session.pin:
        pin = session.pin  # the current one: it may have been rotated since the scan
    session_open = session is None or session.open
    return {
        "live": views.live_view(cart, order, labels, seat.guest_id, t),
        "numbers_json": json.dumps(numbers),
        # A closed session's PIN opens nothing any more: not worth showing.
        "pin": pin if seat.role == "host" and session_open else None,
        "can_pay": access.can_pay(order),
        "can_charge_room": access.can_charge_room(order),
        "session_open": session_open,
    }


async def _none() -> None:
    return None


def problem_page(
    t: Language, token: str, title: str, body: str, status: int, cookies: list[Cookie]
) -> Template:
    context = {"token": token, "title": title, "body": body, "status": status}
    return page("guest/problem.html", t, context, status, cookies)


# --- handlers ----------------------------------------------------------------------------------


@get("/t/{token:str}", summary="The guest page of a spot (what its QR code opens)")
async def guest_page(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Template:
    t, set_cookies = language_of(request)
    device = guest_cookies.device(request.cookies.get(DEVICE_COOKIE))
    if device is None:
        device = new_device_id()
        set_cookies.append(guest_cookies.device_cookie(device))
    if request.cookies.get(FLASH_COOKIE):
        set_cookies.append(guest_cookies.delete(FLASH_COOKIE))
    flash = flash_message(request, guest_cookies, t)

    try:
        seat_before = guest_cookies.seat(request.cookies.get(SEAT_COOKIE))
        if seat_before and seat_before.token == token and just_paid(request, guest_cookies):
            # Back from paying: a scan now could open a new session at the spot the payment
            # has just released; this phone wants to see the bill it paid.
            answer = await seat_answer(services, seat_before)
        else:
            answer = await services.table_session.scan(token, device)
    except UpstreamError as exc:
        if exc.status == 404:
            title = t.gettext("Unknown QR code")
            body = t.gettext(
                "We do not know this QR code. Please scan the code on your table again, "
                "or ask the staff."
            )
            return problem_page(t, token, title, body, 404, set_cookies)
        if exc.status == 410:
            title = t.gettext("This code is no longer valid")
            body = t.gettext(
                "This QR code was replaced. Please scan the code now on your table, "
                "or ask the staff."
            )
            return problem_page(t, token, title, body, 410, set_cookies)
        if exc.status == 403 and exc.reason == "locked_out":
            answer = Scanned.model_validate({**exc.body, "role": "viewer", "reason": "locked_out"})
        elif exc.status >= 500:
            unavailable = t.gettext(UNAVAILABLE)
            return problem_page(t, token, t.gettext(PROBLEM), unavailable, 503, set_cookies)
        else:
            title = t.gettext(PROBLEM)
            return problem_page(t, token, title, exc.message, exc.status, set_cookies)
    venue_id, mode = answer.venue_id, answer.mode
    seat: Seat | None = None
    if answer.role in ("host", "guest") and answer.session_id and answer.guest_id:
        seat = Seat(
            token=token,
            session_id=answer.session_id,
            guest_id=answer.guest_id,
            role=answer.role,
            venue_id=venue_id,
            spot_id=answer.spot_id,
            mode=mode,
            kind=answer.spot_kind,
        )
        set_cookies.append(guest_cookies.seat_cookie(seat))
        access = views.Access(role=seat.role, mode=mode, kind=seat.kind, pin=answer.pin)
    else:
        reason = answer.reason
        if reason not in views.VIEWER_REASONS:
            reason = "menu_only" if mode == "menu" else None
        access = views.Access(role="viewer", mode=mode, reason=reason)
        if request.cookies.get(SEAT_COOKIE):
            set_cookies.append(guest_cookies.delete(SEAT_COOKIE))

    viewer_reason = t.gettext(REASON_TEXTS[access.reason or "viewer"])
    if flash and access.reason and flash["text"] == viewer_reason:
        flash = None  # the page says it already, once is clearer
    avoid = {a for a in request.query_params.getall("avoid", []) if a}
    try:
        menu, live, room = await asyncio.gather(
            services.ordering.menu(venue_id) if venue_id and mode != "pay" else _none(),
            live_context(services, seat, access, t) if seat else _none(),
            offers.room_context(services, seat, t) if seat else _none(),
        )
    except UpstreamError as exc:
        log.warning("page data unavailable", extra={"status": exc.status, "error": exc.message})
        return problem_page(t, token, t.gettext(PROBLEM), t.gettext(UNAVAILABLE), 503, set_cookies)

    context: dict[str, Any] = {
        "token": token,
        "viewer_reason": viewer_reason,
        "spot_name": answer.spot_name,
        "access": access,
        "seat": seat,
        "mode": mode,
        "flash": flash,
        "menu": views.menu_view(menu, t, avoid),
        "allergen_filter": views.allergen_filter(t, avoid),
        "avoid": sorted(avoid),
        "script": {
            "token": token,
            "session": seat.session_id if seat else "",
            "guest": seat.guest_id if seat else "",
            "events": ",".join(LIVE_EVENT_TYPES),
            "strings": json.dumps(script_strings(t, access.kind), ensure_ascii=False),
            "rendered": datetime.now(UTC).isoformat(),
        },
        "room_offers": [],
        "my_offer_orders": [],
        **(live or {}),
        **(room or {}),
    }
    return page("guest/page.html", t, context, 200, set_cookies)


def just_paid(request: Request[Any, Any, Any], cookies: GuestCookies) -> bool:
    """The page is where the phone lands right after paying (the provider's return URL, or
    the redirect after a room charge)."""
    if request.query_params.get("payment") and request.query_params.get("status") == "paid":
        return True
    flash = cookies.flash(request.cookies.get(FLASH_COOKIE))
    return flash is not None and flash.get("key") == "room_charge_done"


async def seat_answer(services: Services, seat: Seat) -> Scanned:
    """What a scan told this seated phone, rebuilt from its seat cookie without scanning."""
    try:
        spot = await services.table_session.spot(seat.venue_id, seat.spot_id)
    except UpstreamError:
        spot = None
    return Scanned(
        role=seat.role,
        reason=None,
        session_id=seat.session_id,
        guest_id=seat.guest_id,
        venue_id=seat.venue_id,
        spot_id=seat.spot_id,
        spot_name=spot.name if spot is not None else "",
        spot_kind=seat.kind,
        mode=seat.mode,
    )


@get("/t/{token:str}/fragments/cart", summary="The live part of the page (cart, rounds, bill)")
async def cart_fragment(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    t, _ = language_of(request)
    try:
        seat = require_seat(request, guest_cookies, token)
        access = views.Access(role=seat.role, mode=seat.mode, kind=seat.kind)
        live = await live_context(services, seat, access, t)
    except Refused as exc:
        not_seated = t.gettext("Scan this table's code to order: this phone is not seated here.")
        return fragment_message(not_seated, exc.status)
    except UpstreamError as exc:
        return fragment_message(t.gettext(UNAVAILABLE), exc.status if exc.status < 500 else 503)
    context = {"token": token, "access": access, "seat": seat, **live}
    return page("guest/fragment.html", t, context)


def fragment_message(message: str, status: int) -> Response[Any]:
    """What the page's script puts in place of the live part it could not read."""
    return Response(
        f'<p class="message message-error" role="alert">{escape(message)}</p>',
        status_code=status,
        media_type="text/html",
        headers=GUEST_PAGE_HEADERS,
    )


@post("/t/{token:str}/pin", summary="Join the table with the PIN its host shares")
async def enter_pin(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    set_cookies: list[Cookie] = []
    same_origin(request)
    body = await form_or_json(request)
    pin = str(body.get("pin") or "").strip()
    if not pin.isdigit() or len(pin) > 12:
        if not wants_json(request):
            flash = guest_cookies.flash_cookie("wrong_pin_plain")
            return Redirect(f"/t/{token}", status_code=303, cookies=[flash])
        raise Refused(400, "the PIN is the digits shown to the table's host", "pin")
    device = guest_cookies.device(request.cookies.get(DEVICE_COOKIE))
    if device is None:
        device = new_device_id()
        set_cookies.append(guest_cookies.device_cookie(device))
    try:
        answer = await services.table_session.scan(token, device, pin=pin)
    except UpstreamError as exc:
        if exc.status == 403 and not wants_json(request):
            tries_left = exc.number("tries_left")
            locked = exc.reason == "locked_out" or tries_left == 0
            flash = (
                guest_cookies.flash_cookie("locked_out")
                if locked
                else guest_cookies.flash_cookie("wrong_pin", tries_left=tries_left)
            )
            return Redirect(f"/t/{token}", status_code=303, cookies=[*set_cookies, flash])
        raise refused_by(exc, "tries_left", "reason") from exc
    # The page scans again and sets the seat: the answer here only says whether it worked.
    if wants_json(request):
        body = {"role": answer.role, "session_id": answer.session_id}
        return Response(body, cookies=set_cookies)
    return Redirect(f"/t/{token}", status_code=303, cookies=set_cookies)


ROUTES = [guest_page, cart_fragment, enter_pin]
