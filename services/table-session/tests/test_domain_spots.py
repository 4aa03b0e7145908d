"""A spot's life without I/O (created in its profit centre, opened by a first scan, joined,
closed and released): given a stream's events, when a command, then these events or this
error. Every rule of a scan is in test_domain_scans."""

# ruff: noqa: S105, S106 (the tokens here are test values, not secrets)

from __future__ import annotations

import pytest

from convive.contracts import Event
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
from convive.runtime.domain import Conflict, Gone, NotFound
from convive.table_session.domain import profit_centres, scans, spots

VENUE = "venue-1"
PC = "pc-dining"
SPOT = "spot-1"
TOKEN = "tok-abc"

DINING = ProfitCentreConfigured(
    venue_id=VENUE, profit_centre_id=PC, name="Dining room", mode=JourneyMode.ORDER
)
CREATED = [
    SpotCreated(venue_id=VENUE, profit_centre_id=PC, spot_id=SPOT, name="T4", kind=SpotKind.TABLE),
    QrTokenIssued(venue_id=VENUE, spot_id=SPOT, token=TOKEN),
]


def scan(device: str, *, token: str = TOKEN, n: int = 1) -> scans.ScanSpot:
    return scans.ScanSpot(
        token=token,
        device_id=device,
        new_session_id=f"session-{n}",
        new_guest_id=f"guest-{device}-{n}",
        new_pin=f"{n:06d}",
    )


def opened_by(device: str, n: int = 1) -> list[Event]:
    """The events of a free spot's first scan by `device`."""
    return [
        TableScanned(venue_id=VENUE, spot_id=SPOT, device_id=device),
        SessionOpened(
            venue_id=VENUE,
            profit_centre_id=PC,
            spot_id=SPOT,
            session_id=f"session-{n}",
            host_guest_id=f"guest-{device}-{n}",
            pin=f"{n:06d}",
        ),
    ]


def joined(device: str, n: int = 1) -> list[Event]:
    return [
        TableScanned(venue_id=VENUE, spot_id=SPOT, device_id=device),
        GuestJoined(
            venue_id=VENUE,
            spot_id=SPOT,
            session_id=f"session-{n}",
            guest_id=f"guest-{device}-{n}",
            device_id=device,
        ),
    ]


def spot(*history: Event) -> spots.Spot | None:
    return spots.fold(history)


# --- spots ------------------------------------------------------------------------------------


def create(venue: str = VENUE) -> spots.CreateSpot:
    return spots.CreateSpot(venue, PC, SPOT, "T4", SpotKind.TABLE, TOKEN)


def test_a_spot_of_a_known_profit_centre_is_created_with_its_token() -> None:
    pc = profit_centres.fold([DINING])
    assert spots.decide_create_spot(None, pc, create()) == CREATED


@pytest.mark.parametrize("profit_centre", [None, DINING.model_copy(update={"venue_id": "other"})])
def test_a_spot_needs_a_profit_centre_of_its_own_venue(
    profit_centre: ProfitCentreConfigured | None,
) -> None:
    state = profit_centres.fold([profit_centre] if profit_centre else [])
    with pytest.raises(NotFound) as refused:
        spots.decide_create_spot(None, state, create())
    assert refused.value.field == "profit_centre_id"
    assert PC in refused.value.message


# --- scans ------------------------------------------------------------------------------------


def test_scanning_a_free_spot_opens_a_session_with_the_scanner_as_host() -> None:
    assert scans.decide_scan(spot(*CREATED), scan("phone-a")) == opened_by("phone-a")


def test_the_host_is_known_with_its_phone() -> None:
    state = spot(*CREATED, *opened_by("phone-a"))
    assert state is not None
    assert state.status == "occupied"
    assert state.session is not None
    assert state.session.guests == (spots.Guest("guest-phone-a-1", "phone-a", spots.HOST),)
    assert state.session.pin == "000001"


def test_another_phone_joins_the_open_session() -> None:
    state = spot(*CREATED, *opened_by("phone-a"))
    assert scans.decide_scan(state, scan("phone-b")) == joined("phone-b")


@pytest.mark.parametrize("device", ["phone-a", "phone-b"])
def test_a_phone_already_in_the_session_scans_again_and_stays_the_same_guest(device: str) -> None:
    state = spot(*CREATED, *opened_by("phone-a"), *joined("phone-b"))
    assert scans.decide_scan(state, scan(device, n=2)) == [
        TableScanned(venue_id=VENUE, spot_id=SPOT, device_id=device)
    ]


@pytest.mark.parametrize(
    ("history", "token"),
    [(CREATED, "not-the-token"), ([], TOKEN), ([CREATED[0]], TOKEN)],
    ids=["wrong token", "no spot", "spot without token"],
)
def test_an_unknown_token_opens_nothing(history: list[Event], token: str) -> None:
    with pytest.raises(NotFound) as refused:
        scans.decide_scan(spot(*history), scan("phone-a", token=token))
    assert refused.value.field == "token"
    assert refused.value.message == "unknown or expired QR code"


def test_a_rotated_token_stops_working() -> None:
    rotated = QrTokenIssued(venue_id=VENUE, spot_id=SPOT, token="tok-new")
    state = spot(*CREATED, rotated)
    with pytest.raises(Gone) as gone:
        scans.decide_scan(state, scan("phone-a"))
    assert gone.value.message == "this code is no longer valid"
    assert scans.decide_scan(state, scan("phone-a", token="tok-new"))[1].event_type == (
        "SessionOpened"
    )


# --- closing ----------------------------------------------------------------------------------

CLOSED = [
    SessionClosed(venue_id=VENUE, spot_id=SPOT, session_id="session-1", reason="settled"),
    SpotReleased(venue_id=VENUE, spot_id=SPOT, session_id="session-1"),
]


def test_settling_closes_the_session_and_releases_the_spot() -> None:
    state = spot(*CREATED, *opened_by("phone-a"), *joined("phone-b"))
    command = spots.CloseSession(session_id="session-1", reason="settled")
    assert spots.decide_close_session(state, command) == CLOSED


@pytest.mark.parametrize(
    "history",
    [
        [*CREATED],
        [*CREATED, *opened_by("phone-a", n=2)],
        [*CREATED, *opened_by("phone-a"), *CLOSED],
    ],
    ids=["free spot", "another session", "already closed"],
)
def test_closing_a_session_that_is_not_open_on_the_spot_does_nothing(
    history: list[Event],
) -> None:
    command = spots.CloseSession(session_id="session-1", reason="settled")
    assert spots.decide_close_session(spot(*history), command) == []


def test_after_release_the_next_scan_opens_a_new_session() -> None:
    state = spot(*CREATED, *opened_by("phone-a"), *joined("phone-b"), *CLOSED)
    assert state is not None
    assert state.status == "free"
    assert scans.decide_scan(state, scan("phone-b", n=2)) == opened_by("phone-b", n=2)


def test_a_closed_session_not_yet_released_takes_no_scan() -> None:
    state = spot(*CREATED, *opened_by("phone-a"), CLOSED[0])
    with pytest.raises(Conflict):
        scans.decide_scan(state, scan("phone-c", n=2))
