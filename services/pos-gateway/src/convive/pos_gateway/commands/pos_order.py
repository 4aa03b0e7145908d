"""How every decision on an order is taken at the POS: load the order's rounds as the projection
knows them and the POS's own stream of the order (`pos-<order_id>`), fold them, decide with the
domain, append at the version read. On a lost race, read both again and decide again.

Validations, amendments, rejections and payments are all on that one stream, so "before
validation" or "nothing paid yet" is decided by its version check. The decisions continue the
story of the guest's round (its event is their cause, its correlation theirs).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import Event, EventEnvelope
from convive.pos_gateway import domain
from convive.pos_gateway.domain import order
from convive.pos_gateway.queries.orders import KnownOrder, known_order
from convive.runtime.domain import NotFound
from convive.runtime.eventstore import (
    AppendResult,
    ConcurrencyError,
    EventStore,
    decide_and_append,
)

ATTEMPTS = 5

Decision = Callable[[domain.PosOrder], list[Event]]
Cause = Callable[[KnownOrder], tuple[str, str]]


def first_round(known: KnownOrder) -> tuple[str, str]:
    """The bill settles the whole order: it continues the order's first round's story."""
    return known.round_events[min(known.round_events)]


def round_cause(round_number: int) -> Cause:
    """A decision on a round continues the story of the round's event."""

    def caused_by(known: KnownOrder) -> tuple[str, str]:
        first = min(known.round_events)
        return known.round_events.get(round_number, known.round_events[first])

    return caused_by


def _unknown(order_id: str) -> NotFound:
    return NotFound(f"order {order_id} is not known to the POS (yet)", field="order_id")


async def decide_on_order(
    engine: AsyncEngine,
    store: EventStore,
    order_id: str,
    device: domain.Device | None,
    decision: Decision,
    caused_by: Cause,
) -> tuple[AppendResult | None, list[EventEnvelope]]:
    """Decide on the order's known rounds plus the POS's own history of it; on a concurrent
    append to the order's stream, read both again and decide again. A decision of nothing
    (a replayed webhook) appends nothing and answers None.

    This retry stays ours: `decide_and_append` would retry by reading the stream again, but
    not the known rounds (its `decide` cannot read the projection), and a round that reached
    the POS meanwhile changes what is due."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await _decide_once(engine, store, order_id, device, decision, caused_by)
        except ConcurrencyError:
            if attempt == ATTEMPTS:
                raise
            await asyncio.sleep(0.005 * attempt)
    raise AssertionError("unreachable")


async def _decide_once(
    engine: AsyncEngine,
    store: EventStore,
    order_id: str,
    device: domain.Device | None,
    decision: Decision,
    caused_by: Cause,
) -> tuple[AppendResult | None, list[EventEnvelope]]:
    stream = domain.order_stream(order_id)
    async with engine.begin() as conn:
        known = await known_order(conn, order_id)
        if known is None:
            raise _unknown(order_id)
        if device is not None:
            device.require_venue(known.state.venue_id)
        causation_id, correlation_id = caused_by(known)
        decided: list[EventEnvelope] = []

        def decide(history: list[EventEnvelope]) -> Sequence[EventEnvelope]:
            state = order.fold(known.state, history)
            decided[:] = [
                EventEnvelope.wrap(
                    event,
                    subject=stream,
                    correlation_id=correlation_id,
                    causation_id=causation_id,
                )
                for event in decision(state)
            ]
            return decided

        # One try: a lost race goes back to `decide_on_order`, to read the known rounds again.
        result = await decide_and_append(store, stream, decide, attempts=1, conn=conn)
    if result is not None:
        store.notify_committed(len(result.event_ids))
    return result, decided


async def one_event(
    engine: AsyncEngine,
    store: EventStore,
    order_id: str,
    device: domain.Device | None,
    decision: Decision,
    caused_by: Cause,
) -> tuple[AppendResult, Any]:
    """A decision that always yields exactly one event: what was appended, and that event."""
    result, envelopes = await decide_on_order(engine, store, order_id, device, decision, caused_by)
    assert result is not None, "this decision always yields an event"
    assert len(envelopes) == 1, "this decision yields one event"
    return result, envelopes[0].event()


async def order_state(engine: AsyncEngine, store: EventStore, order_id: str) -> domain.PosOrder:
    """The order as it stands: its known rounds and the POS's decisions on it."""
    async with engine.connect() as conn:
        known = await known_order(conn, order_id)
        if known is None:
            raise _unknown(order_id)
        history = await store.read_stream(domain.order_stream(order_id), conn=conn)
    return order.fold(known.state, history)
