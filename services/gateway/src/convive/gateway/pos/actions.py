"""What a cashier does on the console, as this device and in the signed-in staff member's name:
validate, amend or reject a round, take a payment (cash, card with the terminal's token, room
charge; in full, in part, a share of an equal split, or ticked items). Answers JSON to the
script, and redirects a plain form back to the order with a one-shot message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect

from convive.contracts import Money
from convive.gateway.pos import views as pos_views
from convive.gateway.pos.device import (
    REVOKED,
    as_device,
    require_device,
    revoked,
    staff_of_venue,
)
from convive.gateway.pos.parts import ConsoleState, console_language
from convive.gateway.upstream import Services, UpstreamError
from convive.gateway.upstream import pos_gateway as pos
from convive.gateway.web.cookies import GuestCookies, PosDevice, StaffProfile
from convive.gateway.web.forms import FormError
from convive.gateway.web.guards import signed_in, staff_only
from convive.gateway.web.language import N_, UNAVAILABLE, Language
from convive.gateway.web.refusals import Refused, wants_json

STAFF = {"staff": Provide(signed_in, sync_to_thread=False)}
ITEMS_MISSING = N_("Tick at least one item.")


async def _device_name(
    services: Services, staff: StaffProfile, venue_id: str, device_id: str
) -> str:
    """The name of the device that won a race, for "validated by X on Y" (staff API)."""
    try:
        devices = await services.pos.devices(staff.staff_id, venue_id)
    except UpstreamError:
        return ""
    return next((d.name for d in devices if d.device_id == device_id), "")


async def act(
    request: Request[Any, Any, Any],
    services: Services,
    guest_cookies: GuestCookies,
    staff: StaffProfile,
    order_id: str,
    run: Callable[[PosDevice, Language], Awaitable[str]],
    after: ConsoleState | None = None,
) -> Response[Any]:
    """Run a console action as this device: JSON to the script, a redirect back to the order
    (with the message) to a plain form."""
    back = (after or ConsoleState(order=order_id)).url()
    try:
        device = require_device(request, guest_cookies)
    except Refused as exc:
        raise Refused(exc.status, exc.message, exc.field, back=back) from exc
    t, _ = await console_language(request, services, device.venue_id)
    try:
        staff_of_venue(staff, device)
        message = await run(device, t)
    except FormError as exc:
        message = t.gettext(exc.message, **exc.values)
        raise Refused(400, message, exc.field, back=back) from exc
    except Refused as exc:
        if not revoked(exc):
            raise Refused(exc.status, exc.message, exc.field, back=back) from exc
        if not wants_json(request):
            return Redirect("/pos", status_code=303)
        raise Refused(401, t.gettext(REVOKED), "device", reason=exc.reason) from exc
    except UpstreamError as exc:
        message = exc.message if exc.status < 500 else t.gettext(UNAVAILABLE)
        validated_by = exc.text("validated_by")
        extra: dict[str, Any] = {}
        if exc.status == 409 and validated_by:
            device_name = await _device_name(
                services, staff, device.venue_id, exc.text("device_id") or ""
            )
            if device_name:
                message = t.gettext(
                    "Already validated by %(who)s on %(device)s.",
                    who=validated_by,
                    device=device_name,
                )
            else:
                message = t.gettext("Already validated by %(who)s.", who=validated_by)
            extra = {"validated_by": validated_by, "device_id": exc.body.get("device_id")}
        raise Refused(exc.status, message, exc.field, back=back, **extra) from exc
    if wants_json(request):
        return Response(
            {"ok": True, "message": message, "next": back}, headers={"cache-control": "no-store"}
        )
    flash = guest_cookies.flash_cookie("pos", kind="ok", message=message)
    return Redirect(back, status_code=303, cookies=[flash])


ROUND = "/pos/orders/{order_id:str}/rounds/{round_number:int}"


async def _validation(request: Request[Any, Any, Any], staff: StaffProfile) -> pos.StaffOnDevice:
    return pos.StaffOnDevice(staff=staff.name, staff_id=staff.staff_id)


async def _amendment(request: Request[Any, Any, Any], staff: StaffProfile) -> pos.StaffOnDevice:
    form = await request.form()
    line_ids = [str(v) for v in form.getall("line_id", []) if v]
    amendment = pos_views.amended_round(form, line_ids)
    return pos.Amendment(
        staff=staff.name,
        staff_id=staff.staff_id,
        lines=[pos.AmendedLine.model_validate(line) for line in amendment.lines],
        **({"note": amendment.note} if amendment.note else {}),
    )


async def _rejection(request: Request[Any, Any, Any], staff: StaffProfile) -> pos.StaffOnDevice:
    form = await request.form()
    reason = " ".join(str(form.get("reason") or "").split())[:500]
    if not reason:
        raise FormError("reason", N_("Give the guests a reason."))
    return pos.Rejection(staff=staff.name, staff_id=staff.staff_id, reason=reason)


def round_action(
    action: str,
    summary: str,
    read_form: Callable[[Request[Any, Any, Any], StaffProfile], Awaitable[pos.StaffOnDevice]],
    done: str,
) -> HTTPRouteHandler:
    """The route of one thing done to a round (`POST .../rounds/<n>/<action>`): what is sent
    in the staff member's name is `read_form`'s, the message on success is `done`."""

    async def handler(
        order_id: FromPath[str],
        round_number: FromPath[int],
        request: Request[Any, Any, Any],
        staff: NamedDependency[StaffProfile],
        services: NamedDependency[Services],
        guest_cookies: NamedDependency[GuestCookies],
    ) -> Response[Any]:
        async def run(device: PosDevice, t: Language) -> str:
            decision = await read_form(request, staff)
            await as_device(
                services.pos.decide_round(device.credential, order_id, round_number, decision)
            )
            return t.gettext(done, n=round_number)

        return await act(request, services, guest_cookies, staff, order_id, run)

    handler.__name__ = handler.__qualname__ = action
    return post(f"{ROUND}/{action}", summary=summary, guards=staff_only(), dependencies=STAFF)(
        handler
    )


validate = round_action("validate", "Validate a round", _validation, N_("Round %(n)s validated."))
amend = round_action(
    "amend", "Amend a round before it is validated", _amendment, N_("Round %(n)s amended.")
)
reject = round_action(
    "reject",
    "Reject a round (before validation) with a reason for the guests",
    _rejection,
    N_("Round %(n)s rejected."),
)


@post(
    "/pos/orders/{order_id:str}/payments",
    summary="Record a payment: cash, card (the terminal's token) or room charge; in full or part",
    guards=staff_only(),
    dependencies=STAFF,
)
async def settle(
    order_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    async def run(device: PosDevice, t: Language) -> str:
        form = await request.form()
        method = str(form.get("method") or "")
        if method not in pos_views.PAYMENT_METHODS:
            raise FormError("method", N_("Choose a payment method: cash, card or room charge."))
        raw = await as_device(services.pos.order(device.credential, order_id))
        order = pos_views.pos_order(raw, t)
        line_ids = [str(v) for v in form.getall("line_ids", []) if v]
        if form.get("by_items") and not line_ids:
            raise FormError("line_ids", ITEMS_MISSING)
        if line_ids:
            # The amount of ticked lines is theirs, not typed: pos-gateway checks it matches.
            unpaid = {line.line_id: line.total_minor for line in order.unpaid_lines}
            amount = sum(unpaid.get(i, 0) for i in line_ids)
            if amount <= 0:
                raise FormError("line_ids", ITEMS_MISSING)
        else:
            amount = pos_views.parse_amount(form.get("amount"), order.currency)
        chosen: dict[str, Any] = {}
        if line_ids:
            chosen["line_ids"] = line_ids
        if method == "card":
            token = str(form.get("payment_card_token") or "").strip()
            if not token:
                raise FormError(
                    "payment_card_token", N_("A card payment needs the token the terminal gave.")
                )
            chosen["payment_card_token"] = token[:200]
        payment = pos.PaymentIn(
            staff=staff.name,
            staff_id=staff.staff_id,
            amount=Money(amount_minor=amount, currency=order.currency),
            method=method,
            **chosen,
        )
        answer = await as_device(services.pos.record_payment(device.credential, order_id, payment))
        text = t.gettext("Payment of %(amount)s recorded.", amount=t.money(payment.amount))
        if answer.fully_paid:
            closed = t.gettext("The order is paid and closed.")
            text = f"{text} {closed}"
        return text

    # A share of an equal split paid: back to the shares still to pay.
    form = await request.form()
    after = None
    try:
        parts = pos_views.parse_parts(form.get("split")) if form.get("split") else None
        share = int(str(form.get("share") or "0"))
    except (FormError, ValueError):
        parts, share = None, 0
    if parts and 0 < share < parts:
        after = ConsoleState(order=order_id, split=parts, paid_shares=share)
    return await act(request, services, guest_cookies, staff, order_id, run, after)
