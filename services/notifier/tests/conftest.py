"""Fixtures of the notifier's tests: the service run for real with uvicorn (so SSE streams are
read incrementally, as a browser would), an SMTP server it sends its e-mails to (the SMTP sink
double, in this process), an SSE client, and other services' facts as their events say them.
The runtime's plugin gives the rest (`publish`, `reader`, `service_settings`, …)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import Event, EventEnvelope
from convive.contracts.base import LocalizedText, Money
from convive.contracts.ordering import (
    CartItemAdded,
    OfferOrdered,
    OfferType,
    OrderLine,
    OrderPlaced,
)
from convive.contracts.pos_gateway import DevicePaired
from convive.contracts.table_session import GuestJoined, SessionOpened
from convive.doubles.smtp_sink import SmtpSink
from convive.notifier.app import create_app
from convive.notifier.domain.streams import credential_digest
from convive.notifier.settings import Settings
from convive.notifier.tables import feed_entries
from convive.runtime.testkit import eventually, served


@pytest.fixture
def heartbeat_interval() -> float:
    """Long, so a live message can only come from a NOTIFY, not from an idle re-read; a test
    parametrizes it shorter to see keep-alives."""
    return 30.0


@pytest.fixture
async def smtp_sink() -> AsyncIterator[SmtpSink]:
    """A real SMTP server on a free loopback port, keeping what it receives."""
    async with SmtpSink().serving() as sink:
        yield sink


@pytest.fixture
def notifier_settings(
    service_settings: dict[str, Any], heartbeat_interval: float, smtp_sink: SmtpSink
) -> Settings:
    # A short grace keeps refusals quick; short retry delays keep outage tests quick.
    return Settings(
        **service_settings,
        access_grace=0.3,
        heartbeat_interval=heartbeat_interval,
        smtp_port=smtp_sink.port,
        smtp_timeout=5.0,
        mail_from="no-reply@convive.test",
        mail_retry_base=0.2,
        mail_retry_max=1.0,
        mail_poll_interval=1.0,
    )


@pytest.fixture
async def notifier(notifier_settings: Settings) -> AsyncIterator[str]:
    """The notifier served by uvicorn on a free port of this process; yields its base URL."""
    async with served(create_app(notifier_settings)) as url:
        yield url


Publish = Callable[..., Any]


@pytest.fixture
def feed_of(reader: AsyncEngine) -> Callable[[str, str], Any]:
    """Reads a feed from the service's table: [(seq, type, event_id, data)] in order."""

    async def read(kind: str, feed_id: str) -> list[tuple[int, str, str, dict[str, Any]]]:
        async with reader.connect() as conn:
            rows = await conn.execute(
                sa.select(
                    feed_entries.c.seq,
                    feed_entries.c.type,
                    feed_entries.c.event_id,
                    feed_entries.c.data,
                )
                .where(feed_entries.c.feed_kind == kind, feed_entries.c.feed_id == feed_id)
                .order_by(feed_entries.c.seq)
            )
            return [(r.seq, r.type, r.event_id, r.data) for r in rows]

    return read


# --- an SSE client --------------------------------------------------------------------------


@dataclass
class SseMessage:
    id: str | None
    event: str | None
    data: str

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.data)
        return parsed


@dataclass
class SseStream:
    """An open SSE response, read line by line."""

    response: httpx.Response
    lines: AsyncIterator[str]
    comments: list[str] = field(default_factory=list)
    retry: str | None = None

    async def next(self, within: float = 20.0) -> SseMessage:
        """The next message (comments and `retry:` are noted, not returned)."""
        return await asyncio.wait_for(self._next(), timeout=within)

    async def _next(self) -> SseMessage:
        fields: dict[str, list[str]] = {}
        async for line in self.lines:
            if line == "":
                if fields:
                    return SseMessage(
                        id=fields.get("id", [None])[-1],
                        event=fields.get("event", [None])[-1],
                        data="\n".join(fields.get("data", [])),
                    )
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "retry":
                self.retry = value
            else:
                fields.setdefault(name, []).append(value)
        raise EOFError("the stream ended")

    async def take(self, n: int, within: float = 20.0) -> list[SseMessage]:
        return [await self.next(within) for _ in range(n)]

    async def wait_for_comment(self, text: str, within: float = 20.0) -> None:
        async def until() -> None:
            while text not in self.comments:
                line = await anext(self.lines)
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())

        await asyncio.wait_for(until(), timeout=within)


OpenStream = Callable[..., Any]


@pytest.fixture
async def sse(notifier: str) -> AsyncIterator[OpenStream]:
    """`async with sse(path, headers=..., params=...) as stream:` opens an SSE stream; a
    refusal is returned as the httpx response (stream.response) with its body read."""
    async with httpx.AsyncClient(base_url=notifier, timeout=httpx.Timeout(30.0)) as client:

        @contextlib.asynccontextmanager
        async def open_stream(path: str, **kwargs: Any) -> AsyncIterator[SseStream]:
            async with client.stream("GET", path, **kwargs) as response:
                if response.status_code != 200:
                    await response.aread()
                yield SseStream(response, response.aiter_lines())

        yield open_stream


# --- a table and a device of a venue, as other services' events say -------------------------


