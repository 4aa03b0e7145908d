"""Hands an e-mail to the SMTP server (aiosmtplib), and tells what a failure means: refused for
good (retrying will not change it), or the server unreachable (the other e-mails wait too)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from convive.notifier.domain.emails import BadAddress
from convive.notifier.settings import Settings


async def send(message: EmailMessage, settings: Settings) -> None:
    """Send `message` to its recipients through the configured server; raises on failure."""
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        start_tls=settings.smtp_starttls,
        timeout=settings.smtp_timeout,
    )


def is_permanent(exc: BaseException) -> bool:
    """A refusal that retrying will not change: a bad address, a recipient refused with 5xx."""
    if isinstance(exc, BadAddress):
        return True
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(r.code >= 500 for r in exc.recipients)
    return isinstance(exc, aiosmtplib.SMTPRecipientRefused) and exc.code >= 500


def is_unreachable(exc: BaseException) -> bool:
    """The server could not be reached (or dropped us): no other e-mail would get through."""
    return isinstance(
        exc,
        aiosmtplib.SMTPConnectError
        | aiosmtplib.SMTPConnectTimeoutError
        | aiosmtplib.SMTPServerDisconnected
        | OSError,
    )


def describe(exc: BaseException) -> str:
    """The failure as recorded in NotificationFailed (at most 500 characters)."""
    text = str(exc).strip() or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}"[:500]
