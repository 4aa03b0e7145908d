"""A spot (a table or a room) as a frozen state folded from its stream: its QR token and the ones
it replaced, its session with the guests, the PIN and the wrong tries. Everything about a spot
is decided on the spot's stream, so no other spot is ever affected. This module holds the
spot's life apart from scans: creating it, rotating its token or its session's PIN, closing the
session (the scan rules are in `scans`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from convive.contracts import Event, EventEnvelope
from convive.contracts.table_session import (
    GuestJoined,
    JoinRefusal,
    JoinRefused,
    PinRotated,
    QrTokenIssued,
    SessionClosed,
    SessionOpened,
    SpotCreated,
    SpotKind,
    SpotReleased,
    TableScanned,
)
from convive.runtime.domain import Conflict, NotFound
from convive.runtime.domain import fold as fold_history
from convive.table_session.domain.profit_centres import ProfitCentre

HOST = "host"
GUEST = "guest"


@dataclass(frozen=True)
class Guest:
    guest_id: str
    device_id: str
    role: str


@dataclass(frozen=True)
class Session:
    session_id: str
    host_guest_id: str
    pin: str
    guests: tuple[Guest, ...] = ()
    closed: bool = False
    wrong_tries: Mapping[str, int] = field(default_factory=dict)
    """Wrong PINs given in this session, by phone (never reset: a lock-out lasts the session)."""
    wrong_on_pin: int = 0
    """Wrong PINs given since the current PIN was set (all phones)."""
    refusals_recorded: Mapping[tuple[str, JoinRefusal], datetime] = field(default_factory=dict)
    """When a refusal of this kind was last recorded for this phone (for the rate limit)."""

    def guest_on(self, device_id: str) -> Guest | None:
        return next((g for g in self.guests if g.device_id == device_id), None)


@dataclass(frozen=True)
class Spot:
    spot_id: str
    venue_id: str
    profit_centre_id: str
    name: str
    kind: SpotKind
    token: str | None = None
    retired_tokens: frozenset[str] = frozenset()
    session: Session | None = None
    last_scanning_device: str | None = None
    """SessionOpened names the host guest but not its phone: the TableScanned appended just
    before it in the same decision does."""

    @property
    def status(self) -> str:
        return "free" if self.session is None else "occupied"


@dataclass(frozen=True)
class CreateSpot:
    venue_id: str
    profit_centre_id: str
    spot_id: str
    name: str
    kind: SpotKind
    token: str


@dataclass(frozen=True)
class CloseSession:
    session_id: str
    reason: str


@dataclass(frozen=True)
class RotateToken:
    spot_id: str
    new_token: str


@dataclass(frozen=True)
class RotatePin:
    session_id: str
    new_pin: str
    reason: str = "staff"


# --- evolve and fold -------------------------------------------------------------------------


def evolve(state: Spot | None, event: Event, time: datetime | None = None) -> Spot | None:
    """The spot after `event`; `time` is when it was recorded (refusals are rate-limited)."""
    if isinstance(event, SpotCreated):
        return Spot(
            spot_id=event.spot_id,
            venue_id=event.venue_id,
            profit_centre_id=event.profit_centre_id,
            name=event.name,
            kind=event.kind,
        )
    if state is None:
        return None
    if isinstance(event, QrTokenIssued):
        retired = state.retired_tokens | ({state.token} if state.token else set())
        return replace(state, token=event.token, retired_tokens=retired - {event.token})
    if isinstance(event, TableScanned):
        return replace(state, last_scanning_device=event.device_id)
    if isinstance(event, SessionOpened):
        host = Guest(event.host_guest_id, state.last_scanning_device or "", HOST)
        opened = Session(event.session_id, event.host_guest_id, event.pin, (host,))
        return replace(state, session=opened)
    if not (event_session := getattr(event, "session_id", None)) or not _is_current(
        state, event_session
    ):
        return state
    session = state.session
    assert session is not None
    if isinstance(event, GuestJoined):
        guest = Guest(event.guest_id, event.device_id, GUEST)
        return replace(state, session=replace(session, guests=(*session.guests, guest)))
    if isinstance(event, JoinRefused):
        return replace(state, session=_refused(session, event, time))
    if isinstance(event, PinRotated):
        return replace(state, session=replace(session, pin=event.pin, wrong_on_pin=0))
    if isinstance(event, SessionClosed):
        return replace(state, session=replace(session, closed=True))
    if isinstance(event, SpotReleased):
        return replace(state, session=None)
    return state


def _refused(session: Session, event: JoinRefused, time: datetime | None) -> Session:
    if event.reason == JoinRefusal.WRONG_PIN:
        tries = dict(session.wrong_tries)
        tries[event.device_id] = tries.get(event.device_id, 0) + 1
        return replace(session, wrong_tries=tries, wrong_on_pin=session.wrong_on_pin + 1)
    if time is None:
        return session
    recorded = dict(session.refusals_recorded)
    recorded[(event.device_id, event.reason)] = time
    return replace(session, refusals_recorded=recorded)


def _is_current(state: Spot, session_id: str) -> bool:
    return state.session is not None and state.session.session_id == session_id


def fold(history: Iterable[EventEnvelope | Event]) -> Spot | None:
    """The spot as its stream tells it (None when the stream is empty); envelopes bring the
    time each event was recorded, which the rate limit of refusals needs."""
    return fold_history(evolve, None, history, with_time=True)


def current_pin(state: Spot | None) -> str | None:
    """The PIN of the spot's session, if one is open (a new PIN must differ from it)."""
    return state.session.pin if state is not None and state.session is not None else None


