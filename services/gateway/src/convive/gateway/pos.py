"""The POS console at `/pos`: a browser becomes a POS device of a venue by exchanging a pairing
code (pos-gateway `POST /devices/pair`); signed-in staff of that venue then follow its live
order feed and validate, amend, reject and settle rounds from it.

The device credential lives only in the signed, HttpOnly `convive_pos_device` cookie: the
gateway puts it in the `Authorization` header of the device's calls to pos-gateway and of the
venue's live stream (events.py); the page's script never sees it. Staff sign in through
`staff.py` (`/pos/login`), whose CSRF token every form of the console carries. A call that
pos-gateway refuses with 401 means the device was revoked: the console says so and asks to
pair it again.

Pages are rendered here, in parts the script re-fetches when the venue's feed says something
changed (`/pos/fragments/<part>`); actions answer JSON to the script and redirect plain form
posts back to the console with a one-shot message.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from convive.gateway import pos_views
from convive.gateway.cookies import FLASH_COOKIE, GuestCookies, Signer, cookie, delete_cookie
from convive.gateway.guest import language
from convive.gateway.pos_i18n import PosTranslator
from convive.gateway.pos_views import FormError
from convive.gateway.staff import (
    CSRF_COOKIE,
    STAFF_COOKIE,
    STAFF_PAGE_HEADERS,
    StaffCookies,
    StaffProfile,
    StaffRefused,
    check_csrf,
    new_csrf_token,
    require_staff,
    wants_json,
)
from convive.gateway.upstream import Services, UpstreamError

log = logging.getLogger(__name__)

DEVICE_COOKIE = "convive_pos_device"
DEVICE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie: re-paired when it goes
VIEWS = ("orders", "tickets", "tables")
# The venue feed's event types the console reacts to (the notifier names each SSE message so).
LIVE_EVENT_TYPES = (
    "OrderPlaced",
    "RoundAdded",
    "OrderValidated",
    "OrderAmended",
    "OrderRejected",
    "SentToProduction",
    "PaymentSettled",
    "OrderClosed",
    "SessionOpened",
    "GuestJoined",
    "PinRotated",
    "SessionClosed",
    "SpotReleased",
    "DeviceRevoked",
)


def _p(segment: str) -> str:
    return quote(segment, safe="")


# --- the device cookie ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PosDevice:
    """This browser as a paired POS device: what `POST /devices/pair` answered."""

    device_id: str
    venue_id: str
    name: str
    credential: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credential}"}


class PosDevices:
    """Reads and writes `convive_pos_device` with the gateway's cookie key (the name is signed
    too, so no other cookie's value passes for a device)."""

    def __init__(self, signer: Signer, *, secure: bool) -> None:
        self.signer, self.secure = signer, secure

    @classmethod
    def of(cls, cookies: GuestCookies) -> PosDevices:
        return cls(cookies.signer, secure=cookies.secure)

    def read(self, raw: str | None) -> PosDevice | None:
        value = self.signer.unsign(DEVICE_COOKIE, raw)
        if value is None:
            return None
        try:
            device = PosDevice(**{k: str(value[k]) for k in PosDevice.__dataclass_fields__})
        except (KeyError, TypeError):
            return None
        return device if device.credential and device.venue_id else None

    def cookie(self, device: PosDevice) -> Cookie:
        signed = self.signer.sign(DEVICE_COOKIE, asdict(device))
        return cookie(DEVICE_COOKIE, signed, DEVICE_MAX_AGE, secure=self.secure)

    def forget(self) -> Cookie:
        return delete_cookie(DEVICE_COOKIE, secure=self.secure)


def device_of(request: Request[Any, Any, Any], cookies: GuestCookies) -> PosDevice | None:
    return PosDevices.of(cookies).read(request.cookies.get(DEVICE_COOKIE))


class DeviceRevoked(Exception):
    """pos-gateway refused the device's credential: it was revoked (or never known)."""


