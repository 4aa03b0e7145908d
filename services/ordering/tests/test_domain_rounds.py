"""The order's rounds after the POS decided about them, without I/O: an amended round reads as
amended and counts at its new total, a rejected round shows its reason and counts for nothing,
later rounds' order total follows both; a validated round goes to production as amended, one
ticket per station; only a payment in full closes the order."""

from __future__ import annotations

from convive.contracts import Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import (
    CartItemAdded,
    OrderClosed,
    OrderLine,
    OrderPlaced,
    ProductionTicket,
    RoundAdded,
    SentToProduction,
    TicketLine,
)
from convive.ordering.domain import table_order
from convive.ordering.domain.table_order import (
    CloseOrder,
    ConfirmCart,
    PosRound,
    RoundStatus,
    SendToProduction,
    SessionFacts,
    order_total,
    rounds_as_they_stand,
)

SESSION, VENUE, ORDER = "ses-1", "venue-1", "ord_1"
ALICE = "guest-alice"
OPEN = SessionFacts(
    session_id=SESSION, venue_id=VENUE, spot_id="spot-4", open=True, guests=frozenset({ALICE})
)


def eur(cents: int) -> Money:
    return Money(amount_minor=cents, currency="EUR")


def text(en: str) -> LocalizedText:
    return LocalizedText(fr=en, en=en)


def line(
    line_id: str, product_id: str, quantity: int, cents: int, note: str | None = None
) -> OrderLine:
    return OrderLine(
        line_id=line_id,
        product_id=product_id,
        name=text(product_id.title()),
        quantity=quantity,
        unit_price=eur(cents),
        guest_id=ALICE,
        note=note,
    )


STEAK = line("l1", "steak", 2, 2000)  # 40.00
BEER = line("l2", "beer", 2, 500)  # 10.00
WINE = line("l3", "wine", 1, 900)


def placed(number: int, *lines: OrderLine, order_total_cents: int) -> OrderPlaced | RoundAdded:
    total = eur(sum(x.unit_price.amount_minor * x.quantity for x in lines))
    cls = OrderPlaced if number == 1 else RoundAdded
    return cls(
        order_id=ORDER,
        session_id=SESSION,
        venue_id=VENUE,
        spot_id="spot-4",
        placed_by=ALICE,
        round_number=number,
        lines=list(lines),
        round_total=total,
        order_total=eur(order_total_cents),
    )


TWO_ROUNDS = table_order.fold(
    [placed(1, STEAK, BEER, order_total_cents=5000), placed(2, WINE, order_total_cents=5900)]
)
ONE_STEAK_NO_BEER = PosRound(
    round_number=1,
    lines=(line("l1", "steak", 1, 2000, note="well done"),),
    round_total=eur(2000),
    amendment_note="only one steak left",
)
NO_WINE = PosRound(round_number=2, rejected_reason="the cellar is closed")


def test_rounds_the_pos_did_not_touch_stand_as_confirmed_and_pending() -> None:
    rounds = rounds_as_they_stand(TWO_ROUNDS, {})
    assert [r.status for r in rounds] == [RoundStatus.PENDING, RoundStatus.PENDING]
    assert rounds[0].lines == (STEAK, BEER)
    assert not rounds[0].amended
    assert order_total(TWO_ROUNDS, {}, "EUR") == eur(5900)


def test_an_amended_round_shows_its_new_lines_and_counts_at_its_new_total() -> None:
    rounds = rounds_as_they_stand(TWO_ROUNDS, {1: ONE_STEAK_NO_BEER})
    first = rounds[0]
    assert first.amended
    assert first.status is RoundStatus.PENDING
    assert [(x.product_id, x.quantity, x.note) for x in first.lines] == [("steak", 1, "well done")]
    assert first.round_total == eur(2000)
    assert first.amendment_note == "only one steak left"
    assert order_total(TWO_ROUNDS, {1: ONE_STEAK_NO_BEER}, "EUR") == eur(2900)


