"""A session's shared cart and order, and the menu they are priced from, without I/O: given a
stream's events, when a command, then the events it decides (or the refusal, naming the field at
fault)."""

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
    ChosenOption,
    MenuCategory,
    MenuProduct,
    MenuPublished,
    OptionChoice,
    OptionGroup,
    OrderClosed,
    OrderLine,
    OrderPlaced,
    ProductionTicket,
    RoundAdded,
    SentToProduction,
    TicketLine,
)
from convive.contracts.table_session import JourneyMode
from convive.ordering.domain import menu, table_order
from convive.ordering.domain.table_order import (
    AddCartItem,
    ChangeCartItem,
    CloseOrder,
    ConfirmCart,
    OptionPick,
    RemoveCartItem,
    SendToProduction,
    SessionFacts,
)
from convive.runtime.domain import Conflict, DomainError, Forbidden, NotFound

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
    return table_order.fold(events)


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

FIRST_ROUND_SENT = SentToProduction(
    order_id="ord_1",
    session_id=SESSION,
    venue_id=VENUE,
    round_number=1,
    tickets=[
        ProductionTicket(
            station="kitchen", lines=[TicketLine(line_id="l1", name=CROQUE.name, quantity=2)]
        )
    ],
)
"""Round 1 as it goes to production: the croques, to the kitchen (the menu names no station)."""


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
    after = table_order.fold([added("l1", CROQUE, 2, ALICE), added("l2", MOUSSE, 1, BOB)])
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
        (add(SOLD_OUT), Conflict, "product_id", "Croque-monsieur is sold out"),
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
    assert events == [FIRST_ROUND_SENT]
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
    current = menu.fold([*events, *smaller])
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


# --- journey modes ---------------------------------------------------------------------------


def in_mode(mode: JourneyMode | None) -> SessionFacts:
    return replace(OPEN, profit_centre_id="terrace", mode=mode)


def guest_commands(session: SessionFacts) -> list[table_order.GuestCommand]:
    return [
        add(CROQUE, session=session),
        ChangeCartItem(
            session_id=SESSION, session=session, guest_id=ALICE, line_id="l1", quantity=3
        ),
        RemoveCartItem(session_id=SESSION, session=session, guest_id=ALICE, line_id="l1"),
        confirm(session=session),
    ]


@pytest.mark.parametrize("mode", [JourneyMode.MENU, JourneyMode.PAY])
def test_no_cart_and_no_confirmation_where_the_mode_does_not_offer_ordering(
    mode: JourneyMode,
) -> None:
    state = given(added("l1", CROQUE, 2, ALICE))
    for command in guest_commands(in_mode(mode)):
        with pytest.raises(Conflict) as refused:
            table_order.decide(state, command)
        assert refused.value.message == f"ordering is not offered here (mode {mode.value})"
        assert refused.value.field == "session_id"


@pytest.mark.parametrize("mode", [JourneyMode.ORDER, JourneyMode.ORDER_AND_PAY, None])
def test_the_cart_works_in_order_and_order_and_pay_and_while_the_mode_is_unknown(
    mode: JourneyMode | None,
) -> None:
    state = given(added("l1", CROQUE, 2, ALICE))
    decided = [table_order.decide(state, command) for command in guest_commands(in_mode(mode))]
    assert [type(events[0]) for events in decided] == [
        CartItemAdded,
        CartItemChanged,
        CartItemRemoved,
        OrderPlaced,
    ]
    assert in_mode(None).effective_mode is JourneyMode.ORDER


def test_a_mode_change_applies_to_the_next_command() -> None:
    state = given(added("l1", CROQUE, 2, ALICE))
    with pytest.raises(Conflict):
        table_order.decide(state, confirm(session=in_mode(JourneyMode.MENU)))
    assert table_order.decide(state, confirm(session=in_mode(JourneyMode.ORDER)))


# --- options ---------------------------------------------------------------------------------


