"""Concierge orders posted to the hotel's PMS end to end, over HTTP only, with every service as
its own process on real Kafka and PostgreSQL and the PMS double as the hotel's PMS: a two-way
hotel's confirmed order reaches the guest's folio once; while the PMS fails, each failed try
shows in the back office's list, and the order is posted once when the PMS is back. A one-way
hotel's order waits for staff to post it by hand and say so.

The PMS double's control API (`/_control/...`) makes it fail and lists what it received. The
back office's calls to pos-gateway carry `X-Convive-Staff` of the hotels' owner, as the gateway
sends them."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from convive.cli.platform import PMS_SANDBOX, Platform
from convive.runtime.testkit import DEADLINE, eventually

pytestmark = pytest.mark.infra


def ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), (
        f"{response.request.method} {response.request.url} -> {response.status_code}: "
        f"{response.text}"
    )
    return response.json()


class Hotel:
    """A hotel set up through the services' HTTP APIs (`concierge`: the conftest's
    ConciergeHotel), its guests' offer orders, and the back office's view of their posting to
    the PMS."""

    def __init__(
        self, concierge: Any, platform: Platform, pms_integration: str, owner: dict[str, str]
    ) -> None:
        self.concierge = concierge
        self.http = concierge.http
        self.pms_integration = pms_integration
        self.venue_id = concierge.venue_id
        self.owner = owner
        self.pos = platform.url("pos-gateway")
        self.pms = platform.url(PMS_SANDBOX)

    async def set_up(self) -> dict[str, Any]:
        """Settings with the PMS integration, a room, an offer staff confirm and one that
        confirms itself; answers the room."""
        settings = {
            "name": "Hôtel du Port",
            "language": "en",
            "notification_email": None,
            "pms_integration": self.pms_integration,
        }
        return dict(await self.concierge.set_up(settings, "Room 112"))

    async def scan(self, token: str) -> dict[str, Any]:
        return dict(await self.concierge.scan(token))

    async def order(self, seated: dict[str, Any], offer_id: str) -> str:
        ordered = await self.concierge.order(
            seated,
            offer_id,
            guest_name="Ada Lovelace",
            guest_email=f"ada-{uuid.uuid4().hex[:6]}@example.org",
            language="en",
        )
        return str(ordered["offer_order_id"])

    async def confirm(self, offer_order_id: str) -> None:
        await self.concierge.confirm(offer_order_id)

    async def posting(self, offer_order_id: str, **expected: Any) -> dict[str, Any]:
        """The order's posting as the back office lists it, once it shows `expected`."""

        async def shown() -> dict[str, Any] | None:
            listed = ok(
                await self.http.get(
                    f"{self.pos}/venues/{self.venue_id}/folio-postings", headers=self.owner
                )
            )
            for posting in listed:
                if posting["offer_order_id"] == offer_order_id and all(
                    check(posting[key]) if callable(check) else posting[key] == check
                    for key, check in expected.items()
                ):
                    return dict(posting)
            return None

        found: dict[str, Any] = await eventually(shown)
        return found

    async def received(self, offer_order_id: str) -> tuple[list[Any], list[Any]]:
        """The charges the PMS double holds for the order, and every call it got for it."""
        answer = ok(await self.http.get(f"{self.pms}/_control/charges"))
        charges = [c for c in answer["charges"] if c["reference"] == offer_order_id]
        calls = [r for r in answer["requests"] if r["idempotency_key"] == offer_order_id]
        return charges, calls


@pytest.fixture(scope="module")
def venues(staff_root: Any) -> dict[str, str]:
    """The two hotels' venue ids, by PMS integration."""
    return {kind: staff_root.venue_id() for kind in ("two_way", "one_way")}


@pytest.fixture(scope="module")
async def owner(staff_root: Any, venues: dict[str, str]) -> dict[str, str]:
    """The owner of both hotels (opened by the shared platform's first account); its header."""
    account = await staff_root.open_account("owner", list(venues.values()), name="Ana")
    return dict(account["header"])


