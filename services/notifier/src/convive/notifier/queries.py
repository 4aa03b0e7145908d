"""Reads of the notifier's tables: who may follow a feed, a feed's entries, a venue's e-mails
for the back office, and the e-mail the sender should send next."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.notifier.domain.emails import SENDABLE, MailStatus
from convive.notifier.domain.feeds import FeedEntry, FeedKind
from convive.notifier.tables import (
    devices,
    feed_entries,
    feeds,
    mail_retries,
    outgoing_mails,
    session_guests,
    sessions,
    venues,
)

# --- who may follow a feed -----------------------------------------------------------------


@dataclass(frozen=True)
class SessionAccess:
    known: bool
    """The session is known here."""
    member: bool
    """The guest is one of its guests."""


async def session_access(engine: AsyncEngine, session_id: str, guest_id: str) -> SessionAccess:
    async with engine.connect() as conn:
        known = await conn.scalar(
            sa.select(sa.literal(True)).where(sessions.c.session_id == session_id)
        )
        member = await conn.scalar(
            sa.select(sa.literal(True)).where(
                session_guests.c.session_id == session_id,
                session_guests.c.guest_id == guest_id,
            )
        )
    return SessionAccess(known=bool(known), member=bool(member))


@dataclass(frozen=True)
class Device:
    device_id: str
    venue_id: str


async def device_with_credential(engine: AsyncEngine, digest: str) -> Device | None:
    """The paired device whose credential has this SHA-256 digest."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                sa.select(devices.c.device_id, devices.c.venue_id).where(
                    devices.c.credential_sha256 == digest
                )
            )
        ).first()
    return None if row is None else Device(device_id=row.device_id, venue_id=row.venue_id)


async def device_paired(engine: AsyncEngine, device_id: str) -> bool:
    async with engine.connect() as conn:
        found = await conn.scalar(
            sa.select(sa.literal(True)).where(devices.c.device_id == device_id)
        )
    return bool(found)


# --- a feed ----------------------------------------------------------------------------------


async def feed_entries_after(
    engine: AsyncEngine, kind: FeedKind, feed_id: str, after: int, limit: int
) -> list[FeedEntry]:
    """The feed's entries numbered after `after`, in order, at most `limit`."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(feed_entries)
            .where(
                feed_entries.c.feed_kind == kind.value,
                feed_entries.c.feed_id == feed_id,
                feed_entries.c.seq > after,
            )
            .order_by(feed_entries.c.seq)
            .limit(limit)
        )
        return [
            FeedEntry(
                seq=r.seq,
                event_id=r.event_id,
                type=r.type,
                time=r.time,
                subject=r.subject,
                data=r.data,
            )
            for r in rows
        ]


async def last_seq(engine: AsyncEngine, kind: FeedKind, feed_id: str) -> int:
    """The number of the feed's last entry (0 for a feed with none)."""
    async with engine.connect() as conn:
        last = await conn.scalar(
            sa.select(feeds.c.last_seq).where(
                feeds.c.feed_kind == kind.value, feeds.c.feed_id == feed_id
            )
        )
    return int(last or 0)


# --- e-mails -------------------------------------------------------------------------------

_sendable = outgoing_mails.c.status.in_([s.value for s in SENDABLE])

_next_attempt_at = sa.case(
    (_sendable, sa.func.coalesce(mail_retries.c.retry_at, outgoing_mails.c.created_at)),
    else_=sa.null(),
)
"""When an e-mail is tried next: at once once planned, after a failure when the sender's
schedule says; never once settled."""

_with_retries = outgoing_mails.outerjoin(
    mail_retries, mail_retries.c.notification_id == outgoing_mails.c.notification_id
)


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


async def venue_notifications(
    engine: AsyncEngine,
    venue_id: str,
    *,
    status: MailStatus | None = None,
    offer_order_id: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """A venue's e-mails, newest first, without addresses."""
    query = (
        sa.select(outgoing_mails, _next_attempt_at.label("next_attempt_at"))
        .select_from(_with_retries)
        .where(outgoing_mails.c.venue_id == venue_id)
    )
    if status is not None:
        query = query.where(outgoing_mails.c.status == status.value)
    if offer_order_id is not None:
        query = query.where(outgoing_mails.c.offer_order_id == offer_order_id)
    query = query.order_by(
        outgoing_mails.c.created_at.desc(), outgoing_mails.c.notification_id
    ).limit(limit)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        {
            "notification_id": r.notification_id,
            "channel": "email",
            "template": r.template,
            "recipient_role": r.recipient_role,
            "language": r.language,
            "status": r.status,
            "attempts": r.attempts,
            "last_error": r.last_error,
            "cause_event_id": r.cause_event_id,
            "offer_order_id": r.offer_order_id,
            "created_at": _when(r.created_at),
            "next_attempt_at": _when(r.next_attempt_at),
            "sent_at": _when(r.sent_at),
        }
        for r in rows
    ]


@dataclass(frozen=True)
class DueMail:
    """An e-mail to send now, with what its message needs of its venue."""

    notification_id: str
    venue_id: str
    template: str
    recipient_role: str
    cause_event_id: str
    correlation_id: str
    language: str
    recipient: str
    reply_to: str | None
    context: dict[str, Any]
    attempts: int
    created_at: datetime
    venue_name: str | None
    venue_email: str | None
    time_zone: str | None


_MAIL_COLUMNS = [
    f.name for f in fields(DueMail) if f.name not in {"venue_name", "venue_email", "time_zone"}
]

_due = sa.and_(
    _sendable,
    outgoing_mails.c.recipient.isnot(None),
    outgoing_mails.c.planned.is_(True),
)


async def next_due_mail(conn: AsyncConnection) -> DueMail | None:
    """The e-mail due first, locked for this transaction (replicas skip it meanwhile)."""
    row = (
        await conn.execute(
            sa.select(
                *(outgoing_mails.c[name] for name in _MAIL_COLUMNS),
                venues.c.name.label("venue_name"),
                venues.c.notification_email.label("venue_email"),
                venues.c.time_zone,
            )
            .select_from(
                _with_retries.outerjoin(venues, venues.c.venue_id == outgoing_mails.c.venue_id)
            )
            .where(_due, _next_attempt_at <= sa.func.now())
            .order_by(_next_attempt_at, outgoing_mails.c.created_at)
            .limit(1)
            .with_for_update(of=outgoing_mails, skip_locked=True)
        )
    ).first()
    return None if row is None else DueMail(**row._mapping)


async def seconds_until_next_due(engine: AsyncEngine) -> float | None:
    """How long until the next e-mail is due (negative when one is due already); None when
    none waits."""
    async with engine.connect() as conn:
        wait = await conn.scalar(
            sa.select(
                sa.func.extract("epoch", sa.func.min(_next_attempt_at))
                - sa.func.extract("epoch", sa.func.now())
            )
            .select_from(_with_retries)
            .where(_due)
        )
    return None if wait is None else float(wait)
