"""The scan rules of the complete journey, without I/O: given a spot's events, when a phone
scans (in a mode, with or without a PIN, before or after the session's order was confirmed),
then these events and this verdict, or this error."""

# ruff: noqa: S106 (the tokens and PINs here are test values, not secrets)

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from convive.contracts import Event, EventEnvelope
from convive.contracts.table_session import (
    GuestJoined,
    JoinRefusal,
    JoinRefused,
    JourneyMode,
    PinRotated,
    QrTokenIssued,
    SessionClosed,
    SessionOpened,
    SpotCreated,
    SpotKind,
    SpotReleased,
    TableScanned,
)
from convive.runtime.domain import Conflict, Gone, NotFound
from convive.table_session.domain import scans, spots
from convive.table_session.domain.scans import Seat, ViewerReason

VENUE, PC, SPOT, TOKEN = "venue-1", "pc-1", "spot-1", "tok-abc"
SESSION, PIN = "session-1", "111111"
T0 = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)

CREATED: list[Event] = [
    SpotCreated(venue_id=VENUE, profit_centre_id=PC, spot_id=SPOT, name="T4", kind=SpotKind.TABLE),
    QrTokenIssued(venue_id=VENUE, spot_id=SPOT, token=TOKEN),
]
OPENED: list[Event] = [
    TableScanned(venue_id=VENUE, spot_id=SPOT, device_id="host-phone"),
    SessionOpened(
        venue_id=VENUE,
        profit_centre_id=PC,
        spot_id=SPOT,
        session_id=SESSION,
        host_guest_id="guest-host",
        pin=PIN,
    ),
]
CONFIRMED = frozenset({SESSION})


def at(seconds: float, *events: Event) -> list[EventEnvelope]:
    """The events as recorded `seconds` after T0."""
    return [
        replace(EventEnvelope.wrap(e, subject=SPOT), time=T0 + timedelta(seconds=seconds))
        for e in events
    ]


def spot(*history: Event | EventEnvelope) -> spots.Spot:
    state = spots.fold(history)
    assert state is not None
    return state


def scan(
    device: str,
    *,
    pin: str | None = None,
    mode: JourneyMode = JourneyMode.ORDER,
    confirmed: frozenset[str] = frozenset(),
    seconds: float = 0,
    token: str = TOKEN,
    new_pin: str = "999999",
) -> scans.ScanSpot:
    return scans.ScanSpot(
        token=token,
        device_id=device,
        new_session_id="session-2",
        new_guest_id=f"guest-{device}",
        new_pin=new_pin,
        pin=pin,
        mode=mode,
        sessions_with_order=confirmed,
        now=T0 + timedelta(seconds=seconds),
    )


def scanned(device: str) -> TableScanned:
    return TableScanned(venue_id=VENUE, spot_id=SPOT, device_id=device)


def joined(device: str) -> GuestJoined:
    return GuestJoined(
        venue_id=VENUE,
        spot_id=SPOT,
        session_id=SESSION,
        guest_id=f"guest-{device}",
        device_id=device,
    )


def refused(device: str, reason: JoinRefusal) -> JoinRefused:
    return JoinRefused(
        venue_id=VENUE, spot_id=SPOT, session_id=SESSION, device_id=device, reason=reason
    )


def wrong_tries(*devices: str) -> list[Event]:
    """What wrong PINs from these phones recorded (no rotation among them)."""
    return [e for d in devices for e in (scanned(d), refused(d, JoinRefusal.WRONG_PIN))]


# --- modes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("history", [CREATED, [*CREATED, *OPENED]], ids=["free", "occupied"])
def test_menu_mode_lets_any_phone_read_the_menu_and_opens_nothing(history: list[Event]) -> None:
    for device in ("new-phone", "host-phone"):
        verdict = scans.judge_scan(spot(*history), scan(device, mode=JourneyMode.MENU))
        assert verdict.seat == Seat.VIEWER
        assert verdict.reason == ViewerReason.MENU_ONLY
        assert verdict.events == (scanned(device),)