@pytest.mark.timeout(600)
async def test_a_two_way_hotel_posts_confirmed_orders_once_even_while_its_pms_fails(
    shared_platform: Platform, owner: dict[str, str], venues: dict[str, str], concierge_hotel: Any
) -> None:
    async with httpx.AsyncClient(timeout=DEADLINE) as http:
        concierge = concierge_hotel(http, shared_platform, venues["two_way"])
        hotel = Hotel(concierge, shared_platform, "two_way", owner)
        room = await hotel.set_up()
        seated = await hotel.scan(room["token"])

        # Staff confirm a spa order: it goes on the guest's folio, once.
        spa = await hotel.order(seated, "spa")
        pending = ok(
            await http.get(f"{hotel.pos}/venues/{hotel.venue_id}/folio-postings", headers=owner)
        )
        assert spa not in [p["offer_order_id"] for p in pending]  # nothing to post before
        await hotel.confirm(spa)
        posted = await hotel.posting(spa, status="posted")
        charges, calls = await hotel.received(spa)
        assert len(charges) == 1
        assert [c["status_code"] for c in calls] == [201]
        (charge,) = charges
        assert (charge["room"], charge["guest_name"], charge["description"]) == (
            "Room 112",
            "Ada Lovelace",
            "Spa access",
        )
        assert charge["amount"] == {"amount_minor": 4500, "currency": "EUR"}
        assert posted["pms_reference"] == charge["charge_id"]
        assert (posted["method"], posted["attempts"], posted["last_error"]) == (
            "automatic",
            1,
            None,
        )

        # The PMS fails while an order confirms itself: each failed try is visible...
        ok(await http.put(f"{hotel.pms}/_control/failure", json={"status": 503}))
        try:
            breakfast = await hotel.order(seated, "breakfast")
            failing = await hotel.posting(breakfast, status="failing", attempts=lambda n: n >= 3)
            assert "503" in failing["last_error"]
            assert failing["next_attempt_at"] is not None
            assert failing["pms_reference"] is None
            charges, _ = await hotel.received(breakfast)
            assert charges == []
        finally:
            ok(await http.delete(f"{hotel.pms}/_control/failure"))

        # ...and once the PMS is back, it is posted, once.
        posted = await hotel.posting(breakfast, status="posted")
        charges, calls = await hotel.received(breakfast)
        assert len(charges) == 1
        assert posted["pms_reference"] == charges[0]["charge_id"]
        assert [c["status_code"] for c in calls].count(201) == 1
        assert posted["attempts"] == len(calls) >= 4
        assert posted["last_error"] is not None  # the history of the failures stays visible

        # Staff asking again changes nothing: it is posted.
        again = await http.post(
            f"{hotel.pos}/folio-postings/{breakfast}/retry", json={"staff": "Ana"}, headers=owner
        )
        assert again.status_code == 409
        assert len((await hotel.received(breakfast))[0]) == 1
        assert len((await hotel.received(spa))[0]) == 1


@pytest.mark.timeout(600)
async def test_a_one_way_hotel_posts_by_hand_and_says_so(
    shared_platform: Platform, owner: dict[str, str], venues: dict[str, str], concierge_hotel: Any
) -> None:
    async with httpx.AsyncClient(timeout=DEADLINE) as http:
        concierge = concierge_hotel(http, shared_platform, venues["one_way"])
        hotel = Hotel(concierge, shared_platform, "one_way", owner)
        room = await hotel.set_up()
        seated = await hotel.scan(room["token"])

        breakfast = await hotel.order(seated, "breakfast")  # confirms itself
        waiting = await hotel.posting(breakfast, status="to_post_by_hand")
        assert (waiting["attempts"], waiting["next_attempt_at"]) == (0, None)

        marked = ok(
            await http.post(
                f"{hotel.pos}/folio-postings/{breakfast}/mark-posted",
                json={"staff": "Ana", "pms_reference": "F-2231"},
                headers=owner,
            ),
            200,
        )
        assert (marked["status"], marked["method"], marked["posted_by"]) == (
            "posted",
            "manual",
            "Ana",
        )
        posted = await hotel.posting(breakfast, status="posted")
        assert posted["pms_reference"] == "F-2231"
        assert await hotel.received(breakfast) == ([], [])  # Convive never called the PMS


