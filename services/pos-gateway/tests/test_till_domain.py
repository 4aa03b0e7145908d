"""Payments at the till, given events: the whole bill, part payments, the lines of one guest,
equal shares; a rejected round is not due; the payment that leaves nothing due is the one
`fully_paid`."""

from __future__ import annotations

import pytest

from convive.contracts import Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import OrderLine, OrderPlaced, RoundAdded
from convive.contracts.pos_gateway import (
    OrderRejected,
    OrderValidated,
    PaymentMethod,
    PaymentSettled,
)
from convive.pos_gateway.domain import (
    Invalid,
    PosOrder,
    SettlePayment,
    decide_settle,
    looks_like_card_number,
    split_equally,
)
from convive.pos_gateway.domain.order import fold
from convive.runtime.domain import Conflict, DomainError

PROVIDER_CARD_REF = "tok_visa_42"  # what a payment provider gives for a card


def eur(cents: int) -> Money:
    return Money(amount_minor=cents, currency="EUR")


def _line(line_id: str, price: int, quantity: int = 1) -> OrderLine:
    return OrderLine(
        line_id=line_id,
        product_id=f"product-{line_id}",
        name=LocalizedText(fr=f"Plat {line_id}", en=f"Dish {line_id}"),
        quantity=quantity,
        unit_price=eur(price),
        guest_id="g1",
    )


def placed(*lines: OrderLine) -> OrderPlaced:
    lines = lines or (_line("l1", 1200),)
    total = sum(x.unit_price.amount_minor * x.quantity for x in lines)
    return OrderPlaced(
        order_id="o1",
        session_id="s1",
        venue_id="v1",
        spot_id="t1",
        placed_by="g1",
        round_number=1,
        lines=list(lines),
        round_total=eur(total),
        order_total=eur(total),
    )


def added(number: int, price: int) -> RoundAdded:
    return RoundAdded(
        order_id="o1",
        session_id="s1",
        venue_id="v1",
        spot_id="t1",
        placed_by="g2",
        round_number=number,
        lines=[_line(f"r{number}", price)],
        round_total=eur(price),
        order_total=eur(price),  # not what the POS sums: it adds up its own rounds
    )


def validated(number: int) -> OrderValidated:
    return OrderValidated(
        venue_id="v1", order_id="o1", round_number=number, device_id="till-1", validated_by="A"
    )


def rejected(number: int) -> OrderRejected:
    return OrderRejected(
        venue_id="v1",
        order_id="o1",
        session_id="s1",
        round_number=number,
        reason="no more fish",
        device_id="till-1",
        rejected_by="A",
    )


def given(*events: object) -> PosOrder:
    return fold(PosOrder(order_id="o1"), events)  # type: ignore[arg-type]


def pay(
    cents: int,
    currency: str = "EUR",
    method: PaymentMethod = PaymentMethod.CARD,
    token: str | None = PROVIDER_CARD_REF,
    line_ids: tuple[str, ...] | None = None,
) -> SettlePayment:
    return SettlePayment(
        order_id="o1",
        amount=Money(amount_minor=cents, currency=currency),
        method=method,
        payment_card_token=token if method is PaymentMethod.CARD else None,
        line_ids=line_ids,
        staff="Bob",
        staff_id="staff-bob",
        device_id="till-2",
    )


def settle(state: PosOrder, command: SettlePayment) -> PaymentSettled:
    [event] = decide_settle(state, command)
    assert isinstance(event, PaymentSettled)
    return event


# --- the whole bill ---------------------------------------------------------------------


def test_settling_what_is_due_of_a_validated_order_pays_it_in_full() -> None:
    state = given(placed(), validated(1), added(2, 800), validated(2))
    event = settle(state, pay(2000))
    assert event == PaymentSettled(
        venue_id="v1",
        order_id="o1",
        session_id="s1",
        amount=eur(2000),
        method=PaymentMethod.CARD,
        payment_card_token=PROVIDER_CARD_REF,
        fully_paid=True,
        balance_due=eur(0),
        device_id="till-2",
        received_by="Bob",
    )
    assert given(placed(), validated(1), added(2, 800), validated(2), event).paid


def test_paying_before_every_round_is_validated_is_refused_naming_the_rounds() -> None:
    state = given(placed(), validated(1), added(2, 800))
    with pytest.raises(Conflict) as refused:
        decide_settle(state, pay(2000))
    assert "round 2" in refused.value.message


def test_a_rejected_round_is_neither_waited_for_nor_due() -> None:
    state = given(placed(), validated(1), added(2, 800), rejected(2))
    assert state.due_minor == 1200
    assert settle(state, pay(1200)).fully_paid
    with pytest.raises(DomainError, match="at most 1200 EUR"):
        decide_settle(state, pay(2000))


