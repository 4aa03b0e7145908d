"""The POS's decisions on a round, given events: validating it, amending it, rejecting it."""

from __future__ import annotations

import pytest

from convive.contracts import Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import OrderLine, OrderPlaced, RoundAdded
from convive.contracts.pos_gateway import (
    OrderAmended,
    OrderRejected,
    OrderValidated,
    PaymentMethod,
    PaymentSettled,
)
from convive.pos_gateway.domain import (
    AmendLine,
    AmendRound,
    Invalid,
    MenuItem,
    PosOrder,
    RejectRound,
    ValidateRound,
    decide_amend,
    decide_reject,
    decide_validate,
)
from convive.pos_gateway.domain.order import fold
from convive.runtime.domain import Conflict, DomainError, NotFound


def eur(cents: int) -> Money:
    return Money(amount_minor=cents, currency="EUR")


def line(
    line_id: str, price: int, quantity: int = 1, product: str = "p1", note: str | None = None
) -> OrderLine:
    return OrderLine(
        line_id=line_id,
        product_id=product,
        name=LocalizedText(fr=f"Plat {product}", en=f"Dish {product}"),
        quantity=quantity,
        unit_price=eur(price),
        note=note,
        guest_id="g1",
    )


def placed(total: int = 1200, *lines: OrderLine) -> OrderPlaced:
    lines = lines or (line("l1", total),)
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


