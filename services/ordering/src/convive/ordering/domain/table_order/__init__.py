"""A table session's shared cart and the order its confirmations build, as one stream keyed by
the session id: a confirmation and the cart it empties are decided together, and the rounds,
their production and the closing of the order follow in the same story.

What the session stream cannot know (whether table-session opened the session, who joined it,
the journey mode of its profit centre, what the menu offers, what the POS amended or rejected)
the caller reads from projections and hands over in the command.

`state` holds the stream's state and `evolve`; `cart` the guests' cart commands; `rounds` the
confirmation, the rounds as they stand after the POS's decisions, production and closing.
"""

from __future__ import annotations

from convive.contracts import Event
from convive.ordering.domain.facts import SessionFacts
from convive.ordering.domain.table_order import cart, rounds
from convive.ordering.domain.table_order.cart import (
    MAX_CART_LINES,
    MAX_LINE_QUANTITY,
    ORDERING_MODES,
    AddCartItem,
    ChangeCartItem,
    OptionPick,
    RemoveCartItem,
)
from convive.ordering.domain.table_order.rounds import (
    DEFAULT_STATION,
    CloseOrder,
    ConfirmCart,
    PosRound,
    PosRounds,
    RoundAsItStands,
    RoundStatus,
    SendToProduction,
    order_total,
    rounds_as_they_stand,
)
from convive.ordering.domain.table_order.state import (
    CartLine,
    Round,
    TableOrder,
    evolve,
    fold,
)

GuestCommand = AddCartItem | ChangeCartItem | RemoveCartItem | ConfirmCart
Command = GuestCommand | SendToProduction | CloseOrder


def decide(state: TableOrder, command: Command) -> list[Event]:
    match command:
        case AddCartItem():
            return cart.add(state, command)
        case ChangeCartItem():
            return cart.change(state, command)
        case RemoveCartItem():
            return cart.remove(state, command)
        case ConfirmCart():
            return rounds.confirm(state, command)
        case SendToProduction():
            return rounds.send_to_production(state, command)
        case CloseOrder():
            return rounds.close(state, command)
    raise TypeError(f"unknown command {command!r}")


__all__ = [
    "DEFAULT_STATION",
    "MAX_CART_LINES",
    "MAX_LINE_QUANTITY",
    "ORDERING_MODES",
    "AddCartItem",
    "CartLine",
    "ChangeCartItem",
    "CloseOrder",
    "Command",
    "ConfirmCart",
    "GuestCommand",
    "OptionPick",
    "PosRound",
    "PosRounds",
    "RemoveCartItem",
    "Round",
    "RoundAsItStands",
    "RoundStatus",
    "SendToProduction",
    "SessionFacts",
    "TableOrder",
    "decide",
    "evolve",
    "fold",
    "order_total",
    "rounds_as_they_stand",
]
