"""Command handlers of the concierge offers: publishing an offer, a guest ordering one from a
room, staff confirming or cancelling the order. Each reads what its decision needs (the stream,
the offer's stream, the session and its spot from projections), decides with the pure domain and
appends, writing the offers and offer orders read models in the append's transaction so that
the answer and the very next list show them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import Event, EventEnvelope, Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import OfferType
from convive.ordering import own_views, projections, queries
from convive.ordering.domain import offer_orders, offers
from convive.runtime.eventstore import AppendResult, EventStore, decide_and_append


@dataclass(frozen=True)
class Outcome:
    """The read model's row after the command (as the API answers it) and the events appended
    (none when the command changed nothing)."""

    view: dict[str, Any]
    event_ids: tuple[str, ...]


def new_offer_order_id() -> str:
    return f"oo_{uuid.uuid4().hex}"


async def _decide(
    store: EventStore,
    stream_id: str,
    decide: Callable[[list[EventEnvelope]], Sequence[Event]],
    read_back: Callable[[AsyncConnection], Any],
) -> Outcome:
    """Decide on the stream and append, projecting what was appended in the append's
    transaction, then read the row back in that transaction (or, when nothing was decided, as
    it stands)."""
    view: dict[str, Any] = {}

    def decide_envelopes(history: list[EventEnvelope]) -> list[EventEnvelope]:
        return [EventEnvelope.wrap(e, subject=stream_id) for e in decide(history)]

    async def project_appended(
        tx: AsyncConnection, new_events: Sequence[EventEnvelope], result: AppendResult
    ) -> None:
        first = result.version - len(new_events) + 1
        await own_views.project(
            tx, [e.with_stream_version(first + i) for i, e in enumerate(new_events)]
        )
        view.update(await read_back(tx) or {})

    result = await decide_and_append(store, stream_id, decide_envelopes, then=project_appended)
    if result is None:
        async with store.engine.connect() as conn:
            view.update(await read_back(conn) or {})
    return Outcome(view=view, event_ids=result.event_ids if result is not None else ())


# --- offers ----------------------------------------------------------------------------------


async def load_offer(
    store: EventStore, offer_id: str, *, conn: AsyncConnection | None = None
) -> offers.Offer | None:
    return offers.replay(await store.read_stream(offers.offer_stream(offer_id), conn=conn))


async def publish_offer(
    store: EventStore,
    *,
    venue_id: str,
    offer_id: str,
    name: LocalizedText,
    offer_type: OfferType,
    price: Money,
    description: LocalizedText | None,
    auto_confirm: bool,
    available: bool,
) -> Outcome:
    command = offers.PublishOffer(
        venue_id=venue_id,
        offer_id=offer_id,
        name=name,
        offer_type=offer_type,
        price=price,
        description=description,
        auto_confirm=auto_confirm,
        available=available,
    )
    return await _decide(
        store,
        offers.offer_stream(offer_id),
        lambda history: offers.decide(offers.replay(history), command),
        lambda conn: queries.offer(conn, offer_id),
    )


# --- offer orders ----------------------------------------------------------------------------


async def _decide_offer_order(
    store: EventStore, offer_order_id: str, command: offer_orders.Command
) -> Outcome:
    return await _decide(
        store,
        offer_orders.offer_order_stream(offer_order_id),
        lambda history: offer_orders.decide(offer_orders.replay(history), command),
        lambda conn: queries.offer_order(conn, offer_order_id),
    )


async def order_offer(
    store: EventStore,
    *,
    session_id: str,
    guest_id: str,
    offer_id: str,
    guest_name: str,
    guest_email: str,
    language: str,
    note: str | None,
) -> Outcome:
    """A seated guest of a session at a room orders an offer of the venue."""
    async with store.engine.connect() as conn:
        session = await projections.session_facts(conn, session_id)
        spot = await projections.spot_facts(conn, session.spot_id) if session else None
        offer = await load_offer(store, offer_id, conn=conn)
    offer_order_id = new_offer_order_id()
    command = offer_orders.OrderOffer(
        offer_order_id=offer_order_id,
        session_id=session_id,
        session=session,
        spot=spot,
        guest_id=guest_id,
        offer_id=offer_id,
        offer=offer,
        guest_name=guest_name,
        guest_email=guest_email,
        language=language,
        note=note,
    )
    return await _decide_offer_order(store, offer_order_id, command)


async def confirm_offer_order(store: EventStore, *, offer_order_id: str, staff: str) -> Outcome:
    command = offer_orders.ConfirmOfferOrder(offer_order_id=offer_order_id, staff=staff)
    return await _decide_offer_order(store, offer_order_id, command)


async def cancel_offer_order(
    store: EventStore, *, offer_order_id: str, staff: str, reason: str | None
) -> Outcome:
    command = offer_orders.CancelOfferOrder(
        offer_order_id=offer_order_id, staff=staff, reason=reason
    )
    return await _decide_offer_order(store, offer_order_id, command)
