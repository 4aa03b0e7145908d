"""The notifier's one command: record how a try to send an e-mail went, as an event on the
notification's stream (`NotificationSent`, or `NotificationFailed` saying whether it will be
tried again), in the transaction that holds the e-mail's row.

The event store applies the event to the e-mail's row in that transaction (the service's own
read models: `projections.own`); this command also keeps the sender's schedule of retries
(`mail_retries`), which is no read model: when to try again is the settings' choice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.notifier import (
    Channel,
    NotificationFailed,
    NotificationSent,
    RecipientRole,
)
from convive.notifier.domain import emails
from convive.notifier.domain.emails import MailStatus
from convive.notifier.queries import DueMail
from convive.notifier.settings import Settings
from convive.notifier.tables import mail_retries
from convive.runtime.eventstore import EventStore


async def record_sent(
    conn: AsyncConnection, store: EventStore, mail: DueMail, attempt: int
) -> None:
    sent = NotificationSent(**_about(mail), language=mail.language, attempts=attempt)
    await _unschedule(conn, mail)
    await _append(conn, store, mail, sent)


async def record_failure(
    conn: AsyncConnection,
    store: EventStore,
    mail: DueMail,
    attempt: int,
    error: str,
    *,
    permanent: bool,
    settings: Settings,
) -> MailStatus:
    """Record a failed try; the e-mail is tried again after a delay unless the failure is
    permanent or the tries ran out. Returns the e-mail's status."""
    status = emails.after_failure(attempt, settings.mail_max_attempts, permanent)
    if status is MailStatus.FAILING:
        delay = emails.retry_delay(attempt, settings.mail_retry_base, settings.mail_retry_max)
        retry_at = datetime.now(UTC) + timedelta(seconds=delay)
        stmt = insert(mail_retries).values(notification_id=mail.notification_id, retry_at=retry_at)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["notification_id"], set_={"retry_at": retry_at}
            )
        )
    else:
        await _unschedule(conn, mail)
    failed = NotificationFailed(
        **_about(mail), attempt=attempt, error=error, will_retry=status is MailStatus.FAILING
    )
    await _append(conn, store, mail, failed)
    return status


def _about(mail: DueMail) -> dict[str, Any]:
    """What every record of a try says of its e-mail."""
    return {
        "notification_id": mail.notification_id,
        "venue_id": mail.venue_id,
        "channel": Channel.EMAIL,
        "template": mail.template,
        "recipient_role": RecipientRole(mail.recipient_role),
        "cause_event_id": mail.cause_event_id,
    }


async def _unschedule(conn: AsyncConnection, mail: DueMail) -> None:
    await conn.execute(
        mail_retries.delete().where(mail_retries.c.notification_id == mail.notification_id)
    )


async def _append(
    conn: AsyncConnection,
    store: EventStore,
    mail: DueMail,
    event: NotificationSent | NotificationFailed,
) -> None:
    stream = emails.notification_stream(mail.notification_id)
    envelope = EventEnvelope.wrap(
        event,
        subject=stream,
        correlation_id=mail.correlation_id,
        causation_id=mail.cause_event_id,
    )
    # One event per try: the stream's version is the number of earlier tries.
    await store.append(stream, [envelope], expected_version=mail.attempts, conn=conn)