def test_pay_mode_with_no_open_session_has_nothing_to_pay() -> None:
    verdict = scans.judge_scan(spot(*CREATED), scan("phone", mode=JourneyMode.PAY))
    assert (verdict.seat, verdict.reason) == (Seat.VIEWER, ViewerReason.NOTHING_TO_PAY)
    assert verdict.events == (scanned("phone"),)


def test_pay_mode_joins_the_open_session_to_pay_it_without_a_pin() -> None:
    state = spot(*CREATED, *OPENED)
    verdict = scans.judge_scan(state, scan("payer", mode=JourneyMode.PAY, confirmed=CONFIRMED))
    assert verdict.seat == Seat.JOINED
    assert verdict.events == (scanned("payer"), joined("payer"))
    recall = scans.judge_scan(state, scan("host-phone", mode=JourneyMode.PAY))
    assert (recall.seat, recall.events) == (Seat.RECALLED, (scanned("host-phone"),))


@pytest.mark.parametrize("mode", [JourneyMode.ORDER, JourneyMode.ORDER_AND_PAY])
def test_ordering_modes_open_a_session_on_a_free_spot(mode: JourneyMode) -> None:
    verdict = scans.judge_scan(spot(*CREATED), scan("host-phone", mode=mode, new_pin=PIN))
    assert verdict.seat == Seat.OPENED
    assert [e.event_type for e in verdict.events] == ["TableScanned", "SessionOpened"]


# --- joining before and after the order is confirmed -----------------------------------------


@pytest.mark.parametrize("pin", [None, PIN, "000000"], ids=["no pin", "right pin", "wrong pin"])
def test_before_any_confirmed_order_a_phone_joins_freely(pin: str | None) -> None:
    verdict = scans.judge_scan(spot(*CREATED, *OPENED), scan("friend", pin=pin))
    assert verdict.seat == Seat.JOINED
    assert verdict.events == (scanned("friend"), joined("friend"))


def test_after_the_order_is_confirmed_a_new_phone_without_the_pin_reads_the_menu() -> None:
    verdict = scans.judge_scan(spot(*CREATED, *OPENED), scan("late", confirmed=CONFIRMED))
    assert verdict.seat == Seat.VIEWER
    assert verdict.reason == ViewerReason.PIN_REQUIRED
    assert verdict.tries_left == scans.DEVICE_TRIES
    assert verdict.events == (scanned("late"), refused("late", JoinRefusal.PIN_REQUIRED))


def test_a_confirmation_of_another_session_asks_no_pin() -> None:
    verdict = scans.judge_scan(
        spot(*CREATED, *OPENED), scan("friend", confirmed=frozenset({"an-old-session"}))
    )
    assert verdict.seat == Seat.JOINED


def test_pin_required_refusals_are_recorded_at_most_once_a_minute_per_phone() -> None:
    history = [
        *at(0, *CREATED, *OPENED),
        *at(10, scanned("late"), refused("late", JoinRefusal.PIN_REQUIRED)),
    ]
    state = spot(*history)
    within = scans.judge_scan(state, scan("late", confirmed=CONFIRMED, seconds=69))
    assert (within.seat, within.reason, within.events) == (
        Seat.VIEWER,
        ViewerReason.PIN_REQUIRED,
        (),
    )
    other = scans.judge_scan(state, scan("other", confirmed=CONFIRMED, seconds=20))
    assert other.events == (scanned("other"), refused("other", JoinRefusal.PIN_REQUIRED))
    later = scans.judge_scan(state, scan("late", confirmed=CONFIRMED, seconds=71))
    assert later.events == (scanned("late"), refused("late", JoinRefusal.PIN_REQUIRED))


def test_the_right_pin_seats_a_late_joiner() -> None:
    verdict = scans.judge_scan(spot(*CREATED, *OPENED), scan("late", pin=PIN, confirmed=CONFIRMED))
    assert verdict.seat == Seat.JOINED
    assert verdict.events == (scanned("late"), joined("late"))


def test_a_wrong_pin_is_refused_and_counted_for_the_phone() -> None:
    state = spot(*CREATED, *OPENED)
    verdict = scans.judge_scan(state, scan("late", pin="123456", confirmed=CONFIRMED))
    assert verdict.seat == Seat.WRONG_PIN
    assert verdict.tries_left == scans.DEVICE_TRIES - 1
    assert verdict.events == (scanned("late"), refused("late", JoinRefusal.WRONG_PIN))
    after = spot(*CREATED, *OPENED, *verdict.events)
    assert after.session is not None
    assert after.session.wrong_tries == {"late": 1}
    assert after.session.wrong_on_pin == 1


