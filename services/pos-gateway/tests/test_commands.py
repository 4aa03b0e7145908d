"""Command handlers and projections on a real PostgreSQL: a validation that lost a race is
decided again on fresh history and refused; projection handlers are idempotent and tolerate
events arriving before what they refer to."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import EventEnvelope, Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import MenuCategory, MenuProduct, MenuPublished
from convive.contracts.pos_gateway import (
    OrderAmended,
    OrderValidated,
    PaymentMethod,
    PaymentSettled,
)
from convive.pos_gateway.app import MIGRATIONS
from convive.pos_gateway.commands import rounds
from convive.pos_gateway.domain import Device
from convive.pos_gateway.projections import own
from convive.pos_gateway.queries.orders import menu_items, order_views
from convive.pos_gateway.subscriptions import PROJECTIONS
from convive.runtime import migrations
from convive.runtime.domain import Conflict
from convive.runtime.eventstore import EventStore

pytestmark = pytest.mark.infra

TILL = Device(device_id="till", venue_id="venue-1", name="Till")
BAR = Device(device_id="bar", venue_id="venue-1", name="Bar")


class RacingStore(EventStore):
    """An event store whose first `racers` stream reads wait for each other, so that every
    racer decides on the same history before any of them appends. Like the service's own store,
    it writes the POS's own read models with every append."""

    def __init__(self, engine: AsyncEngine, racers: int = 2) -> None:
        super().__init__(engine, own_read_models=own.projection.apply)
        self.racers = racers
        self.barrier = asyncio.Barrier(racers)
        self.reads = 0

    async def read_stream(self, stream_id: str, **kwargs: Any) -> list[EventEnvelope]:
        history = await super().read_stream(stream_id, **kwargs)
        self.reads += 1
        if self.reads <= self.racers:
            await asyncio.wait_for(self.barrier.wait(), timeout=10)
        return history


@pytest.fixture
async def migrated(reader: AsyncEngine) -> AsyncEngine:
    await migrations.upgrade(reader, MIGRATIONS)
    return reader


async def apply(engine: AsyncEngine, envelope: EventEnvelope) -> None:
    """Apply one event to the projection of it as its consumer would."""
    [handler] = [p.handlers[envelope.type] for p in PROJECTIONS if envelope.type in p.handlers]
    async with engine.begin() as conn:
        await handler(conn, envelope.event(), envelope)


async def test_of_two_devices_validating_at_once_the_loser_re_decides_and_is_refused(
    migrated: AsyncEngine, guest_order: Any
) -> None:
    order = guest_order("venue-1")
    await apply(migrated, order.next_round(1000))
    store = RacingStore(migrated)

    outcomes = await asyncio.gather(
        rounds.validate_round(
            migrated, store, order_id=order.order_id, round_number=1, staff="Alice", device=TILL
        ),
        rounds.validate_round(
            migrated, store, order_id=order.order_id, round_number=1, staff="Bruno", device=BAR
        ),
        return_exceptions=True,
    )

    assert store.reads == 3, "both read the empty stream, the loser read it once more"
    [(_, winner)] = [o for o in outcomes if not isinstance(o, BaseException)]
    [refusal] = [o for o in outcomes if isinstance(o, BaseException)]
    assert isinstance(refusal, Conflict)
    assert refusal.message == (
        f"round 1 was already validated by {winner.validated_by} on {winner.device_id}"
    )
    history = await store.read_stream(f"pos-{order.order_id}")
    assert [e.event() for e in history] == [winner]


async def test_validations_of_different_rounds_at_once_both_succeed(
    migrated: AsyncEngine, guest_order: Any
) -> None:
    order = guest_order("venue-1")
    await apply(migrated, order.next_round(1000))
    await apply(migrated, order.next_round(500))
    store = RacingStore(migrated)

    results = await asyncio.gather(
        rounds.validate_round(
            migrated, store, order_id=order.order_id, round_number=1, staff="Alice", device=TILL
        ),
        rounds.validate_round(
            migrated, store, order_id=order.order_id, round_number=2, staff="Bruno", device=BAR
        ),
    )

    assert sorted(event.round_number for _, event in results) == [1, 2]
    history = await store.read_stream(f"pos-{order.order_id}")
    assert [e.stream_version for e in history] == [1, 2]
    [view] = await _views(migrated, order.order_id)
    assert view["status"] == "validated"


