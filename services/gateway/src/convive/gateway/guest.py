"""The guest web app at `/t/<token>`: the page a phone opens by scanning a spot's QR code, its
live fragment, and the guest's actions (cart, confirm, PIN, pay, room charge).

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
from urllib.parse import urlsplit

from litestar import Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from convive.gateway import guest_offers, views
from convive.gateway.cookies import (
    DEVICE_COOKIE,
    FLASH_COOKIE,
    SEAT_COOKIE,
    GuestCookies,
    Seat,
    new_device_id,
)
from convive.gateway.i18n import LANG_COOKIE, LANGUAGES, Translator, negotiate
from convive.gateway.settings import Settings
from convive.gateway.upstream import Services, UpstreamError

log = logging.getLogger(__name__)

LANG_MAX_AGE = 400 * 24 * 3600
MAX_QUANTITY = 99

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

PAGE_HEADERS = {
    "cache-control": "no-store",
    # The token is in the URL: it must not leak to photo hosts through the referrer.
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'self'; img-src 'self' https: data:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "form-action 'self' https: http:; base-uri 'none'",
}


class Refused(Exception):
    """An action the gateway itself refuses (bad input, phone not seated here)."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


# --- request helpers ---------------------------------------------------------------------------


def language(request: Request[Any, Any, Any]) -> tuple[Translator, list[Cookie]]:
    chosen = request.query_params.get("lang")
    cookies: list[Cookie] = []
    if chosen in LANGUAGES:
        cookies.append(
            Cookie(key=LANG_COOKIE, value=chosen, max_age=LANG_MAX_AGE, path="/", samesite="lax")
        )
    lang = negotiate(
        chosen, request.cookies.get(LANG_COOKIE), request.headers.get("accept-language", "")
    )
    return Translator(lang), cookies