def choice(choice_id: str, cents: int = 0) -> OptionChoice:
    return OptionChoice(
        choice_id=choice_id, name=LocalizedText(fr=choice_id, en=choice_id), price_delta=eur(cents)
    )


COOKING = OptionGroup(
    group_id="cooking",
    name=LocalizedText(fr="Cuisson", en="Cooking"),
    min_choices=1,
    max_choices=1,
    choices=[choice("rare"), choice("medium"), choice("well-done")],
)
EXTRAS = OptionGroup(
    group_id="extras",
    name=LocalizedText(fr="Suppléments", en="Extras"),
    min_choices=0,
    max_choices=2,
    choices=[choice("cheese", 150), choice("bacon", 200), choice("egg", 100)],
)
BURGER = MenuProduct(
    product_id="burger",
    category_id="mains",
    name=LocalizedText(fr="Burger", en="Burger"),
    price=eur(1600),
    options=[COOKING, EXTRAS],
)


def picks(*pairs: str) -> tuple[OptionPick, ...]:
    return tuple(OptionPick(*pair.split("/")) for pair in pairs)


def chosen(group: OptionGroup, choice_id: str) -> ChosenOption:
    picked = next(c for c in group.choices if c.choice_id == choice_id)
    return ChosenOption(
        group_id=group.group_id,
        choice_id=choice_id,
        name=picked.name,
        price_delta=picked.price_delta,
    )


def test_chosen_options_are_priced_into_the_line_in_the_menus_order() -> None:
    command = add(BURGER, 2, options=picks("extras/egg", "cooking/rare", "extras/cheese"))
    [event] = table_order.decide(given(), command)
    assert isinstance(event, CartItemAdded)
    assert event.unit_price == eur(1600 + 150 + 100)
    assert event.options == [
        chosen(COOKING, "rare"),
        chosen(EXTRAS, "cheese"),
        chosen(EXTRAS, "egg"),
    ]
    state = table_order.evolve(given(), event)
    assert state.cart[0].options == tuple(event.options)
    assert state.cart_total("EUR") == eur(2 * 1850)


def test_the_same_product_with_other_options_is_another_line_and_the_order_keeps_them() -> None:
    rare = table_order.decide(given(), add(BURGER, options=picks("cooking/rare"), line_id="l1"))
    state = given(*rare)
    well = table_order.decide(
        state, add(BURGER, options=picks("cooking/well-done", "extras/bacon"), line_id="l2")
    )
    state = table_order.evolve(state, *well)
    assert [(x.line_id, x.unit_price.amount_minor) for x in state.cart] == [
        ("l1", 1600),
        ("l2", 1800),
    ]
    [placed] = table_order.decide(state, confirm())
    assert isinstance(placed, OrderPlaced)
    assert [line.options for line in placed.lines] == [
        [chosen(COOKING, "rare")],
        [chosen(COOKING, "well-done"), chosen(EXTRAS, "bacon")],
    ]
    assert placed.round_total == eur(3400)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (picks(), "at least 1 of 'Cooking'"),
        (picks("cooking/rare", "cooking/medium"), "at most 1 of 'Cooking'"),
        (picks("cooking/rare", "extras/cheese", "extras/bacon", "extras/egg"), "at most 2"),
        (picks("cooking/rare", "sauce/pepper"), "no option group 'sauce'"),
        (picks("cooking/blue"), "no choice 'blue'"),
        (picks("cooking/rare", "extras/egg", "extras/egg"), "given twice"),
    ],
    ids=["below min", "above max", "above max of many", "unknown group", "unknown choice", "twice"],
)
def test_options_that_do_not_fit_the_product_are_refused(
    options: tuple[OptionPick, ...], words: str
) -> None:
    with pytest.raises(DomainError) as refused:
        table_order.decide(given(), add(BURGER, options=options))
    assert type(refused.value) is DomainError
    assert refused.value.field == "options"
    assert words in refused.value.message


