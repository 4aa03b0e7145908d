"""Every subscription of the notifier, in one place: which events it listens to, and which read
model each one updates (the handlers decide nothing: `domain` does, called by the writes in
`projections`).

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

from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import Event, EventEnvelope, registry
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
from convive.notifier.projections import feeds as feed_writes
from convive.notifier.projections import ordering, own, pos_gateway, table_session
from convive.runtime.projections import Projection

access = Projection(
    "notifier.access", tables=[tables.sessions, tables.session_guests, tables.devices]
)


@access.on(SessionOpened)
async def on_session_opened(conn: AsyncConnection, event: SessionOpened, _: EventEnvelope) -> None:
    await table_session.session_opened(conn, event)


@access.on(GuestJoined)
async def on_guest_joined(conn: AsyncConnection, event: GuestJoined, _: EventEnvelope) -> None:
    await table_session.guest_joined(conn, event)


@access.on(SessionClosed)
async def on_session_closed(conn: AsyncConnection, event: SessionClosed, _: EventEnvelope) -> None:
    await table_session.session_closed(conn, event)


@access.on(DevicePaired)
async def on_device_paired(conn: AsyncConnection, event: DevicePaired, _: EventEnvelope) -> None:
    await pos_gateway.device_paired(conn, event)


@access.on(DeviceRevoked)
async def on_device_revoked(conn: AsyncConnection, event: DeviceRevoked, _: EventEnvelope) -> None:
    await pos_gateway.device_revoked(conn, event)


feeds = Projection("notifier.feeds", tables=[tables.feed_entries, tables.feeds])


async def on_relayed_event(conn: AsyncConnection, event: Event, envelope: EventEnvelope) -> None:
    await feed_writes.relayed(conn, event, envelope)


for _relayed in relayed_event_classes(registry.contract_events()):
    feeds.on(_relayed)(on_relayed_event)


emails = Projection(
    "notifier.emails", tables=[tables.outgoing_mails, tables.offer_orders, tables.venues]
)


@emails.on(VenueConfigured)
async def on_venue_configured(
    conn: AsyncConnection, event: VenueConfigured, _: EventEnvelope
) -> None:
    await table_session.venue_configured(conn, event)


@emails.on(OfferOrdered)
async def on_offer_ordered(
    conn: AsyncConnection, event: OfferOrdered, envelope: EventEnvelope
) -> None:
    await ordering.offer_ordered(conn, event, envelope)


@emails.on(OfferConfirmed)
async def on_offer_confirmed(
    conn: AsyncConnection, event: OfferConfirmed, envelope: EventEnvelope
) -> None:
    await ordering.offer_confirmed(conn, event, envelope)


@emails.on(OfferCancelled)
async def on_offer_cancelled(
    conn: AsyncConnection, event: OfferCancelled, envelope: EventEnvelope
) -> None:
    await ordering.offer_cancelled(conn, event, envelope)


@emails.on(NotificationSent)
async def on_notification_sent(
    conn: AsyncConnection, event: NotificationSent, envelope: EventEnvelope
) -> None:
    await own.notification_sent(conn, event, envelope)


@emails.on(NotificationFailed)
async def on_notification_failed(
    conn: AsyncConnection, event: NotificationFailed, envelope: EventEnvelope
) -> None:
    await own.notification_failed(conn, event, envelope)


PROJECTIONS: Sequence[Projection] = (access, feeds, emails)
OWN_READ_MODELS = emails
