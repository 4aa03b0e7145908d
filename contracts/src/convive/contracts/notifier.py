"""Events owned by the notifier service (topic `convive.notifier.events`).

Stream: one per notification (`notification-<id>`), whose id is derived from the event that
caused it and the recipient's role, so the same cause can never make two notifications. The
recipient's address is not in the events (it is personal data, kept only in the notifier's
outbox while the message is pending).
"""

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from convive.contracts.base import Event


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class RecipientRole(StrEnum):
    GUEST = "guest"
    PROPERTY = "property"


class NotificationSent(Event):
    """A message was handed to the provider (the SMTP server accepted it)."""

    service: ClassVar[str] = "notifier"

    notification_id: str
    venue_id: str
    channel: Channel
    template: str = Field(description="e.g. 'offer_received'")
    language: str = Field(pattern=r"^(fr|en)$")
    recipient_role: RecipientRole
    cause_event_id: str = Field(description="the event it tells about")
    attempts: int = Field(ge=1)


class NotificationFailed(Event):
    """A try to send a message failed; it is tried again unless `will_retry` is false."""

    service: ClassVar[str] = "notifier"

    notification_id: str
    venue_id: str
    channel: Channel
    template: str
    recipient_role: RecipientRole
    cause_event_id: str
    attempt: int = Field(ge=1)
    error: str
    will_retry: bool
