"""A hotel's concierge offers: publishing one (create or replace it whole), and loading it (for
a guest's order of it). Also the way both offer commands answer: with the read model's row as the
command left it (`decide_and_read_back`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import Event, EventEnvelope, Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import OfferType
from convive.ordering import queries
from convive.ordering.domain import offers
from convive.runtime.eventstore import AppendResult, EventStore, decide_and_append


@dataclass(frozen=True)
class Outcome:
    """The read model's row after the command (as the API answers it) and the events appended
    (none when the command changed nothing)."""

    view: dict[str, Any]
    event_ids: tuple[str, ...]

    def answer(self) -> dict[str, Any]:
        """What the API answers: the row as it now stands and the events appended."""
        return {**self.view, "event_ids": self.event_ids}


ReadBack = Callable[[AsyncConnection], Awaitable[dict[str, Any] | None]]


async def decide_and_read_back(
    store: EventStore,
    stream_id: str,
    decide: Callable[[list[EventEnvelope]], Sequence[Event]],
    read_back: ReadBack,
) -> Outcome:
    """Decide on the stream and append (the store writes the read models in the append's
    transaction), then read the row back in that transaction (or, when nothing was decided, as
    it stands)."""
    view: dict[str, Any] = {}

    def decide_envelopes(history: list[EventEnvelope]) -> list[EventEnvelope]:
        return [EventEnvelope.wrap(e, subject=stream_id) for e in decide(history)]

    async def read_appended(
        tx: AsyncConnection, appended: Sequence[EventEnvelope], result: AppendResult
    ) -> None:
        view.update(await read_back(tx) or {})

    result = await decide_and_append(store, stream_id, decide_envelopes, then=read_appended)
    if result is None:
        async with store.engine.connect() as conn:
            view.update(await read_back(conn) or {})
    return Outcome(view=view, event_ids=result.event_ids if result is not None else ())


async def load_offer(
    store: EventStore, offer_id: str, *, conn: AsyncConnection | None = None
) -> offers.Offer | None:
    return offers.fold(await store.read_stream(offers.offer_stream(offer_id), conn=conn))


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
    return await decide_and_read_back(
        store,
        offers.offer_stream(offer_id),
        lambda history: offers.decide(offers.fold(history), command),
        lambda conn: queries.offer(conn, offer_id),
    )
