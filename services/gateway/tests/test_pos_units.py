"""The POS console's pure parts: what it shows of an order (rounds, statuses, what is due, what a
cashier may do), the device cookie, and how its forms are read (amounts, amended rounds)."""

from __future__ import annotations

import pytest

from convive.gateway.pos.parts import ConsoleState
from convive.gateway.pos.views import (
    amended_round,
    open_tables,
    order_list,
    parse_amount,
    pos_order,
    split_shares,
    stations,
    tickets_view,
)
from convive.gateway.upstream.ordering import Menu, Ticket
from convive.gateway.upstream.pos_gateway import PosOrder, Split
from convive.gateway.upstream.table_session import Session, Spot
from convive.gateway.web.cookies import GuestCookies, PosDevice, PosDevices
from convive.gateway.web.forms import FormError
from convive.gateway.web.language import Language

EUR = "EUR"


def money(minor: int) -> dict[str, object]:
    return {"amount_minor": minor, "currency": EUR}


def line(line_id: str, name: str, quantity: int, unit: int, *, paid: bool = False) -> dict:
    return {
        "line_id": line_id,
        "product_id": name.lower(),
        "name": {"fr": name, "en": name},
        "quantity": quantity,
        "unit_price": money(unit),
        "line_total": money(unit * quantity),
        "note": None,
        "options": [],
        "paid": paid,
    }


ORDER = {
    "order_id": "o1",
    "session_id": "s1",
    "spot_id": "spot-7",
    "spot_name": None,
    "placed_at": "2025-05-01T12:30:00+00:00",
    "rounds": [
        {
            "round_number": 1,
            "status": "validated",
            "lines": [line("l1", "Croque", 2, 1250, paid=True), line("l2", "Mousse", 1, 750)],
            "round_total": money(3250),
            "validated_by": "Camille",
            "amended": True,
        },
        {
            "round_number": 2,
            "status": "rejected",
            "lines": [line("l3", "Huîtres", 1, 1600)],
            "round_total": money(1600),
            "rejected_reason": "plus d'huîtres",
        },
        {
            "round_number": 3,
            "status": "pending",
            "lines": [line("l4", "Salade", 1, 1400)],
            "round_total": money(1400),
        },
    ],
    "total": money(4650),
    "paid": money(2500),
    "due": money(2150),
    "payments": [
        {
            "amount": money(2500),
            "method": "card",
            "line_ids": ["l1"],
            "fully_paid": False,
            "received_by": "Camille",
            "settled_at": "2025-05-01T12:45:00+00:00",
        }
    ],
    "status": "pending",
}


def test_an_order_shows_each_round_its_status_and_what_is_due() -> None:
    order = pos_order(
        PosOrder.model_validate(ORDER), Language("fr"), {"spot-7": "Table 7"}, pin="123456"
    )
    assert order.spot_name == "Table 7"
    assert [(r.number, r.status) for r in order.rounds] == [
        (1, "validated"),
        (2, "rejected"),
        (3, "pending"),
    ]
    assert order.rounds[0].amended
    assert order.rounds[0].validated_by == "Camille"
    assert order.rounds[1].rejected_reason == "plus d'huîtres"
    assert order.status == "pending"
    assert order.pending_rounds == 1
    assert order.due == "21,50\u00a0€"
    assert order.due_input == "21.50"
    # A round waits for validation: nothing can be settled yet.
    assert not order.can_settle
    # Only unpaid lines of validated rounds can be ticked to split by items.
    assert [line.line_id for line in order.unpaid_lines] == ["l2"]
    [payment] = order.payments
    assert (payment.method_text, payment.part, payment.lines) == ("Carte", True, 1)
    assert order.pin == "123456"


def test_an_order_once_every_round_is_decided_can_be_settled_until_paid() -> None:
    t = Language("en")
    decided = {**ORDER, "rounds": ORDER["rounds"][:2], "status": "validated"}
    order = pos_order(PosOrder.model_validate(decided), t)
    assert order.status == "part_paid"
    assert order.can_settle
    assert order.spot_name == "Table ?"  # no name known: still a label
    paid = {**decided, "paid": money(4650), "due": money(0), "status": "paid"}
    assert pos_order(PosOrder.model_validate(paid), t).status == "paid"
    assert not pos_order(PosOrder.model_validate(paid), t).can_settle
    rejected = {**ORDER, "rounds": [ORDER["rounds"][1]], "status": "rejected"}
    assert pos_order(PosOrder.model_validate(rejected), t).status == "rejected"


def test_rounds_of_an_older_pos_gateway_read_their_status_from_validated() -> None:
    old = {
        "order_id": "o2",
        "session_id": "s2",
        "spot_id": "spot-2",
        "placed_at": "2025-05-01T12:30:00+00:00",
        "status": "pending",
        "rounds": [
            {
                "round_number": 1,
                "validated": True,
                "validated_by": "Ana",
                "lines": [],
                "round_total": money(1000),
            },
            {"round_number": 2, "validated": False, "lines": [], "round_total": money(0)},
        ],
        "order_total": money(1000),
        "paid": money(0),
    }
    order = pos_order(PosOrder.model_validate(old), Language("en"))
    assert [r.status for r in order.rounds] == ["validated", "pending"]
    assert order.due_minor == 1000


