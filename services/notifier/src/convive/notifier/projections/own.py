"""What the notifier's own events say about its e-mails: each try is recorded as
NotificationSent or NotificationFailed on the notification's stream (version n is try n), and
the e-mail's row follows them: its status, its tries, its last error, when it was sent. Once it
is settled (sent, or given up) the row forgets the addresses and the guest's words.

The event store applies these writes in the transaction of the sender's append (so the status
changes with the record of the try), and the `notifier.emails` consumer applies them again from
the notifier's topic, where they are skipped (the row's `attempts` is already there); a rebuild
applies them from the topic alone. Topics have no order between them: a rebuild may read a try
before the offer event that planned its e-mail; the try then makes a row of what it knows, not
yet `planned`, which the plan completes (see `projections.ordering`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.notifier import NotificationFailed, NotificationSent
from convive.notifier.domain.emails import SETTLED, status_after_try, without_personal_data
from convive.notifier.tables import outgoing_mails


async def notification_sent(
    conn: AsyncConnection, event: NotificationSent, envelope: EventEnvelope
) -> None:
    await _try_recorded(
        conn,
        event,
        envelope,
        attempt=event.attempts,
        values={
            "status": status_after_try(sent=True).value,
            "sent_at": envelope.time,
            "language": event.language,
        },
    )


async def notification_failed(
    conn: AsyncConnection, event: NotificationFailed, envelope: EventEnvelope
) -> None:
    await _try_recorded(
        conn,
        event,
        envelope,
        attempt=event.attempt,
        values={
            "status": status_after_try(sent=False, will_retry=event.will_retry).value,
            "last_error": event.error,
        },
    )


async def _try_recorded(
    conn: AsyncConnection,
    event: NotificationSent | NotificationFailed,
    envelope: EventEnvelope,
    *,
    attempt: int,
    values: dict[str, Any],
) -> None:
    row = (
        await conn.execute(
            sa.select(outgoing_mails.c.attempts, outgoing_mails.c.context)
            .where(outgoing_mails.c.notification_id == event.notification_id)
            .with_for_update()
        )
    ).first()
    if row is None:
        await conn.execute(
            insert(outgoing_mails)
            .values(
                notification_id=event.notification_id,
                venue_id=event.venue_id,
                template=event.template,
                recipient_role=event.recipient_role.value,
                cause_event_id=event.cause_event_id,
                correlation_id=envelope.correlation_id,
                context={},
                attempts=attempt,
                created_at=envelope.time,
                planned=False,
                **values,
            )
            .on_conflict_do_nothing()
        )
        return
    if row.attempts >= attempt:
        return  # applied already
    if values["status"] in SETTLED:
        values = {
            **values,
            "recipient": None,
            "reply_to": None,
            "context": without_personal_data(row.context),
        }
    await conn.execute(
        outgoing_mails.update()
        .where(outgoing_mails.c.notification_id == event.notification_id)
        .values(attempts=attempt, **values)
    )
