"""Fixtures of the ordering service's integration tests: a venue's menu, the app over HTTP on real
Kafka and PostgreSQL, and table-session's facts (spots, sessions and their guests, profit
centres' modes) published as its relay would, each waited for until ordering has learnt it.
What every service's tests share (`reader`, `publish`, `stream_of`, `event_count`…) is the
runtime's pytest plugin's."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts.table_session import (
    GuestJoined,
    JourneyMode,
    ProfitCentreConfigured,
    SessionOpened,
    SpotCreated,
    SpotKind,
)
from convive.ordering.app import create_app
from convive.ordering.projections import table_session
from convive.ordering.settings import Settings
from convive.runtime.pytest_plugin import Publish
from convive.runtime.testkit import eventually

VENUE = "venue-bistro"

MENU: dict[str, Any] = {
    "currency": "EUR",
    "categories": [
        {"category_id": "mains", "name": {"fr": "Plats", "en": "Mains"}, "position": 1},
        {"category_id": "drinks", "name": {"fr": "Boissons", "en": "Drinks"}, "position": 2},
    ],
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
            "description": {"fr": "Maison", "en": "Home-made"},
            "price": {"amount_minor": 750, "currency": "EUR"},
        },
        {
            "product_id": "water",
            "category_id": "drinks",
            "name": {"fr": "Eau pétillante", "en": "Sparkling water"},
            "price": {"amount_minor": 400, "currency": "EUR"},
        },
        {
            "product_id": "oysters",
            "category_id": "mains",
            "name": {"fr": "Huîtres", "en": "Oysters"},
            "price": {"amount_minor": 1600, "currency": "EUR"},
            "available": False,
        },
    ],
}


@pytest.fixture
def menu_body() -> dict[str, Any]:
    return MENU


@pytest.fixture
async def client(service_settings: dict[str, Any]) -> AsyncIterator[AsyncTestClient[Any]]:
    """The ordering app, started with its lifespan (migrations, topics, relay, consumers)."""
    app = create_app(Settings(**service_settings))
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture
def open_session(publish: Publish, reader: AsyncEngine) -> Callable[..., Awaitable[None]]:
    """`await open_session(session_id, host, *guests)`: table-session's SessionOpened and
    GuestJoined events, then wait until ordering has learnt of all of them."""

    async def open_(
        session_id: str,
        host: str,
        *guests: str,
        spot: str = "spot-4",
        profit_centre: str = "room",
    ) -> None:
        await publish(
            SessionOpened(
                venue_id=VENUE,
                profit_centre_id=profit_centre,
                spot_id=spot,
                session_id=session_id,
                host_guest_id=host,
                pin="123456",
            ),
            subject=spot,
        )
        for guest in guests:
            await publish(
                GuestJoined(
                    venue_id=VENUE,
                    spot_id=spot,
                    session_id=session_id,
                    guest_id=guest,
                    device_id=f"phone-{guest}",
                ),
                subject=spot,
            )

        async def all_known() -> bool:
            async with reader.connect() as conn:
                facts = await table_session.session_facts(conn, session_id)
            return (
                facts is not None
                and facts.guests == {host, *guests}
                and facts.profit_centre_id == profit_centre
            )

        await eventually(all_known)

    return open_


@pytest.fixture
def configure_mode(publish: Publish, reader: AsyncEngine) -> Callable[..., Awaitable[None]]:
    """`await configure_mode(profit_centre, mode, session=...)`: table-session's
    ProfitCentreConfigured, then wait until ordering applies that mode to the given session."""

    async def configure(profit_centre: str, mode: str, *, session: str) -> None:
        await publish(
            ProfitCentreConfigured(
                venue_id=VENUE,
                profit_centre_id=profit_centre,
                name=f"Profit centre {profit_centre}",
                mode=JourneyMode(mode),
            ),
            subject=f"pc-{profit_centre}",
        )

        async def applied() -> bool:
            async with reader.connect() as conn:
                facts = await table_session.session_facts(conn, session)
            return facts is not None and facts.mode == mode

        await eventually(applied)

    return configure


@pytest.fixture
def create_spot(publish: Publish, reader: AsyncEngine) -> Callable[..., Awaitable[None]]:
    """`await create_spot(spot_id, name, kind)`: table-session's SpotCreated, then wait until
    ordering knows the spot."""

    async def create(
        spot_id: str, name: str, kind: str = "table", *, profit_centre: str = "room"
    ) -> None:
        await publish(
            SpotCreated(
                venue_id=VENUE,
                profit_centre_id=profit_centre,
                spot_id=spot_id,
                name=name,
                kind=SpotKind(kind),
            ),
            subject=spot_id,
        )

        async def known() -> bool:
            async with reader.connect() as conn:
                return await table_session.spot_facts(conn, spot_id) is not None

        await eventually(known)

    return create
