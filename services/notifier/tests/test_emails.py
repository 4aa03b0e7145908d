"""The e-mail rules without I/O: which e-mails an offer event causes, to whom, in which
language; their ids; retries; the message as it goes on the wire. (Their words:
test_mail_texts.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from convive.contracts.notifier import RecipientRole
from convive.contracts.ordering import OfferCancelled, OfferConfirmed
from convive.notifier.domain.emails import (
    BadAddress,
    MailStatus,
    OfferOrderForMail,
    Rendered,
    Template,
    after_failure,
    checked_address,
    compose,
    message_id,
    notification_id,
    on_offer_cancelled,
    on_offer_confirmed,
    on_offer_ordered,
    retry_delay,
    without_personal_data,
)


def test_an_auto_confirmed_order_is_one_guest_mail_and_one_property_mail(
    offer_ordered: Any,
) -> None:
    event = offer_ordered(auto_confirm=True)
    guest, prop = on_offer_ordered(OfferOrderForMail.of(event), event, "e1")
    assert (guest.template, guest.recipient_role) == (
        Template.OFFER_RECEIVED_CONFIRMED,
        RecipientRole.GUEST,
    )
    assert (guest.recipient, guest.language, guest.reply_to) == ("zoe@example.org", "fr", None)
    assert (prop.template, prop.recipient_role) == (
        Template.PROPERTY_OFFER_ORDERED,
        RecipientRole.PROPERTY,
    )
    # the property's address and language are the venue's; its replies go to the guest
    assert (prop.recipient, prop.language, prop.reply_to) == (None, None, "zoe@example.org")
    confirmed = OfferConfirmed(venue_id="v1", offer_order_id="oo1", automatic=True)
    assert on_offer_confirmed(OfferOrderForMail.of(event), confirmed, "e2") == []


def test_a_manual_order_is_received_then_confirmed_or_cancelled(offer_ordered: Any) -> None:
    event = offer_ordered(language="en")
    order = OfferOrderForMail.of(event)
    guest, _ = on_offer_ordered(order, event, "e1")
    assert guest.template == Template.OFFER_RECEIVED
    confirmed = OfferConfirmed(
        venue_id="v1", offer_order_id="oo1", automatic=False, confirmed_by="Ana"
    )
    (mail,) = on_offer_confirmed(order, confirmed, "e2")
    assert (mail.template, mail.recipient, mail.language) == (
        Template.OFFER_CONFIRMED,
        "zoe@example.org",
        "en",
    )
    cancelled = OfferCancelled(
        venue_id="v1", offer_order_id="oo1", cancelled_by="Ana", reason="fully booked"
    )
    (mail,) = on_offer_cancelled(order, cancelled, "e3")
    assert mail.template == Template.OFFER_CANCELLED
    assert mail.context["reason"] == "fully booked"


def test_a_notification_id_is_one_per_cause_and_recipient_role() -> None:
    guest = notification_id("e1", RecipientRole.GUEST)
    assert guest == notification_id("e1", RecipientRole.GUEST)
    assert guest != notification_id("e1", RecipientRole.PROPERTY)
    assert guest != notification_id("e2", RecipientRole.GUEST)
    assert message_id(guest, "no-reply@hotel.test") == f"<{guest}@hotel.test>"


def test_a_failed_try_waits_twice_as_long_each_time_up_to_the_maximum() -> None:
    assert [retry_delay(n, 30, 600) for n in (1, 2, 3, 4, 5, 6)] == [30, 60, 120, 240, 480, 600]
    assert after_failure(1, 3, permanent=False) is MailStatus.FAILING
    assert after_failure(3, 3, permanent=False) is MailStatus.FAILED
    assert after_failure(1, 3, permanent=True) is MailStatus.FAILED


def test_a_settled_mail_keeps_nothing_personal(offer_ordered: Any) -> None:
    context = OfferOrderForMail.of(offer_ordered()).context
    kept = without_personal_data({**context, "reason": "x"})
    assert set(kept) == {"offer_order_id", "offer_name", "offer_type", "price", "spot_name"}


@pytest.mark.parametrize(
    "bad",
    ["zoe", "zoe@", "@example.org", "zoe@localhost", "a@b.org\r\nBcc: x@y.org", "a@b.c,d@e.f"],
)
def test_an_address_that_is_not_one_mailbox_is_refused(bad: str) -> None:
    with pytest.raises(BadAddress):
        checked_address(bad)


def test_the_message_on_the_wire() -> None:
    nid = notification_id("e1", RecipientRole.PROPERTY)
    message = compose(
        Rendered(subject="Nouvelle demande :\n Petit-déjeuner", text="Bonjour\n"),
        notification=nid,
        mail_from="no-reply@convive.test",
        sender_name="Hôtel\nLumière",
        to="desk@hotel.test",
        reply_to="zoe@example.org",
        created_at=datetime(2025, 6, 1, 8, 30, tzinfo=UTC),
        headers={"X-Convive-Notification": nid},
    )
    assert message["Subject"] == "Nouvelle demande : Petit-déjeuner"
    assert message["To"] == "desk@hotel.test"
    assert message["Reply-To"] == "zoe@example.org"
    assert message["From"].addresses[0].display_name == "Hôtel Lumière"
    assert message["From"].addresses[0].addr_spec == "no-reply@convive.test"
    assert message["Message-ID"] == f"<{nid}@convive.test>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] == "Sun, 01 Jun 2025 08:30:00 +0000"
    assert message.get_content() == "Bonjour\n"
