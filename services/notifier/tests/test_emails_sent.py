"""E-mails against real Kafka, PostgreSQL and a real SMTP server (the SMTP sink): ordering's
offer events published on its topic become e-mails to the guest and the property, in their
languages, once each, also when an event comes twice, when the SMTP server is down for a
while, or when two notifier processes share the work."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import EventEnvelope, events_topic
from convive.contracts.notifier import RecipientRole
from convive.contracts.ordering import OfferCancelled, OfferConfirmed
from convive.contracts.table_session import VenueConfigured
from convive.doubles.smtp_sink import ReceivedMail, SmtpSink
from convive.notifier.app import create_app
from convive.notifier.domain.emails import notification_id
from convive.notifier.settings import Settings
from convive.notifier.tables import outgoing_mails, venues
from convive.runtime.eventstore import EventStore
from convive.runtime.testkit import eventually, read_topic, served

pytestmark = pytest.mark.infra

DESK = "reception@hotel-lumiere.test"
SENTINEL = "sentinel@example.org"


@pytest.fixture
async def smtp_sink() -> AsyncIterator[SmtpSink]:
    """This module's SMTP server wants a login, as a provider's does."""
    async with SmtpSink(username="convive", password="smtp-s3cret").serving() as sink:  # noqa: S106
        yield sink


@pytest.fixture
def notifier_settings(notifier_settings: Settings) -> Settings:
    return notifier_settings.model_copy(
        update={"smtp_username": "convive", "smtp_password": "smtp-s3cret"}
    )


class Hotel:
    """A venue's settings and its guests' offer orders, as table-session and ordering say."""

    def __init__(self, publish: Any, reader: AsyncEngine, offer_ordered: Any) -> None:
        self.publish = publish
        self.reader = reader
        self.offer_ordered = offer_ordered
        self.venue_id = f"hotel-{uuid.uuid4().hex[:8]}"
        self.last_order_id = ""

    async def configure(self, language: str = "fr", email: str | None = DESK) -> None:
        """Publish the venue's settings and wait until the notifier knows them."""
        settings = VenueConfigured(
            venue_id=self.venue_id,
            name="Hôtel Lumière",
            language=language,
            notification_email=email,
        )
        await self.publish(settings, f"venue-{self.venue_id}")

        async def known() -> bool:
            async with self.reader.connect() as conn:
                row = (
                    await conn.execute(sa.select(venues).where(venues.c.venue_id == self.venue_id))
                ).first()
            return row is not None and row.language == language

        await eventually(known)

    async def order(
        self,
        *,
        auto_confirm: bool = False,
        language: str = "fr",
        email: str = "zoe@example.org",
        order_id: str = "",
    ) -> EventEnvelope:
        """A guest orders an offer (and it confirms itself at once, with `auto_confirm`)."""
        order_id = order_id or f"oo-{uuid.uuid4().hex[:8]}"
        self.last_order_id = order_id
        ordered = self.offer_ordered(
            self.venue_id,
            order_id,
            session_id="s-112",
            guest_email=email,
            language=language,
            note="Vers 8 h",
            auto_confirm=auto_confirm,
        )
        envelope: EventEnvelope = await self.publish(ordered, f"offer-order-{order_id}")
        if auto_confirm:
            await self.confirm(order_id, automatic=True)
        return envelope

    async def confirm(self, order_id: str, automatic: bool = False) -> EventEnvelope:
        confirmed = OfferConfirmed(
            venue_id=self.venue_id,
            offer_order_id=order_id,
            automatic=automatic,
            confirmed_by=None if automatic else "Ana",
        )
        envelope: EventEnvelope = await self.publish(confirmed, f"offer-order-{order_id}")
        return envelope

    async def cancel(self, order_id: str, reason: str | None = None) -> EventEnvelope:
        cancelled = OfferCancelled(
            venue_id=self.venue_id, offer_order_id=order_id, cancelled_by="Ana", reason=reason
        )
        envelope: EventEnvelope = await self.publish(cancelled, f"offer-order-{order_id}")
        return envelope


@pytest.fixture
def hotel(publish: Any, reader: AsyncEngine, offer_ordered: Any) -> Hotel:
    return Hotel(publish, reader, offer_ordered)


async def notification_events(store: EventStore) -> list[tuple[str, dict[str, Any]]]:
    """The notifier's own events, in order: [(type, data)]."""
    return [(e.type, e.data) async for _, e in store.read_all()]


def notification_of(mail: ReceivedMail) -> str | None:
    return mail.header("X-Convive-Notification")


