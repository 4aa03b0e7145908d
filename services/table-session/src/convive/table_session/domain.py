"""The table-session domain, with no I/O: profit centres and spots as frozen states folded from
their streams (`evolve`), and the decisions (`decide_*`, `judge_scan`) that turn a command into
new events or refuse it with a domain error naming the field at fault. Everything about a spot,
its sessions, PINs and wrong tries is decided on the spot's stream, so other tables are never
affected."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from convive.contracts import Event, EventEnvelope
from convive.contracts.table_session import (
    GuestJoined,
    JoinRefusal,
    JoinRefused,
    JourneyMode,
    PinRotated,
    ProfitCentreConfigured,
    QrTokenIssued,
    SessionClosed,
    SessionOpened,
    SpotCreated,
    SpotKind,
    SpotReleased,
    TableScanned,
)
from convive.runtime.domain import Conflict, Gone, NotFound

UNKNOWN_TOKEN = "unknown or expired QR code"  # noqa: S105 (a message, not a secret)
RETIRED_TOKEN = "this code is no longer valid"  # noqa: S105 (a message, not a secret)
TOO_MANY_WRONG_PINS = "too_many_wrong_pins"
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

DEVICE_TRIES = 5
"""Wrong PINs a phone may give in one session before it is locked out of that session."""
PIN_TRIES = 10
"""Wrong PINs, from all phones together, after which the session's PIN is replaced."""
REFUSAL_RECORD_INTERVAL = timedelta(minutes=1)
"""A phone that keeps scanning without the PIN (or while locked out) gets one JoinRefused of
each kind recorded per interval: the refusal is worth telling staff, a flood is not."""


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

    def tries_left(self, device_id: str) -> int:
        return max(0, DEVICE_TRIES - self.wrong_tries.get(device_id, 0))


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
class ScanSpot:
    """A phone scanned a token that leads to this spot. The fresh ids and PIN are drawn by the
    caller (randomness is I/O); the decision uses them only if it opens a session, adds a guest
    or replaces the PIN. What the decision needs from outside the spot's stream comes with the
    command: the profit centre's mode and which sessions have a confirmed order (ordering's
    `OrderPlaced`, as projected here)."""

    token: str
    device_id: str
    new_session_id: str
    new_guest_id: str
    new_pin: str
    pin: str | None = None
    mode: JourneyMode = JourneyMode.ORDER
    sessions_with_order: frozenset[str] = frozenset()
    now: datetime | None = None


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


# --- evolve ----------------------------------------------------------------------------------


def evolve_spot(state: Spot | None, event: Event, time: datetime | None = None) -> Spot | None:
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
        session = Session(event.session_id, event.host_guest_id, event.pin, (host,))
        return replace(state, session=session)
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


def spot_from(history: Iterable[EventEnvelope | Event]) -> Spot | None:
    """The spot as its stream tells it (None when the stream is empty)."""
    state: Spot | None = None
    for item in history:
        if isinstance(item, EventEnvelope):
            state = evolve_spot(state, item.event(), item.time)
        else:
            state = evolve_spot(state, item)
    return state


def profit_centre_from(history: Iterable[EventEnvelope | Event]) -> ProfitCentre | None:
    state: ProfitCentre | None = None
    for item in history:
        event = item.event() if isinstance(item, EventEnvelope) else item
        state = evolve_profit_centre(state, event)
    return state


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


class Seat(StrEnum):
    """What a scan gave the phone."""

    OPENED = "opened"
    """A new session, with the phone as its host."""
    JOINED = "joined"
    """A new guest of the open session."""
    RECALLED = "recalled"
    """The phone was already a guest of the open session: the same guest again."""
    VIEWER = "viewer"
    """No seat: the phone may read the menu (`reason` says why)."""
    WRONG_PIN = "wrong_pin"
    """No seat: the PIN given is not the session's."""
    LOCKED_OUT = "locked_out"
    """No seat: this phone gave too many wrong PINs in this session."""


SEATED = frozenset({Seat.OPENED, Seat.JOINED, Seat.RECALLED})


class ViewerReason(StrEnum):
    MENU_ONLY = "menu_only"
    NOTHING_TO_PAY = "nothing_to_pay"
    PIN_REQUIRED = "pin_required"
    LOCKED_OUT = "locked_out"


@dataclass(frozen=True)
class ScanVerdict:
    """A scan's outcome and the events that record it (a refusal records events too)."""

    seat: Seat
    events: tuple[Event, ...]
    reason: ViewerReason | None = None
    tries_left: int | None = None