def wants_json(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    content_type = request.headers.get("content-type", "")
    return "application/json" in accept or content_type.startswith("application/json")


def same_origin(request: Request[Any, Any, Any]) -> None:
    """Refuse a cross-site post: the cookies are SameSite=Lax, this is the second lock."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise Refused(403, "cross-site request refused", "origin")


def require_seat(request: Request[Any, Any, Any], cookies: GuestCookies, token: str) -> Seat:
    seat = cookies.seat(request.cookies.get(SEAT_COOKIE))
    if seat is None or seat.token != token:
        raise Refused(403, "this phone is not seated at this table: scan its QR code", "seat")
    return seat


async def form_or_json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The body as a dict; a form's `option:<group>` fields become `options`."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError as exc:
            raise Refused(400, "the body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise Refused(400, "a JSON object is required")
        return body
    form = await request.form()
    body = {key: form.get(key) for key in form if not key.startswith("option:")}
    options = [
        {"group_id": key.removeprefix("option:"), "choice_id": str(choice)}
        for key in form
        if key.startswith("option:")
        for choice in form.getall(key)
        if choice
    ]
    if options:
        body["options"] = options
    return body


def quantity_of(value: Any, *, allow_zero: bool = False) -> int:
    try:
        qty = int(value)
    except (TypeError, ValueError) as exc:
        raise Refused(400, "quantity must be a whole number", "quantity") from exc
    if qty < (0 if allow_zero else 1) or qty > MAX_QUANTITY:
        raise Refused(400, f"quantity must be between 1 and {MAX_QUANTITY}", "quantity")
    return qty


def base_url(request: Request[Any, Any, Any], settings: Settings) -> str:
    return (settings.public_base_url or str(request.base_url)).rstrip("/")


def refusal(
    request: Request[Any, Any, Any],
    cookies: GuestCookies,
    token: str,
    status: int,
    message: str,
    field: str | None = None,
    **extra: Any,
) -> Response[Any]:
    if wants_json(request):
        body: dict[str, Any] = {"status": status, "error": message}
        if field:
            body["field"] = field
        body.update(extra)
        return Response(body, status_code=status)
    return Redirect(
        f"/t/{token}",
        status_code=303,
        cookies=[cookies.flash_cookie("raw", message=message)],
    )


def done(
    request: Request[Any, Any, Any],
    token: str,
    body: Any,
    status: int = 200,
    cookies: list[Cookie] | None = None,
    anchor: str = "cart",
) -> Response[Any]:
    if wants_json(request):
        return Response(body if body is not None else {}, status_code=status, cookies=cookies)
    return Redirect(f"/t/{token}#{anchor}", status_code=303, cookies=cookies)


# --- rendering ---------------------------------------------------------------------------------


def flash_message(
    request: Request[Any, Any, Any], cookies: GuestCookies, t: Translator
) -> dict[str, str] | None:
    value = cookies.flash(request.cookies.get(FLASH_COOKIE))
    if value is None:
        payment = request.query_params.get("status")
        if request.query_params.get("payment") and payment in ("paid", "cancelled"):
            key = "payment_done" if payment == "paid" else "payment_cancelled"
            return {"kind": "ok" if payment == "paid" else "info", "text": t(key)}
        return None
    key, values = str(value.get("key")), value.get("values") or {}
    if key == "raw":
        text = str(values.get("message", ""))
    elif key == "wrong_pin":
        n = values.get("tries_left")
        text = t("wrong_pin", n=n) if isinstance(n, int) else t("wrong_pin_plain")
    else:
        try:
            text = t(key)
        except KeyError:
            return None
    return {"kind": str(value.get("kind", "error")), "text": text}


async def live_context(
    services: Services, seat: Seat, access: views.Access, t: Translator
) -> dict[str, Any]:
    """The live part of a seated phone's page: cart, rounds, bill, the host's PIN."""
    wants_cart = access.mode in views.ORDER_MODES
    cart, order, session = await asyncio.gather(
        services.cart(seat.session_id) if wants_cart else _none(),
        services.order(seat.session_id),
        services.session(seat.session_id),
    )
    labels = views.guest_labels(session, seat.guest_id, t)
    numbers = views.guest_numbers(session)
    pin = access.pin
    if seat.role == "host" and session and session.get("pin"):
        pin = str(session["pin"])  # the current one: it may have been rotated since the scan
    session_open = (session or {}).get("status", "open") == "open"
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


def page(
    template: str,
    context: dict[str, Any],
    status: int = 200,
    cookies: list[Cookie] | None = None,
) -> Template:
    return Template(
        template_name=template,
        context=context,
        status_code=status,
        cookies=cookies,
        headers=PAGE_HEADERS,
    )


def problem_page(
    t: Translator, token: str, title: str, body: str, status: int, cookies: list[Cookie]
) -> Template:
    return page(
        "guest/problem.html",
        {"t": t, "lang": t.lang, "token": token, "title": title, "body": body, "status": status},
        status,
        cookies,
    )


# --- handlers ----------------------------------------------------------------------------------


@get("/t/{token:str}", summary="The guest page of a spot (what its QR code opens)")
async def guest_page(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Template:
    t, set_cookies = language(request)
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
            _, answer = await services.scan(token, device)
    except UpstreamError as exc:
        if exc.status == 404:
            return problem_page(t, token, t("unknown_title"), t("unknown_body"), 404, set_cookies)
        if exc.status == 410:
            return problem_page(t, token, t("gone_title"), t("gone_body"), 410, set_cookies)
        if exc.status == 403 and exc.reason == "locked_out":
            answer = {**exc.body, "role": "viewer", "reason": "locked_out"}
        elif exc.status >= 500:
            return problem_page(t, token, t("error_title"), t("unavailable"), 503, set_cookies)
        else:
            return problem_page(t, token, t("error_title"), exc.message, exc.status, set_cookies)
    answer = answer if isinstance(answer, dict) else {}
    role = str(answer.get("role") or "viewer")
    venue_id = str(answer.get("venue_id") or "")
    spot_id = str(answer.get("spot_id") or "")
    mode = str(answer.get("mode") or "order")
    seat: Seat | None = None
    if role in ("host", "guest") and answer.get("session_id") and answer.get("guest_id"):
        kind = str(answer.get("spot_kind") or answer.get("kind") or "")
        if not kind:
            kind = await _spot_kind(services, venue_id, spot_id)
        seat = Seat(
            token=token,
            session_id=str(answer["session_id"]),
            guest_id=str(answer["guest_id"]),
            role=role,
            venue_id=venue_id,
            spot_id=spot_id,
            mode=mode,
            kind=kind,
        )
        set_cookies.append(guest_cookies.seat_cookie(seat))
        access = views.Access(role=role, mode=mode, kind=kind, pin=answer.get("pin"))
    else:
        role = "viewer"
        reason = answer.get("reason")
        if reason not in views.VIEWER_REASONS:
            reason = "menu_only" if mode == "menu" else None
        access = views.Access(role="viewer", mode=mode, reason=reason)
        if request.cookies.get(SEAT_COOKIE):
            set_cookies.append(guest_cookies.delete(SEAT_COOKIE))

    if flash and access.reason and flash["text"] == t(access.reason):
        flash = None  # the page says it already, once is clearer
    avoid = {a for a in request.query_params.getall("avoid", []) if a}
    try:
        menu, live, room = await asyncio.gather(
            services.menu(venue_id) if venue_id and mode != "pay" else _none(),
            live_context(services, seat, access, t) if seat else _none(),
            guest_offers.room_context(services, seat, t) if seat else _none(),
        )
    except UpstreamError as exc:
        log.warning("page data unavailable", extra={"status": exc.status, "error": exc.message})
        return problem_page(t, token, t("error_title"), t("unavailable"), 503, set_cookies)

    context: dict[str, Any] = {
        "t": t,
        "lang": t.lang,
        "other_lang": "en" if t.lang == "fr" else "fr",
        "token": token,
        "spot_name": answer.get("spot_name") or "",
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
            "strings": json.dumps(t.script_strings(), ensure_ascii=False),
            "rendered": datetime.now(UTC).isoformat(),
        },
        "room_offers": [],
        "my_offer_orders": [],
        **(live or {}),
        **(room or {}),
    }
    return page("guest/page.html", context, 200, set_cookies)


def just_paid(request: Request[Any, Any, Any], cookies: GuestCookies) -> bool:
    """The page is where the phone lands right after paying (the provider's return URL, or
    the redirect after a room charge)."""
    if request.query_params.get("payment") and request.query_params.get("status") == "paid":
        return True
    flash = cookies.flash(request.cookies.get(FLASH_COOKIE))
    return bool(flash) and flash.get("key") == "room_charge_done"  # type: ignore[union-attr]


async def seat_answer(services: Services, seat: Seat) -> dict[str, Any]:
    """What a scan told this seated phone, rebuilt from its seat cookie without scanning."""
    try:
        spot = await services.spot(seat.venue_id, seat.spot_id)
    except UpstreamError:
        spot = None
    return {
        "role": seat.role,
        "session_id": seat.session_id,
        "guest_id": seat.guest_id,
        "venue_id": seat.venue_id,
        "spot_id": seat.spot_id,
        "spot_name": (spot or {}).get("name") or "",
        "spot_kind": seat.kind,
        "mode": seat.mode,
    }


async def _spot_kind(services: Services, venue_id: str, spot_id: str) -> str:
    try:
        return await services.spot_kind(venue_id, spot_id) if venue_id else "table"
    except UpstreamError:
        return "table"


@get("/t/{token:str}/fragments/cart", summary="The live part of the page (cart, rounds, bill)")
async def cart_fragment(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    t, _ = language(request)
    try:
        seat = require_seat(request, guest_cookies, token)
        access = views.Access(role=seat.role, mode=seat.mode, kind=seat.kind)
        live = await live_context(services, seat, access, t)
    except Refused as exc:
        return Response(
            f'<p class="message message-error" role="alert">{t("not_seated")}</p>',
            status_code=exc.status,
            media_type="text/html",
            headers=PAGE_HEADERS,
        )
    except UpstreamError as exc:
        return Response(
            f'<p class="message message-error" role="alert">{t("unavailable")}</p>',
            status_code=exc.status if exc.status < 500 else 503,
            media_type="text/html",
            headers=PAGE_HEADERS,
        )
    return page(
        "guest/fragment.html",
        {"t": t, "lang": t.lang, "token": token, "access": access, "seat": seat, **live},
    )


@post("/t/{token:str}/pin", summary="Join the table with the PIN its host shares")
async def enter_pin(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    set_cookies: list[Cookie] = []
    try:
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
        _, answer = await services.scan(token, device, pin=pin)
    except Refused as exc:
        return refusal(request, guest_cookies, token, exc.status, exc.message, exc.field)
    except UpstreamError as exc:
        if exc.status == 403 and not wants_json(request):
            locked = exc.reason == "locked_out" or exc.body.get("tries_left") == 0
            flash = (
                guest_cookies.flash_cookie("locked_out")
                if locked
                else guest_cookies.flash_cookie("wrong_pin", tries_left=exc.body.get("tries_left"))
            )
            return Redirect(f"/t/{token}", status_code=303, cookies=[*set_cookies, flash])
        extra = {k: v for k, v in exc.body.items() if k in ("tries_left", "reason")}
        return refusal(request, guest_cookies, token, exc.status, exc.message, exc.field, **extra)
    # The page scans again and sets the seat: the answer here only says whether it worked.
    role = answer.get("role") if isinstance(answer, dict) else None
    if wants_json(request):
        return Response({"role": role, "session_id": answer.get("session_id")}, cookies=set_cookies)
    return Redirect(f"/t/{token}", status_code=303, cookies=set_cookies)


@post("/t/{token:str}/cart/items", summary="Add a product (with its options) to the cart")
async def add_item(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    try:
        same_origin(request)
        seat = require_seat(request, guest_cookies, token)
        body = await form_or_json(request)
        product_id = str(body.get("product_id") or "")
        if not product_id or len(product_id) > 100:
            raise Refused(400, "product_id is required", "product_id")
        quantity = quantity_of(body.get("quantity", 1))
        options = body.get("options") or []
        if not isinstance(options, list) or not all(
            isinstance(o, dict) and {"group_id", "choice_id"} <= o.keys() for o in options
        ):
            raise Refused(400, "options must be [{group_id, choice_id}]", "options")
        note = body.get("note") or None
        answer = await services.add_item(
            seat.session_id,
            seat.guest_id,
            product_id,
            quantity,
            [{"group_id": str(o["group_id"]), "choice_id": str(o["choice_id"])} for o in options],
            str(note)[:500] if note else None,
        )
    except (Refused, UpstreamError) as exc:
        return refusal(request, guest_cookies, token, exc.status, exc.message, exc.field)
    return done(request, token, answer, 201, anchor=f"product-{product_id}")


async def _change(
    token: str,
    line_id: str,
    request: Request[Any, Any, Any],
    services: Services,
    guest_cookies: GuestCookies,
    quantity: Any | None,
) -> Response[Any]:
    try:
        same_origin(request)
        seat = require_seat(request, guest_cookies, token)
        if quantity is None:
            body = await form_or_json(request)
            quantity = body.get("quantity")
        qty = quantity_of(quantity, allow_zero=True)
        if qty == 0:
            answer = await services.remove_item(seat.session_id, seat.guest_id, line_id)
        else:
            answer = await services.change_item(seat.session_id, seat.guest_id, line_id, qty)
    except (Refused, UpstreamError) as exc:
        return refusal(request, guest_cookies, token, exc.status, exc.message, exc.field)
    return done(request, token, answer)


@post("/t/{token:str}/cart/items/{line_id:str}/quantity", summary="Set a line's quantity")
async def set_quantity(
    token: FromPath[str],
    line_id: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    return await _change(token, line_id, request, services, guest_cookies, None)


@patch("/t/{token:str}/cart/items/{line_id:str}", summary="Set a line's quantity (JSON)")
async def patch_quantity(
    token: FromPath[str],
    line_id: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    return await _change(token, line_id, request, services, guest_cookies, None)


@post("/t/{token:str}/cart/items/{line_id:str}/remove", summary="Remove a line")
async def remove_item(
    token: FromPath[str],
    line_id: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    return await _change(token, line_id, request, services, guest_cookies, 0)


@delete("/t/{token:str}/cart/items/{line_id:str}", status_code=200, summary="Remove a line")
async def delete_item(
    token: FromPath[str],
    line_id: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    return await _change(token, line_id, request, services, guest_cookies, 0)


@post("/t/{token:str}/cart/confirm", summary="Confirm the cart: send the round to the staff")
async def confirm(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    try:
        same_origin(request)
        seat = require_seat(request, guest_cookies, token)
        answer = await services.confirm(seat.session_id, seat.guest_id)
    except (Refused, UpstreamError) as exc:
        return refusal(request, guest_cookies, token, exc.status, exc.message, exc.field)
    return done(request, token, answer, 201, anchor="rounds")


async def _order_id(services: Services, seat: Seat) -> str:
    order = await services.order(seat.session_id)
    if not order or not order.get("order_id"):
        raise Refused(409, "there is nothing to pay at this table yet", "order")
    return str(order["order_id"])


@post("/t/{token:str}/pay", summary="Pay online: go to the payment provider's page")
async def pay_online(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
    settings: NamedDependency[Settings],
) -> Response[Any]:
    try:
        same_origin(request)
        seat = require_seat(request, guest_cookies, token)
        order_id = await _order_id(services, seat)
        answer = await services.online_payment(
            order_id, seat.guest_id, f"{base_url(request, settings)}/t/{token}"
        )
        redirect_url = str((answer or {}).get("redirect_url") or "")
        if not redirect_url.startswith(("https://", "http://")):
            raise UpstreamError(503, "the payment provider gave no payment page")
    except (Refused, UpstreamError) as exc:
        return refusal(request, guest_cookies, token, exc.status, exc.message, exc.field)
    if wants_json(request):
        return Response(answer, status_code=201)
    return Redirect(redirect_url, status_code=303)


@post("/t/{token:str}/room-charge", summary="Charge the bill to the room")
async def room_charge(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    try:
        same_origin(request)
        seat = require_seat(request, guest_cookies, token)
        if seat.kind != "room":
            raise Refused(409, "only a room's bill can be charged to the room", "spot")
        order_id = await _order_id(services, seat)
        answer = await services.room_charge(order_id, seat.guest_id)
    except (Refused, UpstreamError) as exc:
        return refusal(request, guest_cookies, token, exc.status, exc.message, exc.field)
    return done(
        request,
        token,
        answer,
        201,
        cookies=[guest_cookies.flash_cookie("room_charge_done", kind="ok")],
        anchor="bill",
    )


ROUTES = [
    guest_page,
    cart_fragment,
    enter_pin,
    add_item,
    set_quantity,
    patch_quantity,
    remove_item,
    delete_item,
    confirm,
    pay_online,
    room_charge,
]
