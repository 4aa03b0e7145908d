"""Fixtures of the pos-gateway tests: the service over HTTP on real Kafka and PostgreSQL, an
engine of the test's own to look at what it wrote, and ordering's events as ordering's relay
would publish them. For payments from the phone: the payment provider's test double and the
service itself served by uvicorn on free ports, so that checkouts and webhooks travel over real
HTTP both ways, and table-session's events (spots, sessions, guests)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import Event, EventEnvelope, Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import OrderLine, OrderPlaced, RoundAdded
from convive.contracts.table_session import (
    GuestJoined,
    JourneyMode,
    ProfitCentreConfigured,
    SessionOpened,
    SpotCreated,
    SpotKind,
)
from convive.doubles.payment_provider import SandboxSettings
from convive.doubles.payment_provider import create_app as create_sandbox
from convive.pos_gateway.app import create_app
from convive.pos_gateway.settings import Settings
from convive.pos_gateway.tables import orders, profit_centres, session_guests, spots
from convive.runtime.testkit import eventually, served

SANDBOX_API_KEY = "sk_test_pos_gateway"
SANDBOX_WEBHOOK_SECRET = "whsec_test_pos_gateway"  # noqa: S105 (the tests' own)


@pytest.fixture
async def pos(service_settings: dict[str, Any]) -> AsyncIterator[AsyncTestClient[Any]]:
    """The pos-gateway service, started with its lifespan, as an HTTP client."""
    app = create_app(Settings(**service_settings))
    async with AsyncTestClient(app=app) as client:
        yield client


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


# --- payments from the phone: the provider double and the service on real HTTP --------------


@pytest.fixture
async def sandbox() -> AsyncIterator[httpx.AsyncClient]:
    """The payment provider's test double, served for real; a client with its API key."""
    settings = SandboxSettings(
        api_key=SANDBOX_API_KEY,
        webhook_secret=SANDBOX_WEBHOOK_SECRET,
        webhook_backoff=0.05,
        webhook_attempts=3,
    )
    async with (
        served(create_sandbox(settings)) as url,
        httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"}, timeout=30
        ) as client,
    ):
        yield client


@pytest.fixture
async def pos_http(
    service_settings: dict[str, Any], sandbox: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """The pos-gateway served for real (so the provider can call its webhook back), talking
    to the double; a client of it."""
    settings = Settings(
        **service_settings,
        payment_provider_url=str(sandbox.base_url),
        payment_provider_api_key=SANDBOX_API_KEY,
        payment_webhook_secret=SANDBOX_WEBHOOK_SECRET,
    )
    async with (
        served(create_app(settings)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield client


@dataclass
class SeatedOrder:
    """An order of a session at a spot, its host and one more guest, as the POS learnt them."""

    order: GuestOrder
    host: str
    guest: str

    @property
    def order_id(self) -> str:
        return self.order.order_id


@pytest.fixture
def seated_order(
    publish: Callable[..., Awaitable[EventEnvelope]], reader: AsyncEngine
) -> Callable[..., Awaitable[SeatedOrder]]:
    """`await seated_order(kind=SpotKind.ROOM, mode=JourneyMode.ORDER, prices=(1450, 350))`:
    table-session's spot, session and guests, then ordering's first round, all known to the
    POS when it returns."""

    async def seat(
        *,
        kind: SpotKind = SpotKind.TABLE,
        mode: JourneyMode = JourneyMode.ORDER_AND_PAY,
        prices: tuple[int, ...] = (1450, 350),
        venue_id: str = "venue-1",
    ) -> SeatedOrder:
        order = GuestOrder(venue_id)
        centre = f"pc-{uuid.uuid4().hex[:8]}"
        host, guest = f"guest-{uuid.uuid4().hex[:8]}", f"guest-{uuid.uuid4().hex[:8]}"
        await publish(
            ProfitCentreConfigured(
                venue_id=venue_id, profit_centre_id=centre, name="Dining room", mode=mode
            ),
            centre,
        )
        spot_events: list[Event] = [
            SpotCreated(
                venue_id=venue_id,
                profit_centre_id=centre,
                spot_id=order.spot_id,
                name="Room 112" if kind is SpotKind.ROOM else "Table 4",
                kind=kind,
            ),
            SessionOpened(
                venue_id=venue_id,
                profit_centre_id=centre,
                spot_id=order.spot_id,
                session_id=order.session_id,
                host_guest_id=host,
                pin="123456",
            ),
            GuestJoined(
                venue_id=venue_id,
                spot_id=order.spot_id,
                session_id=order.session_id,
                guest_id=guest,
                device_id="phone-2",
            ),
        ]
        for event in spot_events:
            await publish(event, order.spot_id)
        await publish(order.next_round(*prices))

        async def known() -> bool:
            async with reader.connect() as conn:
                found = [
                    await conn.scalar(
                        sa.select(sa.func.count()).where(orders.c.order_id == order.order_id)
                    ),
                    await conn.scalar(
                        sa.select(sa.func.count()).where(
                            session_guests.c.session_id == order.session_id
                        )
                    ),
                    await conn.scalar(
                        sa.select(sa.func.count()).where(spots.c.spot_id == order.spot_id)
                    ),
                    await conn.scalar(
                        sa.select(sa.func.count()).where(
                            profit_centres.c.profit_centre_id == centre
                        )
                    ),
                ]
            return found == [1, 2, 1, 1]

        await eventually(known)
        return SeatedOrder(order, host, guest)

    return seat


# --- staff: an owner (the bootstrap account), a manager and a cashier of venue-1 -------------

STAFF_PASSWORD = "correct horse battery"  # noqa: S105 (the tests' own)


@dataclass
class Team:
    owner: dict[str, Any]
    manager: dict[str, Any]
    cashier: dict[str, Any]

    @staticmethod
    def headers(account: dict[str, Any]) -> dict[str, str]:
        return {"X-Convive-Staff": account["staff_id"]}


@pytest.fixture
async def team(pos: AsyncTestClient[Any]) -> Team:
    """Odile owns venue-1 and venue-2; Max manages venue-1; Cyril is its cashier."""

    async def open_account(by: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
        body = {"password": STAFF_PASSWORD, "venue_ids": ["venue-1"], **fields}
        headers = Team.headers(by) if by is not None else {}
        answer = await pos.post("/staff", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        opened: dict[str, Any] = answer.json()
        return opened

    owner = await open_account(
        None,
        email="odile@example.com",
        name="Odile",
        role="owner",
        venue_ids=["venue-1", "venue-2"],
    )
    manager = await open_account(owner, email="max@example.com", name="Max", role="manager")
    cashier = await open_account(owner, email="cyril@example.com", name="Cyril", role="cashier")
    return Team(owner, manager, cashier)
