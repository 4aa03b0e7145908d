"""What the guest app's actions share: the phone's seat (the only source of a guest id the
gateway trusts), the body of a form or a script's JSON, quantities, and the answer to an action
(JSON to a script, back to the page to a plain form)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.response import Redirect

from convive.gateway.upstream import UpstreamError
from convive.gateway.web.cookies import SEAT_COOKIE, GuestCookies, Seat
from convive.gateway.web.refusals import Refused, wants_json

MAX_QUANTITY = 99


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


def refused_by(exc: UpstreamError, *extra_fields: str) -> Refused:
    """A service's refusal, passed on to the guest as the gateway's (with the service's own
    `extra_fields`, e.g. `tries_left`)."""
    extra = {k: v for k, v in exc.body.items() if k in extra_fields}
    return Refused(exc.status, exc.message, exc.field, **extra)


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
