"""The rules of a phone's scan of a spot's QR code, decided on the spot's stream: open a session,
join it, be recognised, or read the menu only; once the session's order is confirmed a new
phone needs the PIN, and wrong PINs lock a phone out or replace the PIN. `judge_scan` gives the
outcome (`ScanVerdict`) and the events that record it."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from convive.contracts import Event
from convive.contracts.table_session import (
    GuestJoined,
    JoinRefusal,
    JoinRefused,
    JourneyMode,
    PinRotated,
    SessionOpened,
    TableScanned,
)
from convive.runtime.domain import Conflict, Gone, NotFound
from convive.table_session.domain.spots import Session, Spot

UNKNOWN_TOKEN = "unknown or expired QR code"  # noqa: S105 (a message, not a secret)
RETIRED_TOKEN = "this code is no longer valid"  # noqa: S105 (a message, not a secret)
TOO_MANY_WRONG_PINS = "too_many_wrong_pins"

DEVICE_TRIES = 5
"""Wrong PINs a phone may give in one session before it is locked out of that session."""
PIN_TRIES = 10
"""Wrong PINs, from all phones together, after which the session's PIN is replaced."""
REFUSAL_RECORD_INTERVAL = timedelta(minutes=1)
"""A phone that keeps scanning without the PIN (or while locked out) gets one JoinRefused of
each kind recorded per interval: the refusal is worth telling staff, a flood is not."""


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


def tries_left(session: Session, device_id: str) -> int:
    """Wrong PINs this phone may still give in this session before it is locked out."""
    return max(0, DEVICE_TRIES - session.wrong_tries.get(device_id, 0))


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

    left = tries_left(session, command.device_id)
    if left == 0:
        locked_out = recorded_once_a_while(JoinRefusal.LOCKED_OUT)
        if command.pin is None:
            return ScanVerdict(Seat.VIEWER, locked_out, ViewerReason.LOCKED_OUT, tries_left=0)
        return ScanVerdict(Seat.LOCKED_OUT, locked_out, ViewerReason.LOCKED_OUT, tries_left=0)
    if command.pin is None:
        pin_required = recorded_once_a_while(JoinRefusal.PIN_REQUIRED)
        return ScanVerdict(Seat.VIEWER, pin_required, ViewerReason.PIN_REQUIRED, tries_left=left)
    if hmac.compare_digest(command.pin.encode(), session.pin.encode()):
        return ScanVerdict(Seat.JOINED, (scanned, joined))
    wrong: tuple[Event, ...] = (scanned, refusal(JoinRefusal.WRONG_PIN))
    if session.wrong_on_pin + 1 >= PIN_TRIES:
        wrong = (
            *wrong,
            PinRotated(
                venue_id=state.venue_id,
                spot_id=state.spot_id,
                session_id=session.session_id,
                pin=command.new_pin,
                reason=TOO_MANY_WRONG_PINS,
            ),
        )
    return ScanVerdict(Seat.WRONG_PIN, wrong, tries_left=left - 1)


def decide_scan(state: Spot | None, command: ScanSpot) -> list[Event]:
    """The events a scan records (see `judge_scan` for the rules and the outcome)."""
    return list(judge_scan(state, command).events)
