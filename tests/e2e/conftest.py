"""The platform as processes for end-to-end tests: every service started with `python -m`,
on real Kafka and PostgreSQL, each in a schema and topic namespace of the test's own."""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from convive.cli.platform import Platform, free_plan
from convive.contracts import SERVICES
from convive.runtime.testkit import eventually

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e"


def platform_env(database_url: str, kafka_bootstrap: str, namespace: str) -> dict[str, str]:
    env = {
        **os.environ,
        "CONVIVE_DATABASE_URL": database_url,
        "CONVIVE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "CONVIVE_TOPIC_NAMESPACE": namespace,
    }
    for service in SERVICES:
        prefix = f"CONVIVE_{service.replace('-', '_').upper()}_"
        env[f"{prefix}DB_SCHEMA"] = f"{namespace}{service.replace('-', '_')}"
        env[f"{prefix}OUTBOX_POLL_INTERVAL"] = "1"
    # E-mails that failed are tried again within seconds, not minutes.
    env["CONVIVE_NOTIFIER_MAIL_RETRY_BASE"] = "1"
    env["CONVIVE_NOTIFIER_MAIL_RETRY_MAX"] = "5"
    env["CONVIVE_NOTIFIER_MAIL_MAX_ATTEMPTS"] = "40"
    env["CONVIVE_NOTIFIER_MAIL_POLL_INTERVAL"] = "1"
    # Folio postings the PMS refused are tried again within a second or two, not minutes.
    env["CONVIVE_POS_GATEWAY_PMS_BACKOFF_BASE"] = "0.5"
    env["CONVIVE_POS_GATEWAY_PMS_BACKOFF_MAX"] = "2"
    env["CONVIVE_POS_GATEWAY_PMS_MAX_ATTEMPTS"] = "100"
    return env


@contextlib.contextmanager
def running_platform(
    database_url: str, kafka_bootstrap: str, namespace: str, log_dir: Path
) -> Iterator[Platform]:
    services = free_plan()
    gateway = next(s for s in services if s.name == "gateway")
    env = platform_env(database_url, kafka_bootstrap, namespace)
    env["CONVIVE_TABLE_SESSION_PUBLIC_BASE_URL"] = gateway.url
    running = Platform(services, env, log_dir=log_dir)
    running.start()
    try:
        running.wait_ready(timeout=180)
        yield running
    finally:
        running.stop()


@pytest.fixture
def platform(
    database_url: str, kafka_bootstrap: str, namespace: str, request: pytest.FixtureRequest
) -> Iterator[Platform]:
    """Every service running as its own process; logs under test-output/e2e/<test>/."""
    log_dir = OUTPUT / re.sub(r"[^\w.-]", "_", request.node.name)
    with running_platform(database_url, kafka_bootstrap, namespace, log_dir) as running:
        yield running


@pytest.fixture(scope="module")
def shared_platform(
    database_url: str, kafka_bootstrap: str, request: pytest.FixtureRequest
) -> Iterator[Platform]:
    """Every service as its own process, once for a whole test module (its tests keep apart by
    using a venue each); logs under test-output/e2e/<module>/."""
    log_dir = OUTPUT / request.module.__name__.rsplit(".", 1)[-1]
    namespace = f"m{uuid.uuid4().hex[:6]}_"
    with running_platform(database_url, kafka_bootstrap, namespace, log_dir) as running:
        yield running


# --- the guest web app: a venue set up over the services' HTTP APIs, phones, a browser ---------

GUEST_MENU: dict[str, Any] = {
    "currency": "EUR",
    "categories": [
        {"category_id": "mains", "name": {"fr": "Plats", "en": "Mains"}, "position": 1},
        {"category_id": "desserts", "name": {"fr": "Desserts", "en": "Desserts"}, "position": 2},
    ],
    "products": [
        {
            "product_id": "croque",
            "category_id": "mains",
            "name": {"fr": "Croque-monsieur", "en": "Croque-monsieur"},
            "description": {"fr": "Jambon, comté, béchamel", "en": "Ham, comté, béchamel"},
            "price": {"amount_minor": 1250, "currency": "EUR"},
            "allergens": ["gluten", "milk"],
        },
        {
            "product_id": "salade",
            "category_id": "mains",
            "name": {"fr": "Salade niçoise", "en": "Niçoise salad"},
            "price": {"amount_minor": 1400, "currency": "EUR"},
            "allergens": ["eggs", "fish"],
        },
        {
            "product_id": "huitres",
            "category_id": "mains",
            "name": {"fr": "Six huîtres", "en": "Six oysters"},
            "price": {"amount_minor": 1600, "currency": "EUR"},
            "allergens": ["molluscs"],
            "available": False,
        },
        {
            "product_id": "mousse",
            "category_id": "desserts",
            "name": {"fr": "Mousse au chocolat", "en": "Chocolate mousse"},
            "price": {"amount_minor": 750, "currency": "EUR"},
            "allergens": ["eggs", "milk"],
        },
    ],
}