async def only_these_before_a_sentinel(
    sink: SmtpSink, hotel: Hotel, count: int
) -> list[ReceivedMail]:
    """Proves that the sink got `count` messages and nothing else (nothing sent twice): a
    sentinel order follows, and the sender sends e-mails in the order they fell due, so once
    the sentinel's e-mail is in, anything else due before it would be in too. Returns the
    messages other than the sentinel's."""
    sentinel = await hotel.order(email=SENTINEL, order_id=f"sentinel-{uuid.uuid4().hex[:6]}")
    theirs = {notification_id(sentinel.id, role) for role in RecipientRole}

    async def sentinel_in() -> bool:
        return any(notification_of(m) in theirs for m in sink.messages)

    await eventually(sentinel_in)
    others = [m for m in sink.messages if notification_of(m) not in theirs]
    assert len(others) == count, [m.summary() for m in sink.messages]
    return others


async def only_these_before(sink: SmtpSink, sentinel: str, count: int) -> list[ReceivedMail]:
    """Proves that the sink got `count` messages before the one whose subject is `sentinel`
    (an e-mail caused by a later event of the same stream, which the notifier applies, and its
    sender sends, after everything the earlier events caused), and nothing else."""

    async def arrived() -> bool:
        return any(m.subject == sentinel for m in sink.messages)

    await eventually(arrived)
    before = [m for m in sink.messages if m.subject != sentinel]
    assert len(before) == count, [m.summary() for m in sink.messages]
    return before


async def test_an_auto_confirmed_offer_is_one_mail_to_the_guest_and_one_to_the_property(
    notifier: str, hotel: Hotel, smtp_sink: SmtpSink, reader: AsyncEngine, store: EventStore
) -> None:
    await hotel.configure(language="fr")
    ordered = await hotel.order(auto_confirm=True, language="en")

    mails = await smtp_sink.wait_for(2)
    (guest,) = smtp_sink.to("zoe@example.org")
    (desk,) = smtp_sink.to(DESK)
    # the guest, in English: received and confirmed in one e-mail; replies go to the desk
    assert guest.subject == 'Hôtel Lumière: your request "Breakfast in bed" is confirmed'
    assert "Hello Zoé Martin," in guest.text
    assert "€25.00" in guest.text
    assert guest.reply_to == DESK
    assert guest.message_id == f"<{notification_id(ordered.id, RecipientRole.GUEST)}@convive.test>"
    assert guest.message["From"].addresses[0].display_name == "Hôtel Lumière"
    assert guest.mail_from == "no-reply@convive.test"
    # the property, in the venue's French; a reply goes to the guest
    assert desk.subject == "Nouvelle demande : Petit-déjeuner en chambre — Chambre 112"
    assert desk.reply_to == "zoe@example.org"
    assert "Zoé Martin (Chambre 112)" in desk.text
    assert "le client a déjà reçu sa confirmation" in desk.text
    assert {m.message_id for m in mails} == {guest.message_id, desk.message_id}

    async def recorded() -> list[tuple[str, dict[str, Any]]]:
        found = await notification_events(store)
        return found if len(found) == 2 else []

    sent = await eventually(recorded)
    assert [t for t, _ in sent] == ["NotificationSent", "NotificationSent"]
    assert {d["template"] for _, d in sent} == {
        "offer_received_confirmed",
        "property_offer_ordered",
    }
    assert {(d["recipient_role"], d["language"]) for _, d in sent} == {
        ("guest", "en"),
        ("property", "fr"),
    }
    assert all(d["cause_event_id"] == ordered.id and d["attempts"] == 1 for _, d in sent)
    assert "zoe@example.org" not in str(sent)  # no address in the events

    async with httpx.AsyncClient(base_url=notifier) as http:
        listed = (await http.get(f"/venues/{hotel.venue_id}/notifications")).json()
    assert {(n["template"], n["recipient_role"], n["status"], n["attempts"]) for n in listed} == {
        ("offer_received_confirmed", "guest", "sent", 1),
        ("property_offer_ordered", "property", "sent", 1),
    }
    assert all(n["cause_event_id"] == ordered.id for n in listed)
    # once sent, the notifier keeps no address nor the guest's name
    async with reader.connect() as conn:
        kept = (await conn.execute(sa.select(outgoing_mails))).all()
    assert all(r.recipient is None and r.reply_to is None for r in kept)
    assert "Zoé" not in str([r.context for r in kept])

    # the automatic OfferConfirmed sends nothing more: the order's next event, on the same
    # stream, is the sentinel
    await hotel.cancel(hotel.last_order_id, reason="sentinel")
    before = await only_these_before(
        smtp_sink, 'Hôtel Lumière: your request "Breakfast in bed" is cancelled', 2
    )
    assert {m.message_id for m in before} == {guest.message_id, desk.message_id}


