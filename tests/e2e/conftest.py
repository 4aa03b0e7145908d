"""The platform as processes for end-to-end tests: every service started with `python -m`, on
real Kafka and PostgreSQL (one of each per run, from the pytest plugin).

One platform serves every test that keeps to venues of its own (`shared_platform`, started once
per session in one schema and topic namespace): each test makes its own venue and, where it needs
staff, its own owner (`staff_root`). A test that kills or stops a part of the platform takes a
platform of its own (`platform`), so that it disturbs nobody else.

Every wait is bounded by the one live deadline, `testkit.DEADLINE` (also Playwright's default in
the `browser` fixture); nothing proves an absence by sleeping (see docs/decisions/0016)."""

from __future__ import annotations

import contextlib
import itertools
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
from convive.runtime.testkit import DEADLINE, eventually

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e"
LIVE_MS = int(DEADLINE * 1000)
"""The live deadline in milliseconds, for Playwright."""
PLATFORM_START = 5 * DEADLINE
"""Seconds every service of a platform has to answer ready. Ten processes start at once, and
each imports some ten CPU-seconds of modules before it listens: on a two-core machine shared by
other test runs that takes minutes. Generous for the same reason as the live deadline: it costs
nothing when the machine is quiet (the wait ends when the last service is ready)."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that starts a platform (its own, or the shared one when it is the first to ask)
    has PLATFORM_START more than its own time limit: pytest-timeout counts the set-up too."""
    here = Path(__file__).parent
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if here not in item.path.parents or not {"platform", "shared_platform"} & set(fixtures):
            continue
        marker = item.get_closest_marker("timeout")
        own = marker.args[0] if marker is not None and marker.args else config.getini("timeout")
        item.add_marker(pytest.mark.timeout(float(own) + PLATFORM_START), append=False)


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
        running.wait_ready(timeout=PLATFORM_START)
        yield running
    finally:
        running.stop()


@pytest.fixture
def platform(
    database_url: str, kafka_bootstrap: str, namespace: str, request: pytest.FixtureRequest
) -> Iterator[Platform]:
    """A platform of the test's own, for a test that kills or stops a part of it (every other
    test uses `shared_platform`); logs under test-output/e2e/<test>/."""
    log_dir = OUTPUT / re.sub(r"[^\w.-]", "_", request.node.name)
    with running_platform(database_url, kafka_bootstrap, namespace, log_dir) as running:
        yield running


@pytest.fixture(scope="session")
def shared_platform(database_url: str, kafka_bootstrap: str) -> Iterator[Platform]:
    """Every service as its own process, started once for the whole session in one schema and
    topic namespace (`namespace_of` it): its tests keep apart by using venues, accounts and
    e-mail addresses of their own. Nothing may kill or stop it. Logs under
    test-output/e2e/shared-platform/."""
    namespace = f"s{uuid.uuid4().hex[:6]}_"
    with running_platform(
        database_url, kafka_bootstrap, namespace, OUTPUT / "shared-platform"
    ) as running:
        yield running


@pytest.fixture(scope="session")
def namespace_of() -> Callable[[Platform], str]:
    """`namespace_of(platform)`: the topic namespace a platform runs in (to read its topics)."""
    return lambda running: running.env["CONVIVE_TOPIC_NAMESPACE"]


# --- staff: the shared platform's first account opens every test's owner -----------------------

STAFF_PASSWORD = "a long enough password"  # noqa: S105 (the tests' own)
STAFFED_VENUES = 100
"""How many venues with staff a session may make: pos-gateway opens an account for at most 100
venues, and the shared platform's first account must hold all of them (see StaffRoot)."""


