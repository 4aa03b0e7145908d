"""The relay rules without I/O: which feeds an event reaches, what they never show, how a
resume position, a credential and a notification are read."""

from typing import Any

import pytest

from convive.contracts import registry
from convive.contracts.base import LocalizedText, Money
from convive.contracts.notifier import NotificationSent
from convive.contracts.ordering import (
    OfferCancelled,
    OfferConfirmed,
    OfferOrdered,
    OfferType,
    OrderLine,
)
from convive.contracts.pos_gateway import (
    DevicePaired,
    DeviceRevoked,
    FolioPosted,
    FolioPostingFailed,
    FolioPostingMethod,
    OrderAmended,
    OrderRejected,
    PaymentMethod,
    PaymentSettled,
    StaffAccountClosed,
    StaffAccountOpened,
)
from convive.contracts.table_session import (
    GuestJoined,
    QrTokenIssued,
    SessionOpened,
    SpotCreated,
    VenueConfigured,
)
from convive.notifier.domain.feeds import (
    MAIL_DUE,
    FeedKind,
    FeedTarget,
    feeds_of,
    notification,
    parse_notification,
    parse_revocation,
    relayed_event_classes,
    revocation,
    without_secrets,
)
from convive.notifier.domain.streams import bearer_credential, credential_digest, resume_position
from convive.runtime.domain import Invalid, Unauthenticated

# Every event type the notifier relays, reviewed for what it may show guests and POS devices.
# A new contract event makes this test fail: decide whether it may be relayed (and what to
# hide), then add it here or to NEVER_RELAYED.
#
# Issue 5's decisions: OrderAmended and OrderRejected go to the session (the guests see their
# round change or refused, with the reason) and the venue; DeviceRevoked to the venue (the
# other devices and the back office see it; it names no session). Offers, offer orders and
# folio postings go to the venue's feed only (the back office's live list), OfferOrdered
# stripped to a minimal payload (no guest name, e-mail address, note, guest or session id).
# Never relayed: StaffAccountOpened/Closed (staff e-mail addresses), VenueConfigured (the
# property's address), and the notifier's own NotificationSent/Failed (not a relayed service).
REVIEWED = {
    "table-session": {
        "ProfitCentreConfigured",
        "SpotCreated",
        "QrTokenIssued",
        "TableScanned",
        "SessionOpened",
        "GuestJoined",
        "SessionClosed",
        "JoinRefused",
        "PinRotated",
        "SpotReleased",
    },
    "ordering": {
        "MenuPublished",
        "CartItemAdded",
        "CartItemChanged",
        "CartItemRemoved",
        "OrderPlaced",
        "RoundAdded",
        "SentToProduction",
        "OrderClosed",
        "OfferPublished",
        "OfferOrdered",
        "OfferConfirmed",
        "OfferCancelled",
    },
    "pos-gateway": {
        "OrderValidated",
        "OrderAmended",
        "OrderRejected",
        "PaymentSettled",
        "OnlinePaymentStarted",
        "OnlinePaymentFailed",
        "DeviceRevoked",
        "FolioPosted",
        "FolioPostingFailed",
    },
}


def targets_of(event: Any) -> list[FeedTarget]:
    """The feeds an event reaches, read as the relay reads it (its JSON)."""
    return feeds_of(event.event_type, event.model_dump(mode="json"))


def test_the_relayed_event_types_are_the_reviewed_ones() -> None:
    relayed: dict[str, set[str]] = {}
    for cls in relayed_event_classes(registry.contract_events()):
        relayed.setdefault(cls.service, set()).add(cls.event_type)
    assert relayed == REVIEWED


@pytest.mark.parametrize(
    "event",
    [
        StaffAccountOpened(
            staff_id="st1", email="c@hotel.test", name="Camille", role="manager", venue_ids=["v1"]
        ),
        StaffAccountClosed(staff_id="st1", closed_by="owner"),
        VenueConfigured(venue_id="v1", name="Hôtel", notification_email="desk@hotel.test"),
        NotificationSent(
            notification_id="n1",
            venue_id="v1",
            channel="email",
            template="offer_received",
            language="fr",
            recipient_role="guest",
            cause_event_id="e1",
            attempts=1,
        ),
    ],
)
def test_staff_accounts_venue_settings_and_notifications_reach_no_feed(event: Any) -> None:
    assert type(event) not in relayed_event_classes(registry.contract_events())
    assert targets_of(event) == []


