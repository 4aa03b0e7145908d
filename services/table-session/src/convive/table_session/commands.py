"""Command handlers: load a stream, decide with the domain, append at the version read and
update the read models in the same transaction; an append that lost a race is decided again
on fresh state."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import Event, EventEnvelope
from convive.contracts.table_session import JourneyMode, SpotKind
from convive.runtime.domain import Gone, NotFound
from convive.runtime.eventstore import (
    AppendResult,
    EventStore,
    decide_and_append,
    new_stream_id,
)
from convive.table_session import domain, venues
from convive.table_session.projections import (
    confirmed_orders,
    profit_centres,
    project,
    retired_tokens,
    sessions,
    spots,
)

ATTEMPTS = 10
"""Every lost race means another writer won, so N phones scanning one free spot at once need
at most N attempts; ten covers a crowded table (more than `decide_and_append`'s default)."""


def new_token() -> str:
    """An unguessable QR token (192 random bits)."""
    return secrets.token_urlsafe(24)


def new_pin(other_than: str | None = None) -> str:
    """Six random digits; a replacement PIN is never the PIN it replaces."""
    while True:
        pin = f"{secrets.randbelow(1_000_000):06d}"
        if pin != other_than:
            return pin


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


async def configure_venue(store: EventStore, wanted: venues.VenueSettings) -> Outcome:
    def decide(history: list[EventEnvelope]) -> list[Event]:
        return venues.decide_configure_venue(venues.settings_from(history), wanted)

    return await _decide(store, venues.venue_stream(wanted.venue_id), decide)


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
    """A scan's verdict, the spot after it, and the phone's guest when it has a seat."""

    verdict: domain.ScanVerdict
    spot: domain.Spot
    mode: JourneyMode
    event_ids: list[str]
    device_id: str

    @property
    def session(self) -> domain.Session | None:
        return self.spot.session if self.guest is not None else None

    @property
    def guest(self) -> domain.Guest | None:
        if self.verdict.seat not in domain.SEATED or self.spot.session is None:
            return None
        return self.spot.session.guest_on(self.device_id)


async def _spot_of_token(conn: AsyncConnection, token: str) -> str:
    spot_id = await conn.scalar(sa.select(spots.c.spot_id).where(spots.c.token == token))
    if spot_id is not None:
        return str(spot_id)
    if await conn.scalar(
        sa.select(retired_tokens.c.spot_id).where(retired_tokens.c.token == token)
    ):
        raise Gone(domain.RETIRED_TOKEN, field="token")
    raise NotFound(domain.UNKNOWN_TOKEN, field="token")


async def scan(
    store: EventStore, token: str, device_id: str, pin: str | None = None
) -> ScanOutcome:
    """The spot behind the token decides: open a session, seat a guest, recognise the phone, or
    let it read the menu only. The decision is on the spot's stream, so concurrent scans of a
    free spot open one session and concurrent wrong PINs are all counted. What it needs from
    elsewhere is read just before: the profit centre's mode, and whether the spot's session
    has a confirmed order (a confirmation projected a moment later is not seen: that phone
    still joins freely)."""
    async with store.engine.connect() as conn:
        spot_id = await _spot_of_token(conn, token)
        row = (
            await conn.execute(
                sa.select(profit_centres.c.mode, spots.c.session_id)
                .select_from(
                    spots.join(
                        profit_centres,
                        profit_centres.c.profit_centre_id == spots.c.profit_centre_id,
                    )
                )
                .where(spots.c.spot_id == spot_id)
            )
        ).first()
        if row is None:  # a spot is only ever created in a known profit centre
            raise LookupError(f"the profit centre of spot {spot_id!r} is not in the read model")
        confirmed: frozenset[str] = frozenset()
        if row.session_id is not None:
            has_order = await conn.scalar(
                sa.select(confirmed_orders.c.session_id).where(
                    confirmed_orders.c.session_id == row.session_id
                )
            )
            confirmed = frozenset({row.session_id} if has_order else ())
    mode = JourneyMode(row.mode)
    verdicts: list[domain.ScanVerdict] = []

    def decide(history: list[EventEnvelope]) -> list[Event]:
        state = domain.spot_from(history)
        command = domain.ScanSpot(
            token=token,
            device_id=device_id,
            new_session_id=new_stream_id("session"),
            new_guest_id=new_guest_id(),
            new_pin=new_pin(other_than=_current_pin(state)),
            pin=pin,
            mode=mode,
            sessions_with_order=confirmed,
            now=datetime.now(UTC),
        )
        verdict = domain.judge_scan(state, command)
        verdicts[:] = [verdict]
        return list(verdict.events)

    outcome = await _decide(store, spot_id, decide)
    spot = domain.spot_from([*outcome.history, *outcome.appended])
    assert spot is not None
    return ScanOutcome(
        verdict=verdicts[0],
        spot=spot,
        mode=mode,
        event_ids=outcome.event_ids,
        device_id=device_id,
    )


def _current_pin(state: domain.Spot | None) -> str | None:
    return state.session.pin if state is not None and state.session is not None else None


# ============================================================================================
# Operators: a spot's QR token, a session's PIN
# ============================================================================================


async def rotate_token(store: EventStore, spot_id: str) -> tuple[str, Outcome]:
    """Give the spot a new QR token; the old one answers "no longer valid" from now on."""
    token = new_token()
    command = domain.RotateToken(spot_id=spot_id, new_token=token)

    def decide(history: list[EventEnvelope]) -> list[Event]:
        return domain.decide_rotate_token(domain.spot_from(history), command)

    return token, await _decide(store, spot_id, decide)


async def rotate_pin(store: EventStore, session_id: str, reason: str) -> tuple[str, Outcome]:
    """Give the session a new PIN (staff asked)."""
    async with store.engine.connect() as conn:
        spot_id = await conn.scalar(
            sa.select(sessions.c.spot_id).where(sessions.c.session_id == session_id)
        )
    if spot_id is None:
        raise NotFound(f"unknown session {session_id!r}", field="session_id")
    pins: list[str] = []

    def decide(history: list[EventEnvelope]) -> list[Event]:
        state = domain.spot_from(history)
        pins[:] = [new_pin(other_than=_current_pin(state))]
        command = domain.RotatePin(session_id=session_id, new_pin=pins[0], reason=reason)
        return domain.decide_rotate_pin(state, command)

    outcome = await _decide(store, spot_id, decide)
    return pins[0], outcome


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
