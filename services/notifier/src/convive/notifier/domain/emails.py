"""The notifier's e-mail rules, free of I/O: which e-mails an offer event causes and to whom,
the notification's id, when a failed try is tried again, and the message put on the wire.

One notification per (cause event, recipient role): its id is derived from both, so the same
event delivered twice, or applied by two replicas, can only ever be one e-mail. Its Message-ID
is derived from that id too, so a message sent again after a crash between sending and
recording it is recognisably the same message to whoever receives it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from enum import StrEnum
from typing import Any

from convive.contracts.notifier import RecipientRole
from convive.contracts.ordering import OfferCancelled, OfferConfirmed, OfferOrdered

_NOTIFICATIONS = uuid.UUID("6b1d0c52-3f0e-4f53-9a8e-1c7a2b1e5d40")
"""Namespace of the notification ids (UUID v5 of cause event id and role)."""


class Template(StrEnum):
    OFFER_RECEIVED = "offer_received"
    OFFER_RECEIVED_CONFIRMED = "offer_received_confirmed"
    OFFER_CONFIRMED = "offer_confirmed"
    OFFER_CANCELLED = "offer_cancelled"
    PROPERTY_OFFER_ORDERED = "property_offer_ordered"


class MailStatus(StrEnum):
    PENDING = "pending"  # not tried yet
    FAILING = "failing"  # tried, failed, will be tried again
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # given up: refused for good, or too many tries


SENDABLE = frozenset({MailStatus.PENDING, MailStatus.FAILING})
"""The e-mails the sender still tries (once their recipient is known)."""

SETTLED = frozenset({MailStatus.SENT, MailStatus.FAILED})
"""The e-mails done with: their addresses and the guest's words are forgotten."""


def notification_id(cause_event_id: str, role: RecipientRole) -> str:
    return uuid.uuid5(_NOTIFICATIONS, f"{cause_event_id}/{role.value}").hex


def notification_stream(notification: str) -> str:
    return f"notification-{notification}"


@dataclass(frozen=True)
class OfferOrderForMail:
    """What the notifier keeps of an offer order to write its e-mails (from OfferOrdered)."""

    offer_order_id: str
    venue_id: str
    guest_name: str
    guest_email: str
    language: str
    context: dict[str, Any]

    @classmethod
    def of(cls, event: OfferOrdered) -> OfferOrderForMail:
        return cls(
            offer_order_id=event.offer_order_id,
            venue_id=event.venue_id,
            guest_name=event.guest_name,
            guest_email=event.guest_email,
            language=event.language,
            context={
                "offer_order_id": event.offer_order_id,
                "offer_name": event.offer_name.model_dump(),
                "offer_type": event.offer_type.value,
                "price": event.price.model_dump(),
                "spot_name": event.spot_name,
                "guest_name": event.guest_name,
                "note": event.note,
                "auto_confirm": event.auto_confirm,
            },
        )


@dataclass(frozen=True)
class PlannedMail:
    """An e-mail to send. A property mail has no recipient nor language here: they are the
    venue's settings (`notification_email`, `language`), known to the notifier separately."""

    notification_id: str
    template: Template
    recipient_role: RecipientRole
    cause_event_id: str
    context: dict[str, Any]
    recipient: str | None = None
    language: str | None = None
    reply_to: str | None = None


def _to_guest(
    order: OfferOrderForMail, template: Template, cause_id: str, **extra: Any
) -> PlannedMail:
    return PlannedMail(
        notification_id=notification_id(cause_id, RecipientRole.GUEST),
        template=template,
        recipient_role=RecipientRole.GUEST,
        cause_event_id=cause_id,
        context={**order.context, **extra},
        recipient=order.guest_email,
        language=order.language,
    )


