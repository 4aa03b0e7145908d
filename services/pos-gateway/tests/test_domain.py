"""The POS's decisions on an order, given events: validating rounds and settling the bill."""

from __future__ import annotations

import pytest

from convive.contracts import Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import OrderLine, OrderPlaced, RoundAdded
from convive.contracts.pos_gateway import OrderValidated, PaymentMethod, PaymentSettled
from convive.pos_gateway.domain import (
    PosOrder,
    SettlePayment,
    ValidateRound,
    decide_settle,
    decide_validate,
    fold,
    looks_like_card_number,
)
from convive.runtime.errors import Conflict, DomainError, NotFound

PROVIDER_CARD_REF = "tok_visa_42"  # what a payment provider gives for a card


def eur(cents: int) -> Money:
    return Money(amount_minor=cents, currency="EUR")


def _line(price: int, quantity: int = 1) -> OrderLine:
    return OrderLine(
        line_id="l1",
        product_id="p1",
        name=LocalizedText(fr="Café", en="Coffee"),
        quantity=quantity,
        unit_price=eur(price),
        guest_id="g1",
    )


def placed(total: int = 1200) -> OrderPlaced:
    return OrderPlaced(
        order_id="o1",
        session_id="s1",
        venue_id="v1",
        spot_id="t1",
        placed_by="g1",
        round_number=1,
        lines=[_line(total)],
        round_total=eur(total),
        order_total=eur(total),
    )


def added(number: int = 2, total: int = 800, order_total: int = 2000) -> RoundAdded:
    return RoundAdded(
        order_id="o1",
        session_id="s1",
        venue_id="v1",
        spot_id="t1",
        placed_by="g2",
        round_number=number,
        lines=[_line(total)],
        round_total=eur(total),
        order_total=eur(order_total),
    )


def validated(number: int, staff: str = "Alice", device: str = "till-1") -> OrderValidated:
    return OrderValidated(
        venue_id="v1",
        order_id="o1",
        round_number=number,
        device_id=device,
        validated_by=staff,
        session_id="s1",
    )


def settled(cents: int) -> PaymentSettled:
    return PaymentSettled(
        venue_id="v1",
        order_id="o1",
        session_id="s1",
        amount=eur(cents),
        method=PaymentMethod.CASH,
    )


def given(*events: object) -> PosOrder:
    return fold(PosOrder(order_id="o1"), events)  # type: ignore[arg-type]


def validate(number: int, staff: str = "Bob", device: str = "till-2") -> ValidateRound:
    return ValidateRound(order_id="o1", round_number=number, staff=staff, device_id=device)


def pay(
    cents: int,
    currency: str = "EUR",
    method: PaymentMethod = PaymentMethod.CARD,
    token: str | None = None,
) -> SettlePayment:
    return SettlePayment(
        order_id="o1",
        amount=Money(amount_minor=cents, currency=currency),
        method=method,
        payment_card_token=token,
    )


# --- validating -------------------------------------------------------------------------


def test_validating_a_known_round_records_who_validated_it_where_with_the_session() -> None:
    events = decide_validate(given(placed()), validate(1))
    assert events == [validated(1, staff="Bob", device="till-2")]
    assert events[0].session_id == "s1"  # type: ignore[attr-defined]


def test_a_round_that_has_not_reached_the_pos_cannot_be_validated() -> None:
    with pytest.raises(NotFound) as refused:
        decide_validate(given(placed()), validate(2))
    assert refused.value.field == "round_number"
    assert "round 2" in refused.value.message


def test_an_order_the_pos_never_heard_of_cannot_be_validated() -> None:
    with pytest.raises(NotFound) as refused:
        decide_validate(given(), validate(1))
    assert refused.value.field == "order_id"


def test_validating_a_round_twice_is_refused_naming_who_validated_it_and_where() -> None:
    with pytest.raises(Conflict) as refused:
        decide_validate(given(placed(), validated(1, "Alice", "till-1")), validate(1))
    assert refused.value.message == "round 1 was already validated by Alice on till-1"


def test_each_round_is_validated_on_its_own() -> None:
    state = given(placed(), validated(1), added())
    assert decide_validate(state, validate(2)) == [validated(2, "Bob", "till-2")]


# --- paying -----------------------------------------------------------------------------


def test_settling_the_exact_total_of_a_validated_order() -> None:
    state = given(placed(1200), validated(1), added(2, 800, 2000), validated(2))
    events = decide_settle(state, pay(2000, token=PROVIDER_CARD_REF))
    assert events == [
        PaymentSettled(
            venue_id="v1",
            order_id="o1",
            session_id="s1",
            amount=eur(2000),
            method=PaymentMethod.CARD,
            payment_card_token=PROVIDER_CARD_REF,
        )
    ]


def test_paying_before_every_round_is_validated_is_refused_naming_the_rounds() -> None:
    state = given(placed(1200), validated(1), added(2, 800, 2000))
    with pytest.raises(Conflict) as refused:
        decide_settle(state, pay(2000))
    assert "round 2" in refused.value.message


def test_the_wrong_amount_is_refused_naming_expected_and_given() -> None:
    state = given(placed(1200), validated(1))
    with pytest.raises(DomainError) as refused:
        decide_settle(state, pay(1000))
    assert refused.value.status == 422
    assert refused.value.field == "amount"
    assert "expected 1200 EUR" in refused.value.message
    assert "given 1000 EUR" in refused.value.message


def test_a_payment_in_another_currency_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        decide_settle(given(placed(1200), validated(1)), pay(1200, currency="USD"))
    assert refused.value.status == 422
    assert refused.value.field == "amount.currency"


def test_paying_an_order_already_paid_is_refused() -> None:
    state = given(placed(1200), validated(1), settled(1200))
    with pytest.raises(Conflict) as refused:
        decide_settle(state, pay(1200))
    assert "already paid" in refused.value.message


def test_what_is_due_is_the_total_minus_what_was_paid() -> None:
    state = given(placed(1200), validated(1), settled(1200), added(2, 800, 2000), validated(2))
    assert state.due_minor == 800
    assert decide_settle(state, pay(800))[0].amount == eur(800)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "token",
    ["4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004", "pan:4000056655665556"],
)
def test_a_card_number_is_never_accepted_as_a_card_token(token: str) -> None:
    with pytest.raises(DomainError) as refused:
        decide_settle(given(placed(1200), validated(1)), pay(1200, token=token))
    assert refused.value.status == 422
    assert refused.value.field == "payment_card_token"


@pytest.mark.parametrize("token", ["tok_1Nv0FJ2eZvKYlo2C", "pm_card_visa", "card-2024-0042"])
def test_provider_tokens_are_not_mistaken_for_card_numbers(token: str) -> None:
    assert not looks_like_card_number(token)
