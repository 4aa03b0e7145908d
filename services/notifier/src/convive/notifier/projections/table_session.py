"""What the notifier keeps of table-session's facts: the sessions and their guests (who may
follow a session's feed), and the venues' settings (the name e-mails are signed with, where and
in which language the property is told of an offer order, the venue's time zone).

A property e-mail planned before its venue's settings were known here waits without a
recipient; the settings, when they come, give it one (or drop it, if the venue has no address).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.notifier import RecipientRole
from convive.contracts.table_session import (
    GuestJoined,
    SessionClosed,
    SessionOpened,
    VenueConfigured,
)
from convive.notifier.domain.emails import SENDABLE, MailStatus
from convive.notifier.domain.feeds import MAIL_DUE
from convive.notifier.projections.announcements import announce
from convive.notifier.tables import outgoing_mails, session_guests, sessions, venues

log = logging.getLogger(__name__)

# --- sessions and their guests ---------------------------------------------------------------


async def _session_seen(
    conn: AsyncConnection, session_id: str, venue_id: str, spot_id: str
) -> None:
    await conn.execute(
        insert(sessions)
        .values(session_id=session_id, venue_id=venue_id, spot_id=spot_id, status="open")
        .on_conflict_do_nothing()
    )


async def _guest_added(conn: AsyncConnection, session_id: str, guest_id: str) -> None:
    await conn.execute(
        insert(session_guests)
        .values(session_id=session_id, guest_id=guest_id)
        .on_conflict_do_nothing()
    )


async def session_opened(conn: AsyncConnection, event: SessionOpened, _: EventEnvelope) -> None:
    await _session_seen(conn, event.session_id, event.venue_id, event.spot_id)
    await _guest_added(conn, event.session_id, event.host_guest_id)


async def guest_joined(conn: AsyncConnection, event: GuestJoined, _: EventEnvelope) -> None:
    # Its SessionOpened is on the same spot stream, so it normally came first; if not, the
    # session is recorded from what this event says.
    await _session_seen(conn, event.session_id, event.venue_id, event.spot_id)
    await _guest_added(conn, event.session_id, event.guest_id)


async def session_closed(conn: AsyncConnection, event: SessionClosed, _: EventEnvelope) -> None:
    stmt = insert(sessions).values(
        session_id=event.session_id,
        venue_id=event.venue_id,
        spot_id=event.spot_id,
        status="closed",
    )
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=["session_id"], set_={"status": "closed"})
    )


# --- venues' settings ------------------------------------------------------------------------


def _awaiting_venue(venue_id: str) -> sa.ColumnElement[bool]:
    """Property e-mails planned before the venue's settings were known here."""
    return sa.and_(
        outgoing_mails.c.venue_id == venue_id,
        outgoing_mails.c.recipient_role == RecipientRole.PROPERTY.value,
        outgoing_mails.c.status.in_([s.value for s in SENDABLE]),
        outgoing_mails.c.recipient.is_(None),
    )


async def venue_configured(conn: AsyncConnection, event: VenueConfigured, _: EventEnvelope) -> None:
    """Keep the venue's settings (the whole set each time: the latest wins), then address the
    property e-mails that waited for them."""
    settings = {
        "name": event.name,
        "language": event.language,
        "notification_email": event.notification_email,
        "time_zone": event.time_zone,
    }
    stmt = insert(venues).values(venue_id=event.venue_id, **settings)
    await conn.execute(stmt.on_conflict_do_update(index_elements=["venue_id"], set_=settings))
    if event.notification_email:
        waiting = await conn.execute(
            outgoing_mails.update()
            .where(_awaiting_venue(event.venue_id))
            .values(recipient=event.notification_email, language=event.language)
        )
        if waiting.rowcount:
            await announce(conn, MAIL_DUE)
        return
    dropped = await conn.execute(
        outgoing_mails.delete().where(
            _awaiting_venue(event.venue_id), outgoing_mails.c.status == MailStatus.PENDING.value
        )
    )
    if dropped.rowcount:
        log.warning(
            "venue has no notification address: property e-mails not sent",
            extra={"venue_id": event.venue_id, "count": dropped.rowcount},
        )
