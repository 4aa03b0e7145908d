"""The e-mail sender: a background task of each notifier process that sends the planned e-mails
through SMTP (aiosmtplib) and records each try as an event (`NotificationSent`,
`NotificationFailed`) on the notification's stream.

One e-mail per transaction: its row is locked (`FOR UPDATE SKIP LOCKED`, so replicas share the
work and never send the same e-mail at once), sent, and its outcome recorded with the event, in
that transaction. A crash between the SMTP server's acceptance and the commit sends it again
later, with the same Message-ID. A failed try is tried again after a delay that doubles each
time (up to a maximum), until the server refuses the recipient for good or the tries run out.

It is woken by the NOTIFY of the projection that planned an e-mail (through the live hub's
connection), looks again when the next retry is due, and polls slowly in case it missed both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import aiosmtplib
import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.contracts import EventEnvelope
from convive.contracts.notifier import (
    Channel,
    NotificationFailed,
    NotificationSent,
    RecipientRole,
)
from convive.notifier import emails, templates
from convive.notifier.emails import BadAddress, MailStatus
from convive.notifier.outgoing import SENDABLE, outgoing_mails, venues
from convive.notifier.settings import Settings
from convive.runtime.eventstore import EventStore

log = logging.getLogger(__name__)


class Outcome(Enum):
    SENT = "sent"
    FAILED = "failed"  # this e-mail failed; others may go
    UNREACHABLE = "unreachable"  # the server could not be reached: the others wait too


def _is_permanent(exc: BaseException) -> bool:
    """A refusal that retrying will not change: a bad address, a recipient refused with 5xx."""
    if isinstance(exc, BadAddress):
        return True
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(r.code >= 500 for r in exc.recipients)
    return isinstance(exc, aiosmtplib.SMTPRecipientRefused) and exc.code >= 500


def _is_unreachable(exc: BaseException) -> bool:
    return isinstance(
        exc,
        aiosmtplib.SMTPConnectError
        | aiosmtplib.SMTPConnectTimeoutError
        | aiosmtplib.SMTPServerDisconnected
        | OSError,
    )


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}"[:500]


class MailSender:
    """Sends the due e-mails of one schema; start it with `lifespan`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.engine: AsyncEngine | None = None
        self.store: EventStore | None = None

    def wake(self) -> None:
        self._wake.set()

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        runtime = app.state.runtime
        self.engine, self.store = runtime.engine, runtime.store
        self._task = asyncio.create_task(self._run(), name="notifier-mail-sender")
        try:
            yield
        finally:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # before looking: a wake-up during the look is not lost
            try:
                await self.send_due()
                pause = await self._until_next_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("e-mail sender failed; trying again shortly")
                pause = self.settings.mail_poll_interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=pause)

    async def send_due(self) -> int:
        """Send the e-mails due now, one by one; stops early when the server is unreachable.
        Returns how many were tried."""
        tried = 0
        while True:
            outcome = await self.send_one()
            if outcome is None:
                return tried
            tried += 1
            if outcome is Outcome.UNREACHABLE:
                return tried

    async def _until_next_due(self) -> float:
        assert self.engine is not None
        async with self.engine.connect() as conn:
            wait = await conn.scalar(
                sa.select(
                    sa.func.extract("epoch", sa.func.min(outgoing_mails.c.next_attempt_at))
                    - sa.func.extract("epoch", sa.func.now())
                ).where(
                    outgoing_mails.c.status.in_(SENDABLE), outgoing_mails.c.recipient.isnot(None)
                )
            )
        if wait is None:
            return self.settings.mail_poll_interval
        return max(0.05, min(float(wait), self.settings.mail_poll_interval))

    async def send_one(self) -> Outcome | None:
        """Send the e-mail due first, if any, and record the outcome."""
        assert self.engine is not None
        assert self.store is not None
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(outgoing_mails, venues.c.name, venues.c.notification_email)
                    .select_from(
                        outgoing_mails.outerjoin(
                            venues, venues.c.venue_id == outgoing_mails.c.venue_id
                        )
                    )
                    .where(
                        outgoing_mails.c.status.in_(SENDABLE),
                        outgoing_mails.c.recipient.isnot(None),
                        outgoing_mails.c.next_attempt_at <= sa.func.now(),
                    )
                    .order_by(outgoing_mails.c.next_attempt_at, outgoing_mails.c.created_at)
                    .limit(1)
                    .with_for_update(of=outgoing_mails, skip_locked=True)
                )
            ).first()
            if row is None:
                return None
            attempt = row.attempts + 1
            try:
                await aiosmtplib.send(
                    self._message(row),
                    hostname=self.settings.smtp_host,
                    port=self.settings.smtp_port,
                    username=self.settings.smtp_username,
                    password=self.settings.smtp_password,
                    start_tls=self.settings.smtp_starttls,
                    timeout=self.settings.smtp_timeout,
                )
            except Exception as exc:
                outcome = Outcome.UNREACHABLE if _is_unreachable(exc) else Outcome.FAILED
                await self._record_failure(conn, row, attempt, exc)
            else:
                outcome = Outcome.SENT
                await self._record_sent(conn, row, attempt)
        self.store.notify_committed(1)
        return outcome

    def _message(self, row: Any) -> Any:
        venue_name = row.name or row.venue_id
        # A guest's reply goes to the property, when it has an address.
        reply_to = row.reply_to or (
            row.notification_email if row.recipient_role == RecipientRole.GUEST else None
        )
        rendered = templates.render(
            row.template,
            row.language,
            row.context,
            venue_name=venue_name,
            can_reply=bool(reply_to),
            guest_email=row.reply_to,
        )
        return emails.compose(
            rendered,
            notification=row.notification_id,
            mail_from=self.settings.mail_from,
            sender_name=venue_name,
            to=row.recipient,
            reply_to=reply_to,
            created_at=row.created_at,
            headers={"X-Convive-Notification": row.notification_id},
        )

    async def _record_sent(self, conn: AsyncConnection, row: Any, attempt: int) -> None:
        await conn.execute(
            outgoing_mails.update()
            .where(outgoing_mails.c.notification_id == row.notification_id)
            .values(
                status=MailStatus.SENT.value,
                attempts=attempt,
                sent_at=sa.func.now(),
                next_attempt_at=None,
                **_forget_personal_data(row),
            )
        )
        sent = NotificationSent(
            notification_id=row.notification_id,
            venue_id=row.venue_id,
            channel=Channel.EMAIL,
            template=row.template,
            language=row.language,
            recipient_role=RecipientRole(row.recipient_role),
            cause_event_id=row.cause_event_id,
            attempts=attempt,
        )
        await self._append(conn, row, sent)
        log.info(
            "e-mail sent",
            extra={"notification_id": row.notification_id, "template": row.template},
        )

    async def _record_failure(
        self, conn: AsyncConnection, row: Any, attempt: int, exc: BaseException
    ) -> None:
        settings = self.settings
        status = emails.after_failure(attempt, settings.mail_max_attempts, _is_permanent(exc))
        error = _describe(exc)
        delay = emails.retry_delay(attempt, settings.mail_retry_base, settings.mail_retry_max)
        values: dict[str, Any] = {
            "status": status.value,
            "attempts": attempt,
            "last_error": error,
            "next_attempt_at": datetime.now(UTC) + timedelta(seconds=delay)
            if status is MailStatus.FAILING
            else None,
        }
        if status is MailStatus.FAILED:
            values.update(_forget_personal_data(row))
        await conn.execute(
            outgoing_mails.update()
            .where(outgoing_mails.c.notification_id == row.notification_id)
            .values(**values)
        )
        failed = NotificationFailed(
            notification_id=row.notification_id,
            venue_id=row.venue_id,
            channel=Channel.EMAIL,
            template=row.template,
            recipient_role=RecipientRole(row.recipient_role),
            cause_event_id=row.cause_event_id,
            attempt=attempt,
            error=error,
            will_retry=status is MailStatus.FAILING,
        )
        await self._append(conn, row, failed)
        log.warning(
            "e-mail not sent",
            extra={
                "notification_id": row.notification_id,
                "attempt": attempt,
                "error": error,
                "will_retry": status is MailStatus.FAILING,
            },
        )

    async def _append(
        self, conn: AsyncConnection, row: Any, event: NotificationSent | NotificationFailed
    ) -> None:
        assert self.store is not None
        stream = emails.notification_stream(row.notification_id)
        envelope = EventEnvelope.wrap(
            event,
            subject=stream,
            correlation_id=row.correlation_id,
            causation_id=row.cause_event_id,
        )
        # One event per try: the stream's version is the number of earlier tries.
        await self.store.append(stream, [envelope], expected_version=row.attempts, conn=conn)


def _forget_personal_data(row: Any) -> dict[str, Any]:
    """What a settled e-mail no longer needs: the addresses, the guest's name and note."""
    return {
        "recipient": None,
        "reply_to": None,
        "context": emails.without_personal_data(row.context),
    }
