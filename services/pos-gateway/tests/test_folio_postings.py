"""PMS folio posting over real HTTP, Kafka and PostgreSQL, with the PMS test double served for
real: table-session's venue setting and ordering's offer events are published on their topics
as their relays would; the service posts a confirmed order of a two-way venue once, retries a
failing PMS with backoff (each try visible), never twice even when the PMS already took the
charge, lets staff post one-way orders by hand, and shares the work between replicas."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from convive.contracts import Event, EventEnvelope, Money, events_topic
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import OfferCancelled, OfferConfirmed, OfferOrdered, OfferType
from convive.contracts.pos_gateway import FolioPosted, FolioPostingFailed, FolioPostingMethod
from convive.contracts.table_session import PmsIntegration, VenueConfigured
from convive.doubles.pms import PmsSandbox, PmsSettings
from convive.doubles.pms import create_app as create_pms
from convive.pos_gateway.app import create_app
from convive.pos_gateway.settings import Settings
from convive.pos_gateway.tables import folio_postings
from convive.runtime.eventstore import EventStore
from convive.runtime.testkit import eventually, read_topic, served

pytestmark = pytest.mark.infra

PMS_API_KEY = "pms_test_pos_gateway"


@dataclass
class PmsDouble:
    url: str
    sandbox: PmsSandbox

    def charges_for(self, offer_order_id: str) -> list[Any]:
        return [c for c in self.sandbox.charges.values() if c.reference == offer_order_id]

    def calls_for(self, offer_order_id: str) -> list[Any]:
        return [r for r in self.sandbox.requests if r.idempotency_key == offer_order_id]


@pytest.fixture
async def pms() -> AsyncIterator[PmsDouble]:
    app = create_pms(PmsSettings(api_key=PMS_API_KEY))
    async with served(app) as url:
        yield PmsDouble(url, app.state.pms)


@pytest.fixture
def folio_settings(service_settings: dict[str, Any], pms: PmsDouble) -> Settings:
    # Short waits keep the retry tests quick; the schedule's shape is unit-tested.
    return Settings(
        **service_settings,
        pms_url=pms.url,
        pms_api_key=PMS_API_KEY,
        pms_backoff_base=0.2,
        pms_backoff_max=0.8,
        pms_max_attempts=50,
        folio_poll_interval=5.0,
    )


ELSEWHERE = "another-venue"


async def open_staff(
    client: httpx.AsyncClient,
    role: str,
    venue_ids: list[str],
    headers: dict[str, str] | None = None,
) -> dict[str, str]:
    """A staff account (the first one is an owner's and needs no header); its header."""
    answer = await client.post(
        "/staff",
        json={
            "email": f"{role}-{uuid.uuid4().hex[:8]}@example.org",
            "name": role.title(),
            "role": role,
            "venue_ids": venue_ids,
            "password": "correct horse battery",
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    return {"X-Convive-Staff": answer.json()["staff_id"]}


@pytest.fixture
async def pos_service(folio_settings: Settings, hotel: Hotel) -> AsyncIterator[httpx.AsyncClient]:
    """The pos-gateway served for real, posting to the PMS double; a client of it, calling
    as the owner of the hotel (and of another venue)."""
    async with (
        served(create_app(folio_settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        client.headers.update(await open_staff(client, "owner", [hotel.venue_id, ELSEWHERE]))
        yield client


# `store`, `producer` and `publish` come from the runtime's pytest plugin.
Publish = Callable[[EventEnvelope], Awaitable[object]]


class Hotel:
    """A venue as table-session and ordering announce it: its PMS setting, and concierge
    orders from its rooms."""

    def __init__(self, publish: Publish) -> None:
        self.publish = publish
        self.venue_id = f"hotel-{uuid.uuid4().hex[:8]}"

    def setting(self, integration: PmsIntegration, language: str = "en") -> EventEnvelope:
        return EventEnvelope.wrap(
            VenueConfigured(
                venue_id=self.venue_id,
                name="Hôtel du Port",
                language=language,
                pms_integration=integration,
            ),
            subject=f"venue-{self.venue_id}",
        )

    async def configure(self, integration: PmsIntegration) -> None:
        await self.publish(self.setting(integration))

    def ordered(self, price: int = 4500, guest: str = "Ada Lovelace") -> EventEnvelope:
        offer_order_id = f"oo-{uuid.uuid4().hex[:10]}"
        return EventEnvelope.wrap(
            OfferOrdered(
                venue_id=self.venue_id,
                offer_order_id=offer_order_id,
                offer_id="spa",
                offer_name=LocalizedText(fr="Accès au spa", en="Spa access"),
                offer_type=OfferType.OFFER,
                price=Money(amount_minor=price, currency="EUR"),
                spot_id="room-112",
                spot_name="Room 112",
                guest_id="guest-1",
                guest_name=guest,
                guest_email="ada@example.org",
            ),
            subject=f"offer-order-{offer_order_id}",
        )

    def _follow(self, ordered: EventEnvelope, event: Event) -> EventEnvelope:
        return EventEnvelope.wrap(event, subject=ordered.subject, **ordered.caused())

    def confirmed(self, ordered: EventEnvelope) -> EventEnvelope:
        offer_order_id = ordered.data["offer_order_id"]
        return self._follow(
            ordered,
            OfferConfirmed(
                venue_id=self.venue_id,
                offer_order_id=offer_order_id,
                automatic=False,
                confirmed_by="Camille",
            ),
        )

    def cancelled(self, ordered: EventEnvelope) -> EventEnvelope:
        return self._follow(
            ordered,
            OfferCancelled(
                venue_id=self.venue_id,
                offer_order_id=ordered.data["offer_order_id"],
                cancelled_by="Camille",
                reason="guest changed plans",
            ),
        )

    async def order_and_confirm(self, price: int = 4500) -> EventEnvelope:
        ordered = self.ordered(price)
        await self.publish(ordered)
        await self.publish(self.confirmed(ordered))
        return ordered


@pytest.fixture
def hotel(publish: Publish) -> Hotel:
    return Hotel(publish)


async def postings(pos: httpx.AsyncClient, venue_id: str) -> list[dict[str, Any]]:
    answer = await pos.get(f"/venues/{venue_id}/folio-postings")
    assert answer.status_code == 200, answer.text
    listed: list[dict[str, Any]] = answer.json()
    return listed


async def posting_when(
    pos: httpx.AsyncClient,
    venue_id: str,
    offer_order_id: str,
    check: Callable[[dict[str, Any]], bool],
    within: float = 20,
) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        for posting in await postings(pos, venue_id):
            if posting["offer_order_id"] == offer_order_id and check(posting):
                return posting
        return None

    result: dict[str, Any] = await eventually(found, within=within)
    return result


def _id(ordered: EventEnvelope) -> str:
    return str(ordered.data["offer_order_id"])


SENTINEL_FAILURES = 3
"""Refused tries of a sentinel order: its backoffs add up to 0.2 + 0.4 + 0.8 s, more than the
longest wait between two tries (`pms_backoff_max`, 0.8 s)."""


async def worker_looked_after_any_backoff(
    pos: httpx.AsyncClient, pms: PmsDouble, hotel: Hotel
) -> None:
    """A sentinel for "the worker did not try it": an order confirmed now, which the PMS
    refuses a few times before it takes it. The worker tries due postings in the order they
    fell due, so by the time the sentinel is posted, after waits longer than any backoff, the
    worker has looked again past the time any posting tried before the sentinel could have
    fallen due; one it left alone was not due. Leaves the PMS taking charges."""
    pms.sandbox.fail(503, times=SENTINEL_FAILURES)
    sentinel = _id(await hotel.order_and_confirm(price=100))
    posted = await posting_when(pos, hotel.venue_id, sentinel, lambda p: p["status"] == "posted")
    assert posted["attempts"] == SENTINEL_FAILURES + 1


async def _stream(reader_store: EventStore, offer_order_id: str) -> list[Event]:
    return [e.event() for e in await reader_store.read_stream(f"folio-{offer_order_id}")]


# --- two-way ------------------------------------------------------------------------------


async def test_a_confirmed_order_of_a_two_way_venue_is_posted_once(
    pos_service: httpx.AsyncClient,
    pms: PmsDouble,
    hotel: Hotel,
    store: EventStore,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    await hotel.configure(PmsIntegration.TWO_WAY)
    ordered = await hotel.order_and_confirm(price=4500)
    offer_order_id = _id(ordered)

    posting = await posting_when(
        pos_service, hotel.venue_id, offer_order_id, lambda p: p["status"] == "posted"
    )
    [charge] = pms.charges_for(offer_order_id)
    assert (charge.room, charge.guest_name, charge.amount_minor, charge.currency) == (
        "Room 112",
        "Ada Lovelace",
        4500,
        "EUR",
    )
    assert charge.description == "Spa access"  # in the venue's language
    assert charge.idempotency_key == offer_order_id
    assert posting["pms_reference"] == charge.charge_id
    assert posting["method"] == "automatic"
    assert posting["attempts"] == 1
    assert posting["last_error"] is None
    assert posting["next_attempt_at"] is None
    assert posting["integration"] == "two_way"
    assert posting["amount"] == {"amount_minor": 4500, "currency": "EUR"}
    assert (posting["room"], posting["guest_name"]) == ("Room 112", "Ada Lovelace")

    # the posting continues the order's story, and reaches our topic once
    [event] = await store.read_stream(f"folio-{offer_order_id}")
    assert event.correlation_id == ordered.correlation_id
    records = await read_topic(kafka_bootstrap, events_topic("pos-gateway", namespace), expect=1)
    published = [EventEnvelope.from_kafka(r.headers, r.value) for r in records]
    assert [e.id for e in published if e.type == "FolioPosted"] == [event.id]
    assert len(pms.calls_for(offer_order_id)) == 1


async def test_a_failing_pms_is_retried_with_each_failure_visible_then_posted_once(
    pos_service: httpx.AsyncClient, pms: PmsDouble, hotel: Hotel, store: EventStore
) -> None:
    await hotel.configure(PmsIntegration.TWO_WAY)
    pms.sandbox.fail(503)  # until told otherwise
    ordered = await hotel.order_and_confirm()
    offer_order_id = _id(ordered)

    failing = await posting_when(
        pos_service,
        hotel.venue_id,
        offer_order_id,
        lambda p: p["status"] == "failing" and p["attempts"] >= 3,
    )
    assert "503" in failing["last_error"]
    assert "temporarily unavailable" in failing["last_error"]
    assert datetime.fromisoformat(failing["next_attempt_at"]) > datetime.now(UTC) - timedelta(
        seconds=5
    )
    assert pms.charges_for(offer_order_id) == []

    pms.sandbox.recover()
    posted = await posting_when(
        pos_service, hotel.venue_id, offer_order_id, lambda p: p["status"] == "posted"
    )
    [charge] = pms.charges_for(offer_order_id)
    assert posted["pms_reference"] == charge.charge_id
    history = await _stream(store, offer_order_id)
    failures = [e for e in history if isinstance(e, FolioPostingFailed)]
    assert [f.attempt for f in failures] == list(range(1, len(failures) + 1))
    assert all(f.next_attempt_at is not None for f in failures)
    # the waits grew between tries (backoff), as the failures' schedule says
    gaps = [
        (later.next_attempt_at - earlier.next_attempt_at).total_seconds()  # type: ignore[operator]
        for earlier, later in itertools.pairwise(failures)
    ]
    assert gaps[0] >= 0.2
    [done] = [e for e in history if isinstance(e, FolioPosted)]
    assert done.attempts == len(failures) + 1
    assert posted["attempts"] == len(failures) + 1
    assert history[-1] == done
    # one successful call; every other call was refused
    assert [r.status_code for r in pms.calls_for(offer_order_id)].count(201) == 1


async def test_a_charge_the_pms_took_before_a_crash_is_not_posted_twice(
    pos_service: httpx.AsyncClient, pms: PmsDouble, hotel: Hotel, store: EventStore
) -> None:
    """The PMS took the charge under the order's idempotency key, but the POS never recorded
    it (a crash between the call and the commit): the next try gets that charge back."""
    await hotel.configure(PmsIntegration.TWO_WAY)
    ordered = hotel.ordered()
    offer_order_id = _id(ordered)
    async with httpx.AsyncClient(base_url=pms.url, headers={"X-Api-Key": PMS_API_KEY}) as http:
        earlier = await http.post(
            "/api/v1/folio-charges",
            json={
                "room": "Room 112",
                "guest_name": "Ada Lovelace",
                "amount": {"amount_minor": 4500, "currency": "EUR"},
                "description": "Spa access",
                "reference": offer_order_id,
            },
            headers={"Idempotency-Key": offer_order_id},
        )
    assert earlier.status_code == 201
    await hotel.publish(ordered)
    await hotel.publish(hotel.confirmed(ordered))

    posted = await posting_when(
        pos_service, hotel.venue_id, offer_order_id, lambda p: p["status"] == "posted"
    )
    assert posted["pms_reference"] == earlier.json()["charge_id"]
    assert len(pms.charges_for(offer_order_id)) == 1
    assert [type(e) for e in await _stream(store, offer_order_id)] == [FolioPosted]


async def test_a_charge_the_pms_refuses_waits_for_staff_who_retry_it(
    pos_service: httpx.AsyncClient, pms: PmsDouble, hotel: Hotel
) -> None:
    await hotel.configure(PmsIntegration.TWO_WAY)
    pms.sandbox.fail(422, message="room 112 has no guest in house")
    ordered = await hotel.order_and_confirm()
    offer_order_id = _id(ordered)

    given_up = await posting_when(
        pos_service, hotel.venue_id, offer_order_id, lambda p: p["status"] == "failing"
    )
    assert given_up["attempts"] == 1
    assert given_up["next_attempt_at"] is None
    assert "no guest in house" in given_up["last_error"]
    await worker_looked_after_any_backoff(pos_service, pms, hotel)
    assert len(pms.calls_for(offer_order_id)) == 1  # nothing is tried on its own
    pms.sandbox.fail(422, message="room 112 has no guest in house")

    # staff retry while it still fails: one more visible failure
    again = await pos_service.post(
        f"/folio-postings/{offer_order_id}/retry", json={"staff": "Camille"}
    )
    assert again.status_code == 200, again.text
    assert (again.json()["status"], again.json()["attempts"]) == ("failing", 2)
    assert len(again.json()["event_ids"]) == 1

    pms.sandbox.recover()
    retried = await pos_service.post(
        f"/folio-postings/{offer_order_id}/retry", json={"staff": "Camille"}
    )
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert (body["status"], body["attempts"], body["method"]) == ("posted", 3, "automatic")
    [charge] = pms.charges_for(offer_order_id)
    assert body["pms_reference"] == charge.charge_id

    twice = await pos_service.post(
        f"/folio-postings/{offer_order_id}/retry", json={"staff": "Camille"}
    )
    assert twice.status_code == 409
    assert twice.json()["field"] == "offer_order_id"
    assert "already posted" in twice.json()["error"]
    assert len(pms.charges_for(offer_order_id)) == 1


async def test_an_order_cancelled_before_posting_is_not_posted_and_after_stays_posted(
    pos_service: httpx.AsyncClient, pms: PmsDouble, hotel: Hotel
) -> None:
    await hotel.configure(PmsIntegration.TWO_WAY)
    pms.sandbox.fail(503)
    before = await hotel.order_and_confirm()
    await posting_when(pos_service, hotel.venue_id, _id(before), lambda p: p["status"] == "failing")
    await hotel.publish(hotel.cancelled(before))
    cancelled = await posting_when(
        pos_service, hotel.venue_id, _id(before), lambda p: p["status"] == "not_required"
    )
    assert cancelled["cancelled"] is True
    assert cancelled["next_attempt_at"] is None
    # A try under way when the cancellation came held the row the cancellation writes: it is
    # in the count. None may come after.
    tries_before_cancellation = len(pms.calls_for(_id(before)))
    refused = await pos_service.post(
        f"/folio-postings/{_id(before)}/retry", json={"staff": "Camille"}
    )
    assert refused.status_code == 409
    assert "cancelled" in refused.json()["error"]

    pms.sandbox.recover()
    after = await hotel.order_and_confirm()
    await posting_when(pos_service, hotel.venue_id, _id(after), lambda p: p["status"] == "posted")
    await hotel.publish(hotel.cancelled(after))
    still = await posting_when(
        pos_service, hotel.venue_id, _id(after), lambda p: p["cancelled"] is True
    )
    assert still["status"] == "posted"
    assert still["cancelled_after_posting"] is True
    await worker_looked_after_any_backoff(pos_service, pms, hotel)
    assert len(pms.calls_for(_id(before))) == tries_before_cancellation
    assert pms.charges_for(_id(before)) == []
    assert len(pms.charges_for(_id(after))) == 1


async def test_a_venue_setting_that_arrives_late_still_applies_to_an_order_confirmed_after_it(
    pos_service: httpx.AsyncClient, pms: PmsDouble, hotel: Hotel
) -> None:
    """table-session's topic may lag behind ordering's: the setting in force at confirmation
    time (by event time) decides, whenever it reaches the POS."""
    setting = hotel.setting(PmsIntegration.TWO_WAY)  # set before the order, published after
    ordered = await hotel.order_and_confirm()
    first = await posting_when(pos_service, hotel.venue_id, _id(ordered), lambda p: True)
    assert first["status"] == "not_required"
    assert first["integration"] == "none"
    await hotel.publish(setting)
    await posting_when(pos_service, hotel.venue_id, _id(ordered), lambda p: p["status"] == "posted")
    # a later change of setting does not change how an earlier order is treated; a sentinel
    # confirmed after the change shows when the POS has it
    await hotel.configure(PmsIntegration.ONE_WAY)
    sentinel = _id(await hotel.order_and_confirm())
    await posting_when(
        pos_service, hotel.venue_id, sentinel, lambda p: p["status"] == "to_post_by_hand"
    )
    listed = {p["offer_order_id"]: p for p in await postings(pos_service, hotel.venue_id)}
    assert set(listed) == {_id(ordered), sentinel}
    assert listed[_id(ordered)]["status"] == "posted"


# --- one-way and none -----------------------------------------------------------------------


async def test_a_one_way_order_is_shown_to_post_by_hand_until_staff_mark_it_posted(
    pos_service: httpx.AsyncClient, pms: PmsDouble, hotel: Hotel, store: EventStore
) -> None:
    await hotel.configure(PmsIntegration.ONE_WAY)
    ordered = await hotel.order_and_confirm(price=12000)
    offer_order_id = _id(ordered)
    posting = await posting_when(
        pos_service, hotel.venue_id, offer_order_id, lambda p: p["status"] == "to_post_by_hand"
    )
    assert (posting["attempts"], posting["next_attempt_at"]) == (0, None)

    retry = await pos_service.post(
        f"/folio-postings/{offer_order_id}/retry", json={"staff": "Camille"}
    )
    assert retry.status_code == 409
    assert "by hand" in retry.json()["error"]

    marked = await pos_service.post(
        f"/folio-postings/{offer_order_id}/mark-posted",
        json={"staff": "Camille", "pms_reference": "F-2231"},
    )
    assert marked.status_code == 200, marked.text
    body = marked.json()
    assert (body["status"], body["method"], body["posted_by"], body["pms_reference"]) == (
        "posted",
        "manual",
        "Camille",
        "F-2231",
    )
    assert len(body["event_ids"]) == 1
    [event] = await _stream(store, offer_order_id)
    assert isinstance(event, FolioPosted)
    assert event.method is FolioPostingMethod.MANUAL
    assert event.amount == Money(amount_minor=12000, currency="EUR")

    again = await pos_service.post(
        f"/folio-postings/{offer_order_id}/mark-posted", json={"staff": "Camille"}
    )
    assert again.status_code == 409
    assert pms.sandbox.requests == []  # nothing ever went to the PMS


async def test_a_venue_without_pms_posts_nothing_and_bad_requests_name_the_problem(
    pos_service: httpx.AsyncClient, pms: PmsDouble, hotel: Hotel
) -> None:
    await hotel.configure(PmsIntegration.NONE)
    ordered = await hotel.order_and_confirm()
    offer_order_id = _id(ordered)
    posting = await posting_when(pos_service, hotel.venue_id, offer_order_id, lambda p: True)
    assert posting["status"] == "not_required"
    marked = await pos_service.post(
        f"/folio-postings/{offer_order_id}/mark-posted", json={"staff": "Camille"}
    )
    assert marked.status_code == 409
    assert "no PMS integration" in marked.json()["error"]

    unknown = await pos_service.post("/folio-postings/oo-unknown/retry", json={"staff": "C"})
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "offer_order_id"
    assert (await pos_service.get("/folio-postings/oo-unknown")).status_code == 404
    for bad in ({}, {"staff": ""}, {"staff": "Camille", "amount": 1}):
        answer = await pos_service.post(f"/folio-postings/{offer_order_id}/mark-posted", json=bad)
        assert answer.status_code == 400, answer.text
    wrong = await pos_service.get(
        f"/venues/{hotel.venue_id}/folio-postings", params={"status": "lost"}
    )
    assert wrong.status_code == 400
    only = await pos_service.get(
        f"/venues/{hotel.venue_id}/folio-postings", params={"status": "not_required"}
    )
    assert [p["offer_order_id"] for p in only.json()] == [offer_order_id]
    assert (await postings(pos_service, ELSEWHERE)) == []
    assert pms.sandbox.requests == []


async def test_an_order_not_yet_confirmed_has_no_posting(
    pos_service: httpx.AsyncClient, pms: PmsDouble, hotel: Hotel
) -> None:
    await hotel.configure(PmsIntegration.TWO_WAY)
    pending = hotel.ordered()
    await hotel.publish(pending)
    confirmed = await hotel.order_and_confirm()
    await posting_when(
        pos_service, hotel.venue_id, _id(confirmed), lambda p: p["status"] == "posted"
    )
    assert [p["offer_order_id"] for p in await postings(pos_service, hotel.venue_id)] == [
        _id(confirmed)
    ]
    assert pms.charges_for(_id(pending)) == []


async def test_staff_of_the_venue_see_postings_and_only_its_managers_act_on_them(
    pos_service: httpx.AsyncClient, pms: PmsDouble, hotel: Hotel
) -> None:
    await hotel.configure(PmsIntegration.ONE_WAY)
    offer_order_id = _id(await hotel.order_and_confirm())
    await posting_when(
        pos_service, hotel.venue_id, offer_order_id, lambda p: p["status"] == "to_post_by_hand"
    )
    cashier = await open_staff(pos_service, "cashier", [hotel.venue_id])
    outsider = await open_staff(pos_service, "manager", [ELSEWHERE])
    nobody = {"X-Convive-Staff": ""}
    closed_or_unknown = {"X-Convive-Staff": "staff-that-does-not-exist"}
    listing = f"/venues/{hotel.venue_id}/folio-postings"
    one = f"/folio-postings/{offer_order_id}"
    for headers, expected in ((cashier, 200), (outsider, 403), (nobody, 401)):
        assert (await pos_service.get(listing, headers=headers)).status_code == expected
        assert (await pos_service.get(one, headers=headers)).status_code == expected
    assert (await pos_service.get(listing, headers=closed_or_unknown)).status_code == 401
    for action in ("mark-posted", "retry"):
        for headers, expected in (
            (cashier, 403),
            (outsider, 403),
            (nobody, 401),
            (closed_or_unknown, 401),
        ):
            answer = await pos_service.post(
                f"{one}/{action}", json={"staff": "Mallory"}, headers=headers
            )
            assert answer.status_code == expected, answer.text
            if expected == 401:
                assert answer.json()["field"] == "X-Convive-Staff"
    [posting] = await postings(pos_service, hotel.venue_id)
    assert posting["status"] == "to_post_by_hand"


# --- several replicas -----------------------------------------------------------------------


async def test_replicas_share_the_postings_and_post_each_once(
    folio_settings: Settings, pms: PmsDouble, hotel: Hotel
) -> None:
    pms.sandbox.fail(503, times=6)  # a few failures spread over the orders
    async with (
        served(create_app(folio_settings)) as first_url,
        served(create_app(folio_settings)) as second_url,
        httpx.AsyncClient(base_url=first_url, timeout=30) as first,
        httpx.AsyncClient(base_url=second_url, timeout=30) as second,
    ):
        owner = await open_staff(first, "owner", [hotel.venue_id])
        first.headers.update(owner)
        second.headers.update(owner)
        await hotel.configure(PmsIntegration.TWO_WAY)
        orders = [_id(await hotel.order_and_confirm(price=1000 + i)) for i in range(12)]

        async def all_posted() -> bool:
            listed = await postings(second, hotel.venue_id)
            return len(listed) == 12 and all(p["status"] == "posted" for p in listed)

        await eventually(all_posted, within=40)
        assert {p["offer_order_id"] for p in await postings(first, hotel.venue_id)} == set(orders)
    for offer_order_id in orders:
        assert len(pms.charges_for(offer_order_id)) == 1
        # never two calls at once for one order: each call is a try the POS recorded
        assert [r.status_code for r in pms.calls_for(offer_order_id)].count(201) == 1
    assert len(pms.sandbox.requests) == 12 + 6


async def test_a_staff_retry_waits_briefly_for_a_posting_someone_else_holds(
    pos_service: httpx.AsyncClient, pms: PmsDouble, hotel: Hotel, reader: Any
) -> None:
    """A posting held for a moment (a projection writing it) is waited for; one held longer
    (a try at the PMS) is answered 409 saying so."""
    await hotel.configure(PmsIntegration.TWO_WAY)
    pms.sandbox.fail(422, message="room 112 has no guest in house")
    offer_order_id = _id(await hotel.order_and_confirm())
    await posting_when(
        pos_service, hotel.venue_id, offer_order_id, lambda p: p["status"] == "failing"
    )
    pms.sandbox.recover()
    hold = (
        sa.select(folio_postings.c.offer_order_id)
        .where(folio_postings.c.offer_order_id == offer_order_id)
        .with_for_update()
    )

    async with reader.begin() as conn:  # held past the wait: refused, naming why
        await conn.execute(hold)
        busy = await pos_service.post(
            f"/folio-postings/{offer_order_id}/retry", json={"staff": "Camille"}
        )
    assert busy.status_code == 409, busy.text
    assert "right now" in busy.json()["error"]

    held = asyncio.Event()

    async def hold_briefly() -> None:
        async with reader.begin() as conn:
            await conn.execute(hold)
            held.set()
            # About time itself: held for less than the staff action's wait (2 s).
            await asyncio.sleep(0.3)

    holder = asyncio.create_task(hold_briefly())
    await held.wait()
    retried = await pos_service.post(
        f"/folio-postings/{offer_order_id}/retry", json={"staff": "Camille"}
    )
    await holder
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "posted"
