"""The e-mail sender: a background task of each notifier process that sends the planned e-mails
through SMTP and records each try as an event (`NotificationSent`, `NotificationFailed`) on
the notification's stream (`commands`).

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
from email.message import EmailMessage
from enum import Enum

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts.notifier import RecipientRole
from convive.notifier import commands, queries
from convive.notifier.adapters import smtp
from convive.notifier.adapters.mail_texts import MailTexts
from convive.notifier.domain import emails
from convive.notifier.domain.emails import MailStatus
from convive.notifier.queries import DueMail
from convive.notifier.settings import Settings
from convive.runtime.eventstore import EventStore

log = logging.getLogger(__name__)


class Outcome(Enum):
    SENT = "sent"
    FAILED = "failed"  # this e-mail failed; others may go
    UNREACHABLE = "unreachable"  # the server could not be reached: the others wait too


class MailSender:
    """Sends the due e-mails of one schema; start it with `lifespan`."""

    def __init__(self, settings: Settings, texts: MailTexts) -> None:
        self.settings = settings
        self.texts = texts
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
        wait = await queries.seconds_until_next_due(self.engine)
        if wait is None:
            return self.settings.mail_poll_interval
        return max(0.05, min(wait, self.settings.mail_poll_interval))

    async def send_one(self) -> Outcome | None:
        """Send the e-mail due first, if any, and record the outcome."""
        assert self.engine is not None
        assert self.store is not None
        async with self.engine.begin() as conn:
            mail = await queries.next_due_mail(conn)
            if mail is None:
                return None
            attempt = mail.attempts + 1
            try:
                await smtp.send(self._message(mail), self.settings)
            except Exception as exc:
                outcome = Outcome.UNREACHABLE if smtp.is_unreachable(exc) else Outcome.FAILED
                error = smtp.describe(exc)
                status = await commands.record_failure(
                    conn,
                    self.store,
                    mail,
                    attempt,
                    error,
                    permanent=smtp.is_permanent(exc),
                    settings=self.settings,
                )
                log.warning(
                    "e-mail not sent",
                    extra={
                        "notification_id": mail.notification_id,
                        "attempt": attempt,
                        "error": error,
                        "will_retry": status is MailStatus.FAILING,
                    },
                )
            else:
                outcome = Outcome.SENT
                await commands.record_sent(conn, self.store, mail, attempt)
                log.info(
                    "e-mail sent",
                    extra={"notification_id": mail.notification_id, "template": mail.template},
                )
        self.store.notify_committed(1)
        return outcome

    def _message(self, mail: DueMail) -> EmailMessage:
        venue_name = mail.venue_name or mail.venue_id
        # A guest's reply goes to the property, when it has an address.
        reply_to = mail.reply_to or (
            mail.venue_email if mail.recipient_role == RecipientRole.GUEST else None
        )
        rendered = self.texts.render(
            mail.template,
            mail.language,
            mail.context,
            venue_name=venue_name,
            can_reply=bool(reply_to),
            guest_email=mail.reply_to,
            time_zone=mail.time_zone,
        )
        return emails.compose(
            rendered,
            notification=mail.notification_id,
            mail_from=self.settings.mail_from,
            sender_name=venue_name,
            to=mail.recipient,
            reply_to=reply_to,
            created_at=mail.created_at,
            headers={"X-Convive-Notification": mail.notification_id},
        )