def offer_ordered() -> OfferOrdered:
    return OfferOrdered(
        venue_id="v1",
        offer_order_id="oo1",
        offer_id="breakfast",
        offer_name=LocalizedText(fr="Petit-déjeuner", en="Breakfast"),
        offer_type=OfferType.OFFER,
        price=Money(amount_minor=2500, currency="EUR"),
        spot_id="room-112",
        spot_name="Chambre 112",
        session_id="s1",
        guest_id="g1",
        guest_name="Zoé Martin",
        guest_email="zoe@example.org",
        language="fr",
        note="Sans gluten, merci",
        auto_confirm=True,
    )


def test_an_offer_order_goes_to_the_venue_only_with_nothing_personal() -> None:
    (target,) = targets_of(offer_ordered())
    assert (target.kind, target.feed_id) == (FeedKind.VENUE, "v1")
    assert target.data == {
        "venue_id": "v1",
        "offer_order_id": "oo1",
        "offer_id": "breakfast",
        "offer_name": {"fr": "Petit-déjeuner", "en": "Breakfast"},
        "offer_type": "offer",
        "price": {"amount_minor": 2500, "currency": "EUR"},
        "spot_id": "room-112",
        "spot_name": "Chambre 112",
        "auto_confirm": True,
    }


def test_a_field_added_to_an_offer_order_later_stays_off_the_feeds() -> None:
    data = {**offer_ordered().model_dump(mode="json"), "guest_phone": "+33 6 12 34 56 78"}
    (target,) = feeds_of("OfferOrdered", data)
    assert "guest_phone" not in target.data


@pytest.mark.parametrize(
    "event",
    [
        OfferConfirmed(venue_id="v1", offer_order_id="oo1", automatic=False, confirmed_by="Ana"),
        OfferCancelled(venue_id="v1", offer_order_id="oo1", cancelled_by="Ana", reason="full"),
        FolioPosted(
            venue_id="v1",
            offer_order_id="oo1",
            amount=Money(amount_minor=2500, currency="EUR"),
            method=FolioPostingMethod.AUTOMATIC,
            pms_reference="PMS-1",
        ),
        FolioPostingFailed(venue_id="v1", offer_order_id="oo1", attempt=2, error="timeout"),
    ],
)
def test_offer_and_folio_events_go_to_the_venue_feed_only(event: Any) -> None:
    data = {**event.model_dump(mode="json"), "session_id": "s1"}  # even if one named a session
    targets = feeds_of(event.event_type, data)
    assert [(t.kind, t.feed_id) for t in targets] == [(FeedKind.VENUE, "v1")]


def test_an_amended_or_rejected_round_goes_to_its_session_and_venue() -> None:
    line = OrderLine(
        line_id="l1",
        product_id="salad",
        name=LocalizedText(fr="Salade", en="Salad"),
        quantity=1,
        unit_price=Money(amount_minor=1250, currency="EUR"),
        guest_id="g1",
    )
    amended = OrderAmended(
        venue_id="v1",
        order_id="o1",
        session_id="s1",
        round_number=1,
        lines=[line],
        round_total=Money(amount_minor=1250, currency="EUR"),
        device_id="till-1",
        amended_by="Ana",
        note="plus de frites",
    )
    rejected = OrderRejected(
        venue_id="v1",
        order_id="o1",
        session_id="s1",
        round_number=2,
        reason="cuisine fermée",
        device_id="till-1",
        rejected_by="Ana",
    )
    for event in (amended, rejected):
        targets = targets_of(event)
        assert [(t.kind, t.feed_id) for t in targets] == [
            (FeedKind.SESSION, "s1"),
            (FeedKind.VENUE, "v1"),
        ]
    session_view = targets_of(rejected)[0].data
    assert session_view["reason"] == "cuisine fermée"


def test_a_revoked_device_is_told_to_the_venue_feed() -> None:
    revoked = DeviceRevoked(venue_id="v1", device_id="till-1", revoked_by="Ana")
    targets = targets_of(revoked)
    assert [(t.kind, t.feed_id, t.data["device_id"]) for t in targets] == [
        (FeedKind.VENUE, "v1", "till-1")
    ]


def test_revocations_and_mail_wake_ups_are_not_feed_notifications() -> None:
    assert parse_revocation(revocation("till:1")) == "till:1"
    assert parse_revocation("device-revoked:") is None
    assert parse_revocation(notification(FeedKind.VENUE, "v1", 3)) is None
    assert parse_notification(revocation("till-1")) is None
    assert parse_notification(MAIL_DUE) is None


