"""Which events reach which live feed and what is hidden from them, the SSE message of a feed
entry, and what a NOTIFY says to the live hub (`workers.feed_hub`).

A *feed* is what one audience may follow live: a table session's guests (`session` feed) or a
venue's POS devices (`venue` feed). Each feed numbers its entries 1, 2, 3…; that number is the
SSE `id` a client resumes from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from convive.contracts import Event

RELAYED_SERVICES = frozenset({"table-session", "ordering", "pos-gateway"})

NEVER_RELAYED = frozenset(
    {
        # A device's credential digest.
        "DevicePaired",
        # Staff e-mail addresses, roles and venues: the back office reads them from pos-gateway.
        "StaffAccountOpened",
        "StaffAccountClosed",
        # The property's notification address and PMS settings: nothing a POS or guest needs.
        "VenueConfigured",
        # The notifier's own record of its e-mails: the back office asks for it.
        "NotificationSent",
        "NotificationFailed",
    }
)
"""Event types kept off every feed."""

SECRET_FIELD = re.compile(r"credential|secret|password|digest|sha256|token", re.IGNORECASE)
"""Fields dropped from every relayed event, at any depth, so a secret added to a contract later
is not broadcast by default (QrTokenIssued's token opens the table; a payment card token links
loyalty profiles)."""

HIDDEN_FROM_GUESTS: Mapping[str, frozenset[str]] = {
    # The phone's id is how table-session recognises a returning guest: another guest of the
    # table holding it could pass for them.
    "GuestJoined": frozenset({"device_id"}),
}

VENUE_ONLY = frozenset(
    {
        # Concierge offers and their PMS posting are the back office's business, never a
        # table's: they go to the venue's feed even when they name a session.
        "OfferPublished",
        "OfferOrdered",
        "OfferConfirmed",
        "OfferCancelled",
        "FolioPosted",
        "FolioPostingFailed",
    }
)

RELAYED_FIELDS: Mapping[str, frozenset[str]] = {
    # An offer order names the guest, their e-mail address and their note: the feed tells
    # that an order came and for what; whoever needs the guest asks ordering for it.
    "OfferOrdered": frozenset(
        {
            "venue_id",
            "offer_order_id",
            "offer_id",
            "offer_name",
            "offer_type",
            "price",
            "spot_id",
            "spot_name",
            "auto_confirm",
        }
    ),
}
"""For these types, only the fields listed are relayed (a list of what may go, not of what
may not: a field added to the contract later stays off the feeds until reviewed)."""


class FeedKind(StrEnum):
    SESSION = "session"
    VENUE = "venue"


@dataclass(frozen=True)
class FeedTarget:
    """One feed an event is written to, with the data that feed may show."""

    kind: FeedKind
    feed_id: str
    data: dict[str, Any]


def relayed_event_classes(classes: Iterable[type[Event]]) -> list[type[Event]]:
    """The contract classes whose events go to feeds."""
    return [
        c for c in classes if c.service in RELAYED_SERVICES and c.event_type not in NEVER_RELAYED
    ]


def without_secrets(value: Any) -> Any:
    """`value` with every secret-looking field removed, at any depth."""
    if isinstance(value, Mapping):
        return {k: without_secrets(v) for k, v in value.items() if not SECRET_FIELD.search(str(k))}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def feeds_of(event_type: str, data: Mapping[str, Any]) -> list[FeedTarget]:
    """The feeds an event goes to: its session's (when it names one) and its venue's (when it
    names one), each with the data that audience may see."""
    if event_type in NEVER_RELAYED:
        return []
    kept = RELAYED_FIELDS.get(event_type)
    if kept is not None:
        data = {k: v for k, v in data.items() if k in kept}
    public: dict[str, Any] = without_secrets(data)
    targets: list[FeedTarget] = []
    session_id = data.get("session_id")
    if isinstance(session_id, str) and session_id and event_type not in VENUE_ONLY:
        hidden = HIDDEN_FROM_GUESTS.get(event_type, frozenset())
        guest_view = {k: v for k, v in public.items() if k not in hidden}
        targets.append(FeedTarget(FeedKind.SESSION, session_id, guest_view))
    venue_id = data.get("venue_id")
    if isinstance(venue_id, str) and venue_id:
        targets.append(FeedTarget(FeedKind.VENUE, venue_id, public))
    return targets


# --- feed messages --------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    seq: int
    event_id: str
    type: str
    time: datetime
    subject: str
    data: dict[str, Any]


def message_data(entry: FeedEntry) -> str:
    """The JSON `data:` of an entry's SSE message, on one line."""
    when = entry.time.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {
            "id": entry.event_id,
            "type": entry.type,
            "time": when,
            "subject": entry.subject,
            "data": entry.data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


# --- what a NOTIFY says to the live hub ---------------------------------------------------


def feed_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel on which a schema's projections announce new feed entries,
    revoked devices and planned e-mails (PostgreSQL cuts channel names at 63 bytes)."""
    return f"convive_feed_{schema}"[:63]


def notification(kind: FeedKind, feed_id: str, seq: int) -> str:
    """NOTIFY payload: this feed has an entry numbered `seq`."""
    return f"{kind.value}:{feed_id}:{seq}"


MAIL_DUE = "mail"
"""NOTIFY payload: an e-mail was planned (the sender should look)."""

_REVOKED = "device-revoked:"


def revocation(device_id: str) -> str:
    """NOTIFY payload: this device was revoked (its open streams must end)."""
    return f"{_REVOKED}{device_id}"


def parse_revocation(payload: str) -> str | None:
    """The device id of a revocation payload; None when it is not one."""
    if payload.startswith(_REVOKED) and len(payload) > len(_REVOKED):
        return payload[len(_REVOKED) :]
    return None


def parse_notification(payload: str) -> tuple[FeedKind, str, int] | None:
    """(kind, feed id, seq) of a NOTIFY payload; None when it is not one of ours."""
    kind, _, rest = payload.partition(":")
    feed_id, _, seq = rest.rpartition(":")
    if kind not in FeedKind._value2member_map_ or not feed_id or not seq.isdigit():
        return None
    return FeedKind(kind), feed_id, int(seq)
