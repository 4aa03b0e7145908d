"""A venue's settings (name, staff language, the address concierge orders are notified to, how
its PMS takes charges): one stream per venue, the whole set in each `VenueConfigured`. Pure
functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from convive.contracts import Event, EventEnvelope
from convive.contracts.table_session import PmsIntegration, VenueConfigured


def venue_stream(venue_id: str) -> str:
    return f"venue-{venue_id}"


@dataclass(frozen=True)
class VenueSettings:
    venue_id: str
    name: str
    language: str
    notification_email: str | None
    pms_integration: PmsIntegration


def settings_from(history: Iterable[EventEnvelope | Event]) -> VenueSettings | None:
    state: VenueSettings | None = None
    for item in history:
        event = item.event() if isinstance(item, EventEnvelope) else item
        if isinstance(event, VenueConfigured):
            state = VenueSettings(
                venue_id=event.venue_id,
                name=event.name,
                language=event.language,
                notification_email=event.notification_email,
                pms_integration=event.pms_integration,
            )
    return state


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
        )
    ]