class GuestVenue:
    """A venue set up through the services' HTTP APIs (profit centre, spot, menu, a paired POS
    device), and what its staff do on the POS, for tests that drive the gateway."""

    def __init__(self, platform: Platform, venue_id: str) -> None:
        self.platform = platform
        self.venue_id = venue_id
        self.profit_centre = f"dining-{venue_id}"
        self.sessions = platform.url("table-session")
        self.ordering = platform.url("ordering")
        self.pos = platform.url("pos-gateway")
        self.gateway = platform.url("gateway")
        self.auth: dict[str, str] = {}
        self.spot: dict[str, Any] = {}

    async def set_up(
        self, *, mode: str = "order", kind: str = "table", menu: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=30) as http:
            answer = await http.post(
                f"{self.sessions}/venues/{self.venue_id}/profit-centres",
                json={"profit_centre_id": self.profit_centre, "name": "Dining room", "mode": mode},
            )
            assert answer.status_code in (200, 201), answer.text
            answer = await http.post(
                f"{self.sessions}/venues/{self.venue_id}/spots",
                json={"profit_centre_id": self.profit_centre, "name": "Table 7", "kind": kind},
            )
            assert answer.status_code == 201, answer.text
            self.spot = answer.json()
            answer = await http.put(
                f"{self.ordering}/venues/{self.venue_id}/menu", json=menu or GUEST_MENU
            )
            assert answer.status_code == 200, answer.text
            answer = await http.post(
                f"{self.pos}/venues/{self.venue_id}/devices", json={"name": "Till"}
            )
            assert answer.status_code == 201, answer.text
            self.auth = {"Authorization": f"Bearer {answer.json()['credential']}"}
        return self.spot

    @property
    def guest_url(self) -> str:
        return f"{self.gateway}/t/{self.spot['token']}"

    async def validate_round(
        self, session_id: str, round_number: int, staff: str = "Camille"
    ) -> None:
        """The POS validates a round once it knows the order (it learns it from events)."""
        async with httpx.AsyncClient(timeout=30) as http:

            async def pending() -> Any:
                answer = await http.get(
                    f"{self.pos}/venues/{self.venue_id}/orders",
                    params={"status": "all"},
                    headers=self.auth,
                )
                assert answer.status_code == 200, answer.text
                for order in answer.json():
                    if order["session_id"] == session_id and any(
                        r["round_number"] == round_number for r in order["rounds"]
                    ):
                        return order
                return None

            order = await eventually(pending, within=30)
            answer = await http.post(
                f"{self.pos}/orders/{order['order_id']}/rounds/{round_number}/validate",
                json={"staff": staff},
                headers=self.auth,
            )
            assert answer.status_code == 200, answer.text

    async def configure(self, mode: str) -> None:
        """Reconfigure the venue's profit centre (same id) to another journey mode."""
        async with httpx.AsyncClient(timeout=30) as http:
            answer = await http.post(
                f"{self.sessions}/venues/{self.venue_id}/profit-centres",
                json={"profit_centre_id": self.profit_centre, "name": "Dining room", "mode": mode},
            )
            assert answer.status_code in (200, 201), answer.text

    async def spot_status(self) -> dict[str, Any]:
        """The spot as table-session lists it (status free|occupied, session_id)."""
        async with httpx.AsyncClient(timeout=30) as http:
            answer = await http.get(f"{self.sessions}/venues/{self.venue_id}/spots")
            assert answer.status_code == 200, answer.text
            return next(s for s in answer.json() if s["spot_id"] == self.spot["spot_id"])

    async def pay_at_till(self, session_id: str, method: str = "card") -> dict[str, Any]:
        """The POS validates every round not yet validated, then takes the payment of what is
        due (what staff do at the till); answers the order as the POS knew it."""
        async with httpx.AsyncClient(timeout=30) as http:

            async def known() -> Any:
                answer = await http.get(
                    f"{self.pos}/venues/{self.venue_id}/orders",
                    params={"status": "all"},
                    headers=self.auth,
                )
                assert answer.status_code == 200, answer.text
                return next((o for o in answer.json() if o["session_id"] == session_id), None)

            order = await eventually(known, within=30)
            for r in order["rounds"]:
                if not r["validated"]:
                    answer = await http.post(
                        f"{self.pos}/orders/{order['order_id']}/rounds/{r['round_number']}"
                        "/validate",
                        json={"staff": "Camille"},
                        headers=self.auth,
                    )
                    assert answer.status_code == 200, answer.text
            payment = {"amount": order["order_total"], "method": method}
            if method == "card":  # a card is paid with the provider's token of it
                payment["payment_card_token"] = "tok_visa_4242"  # noqa: S105 (not a secret)
            answer = await http.post(
                f"{self.pos}/orders/{order['order_id']}/payments", json=payment, headers=self.auth
            )
            assert answer.status_code == 201, answer.text
            return order


