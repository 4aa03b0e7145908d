"""Fixtures of the gateway's staff and room-offer tests: the gateway app served for real, with
the four services it calls (table-session, ordering, pos-gateway, the notifier) each played by
a small in-memory stand-in served on loopback.

The stand-ins are held to the real services: every route a stand-in answers is one of its
service's routes (`stand_in_routes_exist`, checked against the service's OpenAPI document), and
every body it answers validates against that route's response schema and reads into the
gateway's model of the answer (a stand-in that answers what the service would not fails the
test that made it). They play the services' rules the gateway relies on: pos-gateway's staff
checks of `X-Convive-Staff` (who may list, open, close, pair, revoke), closed accounts that stay
closed, sessions opened and joined by scans. Each call is recorded, so a test can say what the
gateway sent. The services themselves are run for real in tests/e2e and in
`test_upstream_contract.py`."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
import pytest
from litestar import Litestar, Request, Response, route
from litestar.params import FromPath
from pydantic import TypeAdapter, ValidationError

from convive.gateway.app import create_app
from convive.gateway.settings import Settings
from convive.gateway.upstream import notifier, ordering, pos_gateway, table_session
from convive.gateway.upstream.http import Route
from convive.runtime.testkit import served

VENUE = "hotel-1"
OTHER_VENUE = "bistro-2"
PASSWORD = "correct horse battery"  # noqa: S105 - the stand-in accounts' password
RANK = {"cashier": 0, "manager": 1, "owner": 2}

CLIENT_ROUTES: dict[str, list[Route[Any]]] = {
    "table-session": table_session.ROUTES,
    "ordering": ordering.ROUTES,
    "pos-gateway": pos_gateway.ROUTES,
    "notifier": notifier.ROUTES,
}


def money(minor: int) -> dict[str, Any]:
    return {"amount_minor": minor, "currency": "EUR"}


def now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Call:
    method: str
    path: str
    staff: str | None
    body: Any
    query: dict[str, str]


@dataclass
class Asked:
    """What a stand-in's handler is given: the route's path parameters, the body, the query,
    and the staff member `X-Convive-Staff` names (None without the header)."""

    params: dict[str, str]
    body: Any
    query: dict[str, str]
    staff: dict[str, Any] | None
    staff_header: bool


Answer = tuple[int, Any]


def refuse(status: int, message: str, field_name: str | None = None) -> Answer:
    body: dict[str, Any] = {"status": status, "error": message}
    if field_name:
        body["field"] = field_name
    return status, body


@dataclass
class FakeServices:
    """The state of the stand-in services, and what the gateway asked them."""

    calls: list[Call] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # what a stand-in answered wrongly
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    profit_centres: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    spots: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    offers: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    offer_orders: list[dict[str, Any]] = field(default_factory=list)
    devices: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    postings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notifications: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)

    def account(self, email: str, role: str, venues: list[str], name: str = "") -> dict[str, Any]:
        staff = {
            "staff_id": f"st-{uuid.uuid4().hex[:8]}",
            "email": email,
            "name": name or email.split("@")[0].title(),
            "role": role,
            "venue_ids": venues,
        }
        self.accounts[email] = {**staff, "password": PASSWORD, "closed": False}
        return staff

    def sent(self, method: str, pattern: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    def room(self, venue: str, token: str, name: str = "Room 112") -> dict[str, Any]:
        spot = {
            "spot_id": f"spot-{token}",
            "venue_id": venue,
            "name": name,
            "kind": "room",
            "profit_centre_id": "rooms",
            "token": token,
            "guest_url": f"http://gateway.test/t/{token}",
            "status": "free",
            "session_id": None,
        }
        self.spots.setdefault(venue, []).append(spot)
        self.tokens[token] = {"venue_id": venue, "spot": spot}
        return spot

    def device(self, venue: str, device_id: str, name: str) -> dict[str, Any]:
        device = {
            "device_id": device_id,
            "venue_id": venue,
            "name": name,
            "paired_at": "2026-11-01T09:00:00+00:00",
            "revoked": False,
            "revoked_at": None,
        }
        self.devices.setdefault(venue, []).append(device)
        return device

    def posting(self, offer_order_id: str, status: str, **extra: Any) -> dict[str, Any]:
        order = next(o for o in self.offer_orders if o["offer_order_id"] == offer_order_id)
        posting = {
            "offer_order_id": offer_order_id,
            "venue_id": order["venue_id"],
            "status": status,
            "attempts": 0,
            "last_error": None,
            "next_attempt_at": None,
            "pms_reference": None,
            "method": None,
            **extra,
        }
        self.postings.setdefault(order["venue_id"], []).append(posting)
        return posting


def _public(account: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in account.items() if k not in ("password", "closed")}


def _allowed(asked: Asked, role: str, venue: str | None = None) -> Answer | None:
    """pos-gateway's staff rule: a refusal unless the header names an open account with at
    least `role` (at `venue`)."""
    if not asked.staff_header:
        return refuse(401, "this call needs the X-Convive-Staff header", "X-Convive-Staff")
    me = asked.staff
    if me is None or me["closed"]:
        return refuse(401, "no open staff account", "X-Convive-Staff")
    if RANK[me["role"]] < RANK[role]:
        return refuse(403, f"this needs the {role} role (or above)", "X-Convive-Staff")
    if venue is not None and venue not in me["venue_ids"]:
        return refuse(403, f"{me['name']} is not staff of venue {venue}", "venue_ids")
    return None


Handler = Callable[[FakeServices, Asked], Answer]


def table_session_routes() -> dict[tuple[str, str], Handler]:
    def settings(state: FakeServices, asked: Asked) -> Answer:
        found = state.settings.get(asked.params["venue_id"])
        return (200, found) if found else refuse(404, "no settings yet", "venue_id")

    def save_settings(state: FakeServices, asked: Asked) -> Answer:
        venue = asked.params["venue_id"]
        allowed = {"name", "language", "notification_email", "pms_integration", "time_zone"}
        if set(asked.body) - allowed:
            return refuse(400, "unknown field", sorted(set(asked.body) - allowed)[0])
        email = asked.body.get("notification_email")
        if email and "@" not in email:
            return refuse(400, "not an e-mail address", "notification_email")
        state.settings[venue] = {"venue_id": venue, **asked.body}
        return 200, {**state.settings[venue], "event_ids": [uuid.uuid4().hex]}

    def profit_centres(state: FakeServices, asked: Asked) -> Answer:
        return 200, state.profit_centres.get(asked.params["venue_id"], [])

    def save_profit_centre(state: FakeServices, asked: Asked) -> Answer:
        venue = asked.params["venue_id"]
        centres = state.profit_centres.setdefault(venue, [])
        pc_id = asked.body.get("profit_centre_id") or f"pc-{uuid.uuid4().hex[:6]}"
        existed = any(c["profit_centre_id"] == pc_id for c in centres)
        centres[:] = [c for c in centres if c["profit_centre_id"] != pc_id]
        centre = {"profit_centre_id": pc_id, "name": asked.body["name"], "mode": asked.body["mode"]}
        centres.append(centre)
        answer = {**centre, "venue_id": venue, "event_ids": [uuid.uuid4().hex]}
        return (200 if existed else 201), answer

    def spots(state: FakeServices, asked: Asked) -> Answer:
        listed = state.spots.get(asked.params["venue_id"], [])
        return 200, [{k: v for k, v in s.items() if k != "venue_id"} for s in listed]

    def add_spot(state: FakeServices, asked: Asked) -> Answer:
        venue = asked.params["venue_id"]
        token = uuid.uuid4().hex
        spot = {
            "spot_id": f"spot-{uuid.uuid4().hex[:6]}",
            "venue_id": venue,
            "token": token,
            "guest_url": f"http://gateway.test/t/{token}",
            "status": "free",
            "session_id": None,
            **asked.body,
        }
        state.spots.setdefault(venue, []).append(spot)
        state.tokens[token] = {"venue_id": venue, "spot": spot}
        return 201, {**spot, "event_ids": [uuid.uuid4().hex]}

    def rotate_token(state: FakeServices, asked: Asked) -> Answer:
        spot_id = asked.params["spot_id"]
        spot = next((s for ss in state.spots.values() for s in ss if s["spot_id"] == spot_id), None)
        if spot is None:
            return refuse(404, f"no spot {spot_id}", "spot_id")
        state.tokens.pop(spot["token"], None)
        spot["token"] = uuid.uuid4().hex
        spot["guest_url"] = f"http://gateway.test/t/{spot['token']}"
        state.tokens[spot["token"]] = {"venue_id": spot["venue_id"], "spot": spot}
        answer = {"spot_id": spot_id, "token": spot["token"], "guest_url": spot["guest_url"]}
        return 200, {**answer, "event_ids": [uuid.uuid4().hex]}

    def scan(state: FakeServices, asked: Asked) -> Answer:
        known = state.tokens.get(asked.body["token"])
        if known is None:
            return refuse(404, "unknown token", "token")
        spot = known["spot"]
        session = state.sessions.get(spot["session_id"] or "")
        opened = session is None
        if session is None:
            first = not any(x["spot_id"] == spot["spot_id"] for x in state.sessions.values())
            session = {
                "session_id": f"ses-{asked.body['token']}" if first else f"ses-{uuid.uuid4().hex}",
                "spot_id": spot["spot_id"],
                "venue_id": known["venue_id"],
                "status": "open",
                "pin": f"{uuid.uuid4().int % 1_000_000:06d}",
                "guests": [],
                "devices": {},
            }
            state.sessions[session["session_id"]] = session
            spot["session_id"], spot["status"] = session["session_id"], "occupied"
        device = asked.body["device_id"]
        guest_id = session["devices"].get(device)
        if guest_id is None:
            guest_id = session["devices"][device] = f"guest-{uuid.uuid4().hex[:6]}"
            role = "host" if not session["guests"] else "guest"
            session["guests"].append({"guest_id": guest_id, "role": role, "joined_at": now()})
        role = next(g["role"] for g in session["guests"] if g["guest_id"] == guest_id)
        answer = {
            "spot_id": spot["spot_id"],
            "spot_name": spot["name"],
            "spot_kind": spot["kind"],
            "venue_id": known["venue_id"],
            "profit_centre_id": spot["profit_centre_id"],
            "mode": "order",
            "role": role,
            "seated": True,
            "reason": None,
            "session_id": session["session_id"],
            "guest_id": guest_id,
            **({"pin": session["pin"]} if role == "host" else {}),
            "event_ids": [uuid.uuid4().hex],
        }
        return (201 if opened else 200), answer

    def session(state: FakeServices, asked: Asked) -> Answer:
        found = state.sessions.get(asked.params["session_id"])
        if found is None:
            return refuse(404, "unknown session", "session_id")
        return 200, {k: v for k, v in found.items() if k != "devices"}

    return {
        ("GET", "/venues/{venue_id}/settings"): settings,
        ("PUT", "/venues/{venue_id}/settings"): save_settings,
        ("GET", "/venues/{venue_id}/profit-centres"): profit_centres,
        ("POST", "/venues/{venue_id}/profit-centres"): save_profit_centre,
        ("GET", "/venues/{venue_id}/spots"): spots,
        ("POST", "/venues/{venue_id}/spots"): add_spot,
        ("POST", "/spots/{spot_id}/token/rotate"): rotate_token,
        ("POST", "/scan"): scan,
        ("GET", "/sessions/{session_id}"): session,
    }


def ordering_routes() -> dict[tuple[str, str], Handler]:
    def menu(state: FakeServices, asked: Asked) -> Answer:
        found = state.menus.get(asked.params["venue_id"])
        return (200, found) if found else refuse(404, "no menu", "venue_id")

    def publish_menu(state: FakeServices, asked: Asked) -> Answer:
        venue = asked.params["venue_id"]
        state.menus[venue] = {"venue_id": venue, **asked.body}
        return 200, {"venue_id": venue, "version": 1, "event_ids": [uuid.uuid4().hex]}

    def cart(state: FakeServices, asked: Asked) -> Answer:
        session = state.sessions.get(asked.params["session_id"])
        if session is None:
            return refuse(404, "session not known yet", "session_id")
        return 200, {
            "session_id": session["session_id"],
            "mode": "order",
            "lines": [],
            "total": money(0),
        }

    def order(state: FakeServices, asked: Asked) -> Answer:
        return refuse(404, "this session has no order yet", "session_id")

    def offers(state: FakeServices, asked: Asked) -> Answer:
        listed = list(state.offers.get(asked.params["venue_id"], {}).values())
        if asked.query.get("available") == "true":
            listed = [o for o in listed if o["available"]]
        return 200, listed

    def save_offer(state: FakeServices, asked: Asked) -> Answer:
        venue, offer_id = asked.params["venue_id"], asked.params["offer_id"]
        if asked.body["price"]["amount_minor"] < 0:
            return refuse(400, "price must be positive", "price")
        offer = {"venue_id": venue, "offer_id": offer_id, "updated_at": now(), **asked.body}
        state.offers.setdefault(venue, {})[offer_id] = offer
        return 200, {**offer, "event_ids": [uuid.uuid4().hex]}

    def order_offer(state: FakeServices, asked: Asked) -> Answer:
        session = state.sessions.get(asked.params["session_id"])
        if session is None:
            return refuse(404, "unknown session", "session_id")
        offer = state.offers.get(session["venue_id"], {}).get(asked.body["offer_id"])
        if offer is None or not offer["available"]:
            return refuse(404, "unknown offer", "offer_id")
        if "@" not in asked.body["guest_email"]:
            return refuse(400, "value is not a valid email address", "guest_email")
        spot_name = next(
            s["name"]
            for ss in state.spots.values()
            for s in ss
            if s["spot_id"] == session["spot_id"]
        )
        made = {
            "offer_order_id": f"oo-{uuid.uuid4().hex[:8]}",
            "venue_id": session["venue_id"],
            "session_id": session["session_id"],
            "spot_id": session["spot_id"],
            "spot_name": spot_name,
            "guest_id": asked.body["guest_id"],
            "ordered_at": now(),
            "guest_name": asked.body["guest_name"],
            "guest_email": asked.body["guest_email"],
            "language": asked.body["language"],
            "offer_id": offer["offer_id"],
            "offer_name": offer["name"],
            "offer_type": offer["offer_type"],
            "revenue": offer["price"],
            "status": "confirmed" if offer["auto_confirm"] else "pending",
            "automatic": offer["auto_confirm"],
            "note": asked.body.get("note"),
        }
        state.offer_orders.insert(0, made)
        return 201, {**made, "event_ids": [uuid.uuid4().hex]}

    def guest_offer_orders(state: FakeServices, asked: Asked) -> Answer:
        session_id, guest_id = asked.params["session_id"], asked.query.get("guest_id")
        return 200, [
            o
            for o in state.offer_orders
            if o["session_id"] == session_id and o["guest_id"] == guest_id
        ]

    def offer_orders(state: FakeServices, asked: Asked) -> Answer:
        found = [o for o in state.offer_orders if o["venue_id"] == asked.params["venue_id"]]
        if asked.query.get("status"):
            found = [o for o in found if o["status"] == asked.query["status"]]
        if asked.query.get("offer_type"):
            found = [o for o in found if o["offer_type"] == asked.query["offer_type"]]
        if asked.query.get("q"):
            found = [o for o in found if asked.query["q"].lower() in o["guest_name"].lower()]
        return 200, found

    def decide(verb: str) -> Handler:
        def handler(state: FakeServices, asked: Asked) -> Answer:
            offer_order_id = asked.params["offer_order_id"]
            found = next(
                (o for o in state.offer_orders if o["offer_order_id"] == offer_order_id), None
            )
            if found is None:
                return refuse(404, "unknown offer order", "offer_order_id")
            if verb == "confirm" and found["status"] != "pending":
                return refuse(409, "this offer order is not pending", "status")
            if verb == "cancel" and found["status"] == "cancelled":
                return refuse(409, "this offer order is already cancelled", "status")
            found["status"] = "confirmed" if verb == "confirm" else "cancelled"
            found["automatic"] = False if verb == "confirm" else found["automatic"]
            return 200, {**found, "event_ids": [uuid.uuid4().hex]}

        return handler

    return {
        ("GET", "/venues/{venue_id}/menu"): menu,
        ("PUT", "/venues/{venue_id}/menu"): publish_menu,
        ("GET", "/sessions/{session_id}/cart"): cart,
        ("GET", "/sessions/{session_id}/order"): order,
        ("GET", "/venues/{venue_id}/offers"): offers,
        ("PUT", "/venues/{venue_id}/offers/{offer_id}"): save_offer,
        ("POST", "/sessions/{session_id}/offer-orders"): order_offer,
        ("GET", "/sessions/{session_id}/offer-orders"): guest_offer_orders,
        ("GET", "/venues/{venue_id}/offer-orders"): offer_orders,
        ("POST", "/offer-orders/{offer_order_id}/confirm"): decide("confirm"),
        ("POST", "/offer-orders/{offer_order_id}/cancel"): decide("cancel"),
    }


def pos_gateway_routes() -> dict[tuple[str, str], Handler]:
    def login(state: FakeServices, asked: Asked) -> Answer:
        email = asked.body["email"]
        if state.failures.get(email, 0) >= 5:
            return 429, {"status": 429, "error": "too many tries", "field": "email"}
        account = state.accounts.get(email)
        if account is None or account["closed"] or account["password"] != asked.body["password"]:
            state.failures[email] = state.failures.get(email, 0) + 1
            return refuse(401, "wrong e-mail or password", "password")
        return 200, _public(account)

    def me(state: FakeServices, asked: Asked) -> Answer:
        refused = _allowed(asked, "cashier")
        return refused or (200, _public(asked.staff or {}))

    def accounts(state: FakeServices, asked: Asked) -> Answer:
        refused = _allowed(asked, "owner")
        if refused:
            return refused
        mine = set((asked.staff or {})["venue_ids"])
        return 200, [
            _public(a)
            for a in state.accounts.values()
            if not a["closed"] and set(a["venue_ids"]) & mine
        ]

    def open_account(state: FakeServices, asked: Asked) -> Answer:
        refused = _allowed(asked, "owner", None)
        if refused:
            return refused
        if not set(asked.body["venue_ids"]) <= set((asked.staff or {})["venue_ids"]):
            return refuse(403, "only for venues of yours", "venue_ids")
        if len(asked.body["password"]) < 10:
            return refuse(400, "the password needs 10 characters or more", "password")
        if asked.body["email"] in state.accounts:
            return refuse(409, "this e-mail already has an account", "email")
        made = state.account(
            asked.body["email"], asked.body["role"], asked.body["venue_ids"], asked.body["name"]
        )
        return 201, {**made, "event_ids": [uuid.uuid4().hex]}

    def close_account(state: FakeServices, asked: Asked) -> Answer:
        refused = _allowed(asked, "owner")
        if refused:
            return refused
        staff_id = asked.params["staff_id"]
        account = next((a for a in state.accounts.values() if a["staff_id"] == staff_id), None)
        if account is None:
            return refuse(404, f"no staff account {staff_id}", "staff_id")
        if account["closed"]:
            return refuse(409, f"the account of {account['name']} is already closed", "staff_id")
        account["closed"] = True  # closed, not deleted: it can no longer sign in nor act
        return 200, {"staff_id": staff_id, "closed": True, "event_ids": [uuid.uuid4().hex]}

    def pairing_code(state: FakeServices, asked: Asked) -> Answer:
        venue = asked.params["venue_id"]
        refused = _allowed(asked, "manager", venue)
        if refused:
            return refused
        expires = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
        return 201, {"code": "K7QM-4RTX", "venue_id": venue, "expires_at": expires}

    def devices(state: FakeServices, asked: Asked) -> Answer:
        venue = asked.params["venue_id"]
        refused = _allowed(asked, "cashier", venue)
        if refused:
            return refused
        return 200, [{k: v for k, v in d.items()} for d in state.devices.get(venue, [])]

    def revoke(state: FakeServices, asked: Asked) -> Answer:
        device_id = asked.params["device_id"]
        device = next(
            (d for ds in state.devices.values() for d in ds if d["device_id"] == device_id), None
        )
        if device is None:
            return refuse(404, f"no device {device_id}", "device_id")
        refused = _allowed(asked, "manager", device["venue_id"])
        if refused:
            return refused
        device["revoked"], device["revoked_at"] = True, now()
        return 200, {
            "device_id": device_id,
            "venue_id": device["venue_id"],
            "revoked": True,
            "revoked_by": (asked.staff or {})["name"],
            "event_ids": [uuid.uuid4().hex],
        }

    def postings(state: FakeServices, asked: Asked) -> Answer:
        venue = asked.params["venue_id"]
        refused = _allowed(asked, "cashier", venue)
        return refused or (200, state.postings.get(venue, []))

    def act_on_posting(verb: str) -> Handler:
        def handler(state: FakeServices, asked: Asked) -> Answer:
            offer_order_id = asked.params["offer_order_id"]
            posting = next(
                (
                    p
                    for ps in state.postings.values()
                    for p in ps
                    if p["offer_order_id"] == offer_order_id
                ),
                None,
            )
            if posting is None:
                return refuse(404, f"no folio posting {offer_order_id}", "offer_order_id")
            refused = _allowed(asked, "manager", posting["venue_id"])
            if refused:
                return refused
            if verb == "mark-posted":
                posting.update(status="posted", method="manual")
            else:
                posting.update(status="pending", attempts=posting["attempts"] + 1)
            return 200, {**posting, "event_ids": [uuid.uuid4().hex]}

        return handler

    return {
        ("POST", "/staff/login"): login,
        ("GET", "/staff/me"): me,
        ("GET", "/staff"): accounts,
        ("POST", "/staff"): open_account,
        ("DELETE", "/staff/{staff_id}"): close_account,
        ("POST", "/venues/{venue_id}/pairing-codes"): pairing_code,
        ("GET", "/venues/{venue_id}/devices"): devices,
        ("POST", "/devices/{device_id}/revoke"): revoke,
        ("GET", "/venues/{venue_id}/folio-postings"): postings,
        ("POST", "/folio-postings/{offer_order_id}/mark-posted"): act_on_posting("mark-posted"),
        ("POST", "/folio-postings/{offer_order_id}/retry"): act_on_posting("retry"),
    }


def notifier_routes() -> dict[tuple[str, str], Handler]:
    def notifications(state: FakeServices, asked: Asked) -> Answer:
        return 200, state.notifications.get(asked.params["venue_id"], [])

    return {("GET", "/venues/{venue_id}/notifications"): notifications}


STAND_INS: dict[str, Callable[[], dict[tuple[str, str], Handler]]] = {
    "table-session": table_session_routes,
    "ordering": ordering_routes,
    "pos-gateway": pos_gateway_routes,
    "notifier": notifier_routes,
}


def template_pattern(template: str) -> re.Pattern[str]:
    """`/venues/{venue_id}/spots` as a pattern naming its parameters."""
    parts = re.split(r"(\{\w+\})", template)
    pattern = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(pattern)


def response_schema(openapi: dict[str, Any], method: str, template: str, status: int) -> Any:
    """The JSON schema of an answer of the service's route, with the document's components
    (so its `$ref`s resolve); None when the document describes no JSON for that status."""
    responses = openapi["paths"][template][method.lower()]["responses"]
    response = responses.get(str(status)) or responses.get("default")
    if response is None:
        return None
    schema = (response.get("content") or {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    return {**schema, "components": openapi.get("components", {})}


def stand_in_app(service: str, state: FakeServices, openapi: dict[str, Any] | None) -> Litestar:
    """One service's stand-in: its routes, each answer checked against the service's OpenAPI
    document and the gateway's model of it (what does not hold is kept in `state.broken`)."""
    table = STAND_INS[service]()
    patterns = [(method, template, template_pattern(template)) for method, template in table]
    models = {(r.method, r.template): r.answer for r in CLIENT_ROUTES[service]}

    def staff_of(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
        sid = request.headers.get("x-convive-staff")
        return next((a for a in state.accounts.values() if a["staff_id"] == sid), None)

    @route("/{path:path}", http_method=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def dispatch(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[Any]:
        body = await request.json() if await request.body() else None
        query = dict(request.query_params)
        staff_header = request.headers.get("x-convive-staff")
        state.calls.append(Call(request.method, path, staff_header, body, query))
        for method, template, pattern in patterns:
            found = pattern.fullmatch(path)
            if method == request.method and found:
                asked = Asked(found.groupdict(), body, query, staff_of(request), bool(staff_header))
                status, answer = table[(method, template)](state, asked)
                check(method, template, status, answer)
                headers = {"retry-after": "840"} if status == 429 else None
                return Response(answer, status_code=status, headers=headers)
        state.broken.append(f"{service}: no stand-in for {request.method} {path}")
        return Response(refuse(404, "no such route")[1], status_code=404)

    def check(method: str, template: str, status: int, answer: Any) -> None:
        if openapi is not None and status < 400:
            schema = response_schema(openapi, method, template, status)
            if schema is not None:
                try:
                    jsonschema.validate(answer, schema)
                except jsonschema.ValidationError as exc:
                    state.broken.append(f"{service} {method} {template}: {exc.message}")
        model = models.get((method, template))
        if model is not None and status < 300:
            try:
                TypeAdapter(model).validate_python(answer)
            except ValidationError as exc:
                state.broken.append(f"{service} {method} {template}: {exc}")

    return Litestar(route_handlers=[dispatch])


@pytest.fixture(scope="session")
def openapi_documents() -> dict[str, dict[str, Any]]:
    """Each service's OpenAPI document, from its app built in-process (nothing is started)."""
    from convive.notifier.app import create_app as notifier_app
    from convive.notifier.settings import Settings as NotifierSettings
    from convive.ordering.app import create_app as ordering_app
    from convive.ordering.settings import Settings as OrderingSettings
    from convive.pos_gateway.app import create_app as pos_gateway_app
    from convive.pos_gateway.settings import Settings as PosGatewaySettings
    from convive.table_session.app import create_app as table_session_app
    from convive.table_session.settings import Settings as TableSessionSettings

    apps = {
        "table-session": table_session_app(TableSessionSettings()),
        "ordering": ordering_app(OrderingSettings()),
        "pos-gateway": pos_gateway_app(PosGatewaySettings()),
        "notifier": notifier_app(NotifierSettings()),
    }
    return {name: app.openapi_schema.to_schema() for name, app in apps.items()}


@dataclass
class Gateway:
    """The gateway under test and its stand-in services (tests import nothing from here: with
    pytest's importlib mode a conftest is not a module they can import)."""

    client: httpx.AsyncClient
    services: FakeServices
    venue: str = VENUE
    other_venue: str = OTHER_VENUE
    password: str = PASSWORD

    @staticmethod
    def csrf_of(html: str) -> str:
        return csrf_of(html)

    @staticmethod
    def path_of(location: str) -> str:
        return path_of(location)

    async def sign_in(self, email: str, password: str = PASSWORD, app: str = "admin") -> Any:
        page = await self.client.get(f"/{app}/login")
        token = csrf_of(page.text)
        return await self.client.post(
            f"/{app}/login",
            data={"email": email, "password": password, "csrf_token": token, "next": ""},
        )

    async def form(self, path: str, data: dict[str, Any] | None = None, page: str = "") -> Any:
        """Post a form the way a browser does, with the CSRF token of a page it shows."""
        shown = await self.client.get(page or path.rsplit("/", 1)[0])
        return await self.post_from(shown.text, path, data)

    async def post_from(self, shown: str, path: str, data: dict[str, Any] | None = None) -> Any:
        """Post a form of a page already shown (`shown`, its HTML), with that page's CSRF token."""
        return await self.client.post(path, data={"csrf_token": csrf_of(shown), **(data or {})})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found[1]


@pytest.fixture(scope="session")
def stand_in_routes() -> dict[str, list[tuple[str, str]]]:
    """The routes each stand-in answers, by service: (method, OpenAPI path template)."""
    return {service: list(routes()) for service, routes in STAND_INS.items()}


@pytest.fixture
def fake() -> Iterator[FakeServices]:
    state = FakeServices()
    state.account("owner@hotel.test", "owner", [VENUE, OTHER_VENUE], "Odile")
    state.account("manager@hotel.test", "manager", [VENUE], "Marc")
    state.account("cashier@hotel.test", "cashier", [VENUE], "Chloé")
    state.settings[VENUE] = {
        "venue_id": VENUE,
        "name": "Hôtel du Port",
        "language": "fr",
        "notification_email": "desk@hotel.test",
        "pms_integration": "one_way",
    }
    yield state
    assert state.broken == [], "a stand-in answered what its service would not"


@pytest.fixture
async def gateway(
    fake: FakeServices, openapi_documents: dict[str, dict[str, Any]]
) -> AsyncIterator[Gateway]:
    async with (
        served(stand_in_app("table-session", fake, openapi_documents["table-session"])) as ts,
        served(stand_in_app("ordering", fake, openapi_documents["ordering"])) as ordering_url,
        served(stand_in_app("pos-gateway", fake, openapi_documents["pos-gateway"])) as pos,
        served(stand_in_app("notifier", fake, openapi_documents["notifier"])) as notifier_url,
    ):
        settings = Settings(
            table_session_url=ts,
            ordering_url=ordering_url,
            pos_gateway_url=pos,
            notifier_url=notifier_url,
            cookie_secret="test-key",  # type: ignore[arg-type]  # noqa: S106
        )
        # Served for real too: the gateway and the stand-ins then answer each other at once.
        async with (
            served(create_app(settings)) as gateway_url,
            httpx.AsyncClient(base_url=gateway_url, follow_redirects=True, timeout=30) as client,
        ):
            yield Gateway(client, fake)


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")
