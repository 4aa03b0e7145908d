"""The gateway's staff boundaries against the real services (not a stand-in), over HTTP as a
browser sends it, on the session's shared platform: staff of one venue can neither read nor
act on another venue's back office (pages, devices, spots, offers, offer orders, staff), nor use
a console paired to another venue; a POS device of one venue cannot act on another venue's
orders; a staff post without its CSRF token, or from a foreign origin, is refused and changes
nothing; and a closed account's signed-in browser stops working within the gateway's re-check
of accounts. After each refusal the other venue is read back from its services, unchanged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from convive.cli.platform import Platform
from convive.runtime.testkit import DEADLINE, eventually

pytestmark = pytest.mark.infra

PASSWORD = "a long enough password"  # noqa: S105 (the tests' own; the conftest's STAFF_PASSWORD)
ACCOUNT_RECHECK = 30.0
"""The gateway's ACCOUNT_CHECK_SECONDS: how long it trusts its last word from pos-gateway on a
signed-in account (a constant of the gateway, not a setting yet)."""
JSON = {"accept": "application/json"}


def ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), (
        f"{response.request.method} {response.request.url} -> {response.status_code}: "
        f"{response.text[:2000]}"
    )
    return response.json() if response.content else None


@dataclass
class Venue:
    """A venue with everything the back office and the POS reach, set up over the services'
    APIs: settings, a table with a menu and a paired device, a room with concierge offers, an
    owner and a cashier; a guest's offer order (pending) and table order (to validate)."""

    venue_id: str
    platform: Platform
    owner: dict[str, Any] = field(default_factory=dict)
    cashier: dict[str, Any] = field(default_factory=dict)
    spot: dict[str, Any] = field(default_factory=dict)
    device: dict[str, str] = field(default_factory=dict)
    offer_id: str = ""
    offer_order_id: str = ""
    order_id: str = ""

    @property
    def admin(self) -> str:
        return f"/admin/venues/{self.venue_id}"

    def url(self, service: str) -> str:
        return self.platform.url(service)

    async def set_up(self, staff_root: Any, table: Any, concierge: Any) -> Venue:
        """`table`: the conftest's GuestVenue of this venue; `concierge`: its ConciergeHotel."""
        self.owner = await staff_root.open_account("owner", [self.venue_id], name="Olivia")
        self.cashier = await staff_root.open_account(
            "cashier", [self.venue_id], name="Camille", opened_by=self.owner["header"]
        )
        self.spot = await table.set_up()
        self.device = table.auth
        room = await concierge.set_up(
            {"name": f"Hôtel {self.venue_id}", "language": "en", "pms_integration": "none"},
            "Room 112",
        )
        self.offer_id = concierge.offers["spa"]  # confirmed by staff: it stays pending
        ordered = await concierge.order(
            await concierge.scan(room["token"]),
            "spa",
            guest_name="Ada Lovelace",
            guest_email=f"ada-{uuid.uuid4().hex[:6]}@example.org",
            language="en",
        )
        self.offer_order_id = ordered["offer_order_id"]
        self.order_id = await self.table_order()
        return self

    async def table_order(self) -> str:
        """A guest orders at the table; answers the order once the POS knows it."""
        async with httpx.AsyncClient(timeout=DEADLINE) as http:
            seated = ok(
                await http.post(
                    f"{self.url('table-session')}/scan",
                    json={"token": self.spot["token"], "device_id": f"p-{uuid.uuid4().hex[:6]}"},
                )
            )
            session = seated["session_id"]

            async def added() -> Any:
                answer = await http.post(
                    f"{self.url('ordering')}/sessions/{session}/cart/items",
                    json={"guest_id": seated["guest_id"], "product_id": "croque", "quantity": 1},
                )
                return None if answer.status_code in (403, 404) else ok(answer, 201)

            await eventually(added)
            placed = ok(
                await http.post(
                    f"{self.url('ordering')}/sessions/{session}/cart/confirm",
                    json={"guest_id": seated["guest_id"]},
                ),
                201,
            )
        await eventually(self.pos_order_of(placed["order_id"]))
        return str(placed["order_id"])

    def pos_order_of(self, order_id: str) -> Any:
        async def known() -> Any:
            async with httpx.AsyncClient(timeout=DEADLINE) as http:
                answer = await http.get(
                    f"{self.url('pos-gateway')}/orders/{order_id}", headers=self.device
                )
            return answer.json() if answer.status_code == 200 else None

        return known

    async def snapshot(self) -> dict[str, Any]:
        """What the venue's services say of it (its owner's view), to compare before and
        after another venue's staff tried to change it."""
        async with httpx.AsyncClient(timeout=DEADLINE) as http:

            async def read(url: str, **kwargs: Any) -> Any:
                return ok(await http.get(url, **kwargs))

            sessions, ordering, pos = (
                self.url("table-session"),
                self.url("ordering"),
                self.url("pos-gateway"),
            )
            venue = f"/venues/{self.venue_id}"
            order = await self.pos_order_of(self.order_id)()
            return {
                "settings": await read(f"{sessions}{venue}/settings"),
                "profit centres": await read(f"{sessions}{venue}/profit-centres"),
                "spots": await read(f"{sessions}{venue}/spots"),
                "menu": await read(f"{ordering}{venue}/menu"),
                "offers": await read(f"{ordering}{venue}/offers"),
                "offer orders": [
                    (o["offer_order_id"], o["status"])
                    for o in await read(f"{ordering}{venue}/offer-orders")
                ],
                "devices": await read(f"{pos}{venue}/devices", headers=self.owner["header"]),
                "the device works": (
                    await http.get(f"{pos}{venue}/orders", headers=self.device)
                ).status_code
                == 200,
                "accounts": sorted(
                    a["staff_id"] for a in await read(f"{pos}/staff", headers=self.owner["header"])
                ),
                "order": (order["status"], [r["validated"] for r in order["rounds"]]),
                "payments": order.get("paid"),
            }


