"""A venue's settings without I/O: given the venue's events, when its settings are set, then
these events (the whole set, time zone included) or none."""

from __future__ import annotations

from dataclasses import asdict, replace

from convive.contracts import EventEnvelope
from convive.contracts.table_session import PmsIntegration, VenueConfigured
from convive.table_session.domain import venues

SETTINGS = venues.VenueSettings(
    venue_id="h1",
    name="Hôtel du Port",
    language="en",
    notification_email="concierge@hotel.example",
    pms_integration=PmsIntegration.TWO_WAY,
    time_zone="America/Martinique",
)
CONFIGURED = VenueConfigured(**asdict(SETTINGS))


def test_a_venues_first_settings_are_recorded_with_its_time_zone() -> None:
    assert venues.decide_configure_venue(None, SETTINGS) == [CONFIGURED]


def test_the_same_settings_again_record_nothing_and_a_new_time_zone_records_the_whole_set() -> None:
    state = venues.fold([CONFIGURED])
    assert venues.decide_configure_venue(state, SETTINGS) == []
    moved = replace(SETTINGS, time_zone="Europe/Paris")
    assert venues.decide_configure_venue(state, moved) == [
        CONFIGURED.model_copy(update={"time_zone": "Europe/Paris"})
    ]


def test_settings_recorded_before_venues_had_a_time_zone_read_europe_paris() -> None:
    # A VenueConfigured stored before the field existed: its data has no `time_zone`.
    data = CONFIGURED.model_dump(mode="json", exclude={"time_zone"})
    recorded = replace(EventEnvelope.wrap(CONFIGURED, subject="venue-h1"), data=data)
    state = venues.fold([recorded])
    assert state is not None
    assert state.time_zone == venues.DEFAULT_TIME_ZONE == "Europe/Paris"
    same = replace(SETTINGS, time_zone=venues.DEFAULT_TIME_ZONE)
    assert venues.decide_configure_venue(state, same) == []
