"""Concierge e-mails end to end, over HTTP only, with every service as its own process on real
Kafka and PostgreSQL and the SMTP double as the mail server: a hotel sets its notification
address, a guest scans their room's QR code and orders offers; the guest and the property get
their e-mails, in their languages, once each. Then the SMTP server is down for a minute while a
guest orders: the e-mails arrive once it is back, once each. (A platform of its own: it stops
the SMTP server.)

The SMTP double writes each message it accepts to a folder (`mail/` beside the test's logs),
read back here with the standard `email` package."""

from __future__ import annotations

import asyncio
import email
import email.policy
import signal
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from convive.cli.platform import SMTP_SINK, Platform
from convive.runtime.testkit import DEADLINE, eventually

pytestmark = pytest.mark.infra

OUTAGE = 60.0
"""How long the SMTP server is down: a real minute, as the issue says."""


def ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), (
        f"{response.request.method} {response.request.url} -> {response.status_code}: "
        f"{response.text}"
    )
    return response.json()


class Mailbox:
    """The messages the SMTP double accepted for some addresses (its folder holds earlier
    runs' too: each run uses addresses of its own)."""

    def __init__(self, folder: Path, *addresses: str) -> None:
        self.folder = folder
        self.addresses = {a.lower() for a in addresses}

    def messages(self) -> list[EmailMessage]:
        found = []
        for path in sorted(self.folder.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            if str(message["To"]).lower() in self.addresses:
                found.append(message)
        return found

    async def wait_for(self, count: int, within: float = DEADLINE) -> list[EmailMessage]:
        async def enough() -> list[EmailMessage]:
            found = self.messages()
            return found if len(found) >= count else []

        found: list[EmailMessage] = await eventually(enough, within=within)
        return found

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if str(m["To"]).lower() == address.lower()]


class Hotel:
    """A French hotel with a notification address, set up through the services' HTTP APIs
    (`concierge`: the conftest's ConciergeHotel), and its guests' offer orders."""

    def __init__(self, concierge: Any, platform: Platform) -> None:
        self.concierge = concierge
        self.http = concierge.http
        self.venue_id = concierge.venue_id
        self.desk = f"desk-{uuid.uuid4().hex[:6]}@hotel-lumiere.example.com"
        self.notifier = platform.url("notifier")

    async def set_up(self) -> dict[str, Any]:
        """Settings (French staff, a notification address), a room, two offers; the room."""
        settings = {
            "name": "Hôtel Lumière",
            "language": "fr",
            "notification_email": self.desk,
            "pms_integration": "none",
        }
        return dict(await self.concierge.set_up(settings, "Chambre 112"))

    async def scan(self, token: str) -> dict[str, Any]:
        return dict(await self.concierge.scan(token))

    async def order(
        self, seated: dict[str, Any], offer_id: str, email_address: str, language: str
    ) -> dict[str, Any]:
        return dict(
            await self.concierge.order(
                seated,
                offer_id,
                guest_name="Zoé Martin",
                guest_email=email_address,
                language=language,
                note="Vers 8 h, merci",
            )
        )

    async def confirm(self, offer_order_id: str) -> None:
        await self.concierge.confirm(offer_order_id)

    async def notifications(self) -> list[dict[str, Any]]:
        listed = ok(await self.http.get(f"{self.notifier}/venues/{self.venue_id}/notifications"))
        return list(listed)


