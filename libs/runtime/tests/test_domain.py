"""The runtime's pure part of every domain: `fold`, and the domain errors with the HTTP status
the runtime answers each kind with."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from convive.contracts import Event, EventEnvelope
from convive.contracts.table_session import TableScanned
from convive.runtime.domain import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    ThirdPartyUnavailable,
    TooManyAttempts,
    Unauthenticated,
    fold,
)
from convive.runtime.http_errors import status_of


def scan(device: str) -> TableScanned:
    return TableScanned(venue_id="venue-1", spot_id="spot-1", device_id=device)


def devices(state: tuple[str, ...], event: Event) -> tuple[str, ...]:
    assert isinstance(event, TableScanned)
    return (*state, event.device_id)


def test_fold_applies_bare_events_and_envelopes_in_order() -> None:
    history = [scan("a"), EventEnvelope.wrap(scan("b"), subject="spot-1"), scan("c")]
    assert fold(devices, (), history) == ("a", "b", "c")


def test_fold_of_nothing_is_the_initial_state() -> None:
    assert fold(devices, ("x",), []) == ("x",)


def test_fold_with_time_gives_each_envelope_its_recorded_time() -> None:
    at = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    recorded = EventEnvelope.wrap(scan("b"), subject="spot-1")
    recorded = EventEnvelope(**{**recorded.__dict__, "time": at})
    seen: list[tuple[str, datetime | None]] = []

    def evolve(state: int, event: Event, when: datetime | None) -> int:
        assert isinstance(event, TableScanned)
        seen.append((event.device_id, when))
        return state + 1

    assert fold(evolve, 0, [scan("a"), recorded], with_time=True) == 2
    assert seen == [("a", None), ("b", at)]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Invalid("bad"), 400),
        (Unauthenticated("who?"), 401),
        (Forbidden("no"), 403),
        (NotFound("none"), 404),
        (Conflict("taken"), 409),
        (Gone("replaced"), 410),
        (DomainError("unprocessable"), 422),
        (TooManyAttempts("wait", retry_after=30), 429),
        (ThirdPartyUnavailable("the PMS is down"), 502),
    ],
)
def test_each_kind_of_refusal_has_its_status(error: DomainError, status: int) -> None:
    assert status_of(error) == status


def test_a_service_error_answers_as_the_nearest_kind_above_it() -> None:
    class NotAGuest(Forbidden):
        pass

    assert status_of(NotAGuest("not seated")) == 403


def test_too_many_attempts_waits_at_least_a_second() -> None:
    assert TooManyAttempts("wait", retry_after=0).retry_after == 1
