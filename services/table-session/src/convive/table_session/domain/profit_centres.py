"""A venue's profit centres (dining room, terrace, bar, room service), each with the journey
mode its guests get: one stream per profit centre."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from convive.contracts import Event, EventEnvelope
from convive.contracts.table_session import JourneyMode, ProfitCentreConfigured
from convive.runtime.domain import Conflict
from convive.runtime.domain import fold as fold_history


def profit_centre_stream(profit_centre_id: str) -> str:
    return f"profit-centre-{profit_centre_id}"


@dataclass(frozen=True)
class ProfitCentre:
    profit_centre_id: str
    venue_id: str
    name: str
    mode: JourneyMode


@dataclass(frozen=True)
class ConfigureProfitCentre:
    venue_id: str
    profit_centre_id: str
    name: str
    mode: JourneyMode


def evolve(state: ProfitCentre | None, event: Event) -> ProfitCentre | None:
    if isinstance(event, ProfitCentreConfigured):
        return ProfitCentre(event.profit_centre_id, event.venue_id, event.name, event.mode)
    return state


def fold(history: Iterable[EventEnvelope | Event]) -> ProfitCentre | None:
    """The profit centre as its stream tells it (None when the stream is empty)."""
    return fold_history(evolve, None, history)


def decide_configure_profit_centre(
    state: ProfitCentre | None, command: ConfigureProfitCentre
) -> list[Event]:
    """Set up a profit centre or change its name or mode; the same settings again change
    nothing. Profit centre ids are global, so another venue's id is refused."""
    if state is not None and state.venue_id != command.venue_id:
        raise Conflict(
            f"profit centre {command.profit_centre_id!r} belongs to another venue",
            field="profit_centre_id",
        )
    if state is not None and (state.name, state.mode) == (command.name, command.mode):
        return []
    return [
        ProfitCentreConfigured(
            venue_id=command.venue_id,
            profit_centre_id=command.profit_centre_id,
            name=command.name,
            mode=command.mode,
        )
    ]
