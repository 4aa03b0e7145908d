"""The first order end to end, over HTTP only, with every service as its own process on real
Kafka and PostgreSQL: two guests scan a table and fill one cart, one confirms, the POS validates,
the bill is settled, the table is free again. Then every topic is read back from the beginning
with a plain Kafka consumer. A second test kills a service with SIGKILL mid-scenario (on a
platform of its own; the first runs on the session's shared platform, in a venue of its own)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from convive.cli.platform import Platform
from convive.contracts import EventEnvelope, events_topic
from convive.contracts.envelope import REQUIRED_HEADERS
from convive.contracts.schemas import SCHEMA_DIR
from convive.runtime.testkit import DEADLINE, eventually, read_topic_until

pytestmark = pytest.mark.infra

MENU = {
    "currency": "EUR",
    "categories": [{"category_id": "mains", "name": {"fr": "Plats", "en": "Mains"}}],
    "products": [
        {
            "product_id": "croque",
            "category_id": "mains",
            "name": {"fr": "Croque-monsieur", "en": "Croque-monsieur"},
            "price": {"amount_minor": 1250, "currency": "EUR"},
            "allergens": ["gluten", "milk"],
        },
        {
            "product_id": "mousse",
            "category_id": "mains",
            "name": {"fr": "Mousse au chocolat", "en": "Chocolate mousse"},
            "price": {"amount_minor": 750, "currency": "EUR"},
        },
    ],
}


def ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), (
        f"{response.request.method} {response.request.url} -> {response.status_code}: "
        f"{response.text}"
    )
    return response.json()


class Venue:
    """The venue as its operator sets it up, and the POS device that serves it."""

    def __init__(self, http: httpx.AsyncClient, platform: Platform, venue_id: str) -> None:
        self.http = http
        self.venue_id = venue_id
        self.sessions = platform.url("table-session")
        self.ordering = platform.url("ordering")
        self.pos = platform.url("pos-gateway")
        self.notifier = platform.url("notifier")
        self.auth: dict[str, str] = {}

    async def set_up(self) -> dict[str, Any]:
        await self.http.post(
            f"{self.sessions}/venues/{self.venue_id}/profit-centres",
            json={"profit_centre_id": "room", "name": "Dining room", "mode": "order"},
        )
        spot = ok(
            await self.http.post(
                f"{self.sessions}/venues/{self.venue_id}/spots",
                json={"profit_centre_id": "room", "name": "Table 4", "kind": "table"},
            )
        )
        ok(await self.http.put(f"{self.ordering}/venues/{self.venue_id}/menu", json=MENU))
        device = ok(
            await self.http.post(
                f"{self.pos}/venues/{self.venue_id}/devices", json={"name": "Till"}
            )
        )
        self.auth = {"Authorization": f"Bearer {device['credential']}"}
        return spot

    async def scan(self, token: str, device: str) -> dict[str, Any]:
        return ok(
            await self.http.post(
                f"{self.sessions}/scan", json={"token": token, "device_id": device}
            )
        )

    async def add(self, session: str, guest: str, product: str, quantity: int) -> Any:
        """Add to the cart once ordering has learnt of the session (it learns from events)."""

        async def attempt() -> Any:
            answer = await self.http.post(
                f"{self.ordering}/sessions/{session}/cart/items",
                json={"guest_id": guest, "product_id": product, "quantity": quantity},
            )
            if answer.status_code in (403, 404):  # the guest or session not known yet
                return None
            return ok(answer, 201)

        return await eventually(attempt)

    async def cart(self, session: str) -> dict[str, Any]:
        return ok(await self.http.get(f"{self.ordering}/sessions/{session}/cart"))

    async def pending_order(self, order_id: str) -> dict[str, Any]:
        async def seen() -> Any:
            answer = await self.http.get(
                f"{self.pos}/venues/{self.venue_id}/orders",
                params={"status": "pending"},
                headers=self.auth,
            )
            orders = ok(answer)
            return next((o for o in orders if o["order_id"] == order_id), None)

        found: dict[str, Any] = await eventually(seen)
        return found

    async def spot(self, spot_id: str) -> dict[str, Any]:
        spots = ok(await self.http.get(f"{self.sessions}/venues/{self.venue_id}/spots"))
        return next(s for s in spots if s["spot_id"] == spot_id)


async def sse(
    url: str, *, until: Callable[[list[dict[str, Any]]], bool], within: float = DEADLINE
) -> list[dict[str, Any]]:
    """Read a Server-Sent Events stream until `until(messages)` holds."""
    messages: list[dict[str, Any]] = []
    async with httpx.AsyncClient(timeout=httpx.Timeout(within, connect=5)) as client:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                async with client.stream("GET", url) as response:
                    assert response.status_code == 200, await response.aread()
                    current: dict[str, Any] = {}
                    async for line in response.aiter_lines():
                        if line.startswith("id:"):
                            current["id"] = line[3:].strip()
                        elif line.startswith("event:"):
                            current["event"] = line[6:].strip()
                        elif line.startswith("data:"):
                            current["data"] = json.loads(line[5:].strip())
                        elif line == "" and current:
                            messages.append(current)
                            current = {}
                            if until(messages):
                                return messages
    raise AssertionError(f"stream {url} did not deliver what was expected: {messages}")


async def read_venue_topics(
    bootstrap: str, namespace: str, venue_id: str, expected: dict[str, int]
) -> dict[str, list[Any]]:
    """The records of the venue's streams on every service topic, read from the beginning with
    a plain consumer until each type in `expected` was published that many times (distinct
    events) for the venue. A stream is the venue's when one of its events names the venue."""
    services = ["table-session", "ordering", "pos-gateway"]
    topics = [events_topic(s, namespace) for s in services]

    decoded: list[tuple[Any, EventEnvelope]] = []  # every record read so far, decoded once

    def of_venue(records: list[Any]) -> list[tuple[Any, EventEnvelope]]:
        for r in records[len(decoded) :]:
            decoded.append((r, EventEnvelope.from_kafka(r.headers, r.value)))
        streams = {e.subject for _, e in decoded if e.data.get("venue_id") == venue_id}
        return [(r, e) for r, e in decoded if e.subject in streams]

    def complete(records: list[Any]) -> bool:
        counts: dict[str, set[str]] = defaultdict(set)
        for _, envelope in of_venue(records):
            counts[envelope.type].add(envelope.id)
        return all(len(counts[name]) >= n for name, n in expected.items())

    by_topic: dict[str, list[Any]] = defaultdict(list)
    for r, _ in of_venue(await read_topic_until(bootstrap, topics, complete)):
        by_topic[r.topic].append(r)
    return by_topic


