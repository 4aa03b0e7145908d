"""An SMTP server's test double ("mail sink"): a real SMTP server (aiosmtpd) on loopback that
accepts every message and keeps it, parsed with the standard `email` package, instead of
delivering it.

In tests, run it in the test's event loop and read back what it received:

    sink = SmtpSink()
    await sink.start()                 # port 0: a free port, see sink.port
    ...
    mails = await sink.wait_for(2)     # the first two messages, parsed
    await sink.stop()                  # the server is down (connections refused) ...
    await sink.start()                 # ... and back, on the same port

As a process (`convive run`, the end-to-end tests), it prints a line per message and writes
each one as an `.eml` file to a folder that a developer opens with any mail reader:

    python -m convive.doubles.smtp_sink --port 8109 --mail-dir .cache/mail

Knobs for failure tests: `fail_next(n)` answers the next n messages with a temporary error
(4xx, the sender should try again), `reject_recipients` refuses addresses for good (5xx);
`username`/`password` make the server require AUTH (PLAIN or LOGIN, allowed without TLS on
loopback).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email
import email.policy
import itertools
import logging
import signal
import sys
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

DEFAULT_PORT = 2525


@dataclass(frozen=True)
class ReceivedMail:
    """One message as the server received it: the SMTP envelope and the parsed message."""

    number: int
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes
    received_at: datetime

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def to(self) -> str:
        return str(self.message.get("To", ""))

    @property
    def reply_to(self) -> str | None:
        value = self.message.get("Reply-To")
        return None if value is None else str(value)

    @property
    def message_id(self) -> str:
        return str(self.message.get("Message-ID", ""))

    def header(self, name: str) -> str | None:
        value = self.message.get(name)
        return None if value is None else str(value)

    @property
    def text(self) -> str:
        """The plain-text body (of a multipart message, its text/plain part), with the wire's
        CRLF line ends read as newlines."""
        part = self.message.get_body(preferencelist=("plain",))
        if part is None:
            return ""
        return str(part.get_content()).replace("\r\n", "\n")

    def summary(self) -> str:
        return f"#{self.number} from {self.mail_from} to {', '.join(self.rcpt_tos)}: {self.subject}"


@dataclass
class _Handler:
    """aiosmtpd's hooks: refusals on demand, then keep the message."""

    sink: SmtpSink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.sink.reject_recipients:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.sink._failures_left > 0:
            self.sink._failures_left -= 1
            return self.sink._failure_reply
        raw = envelope.original_content or b""
        await self.sink._keep(envelope.mail_from or "", tuple(envelope.rcpt_tos), raw)
        return "250 2.0.0 message accepted"


@dataclass
class SmtpSink:
    """The SMTP server and what it received (kept across stops and starts)."""

    host: str = "127.0.0.1"
    port: int = 0
    mail_dir: Path | None = None
    echo: bool = False
    username: str | None = None
    password: str | None = None
    reject_recipients: set[str] = field(default_factory=set)
    messages: list[ReceivedMail] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._connections: set[SMTP] = set()
        self._arrived = asyncio.Condition()
        self._numbers = itertools.count(1)
        self._failures_left = 0
        self._failure_reply = ""
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        """Listen on `host:port` (a free port when 0; `port` then says which, and the next
        start reuses it)."""
        if self._server is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._server = await self._loop.create_server(
            self._new_connection, host=self.host, port=self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and drop open connections: clients now get "connection refused"."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for connection in list(self._connections):
            if connection.transport is not None:
                connection.transport.close()
        self._connections.clear()
        await server.wait_closed()

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[SmtpSink]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    def fail_next(self, count: int, reply: str = "451 4.3.0 try again later") -> None:
        """Answer the next `count` messages with `reply` instead of accepting them."""
        self._failures_left = count
        self._failure_reply = reply

    async def wait_for(self, count: int, *, within: float = 20.0) -> list[ReceivedMail]:
        """The first `count` messages, once that many arrived (TimeoutError otherwise)."""
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len(self.messages) >= count)
            return self.messages[:count]

    def to(self, address: str) -> list[ReceivedMail]:
        """The messages whose envelope was addressed to `address`."""
        wanted = address.lower()
        return [m for m in self.messages if wanted in (r.lower() for r in m.rcpt_tos)]

    def _new_connection(self) -> SMTP:
        auth: dict[str, Any] = {}
        if self.username is not None:
            auth = {
                "auth_required": True,
                "auth_require_tls": False,  # loopback only: no certificate to set up
                "authenticator": self._authenticate,
            }
        with warnings.catch_warnings():
            # AUTH without TLS is what we want on loopback (aiosmtpd warns about it).
            warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
            connection = _Connection(
                _Handler(self),
                sink=self,
                hostname="convive-smtp-sink",
                ident="Convive SMTP sink",
                loop=self._loop,
                **auth,
            )
        self._connections.add(connection)
        return connection

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.username
            and data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)

    async def _keep(self, mail_from: str, rcpt_tos: tuple[str, ...], raw: bytes) -> None:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        mail = ReceivedMail(
            number=next(self._numbers),
            mail_from=mail_from,
            rcpt_tos=rcpt_tos,
            message=parsed,
            raw=raw,
            received_at=datetime.now(UTC),
        )
        self.messages.append(mail)
        if self.mail_dir is not None:
            self.mail_dir.mkdir(parents=True, exist_ok=True)
            # Named by arrival time, so the folder sorts in order across restarts.
            stamp = mail.received_at.strftime("%Y%m%dT%H%M%S.%f")
            (self.mail_dir / f"{stamp}-{mail.number:05d}.eml").write_bytes(raw)
        if self.echo:
            print(f"mail {mail.summary()}", flush=True)
        async with self._arrived:
            self._arrived.notify_all()


class _Connection(SMTP):
    """aiosmtpd's SMTP session, forgotten by the sink when its client leaves."""

    def __init__(self, handler: _Handler, *, sink: SmtpSink, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._sink = sink

    def connection_lost(self, exc: Exception | None) -> None:
        self._sink._connections.discard(self)
        super().connection_lost(exc)


def read_mail_dir(folder: Path) -> list[EmailMessage]:
    """The messages a sink process wrote to `folder`, oldest first (for tests that run it as a
    process)."""
    messages = []
    for path in sorted(folder.glob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        messages.append(parsed)
    return messages


# --- as a process ------------------------------------------------------------------------


class SinkSettings(BaseSettings):
    """Settings from the environment, prefix `CONVIVE_SMTP_SINK_` (flags override them)."""

    model_config = SettingsConfigDict(env_prefix="CONVIVE_SMTP_SINK_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    mail_dir: Path | None = Field(default=None, description="where each message is written")
    username: str | None = None
    password: str | None = None


async def serve(settings: SinkSettings) -> None:
    """Run until SIGTERM or SIGINT."""
    sink = SmtpSink(
        host=settings.host,
        port=settings.port,
        mail_dir=settings.mail_dir,
        echo=True,
        username=settings.username,
        password=settings.password,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with sink.serving():
        where = f", writing each mail to {settings.mail_dir}" if settings.mail_dir else ""
        print(f"SMTP sink listening on {sink.host}:{sink.port}{where}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m convive.doubles.smtp_sink",
        description="an SMTP server that keeps the mails it receives (a test double)",
    )
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--mail-dir", type=Path, help="write each mail there as an .eml file")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in vars(args).items() if v is not None}
    settings = SinkSettings(**overrides)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
