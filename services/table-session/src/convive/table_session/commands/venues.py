"""Setting a venue's settings, as a whole, on the venue's stream."""

from __future__ import annotations

from convive.contracts import Event, EventEnvelope
from convive.runtime.eventstore import EventStore
from convive.table_session.commands.store import Outcome, decide
from convive.table_session.domain import venues


async def configure_venue(store: EventStore, wanted: venues.VenueSettings) -> Outcome:
    def decide_on(history: list[EventEnvelope]) -> list[Event]:
        return venues.decide_configure_venue(venues.fold(history), wanted)

    return await decide(store, venues.venue_stream(wanted.venue_id), decide_on)