@pytest.mark.timeout(600)
async def test_the_back_office_shows_a_failing_posting_and_posts_it_again_when_staff_ask(
    shared_platform: Platform, staff_root: Any, concierge_hotel: Any, staff_browser: Any
) -> None:
    """Through the gateway's back office against the real pos-gateway and the PMS double: the
    Orders list's PMS column shows a failing posting's error and tries, and its retry action
    posts it at once. The PMS refuses for good first (an answer not worth retrying), so that
    nothing but the staff's action can post it."""
    venue_id = staff_root.venue_id()
    owner = await staff_root.open_account("owner", [venue_id], name="Ana")
    office = staff_browser()
    await office.sign_in(owner["email"])
    orders = f"/admin/venues/{venue_id}/offer-orders"

    async def row_of(offer_order_id: str) -> str:
        """The order's row in the back office's Orders list, as the page has it."""
        page = await office.http.get(orders)
        assert page.status_code == 200, page.text
        row = page.text.split(f'data-offer-order-id="{offer_order_id}"', 1)[1]
        return row.split("</tr>", 1)[0]

    async with httpx.AsyncClient(timeout=DEADLINE) as http:
        concierge = concierge_hotel(http, shared_platform, venue_id)
        hotel = Hotel(concierge, shared_platform, "two_way", owner["header"])
        room = await hotel.set_up()
        seated = await hotel.scan(room["token"])
        ok(await http.put(f"{hotel.pms}/_control/failure", json={"status": 503}))
        try:
            breakfast = await hotel.order(seated, "breakfast")  # confirms itself
            failing = await hotel.posting(breakfast, status="failing")
            assert failing["next_attempt_at"] is not None  # pos-gateway tries again by itself
            row = await row_of(breakfast)
            assert 'data-pms="failing"' in row
            assert "the PMS answered 503" in row
            assert re.search(r"\b1 attempt\b|\b\d+ attempts\b", row), row  # plural forms
            assert 'data-testid="retry"' in row

            # The PMS now refuses the charge for good: the posting waits for the staff.
            ok(await http.put(f"{hotel.pms}/_control/failure", json={"status": 422}))
            given_up = await hotel.posting(breakfast, status="failing", next_attempt_at=None)
            assert given_up["status"] == "failing"
            assert "422" in given_up["last_error"]
            ok(await http.delete(f"{hotel.pms}/_control/failure"))
            charges, calls = await hotel.received(breakfast)
            assert charges == []
            assert len(calls) == given_up["attempts"]
            row = await row_of(breakfast)
            assert "the PMS answered 422" in row
            assert 'data-testid="retry"' in row

            # Staff ask again from the Orders list: posted at once, by that action.
            await office.read_token(orders)
            answer = await office.post(f"{orders}/{breakfast}/retry", {"back": orders})
            assert answer.status_code == 303, answer.text
            done = await office.http.get(answer.headers["location"])
            assert "Posting the order of Ada Lovelace again." in done.text
            posted = ok(
                await http.get(f"{hotel.pos}/folio-postings/{breakfast}", headers=owner["header"])
            )
            assert posted["status"] == "posted"
            assert posted["attempts"] == given_up["attempts"] + 1
            charges, calls = await hotel.received(breakfast)
            assert len(charges) == 1
            assert posted["pms_reference"] == charges[0]["charge_id"]
            row = await row_of(breakfast)
            assert 'data-pms="posted"' in row
            assert charges[0]["charge_id"] in row
            assert 'data-testid="retry"' not in row

            # Asking again changes nothing, and the page says pos-gateway refused.
            again = await office.post(f"{orders}/{breakfast}/retry", {"back": orders})
            assert again.status_code == 303
            refused = await office.http.get(again.headers["location"])
            assert "Refused" in refused.text
            assert len((await hotel.received(breakfast))[0]) == 1
        finally:
            ok(await http.delete(f"{hotel.pms}/_control/failure"))
