"""Setting up or changing a profit centre, on its own stream."""

from __future__ import annotations

from convive.contracts import Event, EventEnvelope
from convive.contracts.table_session import JourneyMode
from convive.runtime.eventstore import EventStore, new_stream_id
from convive.table_session.commands.store import Outcome, decide
from convive.table_session.domain import profit_centres


async def configure_profit_centre(
    store: EventStore, venue_id: str, profit_centre_id: str | None, name: str, mode: JourneyMode
) -> tuple[str, Outcome]:
    """The profit centre's id (drawn when none is given) and what was decided."""
    pc_id = profit_centre_id or new_stream_id("pc")
    command = profit_centres.ConfigureProfitCentre(venue_id, pc_id, name, mode)

    def decide_on(history: list[EventEnvelope]) -> list[Event]:
        return profit_centres.decide_configure_profit_centre(profit_centres.fold(history), command)

    return pc_id, await decide(store, profit_centres.profit_centre_stream(pc_id), decide_on)