@pytest.mark.parametrize(
    ("command", "field", "text"),
    [
        (pay(1300), "amount", "at most 1200 EUR, given 1300 EUR"),
        (pay(0), "amount", "more than 0"),
        (pay(1200, currency="USD"), "amount.currency", "in EUR"),
        (pay(1200, token=None), "payment_card_token", "needs payment_card_token"),
        (pay(1200, method=PaymentMethod.ONLINE), "method", "from the phone"),
    ],
)
def test_a_payment_that_cannot_be_taken_is_refused_naming_the_field(
    command: SettlePayment, field: str, text: str
) -> None:
    with pytest.raises(DomainError) as refused:
        decide_settle(given(placed(), validated(1)), command)
    assert refused.value.field == field
    assert text in refused.value.message


def test_paying_an_order_already_paid_is_refused() -> None:
    state = given(placed(), validated(1))
    state = fold(state, [settle(state, pay(1200))])
    with pytest.raises(Conflict, match="already paid"):
        decide_settle(state, pay(1200, method=PaymentMethod.CASH))


@pytest.mark.parametrize(
    "token",
    ["4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004", "pan:4000056655665556"],
)
def test_a_card_number_is_never_accepted_as_a_card_token(token: str) -> None:
    with pytest.raises(DomainError) as refused:
        decide_settle(given(placed(), validated(1)), pay(1200, token=token))
    assert type(refused.value) is DomainError  # unprocessable, not a malformed request
    assert refused.value.field == "payment_card_token"


@pytest.mark.parametrize("token", ["tok_1Nv0FJ2eZvKYlo2C", "pm_card_visa", "card-2024-0042"])
def test_provider_tokens_are_not_mistaken_for_card_numbers(token: str) -> None:
    assert not looks_like_card_number(token)


# --- part payments, by items, in equal shares ----------------------------------------------


def test_two_part_payments_only_the_second_is_fully_paid() -> None:
    state = given(placed(), validated(1))
    first = settle(state, pay(500, method=PaymentMethod.CASH))
    assert (first.fully_paid, first.balance_due) == (False, eur(700))
    state = fold(state, [first])
    assert not state.paid
    assert state.due_minor == 700
    second = settle(state, pay(700))
    assert (second.fully_paid, second.balance_due) == (True, eur(0))


def test_paying_some_lines_takes_exactly_their_total_and_they_are_not_paid_twice() -> None:
    state = given(placed(_line("a", 1450), _line("b", 350, 2), _line("c", 900)), validated(1))
    for_alice = settle(state, pay(2150, line_ids=("a", "b")))
    assert for_alice.line_ids == ["a", "b"]
    assert not for_alice.fully_paid
    state = fold(state, [for_alice])
    assert state.paid_lines == {"a", "b"}
    with pytest.raises(Conflict, match=r"line a .*already paid") as twice:
        decide_settle(state, pay(1450, line_ids=("a",)))
    assert twice.value.field == "line_ids"
    with pytest.raises(DomainError, match="expected 900 EUR, given 800 EUR") as wrong:
        decide_settle(state, pay(800, line_ids=("c",)))
    assert wrong.value.field == "amount"
    assert settle(state, pay(900, line_ids=("c",))).fully_paid


@pytest.mark.parametrize(
    ("line_ids", "error", "text"),
    [
        (("zz",), DomainError, "line zz is not a line to pay"),
        (("r2",), DomainError, "line r2 is not a line to pay"),  # of a rejected round
        (("l1", "l1"), Invalid, "named twice"),
        ((), Invalid, "at least one line"),
    ],
)
def test_paying_lines_that_are_not_to_pay_is_refused(
    line_ids: tuple[str, ...], error: type[DomainError], text: str
) -> None:
    state = given(placed(), validated(1), added(2, 800), rejected(2))
    with pytest.raises(error, match=text) as refused:
        decide_settle(state, pay(1200, line_ids=line_ids))
    assert refused.value.field == "line_ids"


def test_what_is_due_splits_in_equal_shares_the_remainder_cents_first() -> None:
    state = given(placed(_line("a", 1000), _line("b", 1001)), validated(1))
    assert split_equally(state, 3) == [eur(667), eur(667), eur(667)]
    assert split_equally(state, 2) == [eur(1001), eur(1000)]
    assert split_equally(state, 1) == [eur(2001)]
    paid_part = fold(state, [settle(state, pay(1001))])
    assert split_equally(paid_part, 4) == [eur(250)] * 4


def test_a_split_of_nothing_or_in_too_many_parts_is_refused() -> None:
    state = given(placed(_line("a", 3)), validated(1))
    with pytest.raises(DomainError) as refused:
        split_equally(state, 4)
    assert refused.value.field == "parts"
    with pytest.raises(Invalid):
        split_equally(state, 0)
    paid = fold(state, [settle(state, pay(3))])
    with pytest.raises(Conflict, match="already paid"):
        split_equally(paid, 2)
