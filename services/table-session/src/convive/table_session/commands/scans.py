"""A phone scanned a QR code: the spot behind the token decides (see `domain.scans`), with what
it needs from elsewhere read just before."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from convive.contracts import Event, EventEnvelope
from convive.contracts.table_session import JourneyMode
from convive.runtime.eventstore import EventStore, new_stream_id
from convive.table_session import queries
from convive.table_session.commands.sessions import new_pin
from convive.table_session.commands.store import decide
from convive.table_session.domain import scans, spots


def new_guest_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class ScanOutcome:
    """A scan's verdict, the spot after it, and the phone's guest when it has a seat."""

    verdict: scans.ScanVerdict
    spot: spots.Spot
    mode: JourneyMode
    event_ids: list[str]
    device_id: str

    @property
    def session(self) -> spots.Session | None:
        return self.spot.session if self.guest is not None else None

    @property
    def guest(self) -> spots.Guest | None:
        if self.verdict.seat not in scans.SEATED or self.spot.session is None:
            return None
        return self.spot.session.guest_on(self.device_id)


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
        spot_id = await queries.spot_of_token(conn, token)
        mode, session_id = await queries.mode_and_session_of_spot(conn, spot_id)
        confirmed: frozenset[str] = frozenset()
        if session_id is not None and await queries.has_confirmed_order(conn, session_id):
            confirmed = frozenset({session_id})
    verdicts: list[scans.ScanVerdict] = []

    def decide_on(history: list[EventEnvelope]) -> list[Event]:
        state = spots.fold(history)
        command = scans.ScanSpot(
            token=token,
            device_id=device_id,
            new_session_id=new_stream_id("session"),
            new_guest_id=new_guest_id(),
            new_pin=new_pin(other_than=spots.current_pin(state)),
            pin=pin,
            mode=mode,
            sessions_with_order=confirmed,
            now=datetime.now(UTC),
        )
        verdict = scans.judge_scan(state, command)
        verdicts[:] = [verdict]
        return list(verdict.events)

    outcome = await decide(store, spot_id, decide_on)
    spot = spots.fold([*outcome.history, *outcome.appended])
    assert spot is not None
    return ScanOutcome(
        verdict=verdicts[0],
        spot=spot,
        mode=mode,
        event_ids=outcome.event_ids,
        device_id=device_id,
    )