@pytest.fixture
def make_venue(
    staff_root: Any, venue_named: Any, concierge_hotel: Any, shared_platform: Platform
) -> Any:
    """`await make_venue()`: a venue with all its parts and staff of its own."""

    async def make() -> Venue:
        venue_id = staff_root.venue_id()
        async with httpx.AsyncClient(timeout=DEADLINE) as http:
            concierge = concierge_hotel(http, shared_platform, venue_id)
            venue = Venue(venue_id, shared_platform)
            return await venue.set_up(staff_root, venue_named(venue_id), concierge)

    return make


@pytest.fixture
async def two_venues(make_venue: Any) -> list[Venue]:
    """Venues A and B, each with all its parts and staff of its own."""
    return [await make_venue(), await make_venue()]


@pytest.fixture
async def venue(make_venue: Any) -> Venue:
    return await make_venue()


def every_post(venue: Venue, device_id: str) -> dict[str, dict[str, Any]]:
    """Every post of a venue's back office (the path after `/admin/venues/<venue>`), each with
    a form it would take: a pirate's settings, spot, product, offer and account; the venue's
    device revoked; its offer order confirmed, cancelled, marked posted, posted again; its
    cashier's account closed."""
    offer = {"name_fr": "Pirate", "name_en": "Pirate", "offer_type": "offer", "price": "1"}
    order = f"/offer-orders/{venue.offer_order_id}"
    return {
        "/settings": {"name": "Pirate", "language": "fr", "pms_integration": "none"},
        "/profit-centres": {"name": "Pirate bar", "mode": "order"},
        "/spots": {
            "profit_centre_id": f"dining-{venue.venue_id}",
            "name": "Pirate",
            "kind": "table",
        },
        "/menu": {},
        "/menu/products": {"name_fr": "Rhum", "name_en": "Rum", "price": "1"},
        "/offers": offer,
        f"/offers/{venue.offer_id}": offer,
        "/pairing-codes": {},
        f"/devices/{device_id}/revoke": {},
        f"{order}/confirm": {},
        f"{order}/cancel": {"reason": "pirate"},
        f"{order}/mark-posted": {},
        f"{order}/retry": {},
        "/staff": {
            "name": "Pirate",
            "email": f"pirate-{uuid.uuid4().hex[:6]}@example.org",
            "role": "owner",
            "password": PASSWORD,
            "venue_ids": [venue.venue_id],
        },
        f"/staff/{venue.cashier['staff_id']}/close": {},
    }


# --- one venue's staff and another venue --------------------------------------------------------