def added(number: int = 2, total: int = 800, order_total: int = 2000) -> RoundAdded:
    return RoundAdded(
        order_id="o1",
        session_id="s1",
        venue_id="v1",
        spot_id="t1",
        placed_by="g2",
        round_number=number,
        lines=[line(f"l{number}", total)],
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


def rejected(number: int, staff: str = "Alice", reason: str = "kitchen closed") -> OrderRejected:
    return OrderRejected(
        venue_id="v1",
        order_id="o1",
        session_id="s1",
        round_number=number,
        reason=reason,
        device_id="till-1",
        rejected_by=staff,
    )


def amended(number: int, *lines: OrderLine) -> OrderAmended:
    return OrderAmended(
        venue_id="v1",
        order_id="o1",
        session_id="s1",
        round_number=number,
        lines=list(lines),
        round_total=eur(sum(x.unit_price.amount_minor * x.quantity for x in lines)),
        device_id="till-1",
        amended_by="Alice",
    )


def settled(cents: int, line_ids: list[str] | None = None) -> PaymentSettled:
    return PaymentSettled(
        venue_id="v1",
        order_id="o1",
        session_id="s1",
        amount=eur(cents),
        method=PaymentMethod.CASH,
        line_ids=line_ids,
    )


def given(*events: object) -> PosOrder:
    return fold(PosOrder(order_id="o1"), events)  # type: ignore[arg-type]


MENU = {
    "wine": MenuItem("wine", LocalizedText(fr="Vin", en="Wine"), eur(600)),
    "oysters": MenuItem(
        "oysters", LocalizedText(fr="Huîtres", en="Oysters"), eur(1600), available=False
    ),
    "dollar": MenuItem(
        "dollar", LocalizedText(fr="Soda", en="Soda"), Money(amount_minor=300, currency="USD")
    ),
}


def validate(number: int, staff: str = "Bob", device: str = "till-2") -> ValidateRound:
    return ValidateRound(order_id="o1", round_number=number, staff=staff, device_id=device)


def amend(*lines: AmendLine, number: int = 1, fresh: tuple[str, ...] = ("n1", "n2")) -> AmendRound:
    return AmendRound(
        order_id="o1",
        round_number=number,
        staff="Bob",
        device_id="till-2",
        lines=lines,
        new_line_ids=fresh,
        menu=MENU,
        note="no more oysters tonight",
        staff_id="staff-bob",
    )


def reject(number: int = 1, reason: str = "kitchen closed") -> RejectRound:
    return RejectRound(
        order_id="o1", round_number=number, staff="Bob", device_id="till-2", reason=reason
    )


TWO_LINES = placed(2000, line("l1", 1200, product="steak"), line("l2", 400, 2, "tea", "hot"))


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
    assert refused.value.details == {"validated_by": "Alice", "device_id": "till-1"}


def test_each_round_is_validated_on_its_own() -> None:
    state = given(placed(), validated(1), added())
    assert decide_validate(state, validate(2)) == [validated(2, "Bob", "till-2")]


def test_a_rejected_round_cannot_be_validated() -> None:
    with pytest.raises(Conflict) as refused:
        decide_validate(given(placed(), rejected(1, "Alice", "no fish")), validate(1))
    assert "rejected by Alice (no fish)" in refused.value.message


# --- amending ---------------------------------------------------------------------------


def test_an_amendment_keeps_prices_and_options_changes_quantities_and_adds_from_the_menu() -> None:
    state = given(TWO_LINES)
    [event] = decide_amend(
        state,
        amend(
            AmendLine(quantity=1, line_id="l2"),  # tea: 2 -> 1, its note kept
            AmendLine(quantity=2, product_id="wine", note="chilled"),
            AmendLine(quantity=0, line_id="l1"),  # the steak removed
        ),
    )
    assert isinstance(event, OrderAmended)
    assert [(x.line_id, x.product_id, x.quantity, x.unit_price, x.note) for x in event.lines] == [
        ("l2", "tea", 1, eur(400), "hot"),
        ("n1", "wine", 2, eur(600), "chilled"),
    ]
    assert event.lines[1].name.en == "Wine"
    assert event.lines[1].guest_id == "g1"  # the guest who placed the round
    assert event.round_total == eur(1600)
    assert (event.amended_by, event.device_id, event.staff_id) == ("Bob", "till-2", "staff-bob")
    assert event.note == "no more oysters tonight"
    assert event.session_id == "s1"


def test_an_omitted_line_is_removed_and_an_empty_note_clears_the_note() -> None:
    [event] = decide_amend(given(TWO_LINES), amend(AmendLine(quantity=2, line_id="l2", note="")))
    assert [(x.line_id, x.quantity, x.note) for x in event.lines] == [("l2", 2, None)]  # type: ignore[attr-defined]
    assert event.round_total == eur(800)  # type: ignore[attr-defined]


def test_the_amended_round_is_what_the_order_owes_and_what_is_amended_next() -> None:
    state = given(TWO_LINES, amended(1, line("l2", 400, 1, "tea")))
    assert state.total_minor == 400
    assert state.rounds[1].amended
    [event] = decide_amend(state, amend(AmendLine(quantity=3, line_id="l2")))
    assert event.round_total == eur(1200)  # type: ignore[attr-defined]
    # ordering's round seen again (a replay) does not undo the amendment
    assert given(TWO_LINES, amended(1, line("l2", 400, 1, "tea")), TWO_LINES).total_minor == 400


@pytest.mark.parametrize(
    ("lines", "error", "field", "text"),
    [
        ((AmendLine(quantity=1, line_id="l9"),), Invalid, "lines[0].line_id", "not a line"),
        (
            (AmendLine(quantity=1, line_id="l1"), AmendLine(quantity=2, line_id="l1")),
            Invalid,
            "lines[1].line_id",
            "twice",
        ),
        (
            (AmendLine(quantity=1, line_id="l1", product_id="wine"),),
            Invalid,
            "lines[0].product_id",
            "remove the line",
        ),
        (
            (AmendLine(quantity=1, product_id="caviar"),),
            Invalid,
            "lines[0].product_id",
            "caviar",
        ),
        (
            (AmendLine(quantity=1, product_id="oysters"),),
            Conflict,
            "lines[0].product_id",
            "Oysters (oysters) is not available",
        ),
        ((AmendLine(quantity=1, product_id="dollar"),), Conflict, "lines[0].product_id", "USD"),
        ((AmendLine(quantity=1),), Invalid, "lines[0]", "line_id"),
        ((AmendLine(quantity=-1, line_id="l1"),), Invalid, "lines[0].quantity", "negative"),
        ((AmendLine(quantity=0, line_id="l1"),), Invalid, "lines", "reject it instead"),
        ((), Invalid, "lines", "at least one line"),
        (
            (AmendLine(quantity=1, line_id="l1"), AmendLine(quantity=2, line_id="l2")),
            DomainError,
            "lines",
            "nothing to amend",
        ),
    ],
)
def test_an_amendment_that_cannot_stand_is_refused_naming_the_field(
    lines: tuple[AmendLine, ...], error: type[DomainError], field: str, text: str
) -> None:
    with pytest.raises(error) as refused:
        decide_amend(given(TWO_LINES), amend(*lines))
    assert refused.value.field == field
    assert text in refused.value.message


def test_a_validated_round_cannot_be_amended_nor_rejected_saying_who_validated_it() -> None:
    state = given(placed(), validated(1, "Alice", "till-1"))
    for decide, command in ((decide_amend, amend(AmendLine(2, "l1"))), (decide_reject, reject())):
        with pytest.raises(Conflict) as refused:
            decide(state, command)  # type: ignore[operator]
        assert refused.value.message.startswith("round 1 was already validated by Alice on till-1")
        assert refused.value.details == {"validated_by": "Alice", "device_id": "till-1"}


def test_a_rejected_round_cannot_be_amended_nor_rejected_again() -> None:
    state = given(placed(), rejected(1))
    with pytest.raises(Conflict, match="it can no longer be amended"):
        decide_amend(state, amend(AmendLine(2, "l1")))
    with pytest.raises(Conflict, match="it can no longer be rejected"):
        decide_reject(state, reject())


def test_a_round_guests_already_paid_from_the_phone_stays_as_it_was_paid() -> None:
    state = given(placed(1200), settled(1200))
    with pytest.raises(Conflict, match="already paid for"):
        decide_amend(state, amend(AmendLine(2, "l1")))
    with pytest.raises(Conflict, match="already paid for"):
        decide_reject(state, reject())
    # a round added after the first was validated and paid is still the staff's to change
    later = given(placed(1200), validated(1), settled(1200), added(2, 800, 2000))
    assert decide_reject(later, reject(2))


# --- rejecting --------------------------------------------------------------------------


def test_rejecting_a_pending_round_says_why_and_it_is_no_longer_due() -> None:
    state = given(placed(1200), validated(1), added(2, 800, 2000))
    [event] = decide_reject(state, reject(2, "  no more fish  "))
    assert event == OrderRejected(
        venue_id="v1",
        order_id="o1",
        session_id="s1",
        round_number=2,
        reason="no more fish",
        device_id="till-2",
        rejected_by="Bob",
    )
    after = given(placed(1200), validated(1), added(2, 800, 2000), event)
    assert after.total_minor == 1200
    assert after.unvalidated_rounds == []


def test_a_rejection_needs_a_reason_and_a_known_round() -> None:
    with pytest.raises(Invalid) as refused:
        decide_reject(given(placed()), reject(1, "   "))
    assert refused.value.field == "reason"
    with pytest.raises(NotFound) as unknown:
        decide_reject(given(placed()), reject(3))
    assert unknown.value.field == "round_number"
