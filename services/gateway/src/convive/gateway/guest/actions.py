"""What a seated guest does from the page: add to the shared cart, change or remove a line,
confirm the cart (a round for the staff), pay online or charge the bill to the room.

Each action answers JSON to the page's script (`Accept: application/json`, 4xx with the
service's message) and redirects a plain form post back to the page (with a one-shot message
when refused). The guest id sent to the services is always the seat cookie's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, delete, patch, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect

from convive.gateway.guest.requests import (
    done,
    form_or_json,
    quantity_of,
    refused_by,
    require_seat,
)
from convive.gateway.settings import Settings
from convive.gateway.upstream import Services, UpstreamError
from convive.gateway.upstream.ordering import AddItem, OptionPick
from convive.gateway.web.cookies import GuestCookies, Seat
from convive.gateway.web.refusals import Refused, wants_json
from convive.gateway.web.responses import same_origin


@post("/t/{token:str}/cart/items", summary="Add a product (with its options) to the cart")
async def add_item(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
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
    chosen: dict[str, Any] = {}
    if options:  # only sent when chosen, so an ordering without options takes the others
        chosen["options"] = [
            OptionPick(group_id=str(o["group_id"]), choice_id=str(o["choice_id"])) for o in options
        ]
    if note:
        chosen["note"] = str(note)[:500]
    item = AddItem(guest_id=seat.guest_id, product_id=product_id, quantity=quantity, **chosen)
    try:
        answer = await services.ordering.add_item(seat.session_id, item)
    except UpstreamError as exc:
        raise refused_by(exc) from exc
    return done(request, token, answer.json_body(), 201, anchor=f"product-{product_id}")


LINE = "/t/{token:str}/cart/items/{line_id:str}"


def line_change(
    route: Callable[..., Callable[[Any], HTTPRouteHandler]],
    path: str,
    name: str,
    summary: str,
    *,
    removes: bool,
) -> HTTPRouteHandler:
    """A route that sets a cart line's quantity (from the form or the script's JSON; 0 removes
    it) or, when it `removes`, removes the line."""

    async def handler(
        token: FromPath[str],
        line_id: FromPath[str],
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        guest_cookies: NamedDependency[GuestCookies],
    ) -> Response[Any]:
        same_origin(request)
        seat = require_seat(request, guest_cookies, token)
        typed = 0 if removes else (await form_or_json(request)).get("quantity")
        quantity = quantity_of(typed, allow_zero=True)
        ordering = services.ordering
        try:
            if quantity == 0:
                answer = await ordering.remove_item(seat.session_id, seat.guest_id, line_id)
            else:
                answer = await ordering.change_item(
                    seat.session_id, seat.guest_id, line_id, quantity
                )
        except UpstreamError as exc:
            raise refused_by(exc) from exc
        return done(request, token, answer.json_body())

    handler.__name__ = handler.__qualname__ = name
    return route(path, summary=summary, status_code=200)(handler)


set_quantity = line_change(
    post, f"{LINE}/quantity", "set_quantity", "Set a line's quantity", removes=False
)
patch_quantity = line_change(
    patch, LINE, "patch_quantity", "Set a line's quantity (JSON)", removes=False
)
remove_item = line_change(post, f"{LINE}/remove", "remove_item", "Remove a line", removes=True)
delete_item = line_change(delete, LINE, "delete_item", "Remove a line", removes=True)


@post("/t/{token:str}/cart/confirm", summary="Confirm the cart: send the round to the staff")
async def confirm(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    same_origin(request)
    seat = require_seat(request, guest_cookies, token)
    try:
        answer = await services.ordering.confirm(seat.session_id, seat.guest_id)
    except UpstreamError as exc:
        raise refused_by(exc) from exc
    return done(request, token, answer.json_body(), 201, anchor="rounds")


async def _order_id(services: Services, seat: Seat) -> str:
    order = await services.ordering.order(seat.session_id)
    if order is None:
        raise Refused(409, "there is nothing to pay at this table yet", "order")
    return order.order_id


def base_url(request: Request[Any, Any, Any], settings: Settings) -> str:
    return (settings.public_base_url or str(request.base_url)).rstrip("/")


@post("/t/{token:str}/pay", summary="Pay online: go to the payment provider's page")
async def pay_online(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
    settings: NamedDependency[Settings],
) -> Response[Any]:
    same_origin(request)
    seat = require_seat(request, guest_cookies, token)
    try:
        order_id = await _order_id(services, seat)
        answer = await services.pos.online_payment(
            order_id, seat.guest_id, f"{base_url(request, settings)}/t/{token}"
        )
    except UpstreamError as exc:
        raise refused_by(exc) from exc
    if not answer.redirect_url.startswith(("https://", "http://")):
        raise Refused(503, "the payment provider gave no payment page")
    if wants_json(request):
        return Response(answer.json_body(), status_code=201)
    return Redirect(answer.redirect_url, status_code=303)


@post("/t/{token:str}/room-charge", summary="Charge the bill to the room")
async def room_charge(
    token: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    same_origin(request)
    seat = require_seat(request, guest_cookies, token)
    if seat.kind != "room":
        raise Refused(409, "only a room's bill can be charged to the room", "spot")
    try:
        order_id = await _order_id(services, seat)
        answer = await services.pos.room_charge(order_id, seat.guest_id)
    except UpstreamError as exc:
        raise refused_by(exc) from exc
    return done(
        request,
        token,
        answer.json_body(),
        201,
        cookies=[guest_cookies.flash_cookie("room_charge_done", kind="ok")],
        anchor="bill",
    )


ROUTES = [
    add_item,
    set_quantity,
    patch_quantity,
    remove_item,
    delete_item,
    confirm,
    pay_online,
    room_charge,
]