async def test_projection_handlers_are_idempotent_and_tolerate_events_out_of_order(
    migrated: AsyncEngine, guest_order: Any
) -> None:
    order = guest_order("venue-1")
    first = order.next_round(1000)
    validation = EventEnvelope.wrap(
        OrderValidated(
            venue_id="venue-1",
            order_id=order.order_id,
            round_number=1,
            device_id="till",
            validated_by="Alice",
            session_id=order.session_id,
        ),
        subject=f"pos-{order.order_id}",
    )
    payment = EventEnvelope.wrap(
        PaymentSettled(
            venue_id="venue-1",
            order_id=order.order_id,
            session_id=order.session_id,
            amount=first.event().round_total,  # type: ignore[attr-defined]
            method=PaymentMethod.CASH,
        ),
        subject=f"pos-{order.order_id}",
    )
    # a rebuild may read the POS's own topic before ordering's
    await apply(migrated, validation)
    await apply(migrated, payment)
    assert await _views(migrated, order.order_id) == []
    for envelope in (first, first, validation, payment, payment):
        await apply(migrated, envelope)

    [view] = await _views(migrated, order.order_id)
    assert view["status"] == "paid"
    assert view["paid"]["amount_minor"] == 1000
    assert [(r["round_number"], r["validated_by"]) for r in view["rounds"]] == [(1, "Alice")]


async def _views(engine: AsyncEngine, order_id: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return await order_views(conn, order_id=order_id)


async def test_an_earlier_amendment_coming_late_from_kafka_does_not_undo_a_later_one(
    migrated: AsyncEngine, guest_order: Any
) -> None:
    order = guest_order("venue-1")
    first = order.next_round(1000, 500)
    await apply(migrated, first)
    [steak, tea] = first.event().lines  # type: ignore[attr-defined]

    def amendment(version: int, quantity: int) -> EventEnvelope:
        event = OrderAmended(
            venue_id="venue-1",
            order_id=order.order_id,
            session_id=order.session_id,
            round_number=1,
            lines=[steak.model_copy(update={"quantity": quantity})],
            round_total=Money(amount_minor=1000 * quantity, currency="EUR"),
            device_id="till",
            amended_by="Alice",
        )
        envelope = EventEnvelope.wrap(event, subject=f"pos-{order.order_id}")
        return envelope.with_stream_version(version)

    # the command wrote version 2 through; Kafka then delivers 1, 2 and 1 again
    for envelope in (amendment(2, 3), amendment(1, 2), amendment(2, 3), amendment(1, 2)):
        await apply(migrated, envelope)
    [view] = await _views(migrated, order.order_id)
    [round_1] = view["rounds"]
    assert round_1["amended"] is True
    assert [(x["line_id"], x["quantity"]) for x in round_1["lines"]] == [(steak.line_id, 3)]
    assert view["total"]["amount_minor"] == 3000
    assert tea.line_id not in str(round_1["lines"])


async def test_a_menu_published_again_replaces_the_venue_s_products(migrated: AsyncEngine) -> None:
    def menu(*products: tuple[str, int, bool]) -> EventEnvelope:
        return EventEnvelope.wrap(
            MenuPublished(
                venue_id="venue-1",
                currency="EUR",
                categories=[MenuCategory(category_id="c", name=LocalizedText(fr="C", en="C"))],
                products=[
                    MenuProduct(
                        product_id=pid,
                        category_id="c",
                        name=LocalizedText(fr=pid, en=pid),
                        price=Money(amount_minor=cents, currency="EUR"),
                        available=available,
                    )
                    for pid, cents, available in products
                ],
            ),
            subject="menu-venue-1",
        )

    await apply(migrated, menu(("wine", 600, True), ("beer", 500, True)))
    await apply(migrated, menu(("wine", 650, False)))
    async with migrated.connect() as conn:
        items = await menu_items(conn, "venue-1", ["wine", "beer"])
    assert list(items) == ["wine"]
    assert (items["wine"].price.amount_minor, items["wine"].available) == (650, False)