def on_offer_ordered(
    order: OfferOrderForMail, event: OfferOrdered, cause_id: str
) -> list[PlannedMail]:
    """The guest hears that their order was received (and confirmed, when the offer confirms
    itself: then no second e-mail follows); the property hears of it, and a reply goes to the
    guest."""
    guest_template = (
        Template.OFFER_RECEIVED_CONFIRMED if event.auto_confirm else Template.OFFER_RECEIVED
    )
    to_property = PlannedMail(
        notification_id=notification_id(cause_id, RecipientRole.PROPERTY),
        template=Template.PROPERTY_OFFER_ORDERED,
        recipient_role=RecipientRole.PROPERTY,
        cause_event_id=cause_id,
        context=order.context,
        reply_to=order.guest_email,
    )
    return [_to_guest(order, guest_template, cause_id), to_property]


def on_offer_confirmed(
    order: OfferOrderForMail, event: OfferConfirmed, cause_id: str
) -> list[PlannedMail]:
    """A confirmation by staff is one more e-mail; an automatic one was told at once."""
    if event.automatic:
        return []
    return [_to_guest(order, Template.OFFER_CONFIRMED, cause_id)]


def on_offer_cancelled(
    order: OfferOrderForMail, event: OfferCancelled, cause_id: str
) -> list[PlannedMail]:
    return [_to_guest(order, Template.OFFER_CANCELLED, cause_id, reason=event.reason)]


KEPT_AFTER_SENDING = frozenset({"offer_order_id", "offer_name", "offer_type", "price", "spot_name"})
"""What a notification's context keeps once it is sent or given up: the guest's name and note
are personal data the notifier needs only while the message is pending."""


def without_personal_data(context: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in context.items() if k in KEPT_AFTER_SENDING}


# --- retries -------------------------------------------------------------------------------


def retry_delay(attempt: int, base: float, maximum: float) -> float:
    """Seconds before the try after failed try number `attempt` (1, 2, …): doubling from
    `base`, never more than `maximum`."""
    return float(min(maximum, base * 2 ** max(0, attempt - 1)))


def after_failure(attempt: int, max_attempts: int, permanent: bool) -> MailStatus:
    """The status after failed try number `attempt`."""
    if permanent or attempt >= max_attempts:
        return MailStatus.FAILED
    return MailStatus.FAILING


def status_after_try(sent: bool, will_retry: bool = False) -> MailStatus:
    """The status a recorded try leaves an e-mail in (NotificationSent, or NotificationFailed
    saying whether it will be tried again)."""
    if sent:
        return MailStatus.SENT
    return MailStatus.FAILING if will_retry else MailStatus.FAILED


# --- the message ---------------------------------------------------------------------------


class BadAddress(ValueError):
    """An address no SMTP server could deliver to (it will not get better by retrying)."""


def checked_address(address: str) -> str:
    """`address` if it is one plain mailbox (`local@domain`), else BadAddress."""
    text = address.strip()
    try:
        parsed = Address(addr_spec=text)
    except (ValueError, IndexError, MessageError) as exc:
        raise BadAddress(f"not an e-mail address: {address!r}") from exc
    if not parsed.username or "." not in parsed.domain or any(c in text for c in "\r\n,;<>"):
        raise BadAddress(f"not an e-mail address: {address!r}")
    return text


def message_id(notification: str, mail_from: str) -> str:
    """The Message-ID of a notification: the same on every try."""
    domain = mail_from.rpartition("@")[2].strip("> ") or "convive.invalid"
    return f"<{notification}@{domain}>"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


def compose(
    rendered: Rendered,
    *,
    notification: str,
    mail_from: str,
    sender_name: str,
    to: str,
    reply_to: str | None,
    created_at: datetime,
    headers: Mapping[str, str] = {},
) -> EmailMessage:
    """The e-mail as it goes on the wire; the same on every try (Date is when it was planned)."""
    message = EmailMessage()
    message["Subject"] = " ".join(rendered.subject.split())  # one line, whatever the data
    message["From"] = formataddr((" ".join(sender_name.split()), checked_address(mail_from)))
    message["To"] = checked_address(to)
    if reply_to:
        message["Reply-To"] = checked_address(reply_to)
    message["Date"] = format_datetime(created_at)
    message["Message-ID"] = message_id(notification, mail_from)
    # Transactional: out-of-office replies and the like should not answer it (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    for name, value in headers.items():
        message[name] = value
    message.set_content(rendered.text)
    return message