def check_topics(records: dict[str, list[Any]]) -> dict[str, list[EventEnvelope]]:
    """Headers, schemas and per-stream order of everything published; returns the envelopes
    by type."""
    by_type: dict[str, list[EventEnvelope]] = defaultdict(list)
    for topic, rs in records.items():
        versions: dict[str, list[int]] = defaultdict(list)
        seen_ids: set[str] = set()
        for r in sorted(rs, key=lambda r: (r.partition, r.offset)):
            headers = {k: v.decode() for k, v in r.headers}
            missing = [h for h in REQUIRED_HEADERS if not headers.get(h)]
            assert not missing, f"{topic} offset {r.offset} lacks {missing}"
            envelope = EventEnvelope.from_kafka(r.headers, r.value)
            service = envelope.source.removeprefix("/convive/")
            schema_file = SCHEMA_DIR / service / f"{envelope.type}.v{envelope.schema_version}.json"
            Draft202012Validator(json.loads(schema_file.read_text())).validate(envelope.data)
            assert r.key == envelope.subject.encode()
            if envelope.id in seen_ids:
                continue  # an at-least-once redelivery of the relay: consumers skip it
            seen_ids.add(envelope.id)
            assert envelope.stream_version is not None
            versions[envelope.subject].append(envelope.stream_version)
            by_type[envelope.type].append(envelope)
        for stream, vs in versions.items():
            assert vs == list(range(1, len(vs) + 1)), f"{topic} stream {stream}: {vs}"
    return by_type