@dataclass
class Table:
    """A session at a spot, with its host and one more guest."""

    venue_id: str
    spot_id: str
    session_id: str
    host: str
    guest: str
    pin: str = "482913"

    def events(self) -> list[tuple[Event, str]]:
        """Its events up to the first order, with their stream ids, in order."""
        price = Money(amount_minor=1250, currency="EUR")
        name = LocalizedText(fr="Salade", en="Salad")
        total = Money(amount_minor=2500, currency="EUR")
        line = OrderLine(
            line_id="l1",
            product_id="salad",
            name=name,
            quantity=2,
            unit_price=price,
            guest_id=self.guest,
        )
        return [
            (
                SessionOpened(
                    venue_id=self.venue_id,
                    profit_centre_id="dining",
                    spot_id=self.spot_id,
                    session_id=self.session_id,
                    host_guest_id=self.host,
                    pin=self.pin,
                ),
                self.spot_id,
            ),
            (
                GuestJoined(
                    venue_id=self.venue_id,
                    spot_id=self.spot_id,
                    session_id=self.session_id,
                    guest_id=self.guest,
                    device_id=f"phone-of-{self.guest}",
                ),
                self.spot_id,
            ),
            (self.cart_item("l1", quantity=2), self.session_id),
            (
                OrderPlaced(
                    order_id=f"order-{self.session_id}",
                    session_id=self.session_id,
                    venue_id=self.venue_id,
                    spot_id=self.spot_id,
                    placed_by=self.host,
                    round_number=1,
                    lines=[line],
                    round_total=total,
                    order_total=total,
                ),
                self.session_id,
            ),
        ]

    def cart_item(self, line_id: str, quantity: int = 1) -> CartItemAdded:
        return CartItemAdded(
            session_id=self.session_id,
            venue_id=self.venue_id,
            line_id=line_id,
            guest_id=self.guest,
            product_id="salad",
            quantity=quantity,
            unit_price=Money(amount_minor=1250, currency="EUR"),
            product_name=LocalizedText(fr="Salade", en="Salad"),
        )


@pytest.fixture
def make_table() -> Callable[..., Table]:
    """`make_table("a", venue="v1")`: a table named a, its session, host and guest."""

    def make(name: str, venue: str = "venue-1") -> Table:
        return Table(venue, f"spot-{name}", f"session-{name}", f"host-{name}", f"guest-{name}")

    return make


@pytest.fixture
def device_paired() -> Callable[[str, str, str], DevicePaired]:
    """`device_paired(venue_id, device_id, credential)`: the DevicePaired pos-gateway emits."""

    def paired(venue_id: str, device_id: str, credential: str) -> DevicePaired:
        return DevicePaired(
            venue_id=venue_id,
            device_id=device_id,
            name=f"till {device_id}",
            credential_sha256=credential_digest(credential),
        )

    return paired


@pytest.fixture
def feed_has(feed_of: Callable[[str, str], Any]) -> Callable[..., Any]:
    """`await feed_has("session", id, n)`: waits until that feed has n entries; returns them."""

    async def wait(kind: str, feed_id: str, n: int) -> Any:
        async def check() -> Any:
            entries = await feed_of(kind, feed_id)
            return entries if len(entries) >= n else None

        return await eventually(check)

    return wait


@pytest.fixture
def publish_in_order(publish: Publish, reader: AsyncEngine) -> Callable[..., Any]:
    """`await publish_in_order([(event, stream_id), …])` publishes each event once the previous
    one is relayed: events of different streams (and topics) have no order of their own, so a
    test that expects one makes it happen, as a guest does (they join before adding to the
    cart)."""

    async def send(events: list[tuple[Event, str]]) -> list[EventEnvelope]:
        sent = []
        for event, subject in events:
            envelope = await publish(event, subject)

            async def relayed(event_id: str = envelope.id) -> bool:
                async with reader.connect() as conn:
                    found = await conn.scalar(
                        sa.select(sa.func.count()).where(feed_entries.c.event_id == event_id)
                    )
                return bool(found)

            await eventually(relayed)
            sent.append(envelope)
        return sent

    return send


@pytest.fixture
def offer_ordered() -> Callable[..., OfferOrdered]:
    """`offer_ordered(venue_id="v1", offer_order_id="oo1", **changes)`: the OfferOrdered of
    Zoé Martin's breakfast in room 112 that ordering emits, with `changes` to its fields."""

    def make(venue_id: str = "v1", offer_order_id: str = "oo1", **changes: Any) -> OfferOrdered:
        fields: dict[str, Any] = {
            "offer_id": "breakfast",
            "offer_name": LocalizedText(fr="Petit-déjeuner en chambre", en="Breakfast in bed"),
            "offer_type": OfferType.OFFER,
            "price": Money(amount_minor=2500, currency="EUR"),
            "spot_id": "room-112",
            "spot_name": "Chambre 112",
            "guest_id": "g1",
            "guest_name": "Zoé Martin",
            "guest_email": "zoe@example.org",
            "language": "fr",
            "note": "Vers 8 h,\nsans gluten",
            "auto_confirm": False,
        }
        return OfferOrdered(
            venue_id=venue_id, offer_order_id=offer_order_id, **{**fields, **changes}
        )

    return make