async def test_staff_of_one_venue_can_neither_read_nor_act_on_another_venues_back_office(
    two_venues: list[Venue], staff_browser: Any
) -> None:
    a, b = two_venues
    before = await b.snapshot()
    owner_of_a = staff_browser()
    await owner_of_a.sign_in(a.owner["email"])
    await owner_of_a.read_token(f"{a.admin}/settings")

    # Every page of B, as a page and as a script asks for it.
    b_device = before["devices"][0]["device_id"]
    b_cashier = b.cashier["staff_id"]
    b_pages = [
        "",
        "/settings",
        "/spots",
        f"/spots/{b.spot['spot_id']}/qr.svg",
        "/qr-sheet.pdf",
        "/menu",
        "/devices",
        "/offers",
        "/offers/new",
        f"/offers/{b.offer_id}",
        "/offer-orders",
        "/staff",
    ]
    for page in b_pages:
        shown = await owner_of_a.http.get(f"{b.admin}{page}")
        assert shown.status_code == 403, (page, shown.status_code)
        assert 'data-testid="forbidden-page"' in shown.text, page
        assert b.venue_id not in shown.text, page  # nothing of B's shown, not even its name
        as_script = await owner_of_a.http.get(f"{b.admin}{page}", headers=JSON)
        assert as_script.status_code == 403, page
        assert as_script.json()["field"] == "venue_id", page

    # Every action on B's pages, with A's valid token: refused before any service is asked.
    for action, data in every_post(b, b_device).items():
        refused = await owner_of_a.post(f"{b.admin}{action}", data)
        assert refused.status_code == 403, (action, refused.status_code, refused.text[:300])

    # B's things named on A's own pages: not found there, and left alone.
    b_ids = (b_device, b.offer_order_id, b.offer_id, b_cashier)
    naming_b = {k: v for k, v in every_post(b, b_device).items() if any(i in k for i in b_ids)}
    assert len(naming_b) == 7
    for action, data in naming_b.items():
        refused = await owner_of_a.post(f"{a.admin}{action}", data)
        assert refused.status_code == 404, (action, refused.status_code, refused.text[:300])
    for page in (f"/spots/{b.spot['spot_id']}/qr.svg", f"/offers/{b.offer_id}"):
        assert (await owner_of_a.http.get(f"{a.admin}{page}")).status_code == 404, page

    # A's own home lists A only.
    home = await owner_of_a.http.get("/admin")
    assert home.status_code == 200
    assert b.venue_id not in home.text
    assert await b.snapshot() == before

    # The same token on A's own page does act: the refusals above were about the venue.
    done = await owner_of_a.post(f"{a.admin}/offer-orders/{a.offer_order_id}/confirm")
    assert done.status_code == 303, done.text


async def test_staff_of_one_venue_cannot_use_a_console_paired_to_another_venue(
    two_venues: list[Venue], staff_browser: Any
) -> None:
    a, b = two_venues
    before = await b.snapshot()
    console = staff_browser()
    await console.pair(await pairing_code(b), "B's till")
    await console.sign_in(a.cashier["email"], app="pos")

    page = await console.http.get("/pos")
    assert page.status_code == 403
    assert 'data-testid="wrong-venue"' in page.text
    assert b.order_id not in page.text
    for part in ("orders", "order", "tickets", "tables"):
        fragment = await console.http.get(
            f"/pos/fragments/{part}", params={"order": b.order_id}, headers=JSON
        )
        assert fragment.status_code == 403, (part, fragment.text)
    assert (await console.http.get(f"/events/venues/{b.venue_id}")).status_code == 403
    console.token_from(page.text)
    for action, data in {
        f"/pos/orders/{b.order_id}/rounds/1/validate": {},
        f"/pos/orders/{b.order_id}/rounds/1/reject": {"reason": "pirate"},
        f"/pos/orders/{b.order_id}/payments": {"method": "cash", "amount": "12,50"},
    }.items():
        refused = await console.post(action, data, headers=JSON)
        assert refused.status_code == 403, (action, refused.text)
    after = await b.snapshot()
    paired_above = [d for d in after.pop("devices") if d["name"] != "B's till"]
    assert paired_above == before.pop("devices")
    assert after == before


async def test_a_device_of_one_venue_cannot_act_on_another_venues_orders(
    two_venues: list[Venue], staff_browser: Any
) -> None:
    a, b = two_venues
    before = await b.snapshot()
    till = staff_browser()
    await till.pair(await pairing_code(a), "A's till")
    await till.sign_in(a.cashier["email"], app="pos")
    await till.read_token("/pos")

    # The console does not open B's order: it is "gone" as far as A's device can tell.
    shown = await till.http.get("/pos", params={"order": b.order_id})
    assert shown.status_code == 200
    assert 'data-testid="order-gone"' in shown.text
    for action, data in {
        f"/pos/orders/{b.order_id}/rounds/1/validate": {},
        f"/pos/orders/{b.order_id}/rounds/1/reject": {"reason": "pirate"},
        f"/pos/orders/{b.order_id}/payments": {"method": "cash", "amount": "12,50"},
    }.items():
        refused = await till.post(action, data, headers=JSON)
        assert refused.status_code in (403, 404), (action, refused.status_code, refused.text)
    # A's device straight at pos-gateway: refused as well.
    async with httpx.AsyncClient(timeout=DEADLINE) as http:
        direct = await http.post(
            f"{b.url('pos-gateway')}/orders/{b.order_id}/rounds/1/validate",
            json={"staff": "Pirate"},
            headers=a.device,
        )
    assert direct.status_code in (403, 404), direct.text
    assert await b.snapshot() == before

    # The same till does validate its own venue's order.
    done = await till.post(f"/pos/orders/{a.order_id}/rounds/1/validate", headers=JSON)
    assert done.status_code == 201, done.text
    assert done.json()["ok"] is True


