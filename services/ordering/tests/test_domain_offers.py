"""Concierge offers and their orders without I/O: an offer is published whole (and belongs to
one venue); a seated guest of a room orders one that is on sale, auto-confirmed at once when the
offer says so; staff confirm a pending order and cancel any order not cancelled yet. Every
refusal names the field at fault."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from convive.contracts import Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import (
    OfferCancelled,
    OfferConfirmed,
    OfferOrdered,
    OfferPublished,
    OfferType,
)
from convive.contracts.table_session import SpotKind
from convive.ordering.domain import offer_orders, offers
from convive.ordering.domain.facts import SessionFacts, SpotFacts
from convive.ordering.domain.offer_orders import (
    CancelOfferOrder,
    ConfirmOfferOrder,
    OfferOrderStatus,
    OrderOffer,
)
from convive.runtime.domain import Conflict, DomainError, Forbidden, NotFound

VENUE = "hotel-1"
GUEST = "guest-ada"
SPA = offers.PublishOffer(
    venue_id=VENUE,
    offer_id="spa",
    name=LocalizedText(fr="Accès spa", en="Spa access"),
    offer_type=OfferType.OFFER,
    price=Money(amount_minor=3500, currency="EUR"),
)
ROOM = SpotFacts(spot_id="spot-112", venue_id=VENUE, name="Room 112", kind=SpotKind.ROOM)
TABLE = SpotFacts(spot_id="spot-4", venue_id=VENUE, name="Table 4", kind=SpotKind.TABLE)
SESSION = SessionFacts(
    session_id="ses-112", venue_id=VENUE, spot_id=ROOM.spot_id, open=True, guests=frozenset({GUEST})
)


def published(command: offers.PublishOffer = SPA) -> OfferPublished:
    [event] = offers.decide(None, command)
    assert isinstance(event, OfferPublished)
    return event


def test_an_offer_is_published_whole_and_publishing_it_unchanged_decides_nothing() -> None:
    spa = published()
    assert spa.auto_confirm is False
    assert spa.available is True
    assert offers.decide(spa, SPA) == []
    [changed] = offers.decide(spa, replace(SPA, auto_confirm=True, available=False))
    assert isinstance(changed, OfferPublished)
    assert changed.auto_confirm
    assert not changed.available
    assert offers.fold([spa, changed]) == changed


def test_an_offer_id_belongs_to_one_venue_and_a_price_is_never_negative() -> None:
    with pytest.raises(Conflict) as taken:
        offers.decide(published(), replace(SPA, venue_id="hotel-2"))
    assert taken.value.field == "offer_id"
    with pytest.raises(DomainError) as negative:
        offers.decide(None, replace(SPA, price=Money(amount_minor=-1, currency="EUR")))
    assert negative.value.field == "price.amount_minor"


def order(**overrides: Any) -> OrderOffer:
    fields: dict[str, Any] = {
        "offer_order_id": "oo_1",
        "session_id": SESSION.session_id,
        "session": SESSION,
        "spot": ROOM,
        "guest_id": GUEST,
        "offer_id": "spa",
        "offer": published(),
        "guest_name": "Ada Lovelace",
        "guest_email": "ada@example.org",
        "language": "en",
        "note": "after 6 pm please",
    }
    return OrderOffer(**{**fields, **overrides})


def test_a_seated_guest_of_a_room_orders_an_offer_and_it_waits_for_the_property() -> None:
    [ordered] = offer_orders.decide(None, order())
    assert ordered == OfferOrdered(
        venue_id=VENUE,
        offer_order_id="oo_1",
        offer_id="spa",
        offer_name=SPA.name,
        offer_type=OfferType.OFFER,
        price=SPA.price,
        spot_id=ROOM.spot_id,
        spot_name="Room 112",
        session_id=SESSION.session_id,
        guest_id=GUEST,
        guest_name="Ada Lovelace",
        guest_email="ada@example.org",
        language="en",
        note="after 6 pm please",
        auto_confirm=False,
    )
    state = offer_orders.fold([ordered])
    assert state is not None
    assert state.status is OfferOrderStatus.PENDING


def test_an_auto_confirmed_offer_is_ordered_and_confirmed_in_one_decision() -> None:
    auto = published(replace(SPA, auto_confirm=True))
    ordered, confirmed = offer_orders.decide(None, order(offer=auto))
    assert isinstance(ordered, OfferOrdered)
    assert ordered.auto_confirm
    assert confirmed == OfferConfirmed(venue_id=VENUE, offer_order_id="oo_1", automatic=True)
    state = offer_orders.fold([ordered, confirmed])
    assert state is not None
    assert (state.status, state.automatic) == (OfferOrderStatus.CONFIRMED, True)
    # Still cancellable.
    [cancelled] = offer_orders.decide(state, CancelOfferOrder("oo_1", staff="Inès"))
    assert cancelled == OfferCancelled(venue_id=VENUE, offer_order_id="oo_1", cancelled_by="Inès")


@pytest.mark.parametrize(
    ("command", "error", "field", "words"),
    [
        (order(session=None), NotFound, "session_id", "not known yet"),
        (order(guest_id="guest-eve"), Forbidden, "guest_id", "not a guest"),
        (order(session=replace(SESSION, open=False)), Conflict, "session_id", "closed"),
        (order(spot=None), NotFound, "session_id", "spot"),
        (order(spot=TABLE), Conflict, "session_id", "Table 4 is a table"),
        (order(offer=None, offer_id="caviar"), DomainError, "offer_id", "caviar"),
        (
            order(offer=published(replace(SPA, venue_id="hotel-2"))),
            DomainError,
            "offer_id",
            "not offered at venue hotel-1",
        ),
        (
            order(offer=published(replace(SPA, available=False))),
            Conflict,
            "offer_id",
            "Spa access is no longer offered",
        ),
    ],
    ids=[
        "unknown session",
        "stranger",
        "closed",
        "spot unknown",
        "table",
        "unknown offer",
        "other venue",
        "not on sale",
    ],
)
def test_ordering_an_offer_is_refused_with_the_reason(
    command: OrderOffer, error: type[DomainError], field: str, words: str
) -> None:
    with pytest.raises(error) as refused:
        offer_orders.decide(None, command)
    assert type(refused.value) is error
    assert refused.value.field == field
    assert words in refused.value.message


def test_staff_confirm_a_pending_order_once_and_may_cancel_it_afterwards_once() -> None:
    state = offer_orders.fold(offer_orders.decide(None, order()))
    [confirmed] = offer_orders.decide(state, ConfirmOfferOrder("oo_1", staff="Inès"))
    assert confirmed == OfferConfirmed(
        venue_id=VENUE, offer_order_id="oo_1", automatic=False, confirmed_by="Inès"
    )
    state = offer_orders.evolve(state, confirmed)
    with pytest.raises(Conflict) as twice:
        offer_orders.decide(state, ConfirmOfferOrder("oo_1", staff="Inès"))
    assert "confirmed" in twice.value.message
    assert twice.value.field == "offer_order_id"

    [cancelled] = offer_orders.decide(state, CancelOfferOrder("oo_1", "Inès", reason="spa shut"))
    state = offer_orders.evolve(state, cancelled)
    assert state is not None
    assert state.status is OfferOrderStatus.CANCELLED
    for again in (CancelOfferOrder("oo_1", "Inès"), ConfirmOfferOrder("oo_1", "Inès")):
        with pytest.raises(Conflict) as refused:
            offer_orders.decide(state, again)
        assert "cancelled" in refused.value.message


def test_confirming_or_cancelling_an_unknown_order_is_not_found() -> None:
    for command in (ConfirmOfferOrder("oo_x", "Inès"), CancelOfferOrder("oo_x", "Inès")):
        with pytest.raises(NotFound) as refused:
            offer_orders.decide(None, command)
        assert refused.value.field == "offer_order_id"