def test_the_open_list_leaves_paid_and_rejected_orders_out() -> None:
    t = Language("en")
    paid = {**ORDER, "order_id": "paid", "status": "paid", "due": money(0)}
    both = [PosOrder.model_validate(o) for o in (ORDER, paid)]
    listed = order_list(both, t, {}, open_only=True)
    assert [o.order_id for o in listed] == ["o1"]
    assert len(order_list(both, t, {}, open_only=False)) == 2


@pytest.mark.parametrize(
    ("typed", "minor"),
    [("12.50", 1250), ("12,5", 1250), (" 7 € ", 700), ("0.01", 1), ("1\u202f234,00", 123400)],
)
def test_amounts_are_read_as_cashiers_type_them(typed: str, minor: int) -> None:
    assert parse_amount(typed) == minor


@pytest.mark.parametrize("typed", ["", "abc", "-3", "0", "1.234", "NaN", "1e3000"])
def test_a_bad_amount_names_the_field(typed: str) -> None:
    with pytest.raises(FormError) as refused:
        parse_amount(typed)
    assert refused.value.field == "amount"


def test_an_amended_round_keeps_changed_lines_drops_zeroes_and_adds_a_product() -> None:
    form = {
        "qty:l1": "3",
        "note:l1": " sans sel ",
        "qty:l2": "0",
        "add_product": "mousse",
        "add_quantity": "2",
        "note": "Plus de croque, désolé",
    }
    amendment = amended_round(form, ["l1", "l2"])
    assert amendment.lines == [
        {"line_id": "l1", "quantity": 3, "note": "sans sel"},
        {"product_id": "mousse", "quantity": 2},
    ]
    assert amendment.note == "Plus de croque, désolé"


def test_an_amended_round_cannot_be_emptied_nor_take_bad_quantities() -> None:
    with pytest.raises(FormError) as empty:
        amended_round({"qty:l1": "0"}, ["l1"])
    assert (empty.value.message, empty.value.field) == (
        "A round keeps at least one line: reject it instead.",
        "lines",
    )
    with pytest.raises(FormError) as bad:
        amended_round({"qty:l1": "lots"}, ["l1"])
    assert bad.value.field == "qty:l1"
    with pytest.raises(FormError):
        amended_round({"qty:l1": "100"}, ["l1"])


def test_split_shares_tickets_stations_and_open_tables() -> None:
    t = Language("en")
    split = {"parts": 3, "shares": [money(334), money(333), money(333)]}
    shares = split_shares(Split.model_validate(split), t)
    assert [(s.number, s.amount, s.amount_input) for s in shares] == [
        (1, "€3.34", "3.34"),
        (2, "€3.33", "3.33"),
        (3, "€3.33", "3.33"),
    ]
    ticket = {
        "order_id": "o1",
        "round_number": 1,
        "spot_name": "Table 7",
        "station": "bar",
        "lines": [{"line_id": "l1", "name": {"fr": "Bière", "en": "Beer"}, "quantity": 2}],
        "sent_at": "2025-05-01T12:31:00+00:00",
    }
    tickets = tickets_view([Ticket.model_validate(ticket)], t)
    assert tickets[0].station_text == "Bar"
    assert tickets[0].lines[0].name == "Beer"
    pastry = {
        "product_id": "p",
        "category_id": "desserts",
        "name": {"fr": "Tarte", "en": "Tart"},
        "price": money(600),
        "station": "pastry",
    }
    menu = Menu.model_validate({"currency": EUR, "categories": [], "products": [pastry]})
    assert stations(menu, tickets) == ["kitchen", "bar", "pastry"]

    def spot(spot_id: str, name: str, session_id: str | None) -> Spot:
        return Spot.model_validate(
            {
                "spot_id": spot_id,
                "name": name,
                "kind": "table",
                "profit_centre_id": "dining",
                "token": f"token-{spot_id}",
                "guest_url": None,
                "status": "occupied" if session_id else "free",
                "session_id": session_id,
            }
        )

    spots = [spot("a", "Table 2", "s2"), spot("b", "Table 1", None)]
    session = {"session_id": "s2", "status": "open", "pin": "424242", "guests": [{"guest_id": "g"}]}
    [table] = open_tables(spots, {"s2": Session.model_validate(session)})
    assert (table.spot_name, table.pin, table.guests) == ("Table 2", "424242", 1)


def test_the_device_cookie_is_signed_and_cannot_be_forged() -> None:
    cookies = GuestCookies("key", secure=False)
    devices = PosDevices.of(cookies)
    device = PosDevice("d1", "venue-1", "Till", "secret-credential")
    value = devices.cookie(device).value
    assert value is not None
    assert devices.read(value) == device
    assert PosDevices.of(GuestCookies("other", secure=False)).read(value) is None
    assert devices.read(cookies.device_cookie("dev_x").value) is None  # a guest's phone id
    assert devices.read("garbage") is None


def test_every_console_state_has_a_url() -> None:
    state = ConsoleState(view="orders", order="o 1", show_all=True, split=3)
    assert state.url() == "/pos?order=o+1&show=all&split=3"
    assert state.url(order="", split=None, show_all=False) == "/pos"
    assert ConsoleState().url(view="tickets", station="bar") == "/pos?view=tickets&station=bar"