class PosRefused(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


# --- request helpers -----------------------------------------------------------------------------


def pos_language(request: Request[Any, Any, Any]) -> tuple[PosTranslator, list[Cookie]]:
    t, cookies = language(request)
    return PosTranslator(t.lang), cookies


@dataclass(frozen=True)
class ConsoleState:
    """What the console shows, from its query string (so every state has a URL)."""

    view: str = "orders"
    order: str = ""
    show_all: bool = False
    station: str = ""
    split: int | None = None
    paid_shares: int = 0  # of the split: shares already paid, the others are still listed

    @classmethod
    def of(cls, request: Request[Any, Any, Any]) -> ConsoleState:
        query = request.query_params
        view = query.get("view") or "orders"
        split = query.get("split")
        try:
            parts = pos_views.parse_parts(split) if split else None
        except FormError:
            parts = None
        paid = query.get("paid") or "0"
        paid_shares = int(paid) if paid.isdigit() and parts and int(paid) < parts else 0
        return cls(
            view=view if view in VIEWS else "orders",
            order=(query.get("order") or "")[:200],
            show_all=query.get("show") == "all",
            station=(query.get("station") or "")[:50],
            split=parts,
            paid_shares=paid_shares,
        )

    def url(self, **changes: Any) -> str:
        state = {**asdict(self), **changes}
        query = {
            "view": state["view"] if state["view"] != "orders" else None,
            "order": state["order"] or None,
            "show": "all" if state["show_all"] else None,
            "station": state["station"] or None,
            "split": state["split"],
            "paid": state["paid_shares"] if state["split"] else None,
        }
        kept = {k: v for k, v in query.items() if v}
        return "/pos" + (f"?{urlencode(kept)}" if kept else "")


def staff_of_venue(profile: StaffProfile, device: PosDevice) -> None:
    if not profile.has_venue(device.venue_id):
        raise StaffRefused(403, f"venue {device.venue_id} is not one of yours", "venue_id")


def require_device(request: Request[Any, Any, Any], cookies: GuestCookies) -> PosDevice:
    device = device_of(request, cookies)
    if device is None:
        raise PosRefused(401, "this browser is not a paired POS device: pair it at /pos", "device")
    return device


# --- calls to the services -----------------------------------------------------------------------


async def device_call(
    services: Services,
    device: PosDevice,
    method: str,
    path: str,
    *,
    json_body: Any = None,
    params: dict[str, str] | None = None,
) -> Any:
    """A call to pos-gateway as this device; 401 means the credential was revoked."""
    try:
        _, body = await services.call(
            method, f"{services.pos}{path}", json=json_body, params=params, headers=device.auth
        )
    except UpstreamError as exc:
        if exc.status == 401:
            raise DeviceRevoked from exc
        raise
    return body


async def _or_none(call: Awaitable[Any]) -> Any:
    """A service's answer, or None when it does not have it (404) or is unreachable: a part of
    the console that can wait."""
    try:
        return await call
    except UpstreamError as exc:
        if exc.status not in (404, 503):
            log.info("console part unavailable", extra={"status": exc.status})
        return None


async def spot_names(services: Services, venue_id: str) -> tuple[dict[str, str], list[Any]]:
    spots = await _or_none(
        services.call("GET", f"{services.table_session}/venues/{_p(venue_id)}/spots")
    )
    listed = spots[1] if spots else []
    return {str(s.get("spot_id")): str(s.get("name") or "") for s in listed or []}, listed or []


async def session_pin(services: Services, session_id: str) -> str | None:
    session = await _or_none(services.session(session_id)) if session_id else None
    if not session or session.get("status", "open") != "open":
        return None
    return str(session.get("pin") or "") or None


async def orders_context(
    services: Services, device: PosDevice, t: PosTranslator, state: ConsoleState
) -> dict[str, Any]:
    raw, (names, _) = await asyncio.gather(
        device_call(
            services,
            device,
            "GET",
            f"/venues/{_p(device.venue_id)}/orders",
            params={"status": "all"},
        ),
        spot_names(services, device.venue_id),
    )
    orders = pos_views.order_list(raw or [], t, names, open_only=not state.show_all)
    return {"orders": orders, "order_ids": " ".join(o.order_id for o in orders)}


async def order_context(
    services: Services,
    device: PosDevice,
    t: PosTranslator,
    state: ConsoleState,
    staff: StaffProfile,
) -> dict[str, Any]:
    nothing = {"order": None, "order_gone": False, "menu_choices": [], "shares": [], "split": None}
    if not state.order:
        return nothing
    try:
        raw = await device_call(services, device, "GET", f"/orders/{_p(state.order)}")
    except UpstreamError as exc:
        if exc.status in (403, 404):
            return {**nothing, "order_gone": True}
        raise
    (names, _), pin = await asyncio.gather(
        spot_names(services, device.venue_id), session_pin(services, str(raw.get("session_id")))
    )
    order = pos_views.pos_order(raw, t, names, pin)
    menu = None
    if any(r.pending for r in order.rounds):
        menu = await _or_none(services.menu(device.venue_id))
    shares: list[pos_views.Share] = []
    if state.split and order.can_settle:
        # The shares not paid yet, of what is due now: paying one leaves the others as they were.
        answer = await _or_none(
            device_call(
                services,
                device,
                "GET",
                f"/orders/{_p(order.order_id)}/split",
                params={"parts": str(state.split - state.paid_shares)},
            )
        )
        shares = pos_views.split_shares(answer, t, first=state.paid_shares + 1)
    return {
        "order": order,
        "order_gone": False,
        "menu_choices": pos_views.menu_choices(menu, t),
        "shares": shares,
        "split": state.split,
    }


async def tickets_context(
    services: Services, venue_id: str, t: PosTranslator, state: ConsoleState
) -> dict[str, Any]:
    params = {"station": state.station} if state.station else None
    answer, menu = await asyncio.gather(
        _or_none(
            services.call(
                "GET", f"{services.ordering}/venues/{_p(venue_id)}/tickets", params=params
            )
        ),
        _or_none(services.menu(venue_id)),
    )
    tickets = pos_views.tickets_view(answer[1] if answer else [], t)
    return {
        "tickets": tickets,
        "stations": [(s, t.station(s)) for s in pos_views.stations(menu, tickets)],
        "station": state.station,
    }


async def tables_context(services: Services, venue_id: str) -> dict[str, Any]:
    _, spots = await spot_names(services, venue_id)
    ids = [str(s["session_id"]) for s in spots if s.get("session_id")]
    found = await asyncio.gather(*(_or_none(services.session(i)) for i in ids))
    return {"tables": pos_views.open_tables(spots, dict(zip(ids, found, strict=True)))}


# --- rendering -----------------------------------------------------------------------------------


def page(
    template: str, context: dict[str, Any], status: int = 200, cookies: list[Cookie] | None = None
) -> Template:
    return Template(
        template_name=template,
        context=context,
        status_code=status,
        cookies=cookies,
        headers=STAFF_PAGE_HEADERS,
    )


def csrf_token(
    request: Request[Any, Any, Any], staff_cookies: StaffCookies, set_cookies: list[Cookie]
) -> str:
    token = staff_cookies.csrf(request.cookies.get(CSRF_COOKIE))
    if token is None:
        token = new_csrf_token()
        set_cookies.append(staff_cookies.csrf_cookie(token))
    return token


def pair_page(
    request: Request[Any, Any, Any],
    staff_cookies: StaffCookies,
    t: PosTranslator,
    set_cookies: list[Cookie],
    *,
    error: str | None = None,
    revoked: bool = False,
    code: str = "",
    name: str = "",
    status: int = 200,
) -> Template:
    context = {
        "t": t,
        "lang": t.lang,
        "csrf_token": csrf_token(request, staff_cookies, set_cookies),
        "error": error,
        "revoked": revoked,
        "code": code,
        "name": name,
    }
    return page("pos/pair.html", context, status, set_cookies)


def flash_of(request: Request[Any, Any, Any], cookies: GuestCookies) -> dict[str, str] | None:
    value = cookies.flash(request.cookies.get(FLASH_COOKIE))
    if not value or value.get("key") != "pos":
        return None
    values = value.get("values") or {}
    return {"kind": str(value.get("kind") or "info"), "text": str(values.get("message") or "")}


def _fragment_context(
    t: PosTranslator, device: PosDevice, staff: StaffProfile, state: ConsoleState
) -> dict[str, Any]:
    return {
        "t": t,
        "lang": t.lang,
        "device": device,
        "staff": staff,
        "state": state,
        "csrf_token": staff.csrf,
        "methods": pos_views.PAYMENT_METHODS,
    }


# --- pages ---------------------------------------------------------------------------------------


@get("/pos", summary="The POS console (pairing, then the venue's live orders)")
async def console(
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    t, set_cookies = pos_language(request)
    device = device_of(request, guest_cookies)
    if device is None:
        return pair_page(request, staff_cookies, t, set_cookies)
    profile = staff_cookies.profile(request.cookies.get(STAFF_COOKIE))
    if profile is None:
        raise StaffRefused(401, "sign in first", "staff")  # → the POS login page, then back
    token = csrf_token(request, staff_cookies, set_cookies)
    staff = StaffProfile(**{**asdict(profile), "csrf": token})
    if not staff.has_venue(device.venue_id):
        context = {"t": t, "lang": t.lang, "device": device, "staff": staff, "csrf_token": token}
        return page("pos/wrong_venue.html", context, 403, set_cookies)
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
    except DeviceRevoked:
        set_cookies.append(PosDevices.of(guest_cookies).forget())
        return pair_page(request, staff_cookies, t, set_cookies, revoked=True, status=401)
    except UpstreamError as exc:
        log.warning("console data unavailable", extra={"status": exc.status, "error": exc.message})
        context = {"t": t, "lang": t.lang, "message": t("unavailable")}
        return page("pos/problem.html", context, 503, set_cookies)
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
            "strings": json.dumps(t.script_strings(), ensure_ascii=False),
            "rendered": datetime.now(UTC).isoformat(),
        },
    }
    return page("pos/console.html", context, 200, set_cookies)


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
    dependencies={"staff": require_staff()},
)
async def fragment(
    part: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    t, _ = pos_language(request)
    if part not in FRAGMENTS:
        return _json_refusal(404, f"the console has no part {part}", "part")
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
    except PosRefused as exc:
        return _json_refusal(exc.status, exc.message, exc.field)
    except DeviceRevoked:
        return _json_refusal(401, t("revoked"), "device", reason="device_revoked")
    except UpstreamError as exc:
        return _json_refusal(exc.status if exc.status < 500 else 503, t("unavailable"))
    return page(FRAGMENTS[part], {**_fragment_context(t, device, staff, state), **data})


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
            await device_call(
                services,
                device,
                "GET",
                f"/venues/{_p(device.venue_id)}/orders",
                params={"status": "all", "limit": "1"},
            )
        except DeviceRevoked:
            body["revoked"] = True
        except UpstreamError:
            pass  # unreachable is not revoked: the script retries
    return Response(body, headers={"cache-control": "no-store"})


# --- pairing -------------------------------------------------------------------------------------


@post("/pos/pair", summary="Pair this browser as a POS device with a pairing code")
async def pair(
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    t, set_cookies = pos_language(request)
    await check_csrf(request, staff_cookies)
    form = await request.form()
    code = str(form.get("code") or "").strip().upper()[:40]
    name = " ".join(str(form.get("name") or "").split())[:80]
    error = None
    if not code:
        error = t("pair_missing_code")
    elif not name:
        error = t("pair_missing_name")
    if error:
        return pair_page(
            request, staff_cookies, t, set_cookies, error=error, code=code, name=name, status=400
        )
    try:
        _, answer = await services.call(
            "POST", f"{services.pos}/devices/pair", json={"code": code, "name": name}
        )
        device = PosDevice(
            device_id=str(answer["device_id"]),
            venue_id=str(answer["venue_id"]),
            name=str(answer.get("name") or name),
            credential=str(answer["credential"]),
        )
    except UpstreamError as exc:
        if exc.status == 429:
            message, status = t("pair_too_many"), 429
        elif exc.status < 500:
            message, status = t("pair_bad_code"), 400
        else:
            message, status = t("unavailable"), 503
        return pair_page(
            request, staff_cookies, t, set_cookies, error=message, name=name, status=status
        )
    except (KeyError, TypeError) as exc:
        log.warning("unexpected pairing answer", extra={"error": repr(exc)})
        return pair_page(request, staff_cookies, t, set_cookies, error=t("unavailable"), status=503)
    log.info("POS device paired", extra={"device_id": device.device_id, "venue": device.venue_id})
    set_cookies.append(PosDevices.of(guest_cookies).cookie(device))
    return Redirect("/pos", status_code=303, cookies=set_cookies)


@post("/pos/forget", summary="Unpair this browser (forget the device credential)")
async def forget(
    request: Request[Any, Any, Any],
    guest_cookies: NamedDependency[GuestCookies],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    await check_csrf(request, staff_cookies)
    return Redirect("/pos", status_code=303, cookies=[PosDevices.of(guest_cookies).forget()])


# --- actions -------------------------------------------------------------------------------------


def _json_refusal(
    status: int, message: str, field: str | None = None, **extra: Any
) -> Response[Any]:
    body: dict[str, Any] = {"status": status, "error": message}
    if field:
        body["field"] = field
    body.update(extra)
    return Response(body, status_code=status, headers={"cache-control": "no-store"})


async def _device_name(
    services: Services, staff: StaffProfile, venue_id: str, device_id: str
) -> str:
    """The name of the device that won a race, for "validated by X on Y" (staff API)."""
    try:
        _, devices = await services.call(
            "GET", f"{services.pos}/venues/{_p(venue_id)}/devices", headers=staff.header
        )
    except UpstreamError:
        return ""
    return next(
        (str(d.get("name") or "") for d in devices or [] if d.get("device_id") == device_id), ""
    )


async def act(
    request: Request[Any, Any, Any],
    services: Services,
    guest_cookies: GuestCookies,
    staff: StaffProfile,
    order_id: str,
    run: Callable[[PosDevice, PosTranslator], Awaitable[str]],
    after: ConsoleState | None = None,
) -> Response[Any]:
    """Run a console action as this device: JSON to the script, a redirect back to the order
    (with the message) to a plain form."""
    t, _ = pos_language(request)
    back = ConsoleState(order=order_id).url()
    if after is not None:
        back = after.url()
    device: PosDevice | None = None
    try:
        device = require_device(request, guest_cookies)
        staff_of_venue(staff, device)
        message = await run(device, t)
    except FormError as exc:
        return _refused(request, guest_cookies, back, 400, t(exc.key, **exc.values), exc.field)
    except PosRefused as exc:
        return _refused(request, guest_cookies, back, exc.status, exc.message, exc.field)
    except DeviceRevoked:
        if not wants_json(request):
            return Redirect("/pos", status_code=303)
        return _json_refusal(401, t("revoked"), "device", reason="device_revoked")
    except UpstreamError as exc:
        message = exc.message if exc.status < 500 else t("unavailable")
        validated_by = exc.body.get("validated_by")
        extra: dict[str, Any] = {}
        if exc.status == 409 and validated_by and device is not None:
            device_name = await _device_name(
                services, staff, device.venue_id, str(exc.body.get("device_id") or "")
            )
            message = (
                t("already_validated_on", who=validated_by, device=device_name)
                if device_name
                else t("already_validated", who=validated_by)
            )
            extra = {"validated_by": validated_by, "device_id": exc.body.get("device_id")}
        return _refused(request, guest_cookies, back, exc.status, message, exc.field, **extra)
    if wants_json(request):
        return Response(
            {"ok": True, "message": message, "next": back}, headers={"cache-control": "no-store"}
        )
    flash = guest_cookies.flash_cookie("pos", kind="ok", message=message)
    return Redirect(back, status_code=303, cookies=[flash])


def _refused(
    request: Request[Any, Any, Any],
    cookies: GuestCookies,
    back: str,
    status: int,
    message: str,
    field: str | None = None,
    **extra: Any,
) -> Response[Any]:
    if wants_json(request):
        return _json_refusal(status, message, field, **extra)
    return Redirect(back, status_code=303, cookies=[cookies.flash_cookie("pos", message=message)])


def _staff_body(staff: StaffProfile) -> dict[str, str]:
    return {"staff": staff.name, "staff_id": staff.staff_id}


ROUND = "/pos/orders/{order_id:str}/rounds/{round_number:int}"


@post(f"{ROUND}/validate", summary="Validate a round", dependencies={"staff": require_staff()})
async def validate(
    order_id: FromPath[str],
    round_number: FromPath[int],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    async def run(device: PosDevice, t: PosTranslator) -> str:
        await device_call(
            services,
            device,
            "POST",
            f"/orders/{_p(order_id)}/rounds/{round_number}/validate",
            json_body=_staff_body(staff),
        )
        return t("validated", n=round_number)

    return await act(request, services, guest_cookies, staff, order_id, run)


@post(
    f"{ROUND}/amend",
    summary="Amend a round before it is validated",
    dependencies={"staff": require_staff()},
)
async def amend(
    order_id: FromPath[str],
    round_number: FromPath[int],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    async def run(device: PosDevice, t: PosTranslator) -> str:
        form = await request.form()
        line_ids = [str(v) for v in form.getall("line_id", []) if v]
        amendment = pos_views.amended_round(form, line_ids)
        body: dict[str, Any] = {**_staff_body(staff), "lines": amendment.lines}
        if amendment.note:
            body["note"] = amendment.note
        await device_call(
            services,
            device,
            "POST",
            f"/orders/{_p(order_id)}/rounds/{round_number}/amend",
            json_body=body,
        )
        return t("amended_ok", n=round_number)

    return await act(request, services, guest_cookies, staff, order_id, run)


@post(
    f"{ROUND}/reject",
    summary="Reject a round (before validation) with a reason for the guests",
    dependencies={"staff": require_staff()},
)
async def reject(
    order_id: FromPath[str],
    round_number: FromPath[int],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    async def run(device: PosDevice, t: PosTranslator) -> str:
        form = await request.form()
        reason = " ".join(str(form.get("reason") or "").split())[:500]
        if not reason:
            raise FormError("reject_missing", "reason")
        await device_call(
            services,
            device,
            "POST",
            f"/orders/{_p(order_id)}/rounds/{round_number}/reject",
            json_body={**_staff_body(staff), "reason": reason},
        )
        return t("rejected_ok", n=round_number)

    return await act(request, services, guest_cookies, staff, order_id, run)


@post(
    "/pos/orders/{order_id:str}/payments",
    summary="Record a payment: cash, card (the terminal's token) or room charge; in full or part",
    dependencies={"staff": require_staff()},
)
async def settle(
    order_id: FromPath[str],
    request: Request[Any, Any, Any],
    staff: NamedDependency[StaffProfile],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    async def run(device: PosDevice, t: PosTranslator) -> str:
        form = await request.form()
        method = str(form.get("method") or "")
        if method not in pos_views.PAYMENT_METHODS:
            raise FormError("bad_method", "method")
        raw = await device_call(services, device, "GET", f"/orders/{_p(order_id)}")
        order = pos_views.pos_order(raw, t)
        line_ids = [str(v) for v in form.getall("line_ids", []) if v]
        if form.get("by_items") and not line_ids:
            raise FormError("items_missing", "line_ids")
        if line_ids:
            # The amount of ticked lines is theirs, not typed: pos-gateway checks it matches.
            unpaid = {line.line_id: line.total_minor for line in order.unpaid_lines}
            amount = sum(unpaid.get(i, 0) for i in line_ids)
            if amount <= 0:
                raise FormError("items_missing", "line_ids")
        else:
            amount = pos_views.parse_amount(form.get("amount"))
        body: dict[str, Any] = {
            **_staff_body(staff),
            "amount": {"amount_minor": amount, "currency": order.currency},
            "method": method,
        }
        if line_ids:
            body["line_ids"] = line_ids
        if method == "card":
            token = str(form.get("payment_card_token") or "").strip()
            if not token:
                raise FormError("card_token_missing", "payment_card_token")
            body["payment_card_token"] = token[:200]
        answer = await device_call(
            services, device, "POST", f"/orders/{_p(order_id)}/payments", json_body=body
        )
        text = t("paid_ok", amount=t.money(body["amount"]))
        if isinstance(answer, dict) and answer.get("fully_paid") is True:
            text = f"{text} {t('paid_in_full')}"
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


ROUTES = [
    console,
    fragment,
    device_status,
    pair,
    forget,
    validate,
    amend,
    reject,
    settle,
]
