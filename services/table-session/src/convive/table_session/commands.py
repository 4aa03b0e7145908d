"""Command handlers: load a stream, decide with the domain, append at the version read and
update the read models in the same transaction; an append that lost a race is decided again
on fresh state."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import Event, EventEnvelope
from convive.contracts.table_session import JourneyMode, SessionOpened, SpotKind
from convive.runtime.errors import NotFound
from convive.runtime.eventstore import (
    AppendResult,
    EventStore,
    decide_and_append,
    new_stream_id,
)
from convive.table_session import domain
from convive.table_session.projections import profit_centres, project, sessions, spots

ATTEMPTS = 10
"""Every lost race means another writer won, so N phones scanning one free spot at once need
at most N attempts; ten covers a crowded table (more than `decide_and_append`'s default)."""


def new_token() -> str:
    """An unguessable QR token (192 random bits)."""
    return secrets.token_urlsafe(24)


def new_pin() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def new_guest_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Outcome:
    """What a decision did: the stream before, the events appended (with their versions)."""

    history: list[EventEnvelope]
    appended: list[EventEnvelope]

    @property
    def event_ids(self) -> list[str]:
        return [e.id for e in self.appended]

    def events(self) -> list[Event]:
        return [e.event() for e in self.appended]


Decide = Callable[[list[EventEnvelope]], Sequence[Event]]


async def _decide(
    store: EventStore,
    stream_id: str,
    decide: Decide,
    *,
    conn: AsyncConnection | None = None,
    caused: dict[str, str] | None = None,
) -> Outcome:
    """Decide and append, and project what was appended in the append's transaction; a lost
    race is decided again on fresh state. With `conn` each try runs in a savepoint of it."""
    seen: list[EventEnvelope] = []
    appended: list[EventEnvelope] = []

    def decide_envelopes(history: list[EventEnvelope]) -> list[EventEnvelope]:
        seen[:] = history
        return [
            EventEnvelope.wrap(event, subject=stream_id, **(caused or {}))
            for event in decide(history)
        ]

    async def project_appended(
        tx: AsyncConnection, new_events: Sequence[EventEnvelope], result: AppendResult
    ) -> None:
        first = result.version - len(new_events) + 1
        appended[:] = [e.with_stream_version(first + i) for i, e in enumerate(new_events)]
        await project(tx, appended)

    result = await decide_and_append(
        store, stream_id, decide_envelopes, attempts=ATTEMPTS, conn=conn, then=project_appended
    )
    if result is None:
        return Outcome(list(seen), [])
    return Outcome(list(seen), list(appended))


# ============================================================================================
# Profit centres and spots
# ============================================================================================


async def configure_profit_centre(
    store: EventStore, venue_id: str, profit_centre_id: str | None, name: str, mode: JourneyMode
) -> tuple[str, Outcome]:
    pc_id = profit_centre_id or new_stream_id("pc")
    command = domain.ConfigureProfitCentre(venue_id, pc_id, name, mode)

    def decide(history: list[EventEnvelope]) -> list[Event]:
        return domain.decide_configure_profit_centre(domain.profit_centre_from(history), command)

    return pc_id, await _decide(store, domain.profit_centre_stream(pc_id), decide)


async def create_spot(
    store: EventStore, venue_id: str, profit_centre_id: str, name: str, kind: SpotKind
) -> tuple[domain.CreateSpot, Outcome]:
    command = domain.CreateSpot(
        venue_id=venue_id,
        profit_centre_id=profit_centre_id,
        spot_id=new_stream_id("spot"),
        name=name,
        kind=kind,
        token=new_token(),
    )
    async with store.engine.begin() as conn:
        # A profit centre is never removed, so reading it before deciding is safe.
        pc_history = await store.read_stream(
            domain.profit_centre_stream(profit_centre_id), conn=conn
        )
        profit_centre = domain.profit_centre_from(pc_history)

        def decide(history: list[EventEnvelope]) -> list[Event]:
            return domain.decide_create_spot(domain.spot_from(history), profit_centre, command)

        # A fresh random spot id: no one else can be writing this stream.
        outcome = await _decide(store, command.spot_id, decide, conn=conn)
    return command, outcome


# ============================================================================================
# Scans
# ============================================================================================


@dataclass(frozen=True)
class ScanOutcome:
    spot: domain.Spot
    guest: domain.Guest
    session: domain.Session
    opened: bool
    mode: JourneyMode
    event_ids: list[str]


async def scan(store: EventStore, token: str, device_id: str) -> ScanOutcome:
    """The spot behind the token decides: open a session, add a guest, or recognise the phone.
    The decision is on the spot's stream, so concurrent scans of a free spot open one session."""
    async with store.engine.connect() as conn:
        spot_id = await conn.scalar(sa.select(spots.c.spot_id).where(spots.c.token == token))
    if spot_id is None:
        raise NotFound(domain.UNKNOWN_TOKEN, field="token")

    def decide(history: list[EventEnvelope]) -> list[Event]:
        command = domain.ScanSpot(
            token=token,
            device_id=device_id,
            new_session_id=new_stream_id("session"),
            new_guest_id=new_guest_id(),
            new_pin=new_pin(),
        )
        return domain.decide_scan(domain.spot_from(history), command)

    outcome = await _decide(store, spot_id, decide)
    spot = domain.spot_from([*outcome.history, *outcome.appended])
    assert spot is not None
    assert spot.session is not None
    guest = spot.session.guest_on(device_id)
    assert guest is not None
    async with store.engine.connect() as conn:
        mode = await conn.scalar(
            sa.select(profit_centres.c.mode).where(
                profit_centres.c.profit_centre_id == spot.profit_centre_id
            )
        )
    if mode is None:  # a spot is only ever created in a known profit centre
        raise LookupError(f"profit centre {spot.profit_centre_id!r} is not in the read model")
    return ScanOutcome(
        spot=spot,
        guest=guest,
        session=spot.session,
        opened=any(isinstance(e, SessionOpened) for e in outcome.events()),
        mode=JourneyMode(mode),
        event_ids=outcome.event_ids,
    )


# ============================================================================================
# Closing (issued by the PaymentSettled subscription, inside its transaction)
# ============================================================================================


async def close_session(
    conn: AsyncConnection, session_id: str, reason: str, caused: dict[str, str]
) -> Outcome | None:
    """Close an open session and release its spot; None when the session is unknown or already
    closed (a repeated or stray settlement)."""
    spot_id = await conn.scalar(
        sa.select(sessions.c.spot_id).where(
            sessions.c.session_id == session_id, sessions.c.status == "open"
        )
    )
    if spot_id is None:
        return None
    command = domain.CloseSession(session_id=session_id, reason=reason)

    def decide(history: list[EventEnvelope]) -> list[Event]:
        return domain.decide_close_session(domain.spot_from(history), command)

    # conn.engine is the service's engine bound to its schema.
    store = EventStore(conn.engine)
    # A scan of the same spot may win the race; retrying (each try in a savepoint of `conn`)
    # keeps a settlement from exhausting the consumer's few attempts and landing in the DLQ.
    return await _decide(store, spot_id, decide, conn=conn, caused=caused)
