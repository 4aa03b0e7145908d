"""Fixtures of the table-session tests: the service over HTTP (in-process test client, or a real
uvicorn server when requests must really run at once), a venue set up over HTTP, and the other
services' events table-session listens to (ordering's OrderPlaced, pos-gateway's
PaymentSettled), published on their topics. The fixtures every service shares (`reader`,
`stream_of`, `event_count`, `publish`, ...) come from the runtime's pytest plugin."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from convive.contracts import Event, EventEnvelope, Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import OrderLine, OrderPlaced
from convive.contracts.pos_gateway import PaymentMethod, PaymentSettled
from convive.runtime.testkit import eventually, served
from convive.table_session.app import create_app
from convive.table_session.settings import Settings

VenueSetup = Callable[..., Awaitable[dict[str, Any]]]
Publish = Callable[[Event, str], Awaitable[EventEnvelope]]
SessionStep = Callable[[Any, str], Awaitable[EventEnvelope]]
StreamOf = Callable[[str], Awaitable[list[EventEnvelope]]]


@pytest.fixture
async def client(service_settings: dict[str, Any]) -> AsyncIterator[Any]:
    """The service driven in-process (its lifespan runs in the client's own event loop)."""
    async with AsyncTestClient(app=create_app(Settings(**service_settings))) as test_client:
        yield test_client


@pytest.fixture
async def live_client(service_settings: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    """The service behind a real uvicorn server on a loopback port, with an HTTP client.

    Litestar's AsyncTestClient hands each request to the app through a blocking call, so
    requests sent "at once" with it run one after the other; concurrency tests need this."""
    app = create_app(Settings(**service_settings))
    async with served(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield http


@pytest.fixture
def stream_types(stream_of: StreamOf) -> Callable[[str], Awaitable[list[str]]]:
    """`await stream_types(stream_id)`: the types of the events the service appended to it."""

    async def types(stream_id: str) -> list[str]:
        return [e.type for e in await stream_of(stream_id)]

    return types


async def _setup_venue(
    http: Any,
    venue_id: str,
    *spot_names: str,
    mode: str = "order",
    profit_centre_id: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Dining room", "mode": mode}
    if profit_centre_id:
        body["profit_centre_id"] = profit_centre_id
    pc = await http.post(f"/venues/{venue_id}/profit-centres", json=body)
    assert pc.status_code == 201, pc.text
    pc_id = pc.json()["profit_centre_id"]
    spots = []
    for name in spot_names or ("Table 1",):
        spot = await http.post(
            f"/venues/{venue_id}/spots",
            json={"profit_centre_id": pc_id, "name": name, "kind": "table"},
        )
        assert spot.status_code == 201, spot.text
        spots.append(spot.json())
    return {"profit_centre_id": pc_id, "spots": spots}


@pytest.fixture
def setup_venue() -> VenueSetup:
    """`await setup_venue(http, "venue-1", "Table 1", "Table 2", mode="order")`: a profit centre
    and its spots, created over HTTP; returns their answers."""
    return _setup_venue


@pytest.fixture
def confirm_order(publish: Publish) -> SessionStep:
    """`await confirm_order(http, session_id)`: ordering's OrderPlaced for the session, and
    wait until table-session knows the session has a confirmed order."""

    async def confirm(http: Any, session_id: str) -> EventEnvelope:
        session = (await http.get(f"/sessions/{session_id}")).json()
        price = Money(amount_minor=1200, currency="EUR")
        line = OrderLine(
            line_id="line-1",
            product_id="burger",
            name=LocalizedText(fr="Burger", en="Burger"),
            quantity=1,
            unit_price=price,
            guest_id=session["host_guest_id"],
        )
        placed = OrderPlaced(
            order_id=f"order-{session_id}",
            session_id=session_id,
            venue_id=session["venue_id"],
            spot_id=session["spot_id"],
            placed_by=session["host_guest_id"],
            round_number=1,
            lines=[line],
            round_total=price,
            order_total=price,
        )
        envelope = await publish(placed, session_id)

        async def known() -> bool:
            return bool((await http.get(f"/sessions/{session_id}")).json()["order_confirmed"])

        await eventually(known, within=20)
        return envelope

    return confirm


@pytest.fixture
def settle(publish: Publish) -> SessionStep:
    """`await settle(http, session_id)`: pos-gateway's PaymentSettled for the session, and wait
    until table-session closed it."""

    async def pay(http: Any, session_id: str) -> EventEnvelope:
        session = (await http.get(f"/sessions/{session_id}")).json()
        payment = PaymentSettled(
            venue_id=session["venue_id"],
            order_id=f"order-{session_id}",
            session_id=session_id,
            amount=Money(amount_minor=1200, currency="EUR"),
            method=PaymentMethod.CARD,
        )
        envelope = await publish(payment, f"pos-order-{session_id}")

        async def closed() -> bool:
            return (await http.get(f"/sessions/{session_id}")).json()["status"] == "closed"

        await eventually(closed, within=20)
        return envelope

    return pay