async def pairing_code(venue: Venue) -> str:
    """A pairing code of the venue, as its owner gets it (pos-gateway's staff API)."""
    async with httpx.AsyncClient(timeout=DEADLINE) as http:
        code = ok(
            await http.post(
                f"{venue.url('pos-gateway')}/venues/{venue.venue_id}/pairing-codes",
                headers=venue.owner["header"],
            ),
            201,
        )
    return str(code["code"])


# --- CSRF: a post without the token, or from elsewhere ------------------------------------------


async def test_a_staff_post_without_its_token_or_from_another_origin_is_refused_and_changes_nothing(
    venue: Venue, staff_browser: Any
) -> None:
    a = venue
    owner = staff_browser()
    await owner.sign_in(a.owner["email"])
    token = await owner.read_token(f"{a.admin}/settings")
    before = await a.snapshot()
    posts = every_post(a, before["devices"][0]["device_id"])
    for path, data in posts.items():
        url = f"{a.admin}{path}"
        without = await owner.http.post(url, data=data)
        assert without.status_code == 403, (path, without.status_code)
        assert "This form has expired" in without.text, path
        wrong = await owner.http.post(url, data={**data, "csrf_token": "x" * 32}, headers=JSON)
        assert wrong.status_code == 403, path
        assert wrong.json()["field"] == "csrf_token", path
        foreign = await owner.http.post(
            url,
            data={**data, "csrf_token": token},
            headers={**JSON, "origin": "https://evil.example"},
        )
        assert foreign.status_code == 403, path
        assert foreign.json()["field"] == "origin", path
    # Signing out is a post too: without the token the browser stays signed in.
    assert (await owner.http.post("/admin/logout")).status_code == 403
    assert (await owner.http.get(f"{a.admin}/settings")).status_code == 200
    assert await a.snapshot() == before

    # The same post with the token, from the same origin, is taken.
    origin = owner.http.base_url.copy_with(path="/")
    saved = await owner.post(
        f"{a.admin}/offer-orders/{a.offer_order_id}/confirm",
        headers={"origin": str(origin).rstrip("/")},
    )
    assert saved.status_code == 303, saved.text
    after = await a.snapshot()
    assert (a.offer_order_id, "confirmed") in after["offer orders"]


async def test_a_console_post_without_its_token_or_from_another_origin_is_refused(
    venue: Venue, staff_browser: Any
) -> None:
    a = venue
    till = staff_browser()
    await till.pair(await pairing_code(a), "Till")
    await till.sign_in(a.cashier["email"], app="pos")
    token = await till.read_token("/pos")
    before = await a.snapshot()
    validate = f"/pos/orders/{a.order_id}/rounds/1/validate"
    without = await till.http.post(validate, data={}, headers=JSON)
    assert without.status_code == 403
    assert without.json()["field"] == "csrf_token"
    foreign = await till.http.post(
        validate, data={"csrf_token": token}, headers={**JSON, "origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    assert foreign.json()["field"] == "origin"
    assert (await till.http.post("/pos/forget", data={})).status_code == 403
    assert (await till.http.get("/pos")).status_code == 200  # still paired, still signed in
    assert await a.snapshot() == before
    assert (await till.post(validate, headers=JSON)).status_code == 201


# --- a closed account --------------------------------------------------------------------------


async def test_a_closed_accounts_signed_in_browser_stops_working_within_the_recheck(
    venue: Venue, staff_browser: Any
) -> None:
    a = venue
    cashier = staff_browser()
    await cashier.sign_in(a.cashier["email"])
    orders = f"{a.admin}/offer-orders"
    assert (await cashier.http.get(orders)).status_code == 200  # the account checked: open

    owner = staff_browser()
    await owner.sign_in(a.owner["email"])
    await owner.read_token(f"{a.admin}/staff")
    closed = await owner.post(f"{a.admin}/staff/{a.cashier['staff_id']}/close")
    assert closed.status_code == 303, closed.text
    # From the close on, pos-gateway refuses the account: no new sign-in...
    again = staff_browser()
    refused = await again.try_sign_in(a.cashier["email"])
    assert refused.status_code == 401
    assert 'data-testid="login-error"' in refused.text

    # ...and the browser signed in before is sent to the login page once the gateway asks
    # pos-gateway again about the account (at most ACCOUNT_RECHECK seconds after its last word).
    async def signed_out() -> bool:
        answer = await cashier.http.get(orders)
        assert answer.status_code in (200, 303), answer.status_code
        return answer.status_code == 303 and answer.headers["location"].startswith("/admin/login")

    await eventually(signed_out, within=ACCOUNT_RECHECK + DEADLINE)
    as_script = await cashier.http.get(orders, headers=JSON)
    assert as_script.status_code == 401
    assert "closed" in as_script.json()["error"]