def judge_scan(state: Spot | None, command: ScanSpot) -> ScanVerdict:
    """Every rule of a scan, on the spot's stream:

    - a replaced token is gone (410), an unknown one not found (404);
    - `menu` mode: the phone reads the menu, nothing is opened;
    - a phone already a guest of the open session is that guest again (recall);
    - `pay` mode: the phone joins the open session to pay, or there is nothing to pay;
    - a free spot: a new session, the phone is its host;
    - an open session with no confirmed order: the phone joins;
    - an open session with a confirmed order: the phone must give the session's PIN; wrong
      PINs are counted per phone (lock-out after `DEVICE_TRIES`) and per PIN (replaced after
      `PIN_TRIES`); refusals are recorded, repeated ones at most once a minute per phone.
    """
    if state is None or state.token is None or state.token != command.token:
        if state is not None and command.token in state.retired_tokens:
            raise Gone(RETIRED_TOKEN, field="token")
        raise NotFound(UNKNOWN_TOKEN, field="token")
    scanned = TableScanned(
        venue_id=state.venue_id, spot_id=state.spot_id, device_id=command.device_id
    )
    session = state.session
    if command.mode == JourneyMode.MENU:
        return ScanVerdict(Seat.VIEWER, (scanned,), ViewerReason.MENU_ONLY)
    if session is not None and session.closed:
        raise Conflict(f"spot {state.name!r} is not released yet; ask the staff", field="token")
    if session is not None and session.guest_on(command.device_id) is not None:
        return ScanVerdict(Seat.RECALLED, (scanned,))
    if command.mode == JourneyMode.PAY and session is None:
        return ScanVerdict(Seat.VIEWER, (scanned,), ViewerReason.NOTHING_TO_PAY)
    if session is None:
        opened = SessionOpened(
            venue_id=state.venue_id,
            profit_centre_id=state.profit_centre_id,
            spot_id=state.spot_id,
            session_id=command.new_session_id,
            host_guest_id=command.new_guest_id,
            pin=command.new_pin,
        )
        return ScanVerdict(Seat.OPENED, (scanned, opened))
    joined = GuestJoined(
        venue_id=state.venue_id,
        spot_id=state.spot_id,
        session_id=session.session_id,
        guest_id=command.new_guest_id,
        device_id=command.device_id,
    )
    pin_needed = (
        command.mode != JourneyMode.PAY and session.session_id in command.sessions_with_order
    )
    if not pin_needed:
        return ScanVerdict(Seat.JOINED, (scanned, joined))
    return _judge_pin(state, session, command, scanned, joined)


def _judge_pin(
    state: Spot, session: Session, command: ScanSpot, scanned: Event, joined: Event
) -> ScanVerdict:
    def refusal(reason: JoinRefusal) -> JoinRefused:
        return JoinRefused(
            venue_id=state.venue_id,
            spot_id=state.spot_id,
            session_id=session.session_id,
            device_id=command.device_id,
            reason=reason,
        )

    def recorded_once_a_while(reason: JoinRefusal) -> tuple[Event, ...]:
        last = session.refusals_recorded.get((command.device_id, reason))
        now = command.now
        if last is not None and now is not None and now - last < REFUSAL_RECORD_INTERVAL:
            return ()
        return (scanned, refusal(reason))

    if session.tries_left(command.device_id) == 0:
        events = recorded_once_a_while(JoinRefusal.LOCKED_OUT)
        if command.pin is None:
            return ScanVerdict(Seat.VIEWER, events, ViewerReason.LOCKED_OUT, tries_left=0)
        return ScanVerdict(Seat.LOCKED_OUT, events, ViewerReason.LOCKED_OUT, tries_left=0)
    if command.pin is None:
        events = recorded_once_a_while(JoinRefusal.PIN_REQUIRED)
        return ScanVerdict(
            Seat.VIEWER,
            events,
            ViewerReason.PIN_REQUIRED,
            tries_left=session.tries_left(command.device_id),
        )
    if hmac.compare_digest(command.pin.encode(), session.pin.encode()):
        return ScanVerdict(Seat.JOINED, (scanned, joined))
    events: tuple[Event, ...] = (scanned, refusal(JoinRefusal.WRONG_PIN))
    if session.wrong_on_pin + 1 >= PIN_TRIES:
        events = (
            *events,
            PinRotated(
                venue_id=state.venue_id,
                spot_id=state.spot_id,
                session_id=session.session_id,
                pin=command.new_pin,
                reason=TOO_MANY_WRONG_PINS,
            ),
        )
    return ScanVerdict(Seat.WRONG_PIN, events, tries_left=session.tries_left(command.device_id) - 1)


def decide_scan(state: Spot | None, command: ScanSpot) -> list[Event]:
    """The events a scan records (see `judge_scan` for the rules and the outcome)."""
    return list(judge_scan(state, command).events)


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