@pytest.fixture
def guest_venue(shared_platform: Platform) -> GuestVenue:
    """A venue of its own on the module's platform."""
    return GuestVenue(shared_platform, f"venue-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def venue_named(shared_platform: Platform) -> Callable[[str], GuestVenue]:
    """A venue of a chosen id on the module's platform (for tests that open its staff accounts
    before setting it up)."""
    return lambda venue_id: GuestVenue(shared_platform, venue_id)


# --- concierge offers: a hotel's room and offers, its guests ordering from their room ----------

ROOM_OFFERS = (
    ("spa", "Accès au spa", "Spa access", 4500, False),
    ("breakfast", "Petit-déjeuner en chambre", "Breakfast in bed", 2500, True),
)
"""A hotel's offers (id, French and English names, price in cents, auto-confirm): the spa for
staff to confirm, breakfast that confirms itself."""


class ConciergeHotel:
    """A hotel set up over the services' HTTP APIs for concierge offers (its settings, a room,
    the ROOM_OFFERS), and its guests scanning the room's QR code and ordering offers."""

    def __init__(self, http: httpx.AsyncClient, platform: Platform, venue_id: str) -> None:
        self.http = http
        self.venue_id = venue_id
        # Profit centre and offer ids are unique across venues (a platform may be shared).
        self.rooms = f"rooms-{venue_id}"
        self.offers = {offer[0]: f"{offer[0]}-{venue_id}" for offer in ROOM_OFFERS}
        self.sessions = platform.url("table-session")
        self.ordering = platform.url("ordering")

    async def set_up(self, settings: dict[str, Any], room_name: str) -> dict[str, Any]:
        """The venue's settings, a room and the offers; answers the room."""
        venue = f"{self.sessions}/venues/{self.venue_id}"
        answer = await self.http.put(f"{venue}/settings", json=settings)
        assert answer.status_code in (200, 201), answer.text
        answer = await self.http.post(
            f"{venue}/profit-centres",
            json={"profit_centre_id": self.rooms, "name": "Rooms", "mode": "order"},
        )
        assert answer.status_code in (200, 201), answer.text
        answer = await self.http.post(
            f"{venue}/spots",
            json={"profit_centre_id": self.rooms, "name": room_name, "kind": "room"},
        )
        assert answer.status_code == 201, answer.text
        room = dict(answer.json())
        for offer_id, fr, en, cents, auto in ROOM_OFFERS:
            answer = await self.http.put(
                f"{self.ordering}/venues/{self.venue_id}/offers/{self.offers[offer_id]}",
                json={
                    "name": {"fr": fr, "en": en},
                    "offer_type": "offer",
                    "price": {"amount_minor": cents, "currency": "EUR"},
                    "auto_confirm": auto,
                    "available": True,
                },
            )
            assert answer.status_code in (200, 201), answer.text
        return room

    async def scan(self, token: str) -> dict[str, Any]:
        body = {"token": token, "device_id": f"phone-{uuid.uuid4().hex[:6]}"}
        answer = await self.http.post(f"{self.sessions}/scan", json=body)
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    async def order(self, seated: dict[str, Any], offer_id: str, **guest: str) -> dict[str, Any]:
        """The guest orders an offer (`guest`: name, e-mail address, language, note), once
        ordering knows their session (from events)."""
        url = f"{self.ordering}/sessions/{seated['session_id']}/offer-orders"
        body = {"guest_id": seated["guest_id"], "offer_id": self.offers[offer_id], **guest}

        async def attempt() -> dict[str, Any] | None:
            answer = await self.http.post(url, json=body)
            if answer.status_code in (403, 404, 409):  # the session not known there yet
                return None
            assert answer.status_code == 201, answer.text
            return dict(answer.json())

        ordered: dict[str, Any] = await eventually(attempt, within=30)
        return ordered

    async def confirm(self, offer_order_id: str) -> None:
        answer = await self.http.post(
            f"{self.ordering}/offer-orders/{offer_order_id}/confirm", json={"staff": "Ana"}
        )
        assert answer.status_code == 200, answer.text


@pytest.fixture
def concierge_hotel() -> Callable[[httpx.AsyncClient, Platform, str], ConciergeHotel]:
    """Hotels for concierge offers, of a client, a platform and a venue id (test modules cannot
    import this file's classes)."""
    return ConciergeHotel


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need the distribution's Chromium at /usr/bin/chromium")
    return CHROMIUM


@pytest.fixture(scope="module")
async def browser(chromium: Path) -> AsyncIterator[Any]:
    """The distribution's Chromium driven by Playwright (never a browser Playwright downloads)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    """Where a test saves its screenshots: test-output/e2e/<test name>/."""
    folder = OUTPUT / re.sub(r"[^\w.-]", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