class StaffRoot:
    """The shared platform's first staff account, and the owners it opens for the tests.

    pos-gateway lets only the very first account open itself (an owner's, without a header);
    every later one is opened by an owner of all its venues. So the session's first account is
    an owner of a pool of venue ids made up front, and each test that needs staff takes venue
    ids from the pool (`venue_id()`) and has its own owner opened for them (`open_account`).
    That first account is listed among the staff of every such venue: tests that count a
    venue's accounts leave it out (`email`)."""

    def __init__(self, platform: Platform) -> None:
        self.pos = platform.url("pos-gateway")
        tag = uuid.uuid4().hex[:6]
        self.pool = [f"venue-{tag}-{n:02d}" for n in range(STAFFED_VENUES)]
        self.taken = itertools.count()
        self.email = f"root-{tag}@suite.convive.example"
        answer = httpx.post(
            f"{self.pos}/staff",
            json={
                "email": self.email,
                "name": "Suite root",
                "role": "owner",
                "venue_ids": self.pool,
                "password": STAFF_PASSWORD,
            },
            timeout=DEADLINE,
        )
        assert answer.status_code == 201, (
            "the shared platform's first staff account could not be opened (did something "
            f"else open one first?): {answer.status_code} {answer.text}"
        )
        self.staff_id = str(answer.json()["staff_id"])

    @property
    def header(self) -> dict[str, str]:
        return {"X-Convive-Staff": self.staff_id}

    def venue_id(self) -> str:
        """A venue id of the pool not given out before in this session."""
        n = next(self.taken)
        if n >= len(self.pool):
            raise RuntimeError(f"more than {STAFFED_VENUES} venues with staff in one session")
        return self.pool[n]

    async def open_account(
        self,
        role: str,
        venue_ids: list[str],
        *,
        name: str,
        email: str | None = None,
        opened_by: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """An account opened over pos-gateway's API (by the root unless `opened_by`'s header),
        with `STAFF_PASSWORD` and an e-mail address of its own; its profile, with `email` and
        `header` (what the gateway sends as that member)."""
        local = re.sub(r"[^a-z]", "", name.lower()) or "staff"
        email = email or f"{local}-{uuid.uuid4().hex[:6]}@staff.convive.example"
        async with httpx.AsyncClient(timeout=DEADLINE) as http:
            answer = await http.post(
                f"{self.pos}/staff",
                json={
                    "email": email,
                    "name": name,
                    "role": role,
                    "venue_ids": venue_ids,
                    "password": STAFF_PASSWORD,
                },
                headers=opened_by or self.header,
            )
        assert answer.status_code == 201, answer.text
        account = dict(answer.json())
        account["header"] = {"X-Convive-Staff": account["staff_id"]}
        return account


@pytest.fixture(scope="session")
def staff_root(shared_platform: Platform) -> StaffRoot:
    """The shared platform's first staff account (see StaffRoot)."""
    return StaffRoot(shared_platform)


class StaffBrowser:
    """A staff member's browser at the request level (for tests that check what the gateway
    answers, not how a page looks): cookies of its own, redirects not followed, the CSRF token
    read from its pages as a form carries it."""

    def __init__(self, gateway: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=gateway,
            timeout=DEADLINE,
            follow_redirects=False,
            headers={"accept-language": "en"},  # the pages' words, as the tests read them
        )
        self.token = ""

    def token_from(self, html: str) -> str:
        """The CSRF token a page's forms carry (kept for `post`)."""
        found = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert found, "the page has no CSRF token"
        self.token = found.group(1)
        return self.token

    async def try_sign_in(self, email: str, app: str = "admin") -> httpx.Response:
        """The login form of the back office (`admin`) or the POS (`pos`), sent; the answer."""
        page = await self.http.get(f"/{app}/login")
        return await self.http.post(
            f"/{app}/login",
            data={
                "csrf_token": self.token_from(page.text),
                "email": email,
                "password": STAFF_PASSWORD,
            },
        )

    async def sign_in(self, email: str, app: str = "admin") -> None:
        answer = await self.try_sign_in(email, app)
        assert answer.status_code == 303, answer.text
        assert "/login" not in answer.headers["location"], "the login was refused"

    async def read_token(self, path: str) -> str:
        """The CSRF token the forms of one of its own pages carry."""
        page = await self.http.get(path)
        assert page.status_code == 200, (path, page.status_code, page.text[:500])
        return self.token_from(page.text)

    async def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A form posted with the browser's CSRF token, as the page's form would."""
        return await self.http.post(
            path, data={"csrf_token": self.token, **(data or {})}, headers=headers
        )

    async def pair(self, code: str, name: str) -> None:
        """Pair this browser as a POS device with a pairing code, as the pairing page does."""
        page = await self.http.get("/pos")
        answer = await self.http.post(
            "/pos/pair", data={"csrf_token": self.token_from(page.text), "code": code, "name": name}
        )
        assert answer.status_code == 303, answer.text


@pytest.fixture
async def staff_browser(shared_platform: Platform) -> AsyncIterator[Callable[[], StaffBrowser]]:
    """`staff_browser()`: a new staff browser on the shared platform's gateway (closed after
    the test)."""
    opened: list[StaffBrowser] = []

    def open_one() -> StaffBrowser:
        opened.append(StaffBrowser(shared_platform.url("gateway")))
        return opened[-1]

    yield open_one
    for one in opened:
        await one.http.aclose()


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
        async with httpx.AsyncClient(timeout=DEADLINE) as http:
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
        async with httpx.AsyncClient(timeout=DEADLINE) as http:

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

            order = await eventually(pending)
            answer = await http.post(
                f"{self.pos}/orders/{order['order_id']}/rounds/{round_number}/validate",
                json={"staff": staff},
                headers=self.auth,
            )
            assert answer.status_code == 200, answer.text

    async def configure(self, mode: str) -> None:
        """Reconfigure the venue's profit centre (same id) to another journey mode."""
        async with httpx.AsyncClient(timeout=DEADLINE) as http:
            answer = await http.post(
                f"{self.sessions}/venues/{self.venue_id}/profit-centres",
                json={"profit_centre_id": self.profit_centre, "name": "Dining room", "mode": mode},
            )
            assert answer.status_code in (200, 201), answer.text

    async def spot_status(self) -> dict[str, Any]:
        """The spot as table-session lists it (status free|occupied, session_id)."""
        async with httpx.AsyncClient(timeout=DEADLINE) as http:
            answer = await http.get(f"{self.sessions}/venues/{self.venue_id}/spots")
            assert answer.status_code == 200, answer.text
            return next(s for s in answer.json() if s["spot_id"] == self.spot["spot_id"])

    async def pay_at_till(self, session_id: str, method: str = "card") -> dict[str, Any]:
        """The POS validates every round not yet validated, then takes the payment of what is
        due (what staff do at the till); answers the order as the POS knew it."""
        async with httpx.AsyncClient(timeout=DEADLINE) as http:

            async def known() -> Any:
                answer = await http.get(
                    f"{self.pos}/venues/{self.venue_id}/orders",
                    params={"status": "all"},
                    headers=self.auth,
                )
                assert answer.status_code == 200, answer.text
                return next((o for o in answer.json() if o["session_id"] == session_id), None)

            order = await eventually(known)
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
    """A venue of its own on the shared platform."""
    return GuestVenue(shared_platform, f"venue-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def venue_named(shared_platform: Platform) -> Callable[[str], GuestVenue]:
    """A venue of a chosen id on the shared platform (for tests that open its staff accounts
    before setting it up: `staff_root.venue_id()`)."""
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

        ordered: dict[str, Any] = await eventually(attempt)
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


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The distribution's Chromium. Missing, the browser tests fail (never skip): a suite that
    passes by not running proves nothing."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser tests need the distribution's Chromium at {CHROMIUM}: `make test` "
            "installs it (deploy/local/install-deps.sh --browser), or `apt-get install chromium`"
        )
    return CHROMIUM


