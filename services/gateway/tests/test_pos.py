"""The POS console's routes against a real pos-gateway (served on a free port, on real Kafka and
PostgreSQL): pairing with a code, staff sign-in, the venue scope, CSRF, revocation. The other
services are not running: the console shows what it has and says what is missing."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from convive.gateway.app import create_app
from convive.gateway.settings import Settings
from convive.gateway.web.cookies import POS_DEVICE_COOKIE as DEVICE_COOKIE
from convive.pos_gateway.app import create_app as create_pos_gateway
from convive.pos_gateway.settings import Settings as PosGatewaySettings
from convive.runtime.testkit import served

pytestmark = pytest.mark.infra

PASSWORD = "correct horse battery"  # noqa: S105 (the tests' own)
NOWHERE = "http://127.0.0.1:9"  # services not started: unreachable at once


class Venues:
    """Two venues of one owner, a cashier of the first only and one of the second only."""

    def __init__(self, pos: httpx.AsyncClient) -> None:
        self.pos = pos
        suffix = uuid.uuid4().hex[:6]
        self.a, self.b = f"venue-a-{suffix}", f"venue-b-{suffix}"
        self.owner: dict[str, Any] = {}

    async def open(self) -> None:
        answer = await self.pos.post(
            "/staff",
            json={
                "email": "owner@example.com",
                "name": "Olivia",
                "role": "owner",
                "venue_ids": [self.a, self.b],
                "password": PASSWORD,
            },
        )
        assert answer.status_code == 201, answer.text
        self.owner = answer.json()
        for email, name, venue in (
            ("cashier-a@example.com", "Camille", self.a),
            ("cashier-b@example.com", "Bastien", self.b),
        ):
            answer = await self.pos.post(
                "/staff",
                json={
                    "email": email,
                    "name": name,
                    "role": "cashier",
                    "venue_ids": [venue],
                    "password": PASSWORD,
                },
                headers=self.as_owner,
            )
            assert answer.status_code == 201, answer.text

    @property
    def as_owner(self) -> dict[str, str]:
        return {"X-Convive-Staff": self.owner["staff_id"]}

    async def pairing_code(self, venue_id: str) -> str:
        answer = await self.pos.post(f"/venues/{venue_id}/pairing-codes", headers=self.as_owner)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["code"])


@pytest.fixture
async def pos_gateway(service_settings: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    """pos-gateway served for real; a client of it (the gateway gets its URL)."""
    async with (
        served(create_pos_gateway(PosGatewaySettings(**service_settings))) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield client


@pytest.fixture
async def venues(pos_gateway: httpx.AsyncClient) -> Venues:
    opened = Venues(pos_gateway)
    await opened.open()
    return opened


@pytest.fixture
async def gateway(
    service_settings: dict[str, Any], pos_gateway: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway served for real too (on this event loop, as pos-gateway: a test client
    would block the loop pos-gateway answers on); a browser-like client with its cookies."""
    settings = Settings(
        **service_settings,
        pos_gateway_url=str(pos_gateway.base_url),
        table_session_url=NOWHERE,
        ordering_url=NOWHERE,
        notifier_url=NOWHERE,
        upstream_timeout=10,
    )
    async with (
        served(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


async def pair(gateway: httpx.AsyncClient, code: str, name: str = "Till 1") -> httpx.Response:
    page = await gateway.get("/pos")
    assert page.status_code == 200, page.text
    return await gateway.post(
        "/pos/pair",
        data={"csrf_token": csrf_of(page.text), "code": code, "name": name},
        follow_redirects=False,
    )


async def sign_in(gateway: httpx.AsyncClient, email: str) -> httpx.Response:
    page = await gateway.get("/pos/login?next=/pos")
    assert page.status_code == 200, page.text
    return await gateway.post(
        "/pos/login",
        data={
            "csrf_token": csrf_of(page.text),
            "email": email,
            "password": PASSWORD,
            "next": "/pos",
        },
        follow_redirects=False,
    )


async def test_a_bad_pairing_code_is_refused_and_pairs_nothing(
    gateway: httpx.AsyncClient, venues: Venues
) -> None:
    gateway.headers["accept-language"] = "fr"
    page = await gateway.get("/pos")
    assert page.status_code == 200
    assert 'data-testid="pos-pair-page"' in page.text
    answer = await pair(gateway, "ZZZZ-ZZZZ")
    assert answer.status_code == 400
    assert "inconnu, déjà utilisé ou expiré" in answer.text
    assert DEVICE_COOKIE not in answer.cookies
    # An empty code is refused by the gateway itself, naming what is missing.
    page = await gateway.get("/pos")
    empty = await gateway.post(
        "/pos/pair", data={"csrf_token": csrf_of(page.text), "code": " ", "name": "Till"}
    )
    assert empty.status_code == 400
    assert "Saisissez le code" in empty.text


async def test_a_paired_device_needs_a_signed_in_staff_member_of_its_venue(
    gateway: httpx.AsyncClient, venues: Venues
) -> None:
    code = await venues.pairing_code(venues.a)
    paired = await pair(gateway, code, "Bar till")
    assert paired.status_code == 303, paired.text
    assert paired.headers["location"] == "/pos"
    assert DEVICE_COOKIE in paired.cookies
    # The same code twice pairs nothing more.
    gateway.cookies.delete(DEVICE_COOKIE)
    again = await pair(gateway, code, "Another till")
    assert again.status_code == 400
    gateway.cookies.set(DEVICE_COOKIE, paired.cookies[DEVICE_COOKIE])

    # No one signed in: the console sends to the POS login page, and back after it.
    console = await gateway.get("/pos", follow_redirects=False)
    assert console.status_code == 303
    assert console.headers["location"] == "/pos/login?next=/pos"
    fragment = await gateway.get("/pos/fragments/orders", headers={"x-requested-with": "fetch"})
    assert fragment.status_code == 401

    # A cashier of another venue may not use this device.
    signed = await sign_in(gateway, "cashier-b@example.com")
    assert signed.status_code == 303
    wrong = await gateway.get("/pos")
    assert wrong.status_code == 403
    assert 'data-testid="wrong-venue"' in wrong.text
    events = await gateway.get(f"/events/venues/{venues.a}")
    assert events.status_code == 403

    # The venue's cashier opens the console (the other services down: no orders, no 500).
    logout = await gateway.post(
        "/pos/logout", data={"csrf_token": csrf_of(wrong.text)}, follow_redirects=False
    )
    assert logout.status_code == 303
    signed = await sign_in(gateway, "cashier-a@example.com")
    assert signed.headers["location"] == "/pos"
    console = await gateway.get("/pos", headers={"accept-language": "en"})
    assert console.status_code == 200, console.text
    assert 'data-testid="pos-console"' in console.text
    assert "Bar till" in console.text
    assert "Signed in: Camille" in console.text
    assert f'data-venue="{venues.a}"' in console.text
    # The device credential is never in the page.
    assert paired.cookies[DEVICE_COOKIE] not in console.text
    # The device's stream is for its own venue only.
    other = await gateway.get(f"/events/venues/{venues.b}")
    assert other.status_code == 403
    device = (await gateway.get("/pos/device")).json()
    assert (device["paired"], device["signed_in"], device["revoked"]) == (True, True, False)


async def test_console_posts_need_the_csrf_token_and_the_same_origin(
    gateway: httpx.AsyncClient, venues: Venues
) -> None:
    assert (await pair(gateway, await venues.pairing_code(venues.a))).status_code == 303
    assert (await sign_in(gateway, "cashier-a@example.com")).status_code == 303
    console = await gateway.get("/pos")
    token = csrf_of(console.text)
    json = {"accept": "application/json"}
    url = "/pos/orders/no-such-order/rounds/1/validate"

    missing = await gateway.post(url, data={}, headers=json)
    assert missing.status_code == 403
    assert missing.json()["field"] == "csrf_token"
    wrong = await gateway.post(url, data={"csrf_token": "x" * 32}, headers=json)
    assert wrong.status_code == 403
    cross = await gateway.post(
        url, data={"csrf_token": token}, headers={**json, "origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    assert cross.json()["field"] == "origin"
    # A pairing post without the token pairs nothing either.
    forged = await gateway.post("/pos/pair", data={"code": "ABCD-EFGH", "name": "x"})
    assert forged.status_code == 403

    # With the token (as a field or the script's header) it reaches pos-gateway.
    unknown = await gateway.post(url, data={"csrf_token": token}, headers=json)
    assert unknown.status_code == 404, unknown.text
    assert "no-such-order" in unknown.json()["error"]
    by_header = await gateway.post(
        "/pos/orders/no-such-order/rounds/1/reject",
        data={"reason": "  "},
        headers={**json, "x-csrf-token": token},
    )
    assert by_header.status_code == 400
    assert by_header.json()["field"] == "reason"
    amount = await gateway.post(
        "/pos/orders/no-such-order/payments",
        data={"csrf_token": token, "method": "bitcoin", "amount": "3"},
        headers=json,
    )
    assert amount.status_code == 400
    assert amount.json()["field"] == "method"


async def test_a_revoked_device_is_cut_off_and_asked_to_pair_again(
    gateway: httpx.AsyncClient, venues: Venues, pos_gateway: httpx.AsyncClient
) -> None:
    paired = await pair(gateway, await venues.pairing_code(venues.a))
    assert paired.status_code == 303
    assert (await sign_in(gateway, "cashier-a@example.com")).status_code == 303
    assert (await gateway.get("/pos")).status_code == 200
    device_id = (await gateway.get("/pos/device")).json()["device_id"]

    revoked = await pos_gateway.post(f"/devices/{device_id}/revoke", headers=venues.as_owner)
    assert revoked.status_code == 200, revoked.text

    status = (await gateway.get("/pos/device")).json()
    assert status["revoked"] is True
    fragment = await gateway.get("/pos/fragments/orders", headers={"x-requested-with": "fetch"})
    assert fragment.status_code == 401
    assert fragment.json()["reason"] == "device_revoked"
    console = await gateway.get("/pos", headers={"accept-language": "en"})
    assert console.status_code == 401
    assert 'data-testid="pair-revoked"' in console.text
    assert "This device was revoked" in console.text
    # The revoked credential is forgotten: the browser is back to the pairing form.
    assert (await gateway.get("/pos/device")).json()["paired"] is False
