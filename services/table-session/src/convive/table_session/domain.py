"""The table-session domain, with no I/O: profit centres and spots as frozen states folded from
their streams (`evolve`), and the decisions (`decide_*`) that turn a command into new events or
refuse it with a domain error naming the field at fault."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from convive.contracts import Event, EventEnvelope
from convive.contracts.table_session import (
    GuestJoined,
    JourneyMode,
    ProfitCentreConfigured,
    QrTokenIssued,
    SessionClosed,
    SessionOpened,
    SpotCreated,
    SpotKind,
    SpotReleased,
    TableScanned,
)
from convive.runtime.errors import Conflict, NotFound

UNKNOWN_TOKEN = "unknown or expired QR code"  # noqa: S105 (a message, not a secret)
HOST = "host"
GUEST = "guest"


def profit_centre_stream(profit_centre_id: str) -> str:
    return f"profit-centre-{profit_centre_id}"


# ============================================================================================
# Profit centres
# ============================================================================================


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


def evolve_profit_centre(state: ProfitCentre | None, event: Event) -> ProfitCentre | None:
    if isinstance(event, ProfitCentreConfigured):
        return ProfitCentre(event.profit_centre_id, event.venue_id, event.name, event.mode)
    return state


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


# ============================================================================================
# Spots and their sessions
# ============================================================================================


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
class ScanSpot:
    """A phone scanned a token that leads to this spot. The fresh ids and PIN are drawn by the
    caller (randomness is I/O); the decision uses them only if it opens a session or adds a
    guest."""

    token: str
    device_id: str
    new_session_id: str
    new_guest_id: str
    new_pin: str


@dataclass(frozen=True)
class CloseSession:
    session_id: str
    reason: str


def evolve_spot(state: Spot | None, event: Event) -> Spot | None:
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
        return replace(state, token=event.token)
    if isinstance(event, TableScanned):
        return replace(state, last_scanning_device=event.device_id)
    if isinstance(event, SessionOpened):
        host = Guest(event.host_guest_id, state.last_scanning_device or "", HOST)
        session = Session(event.session_id, event.host_guest_id, event.pin, (host,))
        return replace(state, session=session)
    if isinstance(event, GuestJoined) and _is_current(state, event.session_id):
        assert state.session is not None
        guest = Guest(event.guest_id, event.device_id, GUEST)
        return replace(state, session=replace(state.session, guests=(*state.session.guests, guest)))
    if isinstance(event, SessionClosed) and _is_current(state, event.session_id):
        assert state.session is not None
        return replace(state, session=replace(state.session, closed=True))
    if isinstance(event, SpotReleased) and _is_current(state, event.session_id):
        return replace(state, session=None)
    return state


def _is_current(state: Spot, session_id: str) -> bool:
    return state.session is not None and state.session.session_id == session_id


def spot_from(history: Iterable[EventEnvelope | Event]) -> Spot | None:
    """The spot as its stream tells it (None when the stream is empty)."""
    state: Spot | None = None
    for item in history:
        event = item.event() if isinstance(item, EventEnvelope) else item
        state = evolve_spot(state, event)
    return state


def profit_centre_from(history: Iterable[EventEnvelope | Event]) -> ProfitCentre | None:
    state: ProfitCentre | None = None
    for item in history:
        event = item.event() if isinstance(item, EventEnvelope) else item
        state = evolve_profit_centre(state, event)
    return state


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


def decide_scan(state: Spot | None, command: ScanSpot) -> list[Event]:
    """Every scan is recorded; a free spot gets a session with the scanner as host, an open
    session gets a new guest, and a phone already in the session stays the guest it was."""
    if state is None or state.token is None or state.token != command.token:
        raise NotFound(UNKNOWN_TOKEN, field="token")
    scanned = TableScanned(
        venue_id=state.venue_id, spot_id=state.spot_id, device_id=command.device_id
    )
    session = state.session
    if session is None:
        return [
            scanned,
            SessionOpened(
                venue_id=state.venue_id,
                profit_centre_id=state.profit_centre_id,
                spot_id=state.spot_id,
                session_id=command.new_session_id,
                host_guest_id=command.new_guest_id,
                pin=command.new_pin,
            ),
        ]
    if session.closed:
        raise Conflict(f"spot {state.name!r} is not released yet; ask the staff", field="token")
    if session.guest_on(command.device_id) is not None:
        return [scanned]
    return [
        scanned,
        GuestJoined(
            venue_id=state.venue_id,
            spot_id=state.spot_id,
            session_id=session.session_id,
            guest_id=command.new_guest_id,
            device_id=command.device_id,
        ),
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
