"""The SMTP sink spoken to by a plain SMTP client (the standard library's smtplib): it keeps
what it receives, parsed; it can be taken down and brought back on the same port; it refuses
on demand; run as a process it writes each mail to a folder."""

from __future__ import annotations

import asyncio
import signal
import smtplib
import socket
import sys
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from convive.doubles.smtp_sink import SmtpSink, read_mail_dir


def message(to: str = "guest@example.org", subject: str = "Votre commande") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Hôtel Convive <no-reply@convive.test>"
    mail["To"] = to
    mail["Subject"] = subject
    mail["Reply-To"] = "concierge@hotel.test"
    mail["Message-ID"] = "<n-1@convive.test>"
    mail.set_content("Bonjour Zoé,\nvotre commande est bien reçue.\n")
    return mail


def send(port: int, mail: EmailMessage, login: tuple[str, str] | None = None) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        if login is not None:
            client.login(*login)
        client.send_message(mail)


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    async with SmtpSink().serving() as running:
        yield running


async def test_a_message_is_kept_parsed_with_its_envelope(sink: SmtpSink) -> None:
    await asyncio.to_thread(send, sink.port, message())
    (mail,) = await sink.wait_for(1)
    assert mail.mail_from == "no-reply@convive.test"
    assert mail.rcpt_tos == ("guest@example.org",)
    assert mail.subject == "Votre commande"
    assert mail.reply_to == "concierge@hotel.test"
    assert mail.message_id == "<n-1@convive.test>"
    assert "Hôtel Convive" in str(mail.message["From"])
    assert mail.text == "Bonjour Zoé,\nvotre commande est bien reçue.\n"
    assert sink.to("GUEST@example.org") == [mail]
    assert sink.to("someone@else.org") == []


async def test_waiting_for_more_than_arrived_times_out(sink: SmtpSink) -> None:
    await asyncio.to_thread(send, sink.port, message())
    with pytest.raises(TimeoutError):
        await sink.wait_for(2, within=0.3)


async def test_stopped_it_refuses_connections_and_comes_back_on_the_same_port(
    sink: SmtpSink,
) -> None:
    port = sink.port
    await asyncio.to_thread(send, port, message(subject="one"))
    await sink.stop()
    assert not sink.running
    with pytest.raises(ConnectionRefusedError):
        await asyncio.to_thread(send, port, message(subject="lost"))
    await sink.start()
    assert sink.port == port
    await asyncio.to_thread(send, port, message(subject="two"))
    assert [m.subject for m in await sink.wait_for(2)] == ["one", "two"]


async def test_it_answers_a_temporary_failure_on_demand_then_accepts(sink: SmtpSink) -> None:
    sink.fail_next(1)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await asyncio.to_thread(send, sink.port, message())
    assert refused.value.smtp_code == 451
    await asyncio.to_thread(send, sink.port, message())
    assert len(await sink.wait_for(1)) == 1


async def test_a_rejected_recipient_is_refused_for_good(sink: SmtpSink) -> None:
    sink.reject_recipients.add("gone@example.org")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await asyncio.to_thread(send, sink.port, message(to="gone@example.org"))
    assert refused.value.recipients["gone@example.org"][0] == 550
    assert sink.messages == []


async def test_with_credentials_it_requires_a_login() -> None:
    async with SmtpSink(username="convive", password="s3cret-pass").serving() as sink:  # noqa: S106
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            await asyncio.to_thread(send, sink.port, message())
        assert refused.value.smtp_code == 530
        with pytest.raises(smtplib.SMTPAuthenticationError):
            await asyncio.to_thread(send, sink.port, message(), ("convive", "wrong"))
        await asyncio.to_thread(send, sink.port, message(), ("convive", "s3cret-pass"))
        assert len(await sink.wait_for(1)) == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_as_a_process_it_writes_each_mail_to_a_folder_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "convive.doubles.smtp_sink",
        "--port",
        str(port),
        "--mail-dir",
        str(tmp_path / "mail"),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        banner = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        assert f"listening on 127.0.0.1:{port}" in banner.decode()
        await asyncio.to_thread(send, port, message(subject="Première"))
        await asyncio.to_thread(send, port, message(subject="Seconde"))
        line = await asyncio.wait_for(process.stdout.readline(), timeout=10)
        assert "to guest@example.org: Première" in line.decode()
        await asyncio.wait_for(process.stdout.readline(), timeout=10)
        assert [m["Subject"] for m in read_mail_dir(tmp_path / "mail")] == ["Première", "Seconde"]
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
