"""Fixtures of the gateway's staff and room-offer tests: the gateway app in a test client, with
every service it calls played by one small in-memory HTTP server served for real on loopback.

The stand-in answers the routes of PLAN.md as the services do (status codes, bodies, the
`X-Convive-Staff` checks of pos-gateway) and records each call, so a test can say what the
gateway sent. The services themselves are tested against the real thing in tests/e2e."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from litestar import Litestar, Request, Response, route
from litestar.params import FromPath

from convive.gateway.app import create_app
from convive.gateway.settings import Settings
from convive.runtime.testkit import served

VENUE = "hotel-1"
OTHER_VENUE = "bistro-2"
PASSWORD = "correct horse battery"  # noqa: S105 - the stand-in accounts' password


def money(minor: int) -> dict[str, Any]:
    return {"amount_minor": minor, "currency": "EUR"}


@dataclass
class Call:
    method: str
    path: str
    staff: str | None
    body: Any
    query: dict[str, str]


@dataclass
class FakeServices:
    """The state of the stand-in services, and what the gateway asked them."""

    calls: list[Call] = field(default_factory=list)
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
        self.accounts[email] = {**staff, "password": PASSWORD}
        return staff

    def sent(self, method: str, pattern: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    def room(self, venue: str, token: str, name: str = "Room 112") -> dict[str, Any]:
        spot = {
            "spot_id": f"spot-{token}",
            "name": name,
            "kind": "room",
            "profit_centre_id": "rooms",
            "token": token,
            "status": "free",
        }
        self.spots.setdefault(venue, []).append(spot)
        self.tokens[token] = {"venue_id": venue, "spot": spot, "session_id": f"ses-{token}"}
        return spot


def _refuse(status: int, message: str, field_name: str | None = None) -> Response[Any]:
    body: dict[str, Any] = {"status": status, "error": message}
    if field_name:
        body["field"] = field_name
    return Response(body, status_code=status)


def fake_app(state: FakeServices) -> Litestar:
    def staff_of(request: Request[Any, Any, Any]) -> dict[str, Any] | None:
        sid = request.headers.get("x-convive-staff")
        return next((a for a in state.accounts.values() if a["staff_id"] == sid), None)

    @route("/{path:path}", http_method=["GET", "POST", "PUT", "DELETE"])
    async def dispatch(request: Request[Any, Any, Any], path: FromPath[str]) -> Response[Any]:
        body = await request.json() if await request.body() else None
        query = dict(request.query_params)
        state.calls.append(
            Call(request.method, path, request.headers.get("x-convive-staff"), body, query)
        )
        method = request.method

        def is_(pattern: str, verb: str) -> re.Match[str] | None:
            return re.fullmatch(pattern, path) if method == verb else None

        # --- pos-gateway: staff ---
        if is_(r"/staff/login", "POST"):
            email = body["email"]
            if state.failures.get(email, 0) >= 5:
                return Response(
                    {"status": 429, "error": "too many tries", "field": "email"},
                    status_code=429,
                    headers={"retry-after": "840"},
                )
            account = state.accounts.get(email)
            if account is None or account["password"] != body["password"]:
                state.failures[email] = state.failures.get(email, 0) + 1
                return _refuse(401, "wrong e-mail or password", "password")
            return Response({k: v for k, v in account.items() if k != "password"}, status_code=200)
        if is_(r"/staff/me", "GET"):
            me = staff_of(request)
            if me is None or me.get("closed"):
                return _refuse(401, "no open staff account", "X-Convive-Staff")
            return Response({k: v for k, v in me.items() if k not in ("password", "closed")})
        if is_(r"/staff", "GET"):
            me = staff_of(request)
            if me is None or me["role"] != "owner":
                return _refuse(403, "owners only", "X-Convive-Staff")
            return Response(
                [
                    {k: v for k, v in a.items() if k != "password"}
                    for a in state.accounts.values()
                    if set(a["venue_ids"]) & set(me["venue_ids"])
                ]
            )
        if is_(r"/staff", "POST"):
            me = staff_of(request)
            if me is None or me["role"] != "owner":
                return _refuse(403, "owners only", "X-Convive-Staff")
            if len(body["password"]) < 10:
                return _refuse(400, "the password needs 10 characters or more", "password")
            if body["email"] in state.accounts:
                return _refuse(409, "this e-mail already has an account", "email")
            made = state.account(body["email"], body["role"], body["venue_ids"], body["name"])
            return Response(made, status_code=201)
        if m := is_(r"/staff/([^/]+)", "DELETE"):
            me = staff_of(request)
            if me is None or me["role"] != "owner":
                return _refuse(403, "owners only", "X-Convive-Staff")
            email = next(e for e, a in state.accounts.items() if a["staff_id"] == m[1])
            del state.accounts[email]
            return Response({"staff_id": m[1]})
        # --- pos-gateway: devices ---
        if m := is_(r"/venues/([^/]+)/pairing-codes", "POST"):
            return Response(
                {
                    "code": "K7QM-4RTX",
                    "expires_at": (datetime.now(UTC) + timedelta(minutes=10)).isoformat(),
                },
                status_code=201,
            )
        if m := is_(r"/venues/([^/]+)/devices", "GET"):
            return Response(state.devices.get(m[1], []))
        if m := is_(r"/devices/([^/]+)/revoke", "POST"):
            for devices in state.devices.values():
                for device in devices:
                    if device["device_id"] == m[1]:
                        device["revoked"] = True
            return Response({"device_id": m[1], "revoked": True})
        # --- pos-gateway: folio postings ---
        if m := is_(r"/venues/([^/]+)/folio-postings", "GET"):
            return Response(state.postings.get(m[1], []))
        if m := is_(r"/folio-postings/([^/]+)/(mark-posted|retry)", "POST"):
            for postings in state.postings.values():
                for posting in postings:
                    if posting["offer_order_id"] == m[1]:
                        posting["status"] = "posted" if m[2] == "mark-posted" else "pending"
            return Response({"offer_order_id": m[1]})
        # --- notifier ---
        if m := is_(r"/venues/([^/]+)/notifications", "GET"):
            return Response(state.notifications.get(m[1], []))
        # --- table-session ---
        if m := is_(r"/venues/([^/]+)/settings", "GET"):
            found = state.settings.get(m[1])
            return Response(found) if found else _refuse(404, "no settings", "venue_id")
        if m := is_(r"/venues/([^/]+)/settings", "PUT"):
            allowed = {"name", "language", "notification_email", "pms_integration"}
            if set(body) - allowed:
                return _refuse(400, "unknown field", sorted(set(body) - allowed)[0])
            if body.get("notification_email") and "@" not in body["notification_email"]:
                return _refuse(400, "not an e-mail address", "notification_email")
            state.settings[m[1]] = {"venue_id": m[1], **body}
            return Response(state.settings[m[1]])
        if m := is_(r"/venues/([^/]+)/profit-centres", "GET"):
            return Response(state.profit_centres.get(m[1], []))
        if m := is_(r"/venues/([^/]+)/profit-centres", "POST"):
            pcs = state.profit_centres.setdefault(m[1], [])
            pc_id = body.get("profit_centre_id") or f"pc-{uuid.uuid4().hex[:6]}"
            pcs[:] = [p for p in pcs if p["profit_centre_id"] != pc_id]
            pcs.append({"profit_centre_id": pc_id, "name": body["name"], "mode": body["mode"]})
            return Response(pcs[-1], status_code=201)
        if m := is_(r"/venues/([^/]+)/spots", "GET"):
            return Response(state.spots.get(m[1], []))
        if m := is_(r"/venues/([^/]+)/spots", "POST"):
            spot = {
                "spot_id": f"spot-{uuid.uuid4().hex[:6]}",
                "token": uuid.uuid4().hex,
                "status": "free",
                **body,
            }
            state.spots.setdefault(m[1], []).append(spot)
            return Response(spot, status_code=201)
        if m := is_(r"/venues/([^/]+)/qr-sheet\.pdf", "GET"):
            return Response(b"%PDF-1.4 fake", media_type="application/pdf")
        if m := is_(r"/spots/([^/]+)/qr\.svg", "GET"):
            return Response(
                b"<svg xmlns='http://www.w3.org/2000/svg'/>", media_type="image/svg+xml"
            )
        if is_(r"/scan", "POST"):
            known = state.tokens.get(body["token"])
            if known is None:
                return _refuse(404, "unknown token", "token")
            spot = known["spot"]
            return Response(
                {
                    "role": "host",
                    "session_id": known["session_id"],
                    "guest_id": f"guest-{body['device_id'][-6:]}",
                    "venue_id": known["venue_id"],
                    "spot_id": spot["spot_id"],
                    "spot_name": spot["name"],
                    "spot_kind": spot["kind"],
                    "mode": "order",
                }
            )
        if m := is_(r"/sessions/([^/]+)", "GET"):
            return Response({"session_id": m[1], "status": "open", "guests": [], "pin": "123456"})
        # --- ordering ---
        if m := is_(r"/venues/([^/]+)/menu", "GET"):
            found = state.menus.get(m[1])
            return Response(found) if found else _refuse(404, "no menu", "venue_id")
        if m := is_(r"/venues/([^/]+)/menu", "PUT"):
            state.menus[m[1]] = {"venue_id": m[1], **body}
            return Response({"venue_id": m[1], "version": 1})
        if is_(r"/sessions/([^/]+)/(cart|order)", "GET"):
            return _refuse(404, "no cart yet", "session_id")
        if m := is_(r"/venues/([^/]+)/offers", "GET"):
            offers = list(state.offers.get(m[1], {}).values())
            if query.get("available") == "true":
                offers = [o for o in offers if o["available"]]
            return Response(offers)
        if m := is_(r"/venues/([^/]+)/offers/([^/]+)", "PUT"):
            if body["price"]["amount_minor"] < 0:
                return _refuse(400, "price must be positive", "price")
            offer = {"venue_id": m[1], "offer_id": m[2], **body}
            state.offers.setdefault(m[1], {})[m[2]] = offer
            return Response(offer)
        if m := is_(r"/sessions/([^/]+)/offer-orders", "POST"):
            session = next((t for t in state.tokens.values() if t["session_id"] == m[1]), None)
            if session is None:
                return _refuse(404, "unknown session", "session_id")
            offer = state.offers.get(session["venue_id"], {}).get(body["offer_id"])
            if offer is None or not offer["available"]:
                return _refuse(404, "unknown offer", "offer_id")
            if "@" not in body["guest_email"]:
                return _refuse(400, "value is not a valid email address", "guest_email")
            order = {
                "offer_order_id": f"oo-{uuid.uuid4().hex[:8]}",
                "venue_id": session["venue_id"],
                "session_id": m[1],
                "guest_id": body["guest_id"],
                "ordered_at": datetime.now(UTC).isoformat(),
                "guest_name": body["guest_name"],
                "guest_email": body["guest_email"],
                "offer_id": offer["offer_id"],
                "offer_name": offer["name"],
                "offer_type": offer["offer_type"],
                "revenue": offer["price"],
                "status": "confirmed" if offer["auto_confirm"] else "pending",
                "automatic": offer["auto_confirm"],
                "spot_name": session["spot"]["name"],
                "note": body.get("note"),
            }
            state.offer_orders.insert(0, order)
            return Response(order, status_code=201)
        if m := is_(r"/sessions/([^/]+)/offer-orders", "GET"):
            return Response(
                [
                    o
                    for o in state.offer_orders
                    if o["session_id"] == m[1] and o["guest_id"] == query.get("guest_id")
                ]
            )
        if m := is_(r"/venues/([^/]+)/offer-orders", "GET"):
            found = [o for o in state.offer_orders if o["venue_id"] == m[1]]
            if query.get("status"):
                found = [o for o in found if o["status"] == query["status"]]
            if query.get("offer_type"):
                found = [o for o in found if o["offer_type"] == query["offer_type"]]
            if query.get("q"):
                found = [o for o in found if query["q"].lower() in o["guest_name"].lower()]
            return Response(found)
        if m := is_(r"/offer-orders/([^/]+)/(confirm|cancel)", "POST"):
            order = next((o for o in state.offer_orders if o["offer_order_id"] == m[1]), None)
            if order is None:
                return _refuse(404, "unknown offer order", "offer_order_id")
            if m[2] == "confirm" and order["status"] != "pending":
                return _refuse(409, "this offer order is not pending", "status")
            if m[2] == "cancel" and order["status"] == "cancelled":
                return _refuse(409, "this offer order is already cancelled", "status")
            order["status"] = "confirmed" if m[2] == "confirm" else "cancelled"
            order["automatic"] = False if m[2] == "confirm" else order["automatic"]
            return Response(order)
        return _refuse(404, f"no route {method} {path}")

    return Litestar(route_handlers=[dispatch])


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


@pytest.fixture
def fake() -> FakeServices:
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
    return state


@pytest.fixture
async def gateway(fake: FakeServices) -> AsyncIterator[Gateway]:
    async with served(fake_app(fake)) as url:
        settings = Settings(
            table_session_url=url,
            ordering_url=url,
            pos_gateway_url=url,
            notifier_url=url,
            cookie_secret="test-key",  # type: ignore[arg-type]  # noqa: S106
        )
        # Served for real too: the gateway and the stand-in then answer each other at once.
        async with (
            served(create_app(settings)) as gateway_url,
            httpx.AsyncClient(base_url=gateway_url, follow_redirects=True, timeout=30) as client,
        ):
            yield Gateway(client, fake)


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")