def test_options_on_a_product_without_any_are_refused() -> None:
    with pytest.raises(DomainError) as refused:
        table_order.decide(given(), add(CROQUE, options=picks("cooking/rare")))
    assert refused.value.field == "options"


def test_a_sold_out_product_is_refused_by_its_name_before_its_options() -> None:
    sold_out_burger = BURGER.model_copy(update={"available": False})
    with pytest.raises(Conflict) as refused:
        table_order.decide(given(), add(sold_out_burger, options=picks()))
    assert refused.value.message == "Burger is sold out"
    assert refused.value.field == "product_id"


@pytest.mark.parametrize(
    ("product", "field", "words"),
    [
        (
            BURGER.model_copy(update={"options": [COOKING, COOKING]}),
            "products[0].options[1].group_id",
            "appears twice",
        ),
        (
            BURGER.model_copy(update={"options": [COOKING.model_copy(update={"min_choices": 2})]}),
            "products[0].options[0].min_choices",
            "at least 2",
        ),
        (
            BURGER.model_copy(
                update={
                    "options": [COOKING.model_copy(update={"min_choices": 0, "max_choices": 4})]
                }
            ),
            "products[0].options[0].max_choices",
            "offers 3",
        ),
        (
            BURGER.model_copy(
                update={
                    "options": [
                        EXTRAS.model_copy(update={"choices": [choice("egg"), choice("egg")]})
                    ]
                }
            ),
            "products[0].options[0].choices[1].choice_id",
            "appears twice",
        ),
        (
            BURGER.model_copy(
                update={
                    "options": [
                        COOKING,
                        EXTRAS.model_copy(
                            update={
                                "choices": [
                                    choice("cheese"),
                                    OptionChoice(
                                        choice_id="bacon",
                                        name=LocalizedText(fr="Bacon", en="Bacon"),
                                        price_delta=Money(amount_minor=200, currency="CHF"),
                                    ),
                                ]
                            }
                        ),
                    ]
                }
            ),
            "products[0].options[1].choices[1].price_delta.currency",
            "priced in CHF",
        ),
        (
            BURGER.model_copy(
                update={
                    "options": [
                        EXTRAS.model_copy(
                            update={"choices": [choice("kid", -1000), choice("half", -700)]}
                        )
                    ]
                }
            ),
            "products[0].options",
            "less than nothing",
        ),
    ],
    ids=[
        "duplicate group",
        "min above max",
        "max above choices",
        "duplicate choice",
        "currency",
        "below zero",
    ],
)
def test_inconsistent_options_are_refused_naming_the_field(
    product: MenuProduct, field: str, words: str
) -> None:
    with pytest.raises(DomainError) as refused:
        menu.decide(None, publish(products=[product]))
    assert refused.value.field == field
    assert words in refused.value.message


def test_a_menu_with_options_and_discounts_that_stay_above_zero_is_published() -> None:
    smaller = EXTRAS.model_copy(update={"choices": [choice("half", -600), choice("kid", -900)]})
    burger = BURGER.model_copy(update={"options": [COOKING, smaller]})
    [event] = menu.decide(None, publish(products=[burger]))
    assert isinstance(event, MenuPublished)
    assert event.products[0].options == [COOKING, smaller]


# --- production after the bill was settled ----------------------------------------------------


def test_a_round_validated_after_the_order_was_paid_still_goes_to_production() -> None:
    closed = OrderClosed(order_id="ord_1", session_id=SESSION, venue_id=VENUE)
    state = given(added("l1", CROQUE, 2, ALICE), FIRST_ROUND, closed)
    send = SendToProduction(session_id=SESSION, order_id="ord_1", round_number=1)
    assert table_order.decide(state, send) == [FIRST_ROUND_SENT]
    after = table_order.evolve(state, *table_order.decide(state, send))
    assert after.closed
    assert after.rounds[0].sent_to_production
    assert table_order.decide(after, send) == []
    for command in (add(CROQUE), confirm()):
        with pytest.raises(Conflict) as refused:
            table_order.decide(after, command)
        assert "closed" in refused.value.message