class Browser:
    """Playwright's browser, whose contexts wait up to the live deadline (`LIVE_MS`) by default,
    as `expect` does (set by the `browser` fixture)."""

    def __init__(self, launched: Any) -> None:
        self.launched = launched

    async def new_context(self, **options: Any) -> Any:
        context = await self.launched.new_context(**options)
        context.set_default_timeout(LIVE_MS)
        return context

    async def watched_page(self, viewport: dict[str, int], locale: str) -> Any:
        """A page in a browser context of its own (its own cookies) that keeps its script
        errors in `page.errors` (a scenario checks it is empty at its end) and answers yes to
        the confirmation a destructive form asks for."""
        context = await self.new_context(viewport=viewport, locale=locale, device_scale_factor=1)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("dialog", lambda dialog: dialog.accept())
        page.errors = errors
        return page

    def __getattr__(self, name: str) -> Any:
        return getattr(self.launched, name)


@pytest.fixture(scope="module")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """The distribution's Chromium driven by Playwright (never a browser Playwright downloads);
    every wait of a page and every `expect` is bounded by the live deadline."""
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=LIVE_MS)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield Browser(launched)
        finally:
            await launched.close()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    """Where a test saves its screenshots: test-output/e2e/<test name>/."""
    folder = OUTPUT / re.sub(r"[^\w.-]", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
