"""The ordering domain without I/O: given a stream's events, when a command, then the events it
decides (or the refusal, naming the field at fault)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from convive.contracts import Event, Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import (
    CartItemAdded,
    CartItemChanged,
    CartItemRemoved,
    MenuCategory,
    MenuProduct,
    MenuPublished,
    OrderClosed,
    OrderLine,
    OrderPlaced,
    RoundAdded,
    SentToProduction,
)
from convive.ordering.domain import menu, table_order
from convive.ordering.domain.table_order import (
    AddCartItem,
    ChangeCartItem,
    CloseOrder,
    ConfirmCart,
    Forbidden,
    RemoveCartItem,
    SendToProduction,
    SessionFacts,
)
from convive.runtime.errors import Conflict, DomainError, NotFound

SESSION = "ses-1"
VENUE = "venue-1"
ALICE, BOB, MALLORY = "guest-alice", "guest-bob", "guest-mallory"
OPEN = SessionFacts(
    session_id=SESSION,
    venue_id=VENUE,
    spot_id="spot-4",
    open=True,
    guests=frozenset({ALICE, BOB}),
)


def eur(cents: int) -> Money:
    return Money(amount_minor=cents, currency="EUR")


CROQUE = MenuProduct(
    product_id="croque",
    category_id="mains",
    name=LocalizedText(fr="Croque-monsieur", en="Croque-monsieur"),
    price=eur(1250),
)
MOUSSE = MenuProduct(
    product_id="mousse",
    category_id="desserts",
    name=LocalizedText(fr="Mousse au chocolat", en="Chocolate mousse"),
    price=eur(750),
)
SOLD_OUT = CROQUE.model_copy(update={"product_id": "oysters", "available": False})


def given(*events: Event) -> table_order.TableOrder:
    return table_order.replay(events)


def added(line_id: str, product: MenuProduct, quantity: int, guest: str) -> CartItemAdded:
    return CartItemAdded(
        session_id=SESSION,
        venue_id=VENUE,
        line_id=line_id,
        guest_id=guest,
        product_id=product.product_id,
        quantity=quantity,
        unit_price=product.price,
        product_name=product.name,
    )


def add(product: MenuProduct | None, quantity: int = 1, **overrides: Any) -> AddCartItem:
    fields: dict[str, Any] = {
        "session_id": SESSION,
        "session": OPEN,
        "guest_id": ALICE,
        "product_id": product.product_id if product else "nope",
        "product": product,
        "quantity": quantity,
        "line_id": "line-new",
    }
    return AddCartItem(**{**fields, **overrides})


def confirm(guest: str = ALICE, session: SessionFacts | None = OPEN) -> ConfirmCart:
    return ConfirmCart(session_id=SESSION, session=session, guest_id=guest, new_order_id="ord_1")


def line(line_id: str, product: MenuProduct, quantity: int, guest: str) -> OrderLine:
    return OrderLine(
        line_id=line_id,
        product_id=product.product_id,
        name=product.name,
        quantity=quantity,
        unit_price=product.price,
        guest_id=guest,
    )


FIRST_ROUND = OrderPlaced(
    order_id="ord_1",
    session_id=SESSION,
    venue_id=VENUE,
    spot_id="spot-4",
    placed_by=ALICE,
    round_number=1,
    lines=[line("l1", CROQUE, 2, ALICE)],
    round_total=eur(2500),
    order_total=eur(2500),
)


# --- the shared cart -------------------------------------------------------------------------


def test_a_guest_of_an_open_session_adds_a_product_at_its_menu_price() -> None:
    events = table_order.decide(given(), add(CROQUE, 2, note="no mustard"))
    assert events == [
        CartItemAdded(
            session_id=SESSION,
            venue_id=VENUE,
            line_id="line-new",
            guest_id=ALICE,
            product_id="croque",
            quantity=2,
            unit_price=eur(1250),
            product_name=CROQUE.name,
            note="no mustard",
        )
    ]


def test_two_guests_fill_one_cart_and_its_total_adds_up() -> None:
    state = given(added("l1", CROQUE, 2, ALICE), added("l2", MOUSSE, 1, BOB))
    assert [(x.line_id, x.guest_id) for x in state.cart] == [("l1", ALICE), ("l2", BOB)]
    assert state.cart_total("EUR") == eur(3250)


def test_a_guest_changes_and_removes_lines_of_the_shared_cart() -> None:
    state = given(added("l1", CROQUE, 2, ALICE), added("l2", MOUSSE, 1, BOB))
    change = ChangeCartItem(
        session_id=SESSION, session=OPEN, guest_id=BOB, line_id="l1", quantity=3
    )
    assert table_order.decide(state, change) == [
        CartItemChanged(session_id=SESSION, venue_id=VENUE, line_id="l1", guest_id=BOB, quantity=3)
    ]
    remove = RemoveCartItem(session_id=SESSION, session=OPEN, guest_id=ALICE, line_id="l2")
    assert table_order.decide(state, remove) == [
        CartItemRemoved(session_id=SESSION, venue_id=VENUE, line_id="l2", guest_id=ALICE)
    ]
    after = table_order.replay([added("l1", CROQUE, 2, ALICE), added("l2", MOUSSE, 1, BOB)])
    after = table_order.evolve(after, *table_order.decide(after, change))
    after = table_order.evolve(after, *table_order.decide(after, remove))
    assert [(x.line_id, x.quantity) for x in after.cart] == [("l1", 3)]


def test_changing_a_line_to_the_quantity_it_has_decides_nothing() -> None:
    state = given(added("l1", CROQUE, 2, ALICE))
    same = ChangeCartItem(
        session_id=SESSION, session=OPEN, guest_id=ALICE, line_id="l1", quantity=2
    )
    assert table_order.decide(state, same) == []


@pytest.mark.parametrize(
    ("command", "error", "field", "words"),
    [
        (add(CROQUE, session=None), NotFound, "session_id", "not known yet"),
        (add(CROQUE, guest_id=MALLORY), Forbidden, "guest_id", "not a guest of session"),
        (add(CROQUE, session=replace(OPEN, open=False)), Conflict, "session_id", "closed"),
        (add(None), DomainError, "product_id", "not on the menu"),
        (add(SOLD_OUT), Conflict, "product_id", "not available"),
        (add(CROQUE, 0), DomainError, "quantity", "at least 1"),
        (add(CROQUE, -2), DomainError, "quantity", "at least 1"),
        (add(CROQUE, table_order.MAX_LINE_QUANTITY + 1), DomainError, "quantity", "at most"),
    ],
    ids=[
        "unknown session",
        "stranger",
        "closed session",
        "unknown product",
        "sold out",
        "zero",
        "negative",
        "too many",
    ],
)
def test_adding_is_refused_with_the_reason(
    command: AddCartItem, error: type[DomainError], field: str, words: str
) -> None:
    with pytest.raises(error) as refused:
        table_order.decide(given(), command)
    assert type(refused.value) is error
    assert refused.value.field == field
    assert words in refused.value.message


def test_a_line_that_is_not_in_the_cart_cannot_be_changed_or_removed() -> None:
    state = given(
        added("l1", CROQUE, 1, ALICE),
        CartItemRemoved(session_id=SESSION, venue_id=VENUE, line_id="l1", guest_id=ALICE),
    )
    for command in (
        ChangeCartItem(session_id=SESSION, session=OPEN, guest_id=ALICE, line_id="l1", quantity=2),
        RemoveCartItem(session_id=SESSION, session=OPEN, guest_id=ALICE, line_id="l1"),
    ):
        with pytest.raises(NotFound) as refused:
            table_order.decide(state, command)
        assert refused.value.field == "line_id"
        assert "l1" in refused.value.message


def test_a_stranger_cannot_remove_a_line() -> None:
    state = given(added("l1", CROQUE, 1, ALICE))
    with pytest.raises(Forbidden):
        table_order.decide(
            state, RemoveCartItem(session_id=SESSION, session=OPEN, guest_id=MALLORY, line_id="l1")
        )


# --- confirming: the order and its rounds ----------------------------------------------------


def test_confirming_the_cart_places_the_order_and_empties_the_cart() -> None:
    state = given(added("l1", CROQUE, 2, ALICE), added("l2", MOUSSE, 1, BOB))
    events = table_order.decide(state, confirm(BOB))
    assert events == [
        OrderPlaced(
            order_id="ord_1",
            session_id=SESSION,
            venue_id=VENUE,
            spot_id="spot-4",
            placed_by=BOB,
            round_number=1,
            lines=[line("l1", CROQUE, 2, ALICE), line("l2", MOUSSE, 1, BOB)],
            round_total=eur(3250),
            order_total=eur(3250),
        )
    ]
    after = table_order.evolve(state, events[0])
    assert after.cart == ()
    assert after.order_id == "ord_1"
    assert [r.round_number for r in after.rounds] == [1]


def test_confirming_again_adds_a_round_to_the_same_order() -> None:
    state = given(added("l1", CROQUE, 2, ALICE), FIRST_ROUND, added("l3", MOUSSE, 2, BOB))
    events = table_order.decide(
        state,
        ConfirmCart(session_id=SESSION, session=OPEN, guest_id=BOB, new_order_id="ord_other"),
    )
    assert events == [
        RoundAdded(
            order_id="ord_1",
            session_id=SESSION,
            venue_id=VENUE,
            spot_id="spot-4",
            placed_by=BOB,
            round_number=2,
            lines=[line("l3", MOUSSE, 2, BOB)],
            round_total=eur(1500),
            order_total=eur(4000),
        )
    ]


def test_an_empty_cart_cannot_be_confirmed() -> None:
    for state in (given(), given(added("l1", CROQUE, 2, ALICE), FIRST_ROUND)):
        with pytest.raises(Conflict) as refused:
            table_order.decide(state, confirm())
        assert "empty" in refused.value.message


def test_after_the_order_is_closed_the_cart_takes_nothing_more() -> None:
    closed = OrderClosed(order_id="ord_1", session_id=SESSION, venue_id=VENUE)
    state = given(added("l1", CROQUE, 2, ALICE), FIRST_ROUND, closed)
    with pytest.raises(Conflict) as refused:
        table_order.decide(state, add(CROQUE))
    assert "closed" in refused.value.message
    with pytest.raises(Conflict):
        table_order.decide(state, confirm())


# --- what the POS tells us -------------------------------------------------------------------


def test_a_validated_round_goes_to_production_once() -> None:
    state = given(added("l1", CROQUE, 2, ALICE), FIRST_ROUND)
    send = SendToProduction(session_id=SESSION, order_id="ord_1", round_number=1)
    events = table_order.decide(state, send)
    assert events == [
        SentToProduction(order_id="ord_1", session_id=SESSION, venue_id=VENUE, round_number=1)
    ]
    after = table_order.evolve(state, events[0])
    assert after.rounds[0].sent_to_production
    assert table_order.decide(after, send) == []


def test_validations_of_unknown_rounds_or_other_orders_change_nothing() -> None:
    state = given(added("l1", CROQUE, 2, ALICE), FIRST_ROUND)
    for send in (
        SendToProduction(session_id=SESSION, order_id="ord_1", round_number=2),
        SendToProduction(session_id=SESSION, order_id="ord_other", round_number=1),
    ):
        assert table_order.decide(state, send) == []
    assert table_order.decide(given(), SendToProduction(SESSION, "ord_1", 1)) == []


def test_a_settled_bill_closes_the_order_once() -> None:
    state = given(added("l1", CROQUE, 2, ALICE), FIRST_ROUND)
    close = CloseOrder(session_id=SESSION, order_id="ord_1")
    events = table_order.decide(state, close)
    assert events == [OrderClosed(order_id="ord_1", session_id=SESSION, venue_id=VENUE)]
    assert table_order.decide(table_order.evolve(state, events[0]), close) == []
    assert table_order.decide(state, CloseOrder(session_id=SESSION, order_id="ord_x")) == []


# --- the menu --------------------------------------------------------------------------------

CATEGORIES = [
    MenuCategory(category_id="mains", name=LocalizedText(fr="Plats", en="Mains")),
    MenuCategory(category_id="desserts", name=LocalizedText(fr="Desserts", en="Desserts")),
]


def publish(**overrides: Any) -> menu.PublishMenu:
    fields: dict[str, Any] = {
        "venue_id": VENUE,
        "currency": "EUR",
        "categories": CATEGORIES,
        "products": [CROQUE, MOUSSE],
    }
    return menu.PublishMenu(**{**fields, **overrides})


def test_a_menu_is_published_whole_and_the_last_one_is_current() -> None:
    events = menu.decide(None, publish())
    assert events == [
        MenuPublished(
            venue_id=VENUE, currency="EUR", categories=CATEGORIES, products=[CROQUE, MOUSSE]
        )
    ]
    smaller = menu.decide(None, publish(products=[MOUSSE]))
    current = menu.replay([*events, *smaller])
    assert menu.find_product(current, "croque") is None
    assert menu.find_product(current, "mousse") == MOUSSE


@pytest.mark.parametrize(
    ("command", "field", "words"),
    [
        (publish(categories=[*CATEGORIES, CATEGORIES[0]]), "categories[2].category_id", "twice"),
        (publish(products=[CROQUE, CROQUE]), "products[1].product_id", "twice"),
        (publish(categories=CATEGORIES[:1]), "products[1].category_id", "does not define"),
        (publish(currency="CHF"), "products[0].price.currency", "priced in EUR"),
        (
            publish(products=[CROQUE.model_copy(update={"price": eur(-1)})]),
            "products[0].price.amount_minor",
            "negative",
        ),
    ],
    ids=["duplicate category", "duplicate product", "unknown category", "currency", "negative"],
)
def test_an_inconsistent_menu_is_refused(command: menu.PublishMenu, field: str, words: str) -> None:
    with pytest.raises(DomainError) as refused:
        menu.decide(None, command)
    assert refused.value.field == field
    assert words in refused.value.message
