"""A venue's settings (name, staff language, time zone, the address concierge orders are notified
to, how its PMS takes charges): one stream per venue, the whole set in each `VenueConfigured`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from convive.contracts import Event, EventEnvelope
from convive.contracts.table_session import PmsIntegration, VenueConfigured
from convive.runtime.domain import fold as fold_history

DEFAULT_TIME_ZONE = "Europe/Paris"
"""A venue's time zone until its settings name one (as `VenueConfigured` says)."""


def venue_stream(venue_id: str) -> str:
    return f"venue-{venue_id}"


@dataclass(frozen=True)
class VenueSettings:
    venue_id: str
    name: str
    language: str
    notification_email: str | None
    pms_integration: PmsIntegration
    time_zone: str = DEFAULT_TIME_ZONE
    """An IANA name, checked where the settings come in (the API)."""


def evolve(state: VenueSettings | None, event: Event) -> VenueSettings | None:
    if isinstance(event, VenueConfigured):
        return VenueSettings(
            venue_id=event.venue_id,
            name=event.name,
            language=event.language,
            notification_email=event.notification_email,
            pms_integration=event.pms_integration,
            time_zone=event.time_zone,
        )
    return state


def fold(history: Iterable[EventEnvelope | Event]) -> VenueSettings | None:
    """The venue's settings as its stream tells them (None before the first)."""
    return fold_history(evolve, None, history)


def decide_configure_venue(state: VenueSettings | None, wanted: VenueSettings) -> list[Event]:
    """Record the venue's settings; the same settings again record nothing."""
    if state == wanted:
        return []
    return [
        VenueConfigured(
            venue_id=wanted.venue_id,
            name=wanted.name,
            language=wanted.language,
            notification_email=wanted.notification_email,
            pms_integration=wanted.pms_integration,
            time_zone=wanted.time_zone,
        )
    ]
