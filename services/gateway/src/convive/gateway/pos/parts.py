"""The parts of the console, read from the services as this device: the venue's orders, one order
with its PIN, what can be added to a round and the shares of an equal split, the production
tickets per station, the open tables with their PINs; and the console's state, which is its
URL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from litestar import Request
from litestar.datastructures import Cookie

from convive.gateway.pos import views as pos_views
from convive.gateway.pos.device import as_device
from convive.gateway.upstream import Services, UpstreamError
from convive.gateway.upstream.table_session import Spot
from convive.gateway.web.cookies import PosDevice, StaffProfile
from convive.gateway.web.forms import FormError
from convive.gateway.web.language import Language, language_of

log = logging.getLogger(__name__)
A = TypeVar("A")


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


async def console_language(
    request: Request[Any, Any, Any], services: Services, venue_id: str | None
) -> tuple[Language, list[Cookie]]:
    """The console's language, writing times in the device's venue's time zone."""
    t, cookies = language_of(request)
    if venue_id is not None:
        t = t.in_zone(await services.table_session.time_zone(venue_id))
    return t, cookies


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


async def _or_none(call: Awaitable[A]) -> A | None:
    """A service's answer, or None when it does not have it (404) or is unreachable: a part of
    the console that can wait."""
    try:
        return await call
    except UpstreamError as exc:
        if exc.status not in (404, 503):
            log.info("console part unavailable", extra={"status": exc.status})
        return None


async def spot_names(services: Services, venue_id: str) -> tuple[dict[str, str], list[Spot]]:
    listed = await _or_none(services.table_session.spots(venue_id)) or []
    return {s.spot_id: s.name for s in listed}, listed


async def session_pin(services: Services, session_id: str) -> str | None:
    session = await _or_none(services.table_session.session(session_id)) if session_id else None
    if session is None or not session.open:
        return None
    return session.pin or None


async def orders_context(
    services: Services, device: PosDevice, t: Language, state: ConsoleState
) -> dict[str, Any]:
    raw, (names, _) = await asyncio.gather(
        as_device(services.pos.orders(device.credential, device.venue_id)),
        spot_names(services, device.venue_id),
    )
    orders = pos_views.order_list(raw, t, names, open_only=not state.show_all)
    return {"orders": orders, "order_ids": " ".join(o.order_id for o in orders)}


async def order_context(
    services: Services,
    device: PosDevice,
    t: Language,
    state: ConsoleState,
    staff: StaffProfile,
) -> dict[str, Any]:
    nothing: dict[str, Any] = {
        "order": None,
        "order_gone": False,
        "menu_choices": [],
        "shares": [],
        "split": None,
    }
    if not state.order:
        return nothing
    try:
        raw = await as_device(services.pos.order(device.credential, state.order))
    except UpstreamError as exc:
        if exc.status in (403, 404):
            return {**nothing, "order_gone": True}
        raise
    (names, _), pin = await asyncio.gather(
        spot_names(services, device.venue_id), session_pin(services, raw.session_id)
    )
    order = pos_views.pos_order(raw, t, names, pin)
    menu = None
    if any(r.pending for r in order.rounds):
        menu = await _or_none(services.ordering.menu(device.venue_id))
    shares: list[pos_views.Share] = []
    if state.split and order.can_settle:
        # The shares not paid yet, of what is due now: paying one leaves the others as they were.
        parts = state.split - state.paid_shares
        answer = await _or_none(
            as_device(services.pos.split(device.credential, order.order_id, parts))
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
    services: Services, venue_id: str, t: Language, state: ConsoleState
) -> dict[str, Any]:
    answer, menu = await asyncio.gather(
        _or_none(services.ordering.tickets(venue_id, state.station or None)),
        _or_none(services.ordering.menu(venue_id)),
    )
    tickets = pos_views.tickets_view(answer or [], t)
    return {
        "tickets": tickets,
        "stations": [(s, pos_views.station_name(s, t)) for s in pos_views.stations(menu, tickets)],
        "station": state.station,
    }


async def tables_context(services: Services, venue_id: str) -> dict[str, Any]:
    _, spots = await spot_names(services, venue_id)
    ids = [s.session_id for s in spots if s.session_id]
    found = await asyncio.gather(*(_or_none(services.table_session.session(i)) for i in ids))
    return {"tables": pos_views.open_tables(spots, dict(zip(ids, found, strict=True)))}