def test_device_pairing_reaches_no_feed() -> None:
    paired = DevicePaired(
        venue_id="v1", device_id="d1", name="till", credential_sha256=credential_digest("s3cret")
    )
    assert DevicePaired not in relayed_event_classes(registry.contract_events())
    assert targets_of(paired) == []


def test_a_session_event_goes_to_its_session_and_its_venue_with_the_pin() -> None:
    opened = SessionOpened(
        venue_id="v1",
        profit_centre_id="pc",
        spot_id="t4",
        session_id="s1",
        host_guest_id="g1",
        pin="123456",
    )
    targets = targets_of(opened)
    assert [(t.kind, t.feed_id) for t in targets] == [
        (FeedKind.SESSION, "s1"),
        (FeedKind.VENUE, "v1"),
    ]
    assert all(t.data["pin"] == "123456" for t in targets)


def test_an_event_with_only_a_venue_goes_to_the_venue_feed() -> None:
    spot = SpotCreated(venue_id="v1", profit_centre_id="pc", spot_id="t4", name="T4", kind="table")
    targets = targets_of(spot)
    assert [(t.kind, t.feed_id) for t in targets] == [(FeedKind.VENUE, "v1")]


def test_the_phone_id_of_a_guest_is_hidden_from_the_other_guests_not_from_the_pos() -> None:
    joined = GuestJoined(venue_id="v1", spot_id="t4", session_id="s1", guest_id="g2", device_id="p")
    by_kind = {t.kind: t.data for t in targets_of(joined)}
    assert "device_id" not in by_kind[FeedKind.SESSION]
    assert by_kind[FeedKind.SESSION]["guest_id"] == "g2"
    assert by_kind[FeedKind.VENUE]["device_id"] == "p"


def test_tokens_and_secrets_are_dropped_from_every_feed() -> None:
    settled = PaymentSettled(
        venue_id="v1",
        order_id="o1",
        session_id="s1",
        amount=Money(amount_minor=100, currency="EUR"),
        method=PaymentMethod.CARD,
        payment_card_token="tok_123",  # noqa: S106 - a test value
    )
    targets = targets_of(settled)
    assert len(targets) == 2
    for t in targets:
        assert "payment_card_token" not in t.data
        assert t.data["amount"] == {"amount_minor": 100, "currency": "EUR"}
    issued = QrTokenIssued(venue_id="v1", spot_id="t4", token="unguessable")  # noqa: S106
    (venue,) = targets_of(issued)
    assert venue.data == {"venue_id": "v1", "spot_id": "t4"}
    nested = {"a": [{"api_secret": 1, "keep": 2}], "Password": "x"}
    assert without_secrets(nested) == {"a": [{"keep": 2}]}


def test_an_optional_session_id_left_empty_sends_to_the_venue_only() -> None:
    targets = feeds_of("OrderValidated", {"venue_id": "v1", "order_id": "o1", "session_id": None})
    assert [t.kind for t in targets] == [FeedKind.VENUE]


def test_the_resume_position_comes_from_the_header_first_then_the_query() -> None:
    assert resume_position(None, None) == 0
    assert resume_position("", "") == 0
    assert resume_position("7", None) == 7
    assert resume_position(None, "3") == 3
    assert resume_position("9", "3") == 9


@pytest.mark.parametrize(
    ("header", "query", "field"), [("x", None, "Last-Event-ID"), (None, "-1", "last_event_id")]
)
def test_a_resume_position_that_is_not_a_number_is_refused_naming_it(
    header: str | None, query: str | None, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        resume_position(header, query)
    assert refused.value.field == field
    assert isinstance(refused.value, Invalid)


def test_a_bearer_credential_is_read_and_anything_else_refused() -> None:
    assert bearer_credential("Bearer abc") == "abc"
    assert bearer_credential("bearer  abc ") == "abc"
    for bad in (None, "", "Bearer", "Basic abc", "abc"):
        with pytest.raises(Unauthenticated) as refused:
            bearer_credential(bad)
        assert isinstance(refused.value, Unauthenticated)
        assert refused.value.field == "Authorization"


def test_notifications_round_trip_also_with_colons_in_ids() -> None:
    assert parse_notification(notification(FeedKind.VENUE, "v:1", 12)) == (
        FeedKind.VENUE,
        "v:1",
        12,
    )
    assert parse_notification("nonsense") is None
    assert parse_notification("session:s1:x") is None
