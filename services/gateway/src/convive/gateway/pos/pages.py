"""The console's pages: `/pos` (the pairing form for a browser that is no device yet, the POS
login for a device nobody is signed in on, else the console), the parts the script re-reads
(`/pos/fragments/<part>`), the device's status for the script, and pairing or forgetting the
device."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Redirect, Template

from convive.gateway.pos import views as pos_views
from convive.gateway.pos.device import (
    REVOKED,
    as_device,
    device_of,
    require_device,
    revoked,
    staff_of_venue,
)
from convive.gateway.pos.parts import (
    LIVE_EVENT_TYPES,
    ConsoleState,
    console_language,
    order_context,
    orders_context,
    tables_context,
    tickets_context,
)
from convive.gateway.upstream import Services, UpstreamError
from convive.gateway.web.cookies import (
    FLASH_COOKIE,
    STAFF_COOKIE,
    GuestCookies,
    PosDevice,
    PosDevices,
    StaffCookies,
    StaffProfile,
)
from convive.gateway.web.guards import csrf_checked, signed_in, staff_only
from convive.gateway.web.language import UNAVAILABLE, Language, language_of
from convive.gateway.web.refusals import Refused
from convive.gateway.web.responses import staff_page
from convive.gateway.web.staff import csrf_token

log = logging.getLogger(__name__)


# --- rendering -----------------------------------------------------------------------------------


def pair_page(
    request: Request[Any, Any, Any],
    staff_cookies: StaffCookies,
    t: Language,
    set_cookies: list[Cookie],
    *,
    error: str | None = None,
    revoked: bool = False,
    code: str = "",
    name: str = "",
    status: int = 200,
) -> Template:
    context = {
        "csrf_token": csrf_token(request, staff_cookies, set_cookies),
        "error": error,
        "revoked": revoked,
        "code": code,
        "name": name,
    }
    return staff_page("pos/pair.html", t, context, status, set_cookies)


def flash_of(request: Request[Any, Any, Any], cookies: GuestCookies) -> dict[str, str] | None:
    value = cookies.flash(request.cookies.get(FLASH_COOKIE))
    if not value or value.get("key") != "pos":
        return None
    values = value.get("values") or {}
    return {"kind": str(value.get("kind") or "info"), "text": str(values.get("message") or "")}


def _fragment_context(
    t: Language, device: PosDevice, staff: StaffProfile, state: ConsoleState
) -> dict[str, Any]:
    return {
        "device": device,
        "staff": staff,
        "state": state,
        "csrf_token": staff.csrf,
        "methods": pos_views.PAYMENT_METHODS,
        "labels": {"tab": pos_views.tabs(t), "payment_method": pos_views.payment_methods(t)},
    }


def script_strings(t: Language) -> dict[str, str]:
    """What the console's script says itself: its live notices (it fills the `{names}`), the
    state of the live feed, and its own errors."""
    return {
        "notice_new_order": t.gettext("New order · {spot}"),
        "notice_new_round": t.gettext("New round · {spot}"),
        "notice_validated": t.gettext("Round {n} validated by {who} · {spot}"),
        "notice_amended": t.gettext("Round {n} amended by {who} · {spot}"),
        "notice_rejected": t.gettext("Round {n} rejected by {who} · {spot}"),
        "notice_paid": t.gettext("Payment recorded · {spot}"),
        "notice_someone": t.gettext("someone"),
        "unknown_spot": t.gettext(pos_views.UNKNOWN_SPOT),
        "live_on": t.gettext("Live"),
        "live_off": t.gettext("Reconnecting…"),
        "live_revoked": t.pgettext("live updates", "Revoked"),
        "network_error": t.gettext("No network: the action was not sent. Try again."),
        "revoked": t.gettext(REVOKED),
    }


# --- pages ---------------------------------------------------------------------------------------


@get("/pos", summary="The POS console (pairing, then the venue's live orders)")
async def console(
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    device = device_of(request, guest_cookies)
    t, set_cookies = await console_language(request, services, device.venue_id if device else None)
    if device is None:
        return pair_page(request, staff_cookies, t, set_cookies)
    profile = staff_cookies.profile(request.cookies.get(STAFF_COOKIE))
    if profile is None:
        raise Refused(401, "sign in first", "staff")  # → the POS login page, then back
    token = csrf_token(request, staff_cookies, set_cookies)
    staff = StaffProfile(**{**asdict(profile), "csrf": token})
    if not staff.has_venue(device.venue_id):
        context = {"device": device, "staff": staff, "csrf_token": token}
        return staff_page("pos/wrong_venue.html", t, context, 403, set_cookies)
    if request.cookies.get(FLASH_COOKIE):
        set_cookies.append(guest_cookies.delete(FLASH_COOKIE))
    state = ConsoleState.of(request)
    try:
        orders, order, tickets, tables = await asyncio.gather(
            orders_context(services, device, t, state),
            order_context(services, device, t, state, staff),
            tickets_context(services, device.venue_id, t, state)
            if state.view == "tickets"
            else _nothing(),
            tables_context(services, device.venue_id) if state.view == "tables" else _nothing(),
        )
    except Refused as exc:
        if not revoked(exc):
            raise
        set_cookies.append(PosDevices.of(guest_cookies).forget())
        return pair_page(request, staff_cookies, t, set_cookies, revoked=True, status=401)
    except UpstreamError as exc:
        log.warning("console data unavailable", extra={"status": exc.status, "error": exc.message})
        context = {"message": t.gettext(UNAVAILABLE)}
        return staff_page("pos/problem.html", t, context, 503, set_cookies)
    context = {
        **_fragment_context(t, device, staff, state),
        **orders,
        **order,
        **(tickets or {}),
        **(tables or {}),
        "flash": flash_of(request, guest_cookies),
        "script": {
            "venue": device.venue_id,
            "device": device.device_id,
            "events": ",".join(LIVE_EVENT_TYPES),
            "strings": json.dumps(script_strings(t), ensure_ascii=False),
            "rendered": datetime.now(UTC).isoformat(),
        },
    }
    return staff_page("pos/console.html", t, context, 200, set_cookies)


async def _nothing() -> dict[str, Any]:
    return {}


FRAGMENTS = {
    "orders": "pos/orders.html",
    "order": "pos/order.html",
    "tickets": "pos/tickets.html",
    "tables": "pos/tables.html",
}


@get(
    "/pos/fragments/{part:str}",
    summary="A part of the console, re-read when the live feed says it changed",
    guards=staff_only(),
    dependencies={"staff": Provide(signed_in, sync_to_thread=False)},
)
async def fragment(
    part: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    device = device_of(request, guest_cookies)
    t, _ = await console_language(request, services, device.venue_id if device else None)
    if part not in FRAGMENTS:
        return Refused(404, f"the console has no part {part}", "part").as_json()
    try:
        device = require_device(request, guest_cookies)
        staff_of_venue(staff, device)
        state = ConsoleState.of(request)
        if part == "orders":
            data = await orders_context(services, device, t, state)
        elif part == "order":
            data = await order_context(services, device, t, state, staff)
        elif part == "tickets":
            data = await tickets_context(services, device.venue_id, t, state)
        else:
            data = await tables_context(services, device.venue_id)
    except Refused as exc:
        if revoked(exc):
            return Refused(401, t.gettext(REVOKED), "device", reason=exc.reason).as_json()
        return exc.as_json()
    except UpstreamError as exc:
        return Refused(exc.status if exc.status < 500 else 503, t.gettext(UNAVAILABLE)).as_json()
    context = {**_fragment_context(t, device, staff, state), **data}
    return staff_page(FRAGMENTS[part], t, context)


@get("/pos/device", summary="Whether this browser is a paired device and it still works (JSON)")
async def device_status(
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    device = device_of(request, guest_cookies)
    profile = staff_cookies.profile(request.cookies.get(STAFF_COOKIE))
    body: dict[str, Any] = {
        "paired": device is not None,
        "revoked": False,
        "signed_in": bool(profile and device and profile.has_venue(device.venue_id)),
    }
    if device is not None:
        body.update(device_id=device.device_id, venue_id=device.venue_id, name=device.name)
        try:
            await as_device(services.pos.orders(device.credential, device.venue_id, limit=1))
        except Refused as exc:
            body["revoked"] = revoked(exc)
        except UpstreamError:
            pass  # unreachable is not revoked: the script retries
    return Response(body, headers={"cache-control": "no-store"})


# --- pairing -------------------------------------------------------------------------------------


@post(
    "/pos/pair",
    summary="Pair this browser as a POS device with a pairing code",
    guards=[csrf_checked],
)
async def pair(
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    t, set_cookies = language_of(request)
    form = await request.form()
    code = str(form.get("code") or "").strip().upper()[:40]
    name = " ".join(str(form.get("name") or "").split())[:80]
    error = None
    if not code:
        error = t.gettext("Enter the pairing code.")
    elif not name:
        error = t.gettext("Give this device a name.")
    if error:
        return pair_page(
            request, staff_cookies, t, set_cookies, error=error, code=code, name=name, status=400
        )
    try:
        answer = await services.pos.pair(code, name)
        device = PosDevice(
            device_id=answer.device_id,
            venue_id=answer.venue_id,
            name=answer.name or name,
            credential=answer.credential,
        )
    except UpstreamError as exc:
        if exc.status == 429:
            message, status = t.gettext("Too many tries: wait a moment before trying again."), 429
        elif exc.status < 500:
            message = t.gettext(
                "This pairing code is unknown, used or expired. Ask a manager for a new one."
            )
            status = 400
        else:
            message, status = t.gettext(UNAVAILABLE), 503
        return pair_page(
            request, staff_cookies, t, set_cookies, error=message, name=name, status=status
        )
    log.info("POS device paired", extra={"device_id": device.device_id, "venue": device.venue_id})
    set_cookies.append(PosDevices.of(guest_cookies).cookie(device))
    return Redirect("/pos", status_code=303, cookies=set_cookies)


@post(
    "/pos/forget",
    summary="Unpair this browser (forget the device credential)",
    guards=[csrf_checked],
)
async def forget(guest_cookies: NamedDependency[GuestCookies]) -> Response[Any]:
    return Redirect("/pos", status_code=303, cookies=[PosDevices.of(guest_cookies).forget()])