async def play_first_order(
    platform: Platform,
    venue_id: str,
    on_step: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """The scenario; `on_step(name)` is awaited between steps (the crash test kills there)."""

    async def step(name: str) -> None:
        if on_step is not None:
            await on_step(name)

    async with httpx.AsyncClient(timeout=DEADLINE) as http:
        venue = Venue(http, platform, venue_id)
        spot = await venue.set_up()

        alice = await venue.scan(spot["token"], "phone-alice")
        bob = await venue.scan(spot["token"], "phone-bob")
        assert alice["role"] == "host"
        assert len(alice["pin"]) == 6
        assert bob["role"] == "guest"
        assert "pin" not in bob
        assert bob["session_id"] == alice["session_id"]
        session = alice["session_id"]

        bob_stream = asyncio.create_task(
            sse(
                f"{venue.notifier}/events/sessions/{session}?guest={bob['guest_id']}",
                until=lambda ms: any(
                    m["event"] == "CartItemAdded"
                    and m["data"]["data"]["guest_id"] == alice["guest_id"]
                    for m in ms
                ),
            )
        )
        await step("scanned")
        await venue.add(session, alice["guest_id"], "croque", 2)
        await venue.add(session, bob["guest_id"], "mousse", 1)
        seen_by_bob = await bob_stream
        added = [m["data"]["data"] for m in seen_by_bob if m["event"] == "CartItemAdded"]
        assert any(item["product_id"] == "croque" for item in added)

        for guest in (alice, bob):  # each sees the other's items in the one cart
            cart = await venue.cart(session)
            assert {(line["product_id"], line["guest_id"]) for line in cart["lines"]} == {
                ("croque", alice["guest_id"]),
                ("mousse", bob["guest_id"]),
            }, guest
            assert cart["total"] == {"amount_minor": 3250, "currency": "EUR"}

        placed = ok(
            await http.post(
                f"{venue.ordering}/sessions/{session}/cart/confirm",
                json={"guest_id": alice["guest_id"]},
            ),
            201,
        )
        order_id = placed["order_id"]
        assert placed["round_number"] == 1
        await step("confirmed")

        order = await venue.pending_order(order_id)
        assert order["order_total"] == {"amount_minor": 3250, "currency": "EUR"}
        assert len(order["rounds"]) == 1
        ok(
            await http.post(
                f"{venue.pos}/orders/{order_id}/rounds/1/validate",
                json={"staff": "Camille"},
                headers=venue.auth,
            )
        )
        again = await http.post(
            f"{venue.pos}/orders/{order_id}/rounds/1/validate",
            json={"staff": "Sam"},
            headers=venue.auth,
        )
        assert again.status_code == 409
        assert "Camille" in again.text

        async def sent_to_production() -> bool:
            body = ok(await http.get(f"{venue.ordering}/sessions/{session}/order"))
            return bool(body["rounds"][0]["sent_to_production"])

        await eventually(sent_to_production)
        await step("validated")

        # More than is due is refused (less would be a part payment), and nothing is recorded.
        wrong = await http.post(
            f"{venue.pos}/orders/{order_id}/payments",
            json={
                "amount": {"amount_minor": 3300, "currency": "EUR"},
                "method": "card",
                "payment_card_token": "tok_visa_4242",
            },
            headers=venue.auth,
        )
        assert wrong.status_code in (400, 422), wrong.text
        assert "amount" in wrong.json()["field"]
        ok(
            await http.post(
                f"{venue.pos}/orders/{order_id}/payments",
                json={
                    "amount": {"amount_minor": 3250, "currency": "EUR"},
                    "method": "card",
                    "payment_card_token": "tok_visa_4242",
                },
                headers=venue.auth,
            ),
            201,
        )
        await step("paid")

        async def spot_free() -> bool:
            return (await venue.spot(spot["spot_id"]))["status"] == "free"

        await eventually(spot_free)

        async def order_closed() -> bool:
            body = ok(await http.get(f"{venue.ordering}/sessions/{session}/order"))
            return body["status"] == "closed"

        await eventually(order_closed)
        late = await http.post(
            f"{venue.ordering}/sessions/{session}/cart/items",
            json={"guest_id": alice["guest_id"], "product_id": "croque", "quantity": 1},
        )
        assert late.status_code == 409, late.text

        next_party = await venue.scan(spot["token"], "phone-carol")
        assert next_party["role"] == "host"
        assert next_party["session_id"] != session

        pos_orders = ok(
            await http.get(
                f"{venue.pos}/venues/{venue_id}/orders",
                params={"status": "all"},
                headers=venue.auth,
            )
        )
        return {
            "session": session,
            "order_id": order_id,
            "spot": spot,
            "pos_orders": pos_orders,
            "guests": (alice, bob),
        }


FIRST_ORDER_EVENTS = {
    "TableScanned": 3,
    "SessionOpened": 2,
    "GuestJoined": 1,
    "CartItemAdded": 2,
    "OrderPlaced": 1,
    "OrderValidated": 1,
    "SentToProduction": 1,
    "PaymentSettled": 1,
    "OrderClosed": 1,
    "SessionClosed": 1,
    "SpotReleased": 1,
}
"""What the scenario publishes, by type (distinct events)."""


async def test_two_guests_order_the_pos_validates_the_bill_is_settled(
    shared_platform: Platform, kafka_bootstrap: str, namespace_of: Any
) -> None:
    venue_id = f"e2e-venue-{uuid.uuid4().hex[:6]}"
    result = await play_first_order(shared_platform, venue_id)

    assert [o["order_id"] for o in result["pos_orders"]] == [result["order_id"]]
    assert result["pos_orders"][0]["status"] == "paid"

    by_type = check_topics(
        await read_venue_topics(
            kafka_bootstrap, namespace_of(shared_platform), venue_id, FIRST_ORDER_EVENTS
        )
    )
    for name, count in FIRST_ORDER_EVENTS.items():
        assert len(by_type[name]) == count, (name, len(by_type[name]))
    # the chain of causes: the POS's payment caused ordering's OrderClosed
    payment = by_type["PaymentSettled"][0]
    closed = by_type["OrderClosed"][0]
    assert closed.causation_id == payment.id
    assert closed.correlation_id == payment.correlation_id


async def test_a_service_killed_mid_scenario_loses_and_duplicates_nothing(
    platform: Platform, kafka_bootstrap: str, namespace: str
) -> None:
    """SIGKILL pos-gateway right after the order is confirmed (it must catch up on the order),
    and table-session right after payment (it must still close the session and free the
    table); ordering is killed after validation. Each restarts and the scenario completes.
    (A platform of its own: it kills parts of it.)"""
    victims = {"confirmed": "pos-gateway", "validated": "ordering", "paid": "table-session"}

    async def crash(step: str) -> None:
        if step in victims:
            name = victims[step]
            await asyncio.to_thread(platform.kill, name)
            # as long as a platform's start may take (the conftest's PLATFORM_START)
            await asyncio.to_thread(platform.restart, name, 5 * DEADLINE)

    venue_id = f"e2e-venue-{uuid.uuid4().hex[:6]}"
    result = await play_first_order(platform, venue_id, on_step=crash)

    order = result["pos_orders"][0]
    assert len(result["pos_orders"]) == 1
    assert len(order["rounds"]) == 1
    assert order["status"] == "paid"

    by_type = check_topics(
        await read_venue_topics(kafka_bootstrap, namespace, venue_id, FIRST_ORDER_EVENTS)
    )
    assert len(by_type["OrderPlaced"]) == 1
    assert len(by_type["SentToProduction"]) == 1
    assert len(by_type["OrderClosed"]) == 1
    assert len(by_type["SpotReleased"]) == 1
    assert len(by_type["PaymentSettled"]) == 1