def test_a_phone_already_seated_is_recalled_after_the_confirmation_without_a_pin() -> None:
    state = spot(*CREATED, *OPENED, scanned("friend"), joined("friend"))
    for device in ("host-phone", "friend"):
        verdict = scans.judge_scan(state, scan(device, confirmed=CONFIRMED))
        assert (verdict.seat, verdict.events) == (Seat.RECALLED, (scanned(device),))


# --- lock-out per phone, rotation per PIN -----------------------------------------------------


def test_five_wrong_pins_lock_the_phone_out_even_with_the_right_pin() -> None:
    state = spot(*CREATED, *OPENED, *wrong_tries(*["thief"] * 4))
    fifth = scans.judge_scan(state, scan("thief", pin="000000", confirmed=CONFIRMED))
    assert (fifth.seat, fifth.tries_left) == (Seat.WRONG_PIN, 0)
    history = [*at(0, *CREATED, *OPENED, *wrong_tries(*["thief"] * 4)), *at(5, *fifth.events)]
    locked = spot(*history)

    right = scans.judge_scan(locked, scan("thief", pin=PIN, confirmed=CONFIRMED, seconds=6))
    assert (right.seat, right.reason, right.tries_left) == (
        Seat.LOCKED_OUT,
        ViewerReason.LOCKED_OUT,
        0,
    )
    assert right.events == (scanned("thief"), refused("thief", JoinRefusal.LOCKED_OUT))

    # Once recorded, the lock-out is not recorded again for a minute.
    again = spot(*history, *at(6, *right.events))
    repeated = scans.judge_scan(again, scan("thief", pin=PIN, confirmed=CONFIRMED, seconds=30))
    assert (repeated.seat, repeated.events) == (Seat.LOCKED_OUT, ())
    # Without a PIN the locked-out phone may still read the menu.
    menu = scans.judge_scan(again, scan("thief", confirmed=CONFIRMED, seconds=30))
    assert (menu.seat, menu.reason, menu.events) == (Seat.VIEWER, ViewerReason.LOCKED_OUT, ())

    # Another phone at the same table still joins with the right PIN.
    other = scans.judge_scan(again, scan("friend", pin=PIN, confirmed=CONFIRMED, seconds=30))
    assert other.seat == Seat.JOINED


def test_the_tenth_wrong_pin_replaces_the_pin_and_the_count_starts_again() -> None:
    devices = ["a", "a", "b", "b", "c", "c", "d", "d", "e"]
    state = spot(*CREATED, *OPENED, *wrong_tries(*devices))
    tenth = scans.judge_scan(state, scan("e", pin="000000", confirmed=CONFIRMED, new_pin="222222"))
    assert tenth.seat == Seat.WRONG_PIN
    assert tenth.tries_left == scans.DEVICE_TRIES - 2
    assert tenth.events == (
        scanned("e"),
        refused("e", JoinRefusal.WRONG_PIN),
        PinRotated(
            venue_id=VENUE,
            spot_id=SPOT,
            session_id=SESSION,
            pin="222222",
            reason="too_many_wrong_pins",
        ),
    )
    rotated = spot(*CREATED, *OPENED, *wrong_tries(*devices), *tenth.events)
    assert rotated.session is not None
    assert (rotated.session.pin, rotated.session.wrong_on_pin) == ("222222", 0)
    old = scans.judge_scan(rotated, scan("f", pin=PIN, confirmed=CONFIRMED))
    assert old.seat == Seat.WRONG_PIN
    assert [e.event_type for e in old.events] == ["TableScanned", "JoinRefused"]
    new = scans.judge_scan(rotated, scan("f", pin="222222", confirmed=CONFIRMED))
    assert new.seat == Seat.JOINED