async def test_a_manual_order_is_received_then_confirmed_then_cancelled_in_french(
    notifier: str, hotel: Hotel, smtp_sink: SmtpSink
) -> None:
    await hotel.configure(language="en")
    await hotel.order(language="fr", order_id="oo-manual")
    await smtp_sink.wait_for(2)
    (received,) = smtp_sink.to("zoe@example.org")
    assert received.subject == (
        "Hôtel Lumière : nous avons bien reçu votre demande « Petit-déjeuner en chambre »"
    )
    assert "Notre équipe la confirmera au plus vite" in received.text
    assert "25,00\u00a0€" in received.text
    (desk,) = smtp_sink.to(DESK)
    assert desk.subject == "New request: Breakfast in bed — Chambre 112"  # the venue's English
    assert "Confirm (or cancel) it in the Convive back office" in desk.text

    await hotel.confirm("oo-manual")
    third = (await smtp_sink.wait_for(3))[2]
    assert third.rcpt_tos == ("zoe@example.org",)
    assert (
        third.subject == "Hôtel Lumière : votre demande « Petit-déjeuner en chambre » est confirmée"
    )

    await hotel.cancel("oo-manual", reason="Cuisine fermée demain matin")
    fourth = (await smtp_sink.wait_for(4))[3]
    assert (
        fourth.subject == "Hôtel Lumière : votre demande « Petit-déjeuner en chambre » est annulée"
    )
    assert "Motif : Cuisine fermée demain matin" in fourth.text
    await only_these_before_a_sentinel(smtp_sink, hotel, 4)


async def test_an_event_delivered_twice_sends_its_mails_once(
    notifier: str, hotel: Hotel, smtp_sink: SmtpSink, publish: Any
) -> None:
    await hotel.configure()
    ordered = await hotel.order(order_id="oo-twice")
    await smtp_sink.wait_for(2)
    await publish(ordered)  # a relay that crashed before its acknowledgement sends it again
    # the order's next event is on the same stream (same partition), so it comes after the copy
    await hotel.confirm("oo-twice")
    mails = await smtp_sink.wait_for(3)
    assert [m.rcpt_tos[0] for m in mails].count(DESK) == 1
    # the confirmation, caused by the copy's next event, is the sentinel: nothing else came
    await only_these_before(
        smtp_sink, "Hôtel Lumière : votre demande « Petit-déjeuner en chambre » est confirmée", 2
    )


async def test_with_the_smtp_server_down_the_mails_go_once_it_is_back(
    notifier: str,
    hotel: Hotel,
    smtp_sink: SmtpSink,
    store: EventStore,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    await hotel.configure()
    await smtp_sink.stop()
    await hotel.order(auto_confirm=True)

    async def failing() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=notifier) as http:
            listed = (await http.get(f"/venues/{hotel.venue_id}/notifications")).json()
        tried = [n for n in listed if n["status"] == "failing" and n["attempts"] >= 2]
        return listed if len(tried) == 2 else []

    listed = await eventually(failing)
    assert all("SMTPConnect" in n["last_error"] for n in listed), listed
    assert all(n["next_attempt_at"] for n in listed)
    assert smtp_sink.messages == []

    await smtp_sink.start()  # back, on the same port
    mails = await smtp_sink.wait_for(2)
    assert len({m.message_id for m in mails}) == 2

    async def both_recorded() -> list[tuple[str, dict[str, Any]]]:
        found = await notification_events(store)
        return found if sum(t == "NotificationSent" for t, _ in found) == 2 else []

    recorded = await eventually(both_recorded)
    failed = [d for t, d in recorded if t == "NotificationFailed"]
    sent = [d for t, d in recorded if t == "NotificationSent"]
    assert len(sent) == 2
    assert len(failed) >= 4
    assert all(d["will_retry"] for d in failed)
    for done in sent:  # each sent after its failed tries, counted
        tries = [d for d in failed if d["notification_id"] == done["notification_id"]]
        assert done["attempts"] == len(tries) + 1
        assert [d["attempt"] for d in tries] == list(range(1, len(tries) + 1))
    # and they reached the notifier's topic, through its outbox
    on_topic = await read_topic(
        kafka_bootstrap, events_topic("notifier", namespace), expect=len(recorded)
    )
    assert len(on_topic) == len(recorded)
    # and neither was sent twice
    await only_these_before_a_sentinel(smtp_sink, hotel, 2)


