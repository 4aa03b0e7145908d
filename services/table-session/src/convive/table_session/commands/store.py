"""The event store table-session's commands append to, and the decide-and-append they share.

`event_store(engine)` is the one way to make the store: with the service's own read models
(`projections.own`) written in every append's transaction. The app's runtime makes its store
the same way (`ServiceDefinition(own_read_models=...)`); a subscription handler that issues a
command with the consumer's connection uses this function."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.contracts import Event, EventEnvelope
from convive.runtime.eventstore import EventStore, decide_and_append
from convive.table_session.projections import own

ATTEMPTS = 10
"""Every lost race means another writer won, so N phones scanning one free spot at once need
at most N attempts; ten covers a crowded table (more than `decide_and_append`'s default)."""


def event_store(engine: AsyncEngine) -> EventStore:
    """The service's event store on `engine`, writing the own read models with every append."""
    return EventStore(engine, own_read_models=own.projection.apply)


@dataclass(frozen=True)
class Outcome:
    """What a decision did: the stream before, the events appended (with their versions)."""

    history: list[EventEnvelope]
    appended: list[EventEnvelope]

    @property
    def event_ids(self) -> list[str]:
        return [e.id for e in self.appended]


Decide = Callable[[list[EventEnvelope]], Sequence[Event]]


async def decide(
    store: EventStore,
    stream_id: str,
    decide_on: Decide,
    *,
    conn: AsyncConnection | None = None,
    caused: dict[str, str] | None = None,
) -> Outcome:
    """Decide on the stream's history and append what was decided (`caused`: the correlation
    and causation of the event that asked for it); a lost race is decided again on fresh state.
    With `conn` each try runs in a savepoint of it, and the caller commits."""
    seen: list[EventEnvelope] = []

    def decide_envelopes(history: list[EventEnvelope]) -> list[EventEnvelope]:
        seen[:] = history
        return [
            EventEnvelope.wrap(event, subject=stream_id, **(caused or {}))
            for event in decide_on(history)
        ]

    result = await decide_and_append(
        store, stream_id, decide_envelopes, attempts=ATTEMPTS, conn=conn
    )
    return Outcome(list(seen), list(result.appended) if result is not None else [])