def test_a_rejected_round_shows_the_reason_and_counts_for_nothing() -> None:
    rounds = rounds_as_they_stand(TWO_ROUNDS, {2: NO_WINE})
    assert rounds[1].status is RoundStatus.REJECTED
    assert rounds[1].rejected_reason == "the cellar is closed"
    assert rounds[1].lines == (WINE,), "the guests still see what they had asked for"
    assert order_total(TWO_ROUNDS, {2: NO_WINE}, "EUR") == eur(5000)
    both = {1: ONE_STEAK_NO_BEER, 2: NO_WINE}
    assert order_total(TWO_ROUNDS, both, "EUR") == eur(2000)


def test_the_next_rounds_order_total_counts_amendments_and_leaves_rejections_out() -> None:
    state = table_order.evolve(
        TWO_ROUNDS,
        CartItemAdded(
            session_id=SESSION,
            venue_id=VENUE,
            line_id="l4",
            guest_id=ALICE,
            product_id="water",
            quantity=1,
            unit_price=eur(400),
        ),
    )
    command = ConfirmCart(
        session_id=SESSION,
        session=OPEN,
        guest_id=ALICE,
        new_order_id="unused",
        pos_rounds={1: ONE_STEAK_NO_BEER, 2: NO_WINE},
    )
    [third] = table_order.decide(state, command)
    assert isinstance(third, RoundAdded)
    assert third.round_number == 3
    assert third.round_total == eur(400)
    assert third.order_total == eur(2000 + 400)


def send(round_number: int = 1, **overrides: object) -> SendToProduction:
    fields: dict[str, object] = {
        "session_id": SESSION,
        "order_id": ORDER,
        "round_number": round_number,
        "stations": {"steak": "grill", "beer": "bar", "wine": "bar"},
        "spot_name": "Table 4",
    }
    return SendToProduction(**{**fields, **overrides})  # type: ignore[arg-type]


def test_a_validated_round_goes_to_production_as_one_ticket_per_station() -> None:
    [sent] = table_order.decide(TWO_ROUNDS, send())
    assert sent == SentToProduction(
        order_id=ORDER,
        session_id=SESSION,
        venue_id=VENUE,
        round_number=1,
        spot_name="Table 4",
        tickets=[
            ProductionTicket(
                station="grill",
                lines=[TicketLine(line_id="l1", name=text("Steak"), quantity=2)],
            ),
            ProductionTicket(
                station="bar", lines=[TicketLine(line_id="l2", name=text("Beer"), quantity=2)]
            ),
        ],
    )
    after = table_order.evolve(TWO_ROUNDS, sent)
    assert rounds_as_they_stand(after, {})[0].status is RoundStatus.VALIDATED


def test_production_makes_the_round_as_amended_and_the_kitchen_takes_what_has_no_station() -> None:
    amended = PosRound(
        round_number=1,
        lines=(line("l1", "steak", 1, 2000, note="well done"), line("l9", "fries", 1, 450)),
        round_total=eur(2450),
    )
    [sent] = table_order.decide(TWO_ROUNDS, send(pos_round=amended, spot_name=None))
    assert isinstance(sent, SentToProduction)
    assert sent.spot_name is None
    assert [
        (t.station, [(x.line_id, x.quantity, x.note) for x in t.lines]) for t in sent.tickets
    ] == [
        ("grill", [("l1", 1, "well done")]),
        ("kitchen", [("l9", 1, None)]),
    ]


def test_a_rejected_round_never_goes_to_production() -> None:
    assert table_order.decide(TWO_ROUNDS, send(2, pos_round=NO_WINE)) == []


def test_a_part_payment_leaves_the_order_open_and_the_payment_in_full_closes_it() -> None:
    part = CloseOrder(session_id=SESSION, order_id=ORDER, fully_paid=False)
    assert table_order.decide(TWO_ROUNDS, part) == []
    full = CloseOrder(session_id=SESSION, order_id=ORDER)
    assert table_order.decide(TWO_ROUNDS, full) == [
        OrderClosed(order_id=ORDER, session_id=SESSION, venue_id=VENUE)
    ]