async def test_a_recipient_refused_for_good_is_given_up_and_the_rest_still_goes(
    notifier: str,
    notifier_settings: Settings,
    hotel: Hotel,
    smtp_sink: SmtpSink,
    reader: AsyncEngine,
    store: EventStore,
) -> None:
    smtp_sink.reject_recipients.add("nobody@example.org")
    await hotel.configure()
    await hotel.order(email="nobody@example.org")
    (desk,) = await smtp_sink.wait_for(1)
    assert desk.rcpt_tos == (DESK,)

    async def given_up() -> list[tuple[str, dict[str, Any]]]:
        found = [e for e in await notification_events(store) if e[0] == "NotificationFailed"]
        return found

    ((_, failed),) = await eventually(given_up)
    assert failed["will_retry"] is False
    assert failed["recipient_role"] == "guest"
    assert "550" in failed["error"]
    async with reader.connect() as conn:
        row = (
            await conn.execute(
                sa.select(outgoing_mails).where(outgoing_mails.c.recipient_role == "guest")
            )
        ).one()
    assert (row.status, row.attempts, row.recipient) == ("failed", 1, None)
    # About time: a retry would have been due mail_retry_base (0.2 s) after the failure; once
    # the longest backoff passed, a sentinel shows the sender went round, without it.
    await asyncio.sleep(notifier_settings.mail_retry_max)
    await only_these_before_a_sentinel(smtp_sink, hotel, 1)
    assert len(await given_up()) == 1


async def test_a_venue_without_an_address_gets_no_property_mail(
    notifier: str, hotel: Hotel, smtp_sink: SmtpSink
) -> None:
    await hotel.configure(email=None)
    await hotel.order(auto_confirm=True)
    (guest,) = await smtp_sink.wait_for(1)
    assert guest.rcpt_tos == ("zoe@example.org",)
    assert guest.reply_to is None  # nobody to reply to
    assert "Répondez" not in guest.text
    # a property e-mail would have been planned with the guest's, in the same transaction
    async with httpx.AsyncClient(base_url=notifier) as http:
        listed = (await http.get(f"/venues/{hotel.venue_id}/notifications")).json()
    assert [n["recipient_role"] for n in listed] == ["guest"]
    # and none was sent: the order's next event, on the same stream, is the sentinel
    await hotel.cancel(hotel.last_order_id)
    await only_these_before(
        smtp_sink, "Hôtel Lumière : votre demande « Petit-déjeuner en chambre » est annulée", 1
    )


async def test_a_property_mail_waits_for_the_venues_settings_when_they_come_later(
    notifier: str, hotel: Hotel, smtp_sink: SmtpSink
) -> None:
    await hotel.order(language="en")
    (guest,) = await smtp_sink.wait_for(1)
    assert guest.message["From"].addresses[0].display_name == hotel.venue_id  # no name yet
    # the property e-mail waits: the order's next event, on the same stream, is the sentinel
    await hotel.cancel(hotel.last_order_id)
    cancelled = f'{hotel.venue_id}: your request "Breakfast in bed" is cancelled'
    (before,) = await only_these_before(smtp_sink, cancelled, 1)
    assert before.message_id == guest.message_id
    await hotel.configure(language="fr")
    desk = (await smtp_sink.wait_for(3))[2]
    assert desk.rcpt_tos == (DESK,)
    assert desk.subject.startswith("Nouvelle demande")


@pytest.fixture
async def second_notifier(notifier_settings: Settings) -> AsyncIterator[str]:
    """A second notifier process on the same schema and topics (a replica)."""
    async with served(create_app(notifier_settings)) as url:
        yield url


async def test_two_notifier_replicas_send_each_mail_once(
    notifier: str, second_notifier: str, hotel: Hotel, smtp_sink: SmtpSink
) -> None:
    await hotel.configure()
    for _ in range(6):
        await hotel.order(auto_confirm=True)
    mails = await smtp_sink.wait_for(12, within=30)
    assert len({m.message_id for m in mails}) == 12
    await only_these_before_a_sentinel(smtp_sink, hotel, 12)


async def test_the_back_office_list_refuses_an_unknown_status(notifier: str) -> None:
    async with httpx.AsyncClient(base_url=notifier) as http:
        answer = await http.get("/venues/v1/notifications", params={"status": "lost"})
        assert answer.status_code == 400
        assert answer.json()["field"] == "status"
        answer = await http.get("/venues/v1/notifications", params={"limit": 0})
        assert answer.status_code == 400
        assert (await http.get("/venues/v1/notifications")).json() == []