def test_wrong_pins_of_a_closed_session_do_not_follow_the_phone_into_the_next_one() -> None:
    closed = [
        SessionClosed(venue_id=VENUE, spot_id=SPOT, session_id=SESSION, reason="settled"),
        SpotReleased(venue_id=VENUE, spot_id=SPOT, session_id=SESSION),
    ]
    state = spot(*CREATED, *OPENED, *wrong_tries(*["thief"] * 5), *closed)
    assert state.session is None
    verdict = scans.judge_scan(state, scan("thief", confirmed=CONFIRMED))
    assert verdict.seat == Seat.OPENED


# --- new party ----------------------------------------------------------------------------------


def test_a_new_party_at_a_spot_whose_bill_is_open_reads_the_menu_until_release() -> None:
    state = spot(*CREATED, *OPENED)
    verdict = scans.judge_scan(state, scan("new-party", confirmed=CONFIRMED))
    assert (verdict.seat, verdict.reason) == (Seat.VIEWER, ViewerReason.PIN_REQUIRED)
    released = spot(
        *CREATED,
        *OPENED,
        SessionClosed(venue_id=VENUE, spot_id=SPOT, session_id=SESSION, reason="settled"),
        SpotReleased(venue_id=VENUE, spot_id=SPOT, session_id=SESSION),
    )
    reopened = scans.judge_scan(released, scan("new-party", confirmed=CONFIRMED))
    assert reopened.seat == Seat.OPENED
    assert reopened.events[1] == SessionOpened(
        venue_id=VENUE,
        profit_centre_id=PC,
        spot_id=SPOT,
        session_id="session-2",
        host_guest_id="guest-new-party",
        pin="999999",
    )


# --- token and PIN rotation ---------------------------------------------------------------------


def test_rotating_the_token_issues_a_new_one_and_every_old_one_is_gone() -> None:
    command = spots.RotateToken(spot_id=SPOT, new_token="tok-2")
    issued = spots.decide_rotate_token(spot(*CREATED), command)
    assert issued == [QrTokenIssued(venue_id=VENUE, spot_id=SPOT, token="tok-2")]
    third = QrTokenIssued(venue_id=VENUE, spot_id=SPOT, token="tok-3")
    state = spot(*CREATED, *issued, third)
    assert state.retired_tokens == {TOKEN, "tok-2"}
    for old in (TOKEN, "tok-2"):
        with pytest.raises(Gone) as gone:
            scans.judge_scan(state, scan("phone", token=old))
        assert gone.value.field == "token"
    with pytest.raises(NotFound):
        scans.judge_scan(state, scan("phone", token="never-issued"))
    assert scans.judge_scan(state, scan("phone", token="tok-3")).seat == Seat.OPENED


def test_rotating_the_token_of_an_unknown_spot_is_not_found() -> None:
    with pytest.raises(NotFound) as missing:
        spots.decide_rotate_token(None, spots.RotateToken(spot_id=SPOT, new_token="t"))
    assert missing.value.field == "spot_id"


def test_staff_rotate_the_pin_the_count_restarts_and_lock_outs_stay() -> None:
    history = [*CREATED, *OPENED, *wrong_tries(*["thief"] * 5), *wrong_tries("x", "y")]
    command = spots.RotatePin(session_id=SESSION, new_pin="333333")
    rotated = spots.decide_rotate_pin(spot(*history), command)
    assert rotated == [
        PinRotated(venue_id=VENUE, spot_id=SPOT, session_id=SESSION, pin="333333", reason="staff")
    ]
    state = spot(*history, *rotated)
    assert state.session is not None
    assert (state.session.pin, state.session.wrong_on_pin) == ("333333", 0)
    locked = scans.judge_scan(state, scan("thief", pin="333333", confirmed=CONFIRMED))
    assert locked.seat == Seat.LOCKED_OUT


@pytest.mark.parametrize(
    "history",
    [
        CREATED,
        [
            *CREATED,
            *OPENED,
            SessionClosed(venue_id=VENUE, spot_id=SPOT, session_id=SESSION, reason="settled"),
        ],
    ],
    ids=["released", "closed"],
)
def test_the_pin_of_a_session_that_is_not_open_is_not_rotated(history: list[Event]) -> None:
    with pytest.raises(Conflict) as refused_:
        spots.decide_rotate_pin(spot(*history), spots.RotatePin(SESSION, "333333"))
    assert refused_.value.field == "session_id"
