"""Every subscription of the notifier, in one place: which events it listens to, and which read
model each one updates. Each event goes straight to the write of its projection module, which
decides nothing itself (`domain` does).

- table-session, pos-gateway → `notifier.access`: the sessions and their guests, the POS
  devices and their credentials (who may follow which feed); a revoked device's open streams
  are ended.
- table-session, ordering, pos-gateway → `notifier.feeds`: every event of theirs that may be
  relayed is written to its session's feed and its venue's feed, each with what that audience
  may see, and the streams following them are woken.
- table-session, ordering, notifier → `notifier.emails`: venues' settings, offer orders and the
  e-mails they cause (planned for the sender), and the notifier's own record of each try
  (NotificationSent/Failed), which settles an e-mail. These are the service's own read models
  too (`OWN_READ_MODELS`): the event store applies the own events in the sender's append.
  They share one projection with the plans because a rebuild replays and compares each
  projection on its own, and an e-mail's row is made of both.
"""

from __future__ import annotations

from collections.abc import Sequence

from convive.contracts import registry
from convive.contracts.notifier import NotificationFailed, NotificationSent
from convive.contracts.ordering import OfferCancelled, OfferConfirmed, OfferOrdered
from convive.contracts.pos_gateway import DevicePaired, DeviceRevoked
from convive.contracts.table_session import (
    GuestJoined,
    SessionClosed,
    SessionOpened,
    VenueConfigured,
)
from convive.notifier import tables
from convive.notifier.domain.feeds import relayed_event_classes
from convive.notifier.projections import feeds as feed_entries
from convive.notifier.projections import ordering, own, pos_gateway, table_session
from convive.runtime.projections import Projection

access = Projection(
    "notifier.access", tables=[tables.sessions, tables.session_guests, tables.devices]
)
access.on(SessionOpened)(table_session.session_opened)
access.on(GuestJoined)(table_session.guest_joined)
access.on(SessionClosed)(table_session.session_closed)
access.on(DevicePaired)(pos_gateway.device_paired)
access.on(DeviceRevoked)(pos_gateway.device_revoked)

feeds = Projection("notifier.feeds", tables=[tables.feed_entries, tables.feeds])
for relayed in relayed_event_classes(registry.contract_events()):
    feeds.on(relayed)(feed_entries.relayed)

emails = Projection(
    "notifier.emails", tables=[tables.outgoing_mails, tables.offer_orders, tables.venues]
)
emails.on(VenueConfigured)(table_session.venue_configured)
emails.on(OfferOrdered)(ordering.offer_ordered)
emails.on(OfferConfirmed)(ordering.offer_confirmed)
emails.on(OfferCancelled)(ordering.offer_cancelled)
emails.on(NotificationSent)(own.notification_sent)
emails.on(NotificationFailed)(own.notification_failed)

PROJECTIONS: Sequence[Projection] = (access, feeds, emails)
OWN_READ_MODELS = emails