@pytest.mark.timeout(600)
async def test_offer_emails_reach_guest_and_property_once_even_across_an_smtp_outage(
    platform: Platform, concierge_hotel: Any
) -> None:
    async with httpx.AsyncClient(timeout=DEADLINE) as http:
        venue_id = f"e2e-hotel-{uuid.uuid4().hex[:6]}"
        hotel = Hotel(concierge_hotel(http, platform, venue_id), platform)
        room = await hotel.set_up()
        seated = await hotel.scan(room["token"])
        guest = f"zoe-{uuid.uuid4().hex[:6]}@example.org"
        mailbox = Mailbox(Path(platform.env["CONVIVE_SMTP_SINK_MAIL_DIR"]), guest, hotel.desk)

        # An offer that confirms itself: one e-mail to the guest (in French), one to the desk
        # (in the hotel's French) that replies to the guest.
        breakfast = await hotel.order(seated, "breakfast", guest, "fr")
        await mailbox.wait_for(2)
        (to_guest,) = mailbox.to(guest)
        (to_desk,) = mailbox.to(hotel.desk)
        assert to_guest["Subject"] == (
            "Hôtel Lumière : votre demande « Petit-déjeuner en chambre » est confirmée"
        )
        assert to_guest["Reply-To"] == hotel.desk
        assert "Bonjour Zoé Martin," in to_guest.get_content()
        assert to_desk["Subject"] == "Nouvelle demande : Petit-déjeuner en chambre — Chambre 112"
        assert to_desk["Reply-To"] == guest
        assert breakfast["offer_order_id"] in to_desk.get_content()

        # An offer staff confirm, ordered in English: received, then confirmed.
        spa = await hotel.order(seated, "spa", guest, "en")
        await mailbox.wait_for(4)
        received = mailbox.to(guest)[-1]
        assert received["Subject"] == 'Hôtel Lumière: we have received your request "Spa access"'
        assert (
            mailbox.to(hotel.desk)[-1]["Subject"] == "Nouvelle demande : Accès au spa — Chambre 112"
        )
        await hotel.confirm(spa["offer_order_id"])
        await mailbox.wait_for(5)
        assert mailbox.to(guest)[-1]["Subject"] == (
            'Hôtel Lumière: your request "Spa access" is confirmed'
        )

        # The SMTP server goes down for a minute; a guest orders meanwhile.
        platform.kill(SMTP_SINK, signal.SIGTERM)
        down_since = asyncio.get_running_loop().time()
        await hotel.order(seated, "breakfast", guest, "fr")

        async def failing() -> list[dict[str, Any]]:
            listed = await hotel.notifications()
            return [n for n in listed if n["status"] == "failing" and n["last_error"]]

        assert len(await eventually(failing)) >= 1
        # About time itself: the outage lasts a real minute, whatever the retries do meanwhile.
        await asyncio.sleep(max(0.0, OUTAGE - (asyncio.get_running_loop().time() - down_since)))
        assert len(mailbox.messages()) == 5  # nothing got through meanwhile
        platform.restart(SMTP_SINK)

        # Back: the two e-mails arrive, once each, and nothing before them is sent again. The
        # proof of "nothing again" is a sentinel, not a wait: one more order once they are in,
        # whose two e-mails take the same way after them.
        await mailbox.wait_for(7)
        await hotel.order(seated, "breakfast", guest, "fr")
        sentinel = 2
        await mailbox.wait_for(7 + sentinel)
        messages = mailbox.messages()
        assert len(messages) == 7 + sentinel, [m["Subject"] for m in messages]
        assert len({m["Message-ID"] for m in messages}) == 7 + sentinel
        assert len(mailbox.to(guest)) == 4 + 1
        assert len(mailbox.to(hotel.desk)) == 3 + 1

        async def all_recorded_sent() -> list[dict[str, Any]]:
            # The notifier records an e-mail sent once the server accepted it: a moment after.
            listed = await hotel.notifications()
            return listed if {n["status"] for n in listed} == {"sent"} else []

        listed = await eventually(all_recorded_sent)
        assert len(listed) == 7 + sentinel
        assert {n["status"] for n in listed} == {"sent"}
        assert sum(1 for n in listed if n["attempts"] > 1) == 2  # the two sent after the outage
        assert {n["template"] for n in listed} == {
            "offer_received_confirmed",
            "property_offer_ordered",
            "offer_received",
            "offer_confirmed",
        }