# --- decide ----------------------------------------------------------------------------------


def decide_create_spot(
    state: Spot | None, profit_centre: ProfitCentre | None, command: CreateSpot
) -> list[Event]:
    """A new spot of a known profit centre of the same venue, with its first QR token."""
    if profit_centre is None or profit_centre.venue_id != command.venue_id:
        raise NotFound(
            f"unknown profit centre {command.profit_centre_id!r} in venue {command.venue_id!r}",
            field="profit_centre_id",
        )
    if state is not None:
        raise Conflict(f"spot {command.spot_id!r} already exists", field="spot_id")
    return [
        SpotCreated(
            venue_id=command.venue_id,
            profit_centre_id=command.profit_centre_id,
            spot_id=command.spot_id,
            name=command.name,
            kind=command.kind,
        ),
        QrTokenIssued(venue_id=command.venue_id, spot_id=command.spot_id, token=command.token),
    ]


def decide_close_session(state: Spot | None, command: CloseSession) -> list[Event]:
    """Close the spot's open session and release the spot; a session that is not the spot's
    open one (unknown, or already closed) closes nothing, so a repeated settlement is a no-op."""
    if state is None or state.session is None:
        return []
    session = state.session
    if session.session_id != command.session_id or session.closed:
        return []
    return [
        SessionClosed(
            venue_id=state.venue_id,
            spot_id=state.spot_id,
            session_id=session.session_id,
            reason=command.reason,
        ),
        SpotReleased(venue_id=state.venue_id, spot_id=state.spot_id, session_id=session.session_id),
    ]


def decide_rotate_token(state: Spot | None, command: RotateToken) -> list[Event]:
    """A new QR token for the spot; the one it replaces stops working (scans of it are gone).
    An open session is not touched: its guests are already seated."""
    if state is None:
        raise NotFound(f"unknown spot {command.spot_id!r}", field="spot_id")
    return [QrTokenIssued(venue_id=state.venue_id, spot_id=state.spot_id, token=command.new_token)]


def decide_rotate_pin(state: Spot | None, command: RotatePin) -> list[Event]:
    """A new PIN for the spot's open session (staff asked, e.g. the PIN was overheard); the
    count of wrong PINs starts again, lock-outs of phones stay."""
    session = state.session if state is not None else None
    if state is None or session is None or session.session_id != command.session_id:
        raise Conflict(f"session {command.session_id!r} is not open", field="session_id")
    if session.closed:
        raise Conflict(f"session {command.session_id!r} is closed", field="session_id")
    return [
        PinRotated(
            venue_id=state.venue_id,
            spot_id=state.spot_id,
            session_id=session.session_id,
            pin=command.new_pin,
            reason=command.reason,
        )
    ]
