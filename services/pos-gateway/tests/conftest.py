"""Fixtures of the pos-gateway tests: the service over HTTP on real Kafka and PostgreSQL, an
engine of the test's own to look at what it wrote, and ordering's events as ordering's relay
would publish them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import EventEnvelope, Money, events_topic
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import OrderLine, OrderPlaced, RoundAdded
from convive.pos_gateway.app import create_app
from convive.pos_gateway.settings import Settings
from convive.runtime import db, kafka
from convive.runtime.eventstore import EventStore, events


@pytest.fixture
async def pos(service_settings: dict[str, Any]) -> AsyncIterator[AsyncTestClient[Any]]:
    """The pos-gateway service, started with its lifespan, as an HTTP client."""
    app = create_app(Settings(**service_settings))
    async with AsyncTestClient(app=app) as client:
        yield client


@pytest.fixture
async def reader(database_url: str, db_schema: str) -> AsyncIterator[AsyncEngine]:
    """An engine of the test's own on the service's schema (the app runs in another loop)."""
    engine = db.create_engine(database_url, db_schema, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
def store(reader: AsyncEngine) -> EventStore:
    return EventStore(reader)


@pytest.fixture
def event_count(reader: AsyncEngine) -> Callable[[], Awaitable[int]]:
    """How many events the service's event store holds, all streams together."""

    async def count() -> int:
        async with reader.connect() as conn:
            return int(await conn.scalar(sa.select(sa.func.count()).select_from(events)) or 0)

    return count


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    p = kafka.make_producer(kafka_bootstrap, "pos-gateway-tests")
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
def publish_ordering(
    producer: AIOKafkaProducer, namespace: str
) -> Callable[[EventEnvelope], Awaitable[None]]:
    """Publish an envelope on ordering's topic of this test, as ordering's relay would."""

    async def publish(envelope: EventEnvelope) -> None:
        await producer.send_and_wait(
            events_topic("ordering", namespace),
            value=envelope.body(),
            key=envelope.key(),
            headers=envelope.headers(),
        )

    return publish


def eur(cents: int) -> Money:
    return Money(amount_minor=cents, currency="EUR")


class GuestOrder:
    """A session's order as ordering announces it: OrderPlaced, then RoundAdded per round."""

    def __init__(self, venue_id: str) -> None:
        self.venue_id = venue_id
        self.order_id = f"order-{uuid.uuid4().hex}"
        self.session_id = f"session-{uuid.uuid4().hex}"
        self.spot_id = f"spot-{uuid.uuid4().hex[:8]}"
        self.total = 0
        self.rounds = 0

    def next_round(self, *prices: int) -> EventEnvelope:
        """The envelope of the next confirmed round, one line per price (quantity 1)."""
        self.rounds += 1
        lines = [
            OrderLine(
                line_id=uuid.uuid4().hex,
                product_id=f"product-{i}",
                name=LocalizedText(fr=f"Plat {i}", en=f"Dish {i}"),
                quantity=1,
                unit_price=eur(price),
                guest_id="guest-1",
            )
            for i, price in enumerate(prices)
        ]
        round_total = sum(prices)
        self.total += round_total
        common: dict[str, Any] = {
            "order_id": self.order_id,
            "session_id": self.session_id,
            "venue_id": self.venue_id,
            "spot_id": self.spot_id,
            "placed_by": "guest-1",
            "round_number": self.rounds,
            "lines": lines,
            "round_total": eur(round_total),
            "order_total": eur(self.total),
        }
        event = OrderPlaced(**common) if self.rounds == 1 else RoundAdded(**common)
        # ordering's stream is the session, so every round travels on the same partition
        return EventEnvelope.wrap(event, subject=self.session_id)


@pytest.fixture
def guest_order() -> Callable[[str], GuestOrder]:
    """Factory: guest_order(venue_id) -> a GuestOrder producing ordering's envelopes."""
    return GuestOrder


@pytest.fixture
def pair(pos: AsyncTestClient[Any]) -> Callable[[str, str], Awaitable[dict[str, str]]]:
    """Pair a device to a venue; returns the pairing answer plus ready-made auth headers."""

    async def pair_device(venue_id: str, name: str) -> dict[str, Any]:
        response = await pos.post(f"/venues/{venue_id}/devices", json={"name": name})
        assert response.status_code == 201, response.text
        paired: dict[str, Any] = response.json()
        paired["headers"] = {"Authorization": f"Bearer {paired['credential']}"}
        return paired

    return pair_device
