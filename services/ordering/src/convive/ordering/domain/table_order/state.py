"""The state of a session stream (the shared cart, and the order its confirmations built) and
how each of ordering's own events changes it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from convive.contracts import Event, EventEnvelope, Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import (
    CartItemAdded,
    CartItemChanged,
    CartItemRemoved,
    ChosenOption,
    OrderClosed,
    OrderLine,
    OrderPlaced,
    RoundAdded,
    SentToProduction,
)
from convive.runtime import domain


@dataclass(frozen=True)
class CartLine:
    line_id: str
    product_id: str
    name: LocalizedText
    quantity: int
    unit_price: Money
    guest_id: str
    note: str | None = None
    options: tuple[ChosenOption, ...] = ()

    @property
    def total(self) -> Money:
        return Money(
            amount_minor=self.unit_price.amount_minor * self.quantity,
            currency=self.unit_price.currency,
        )

    def as_order_line(self) -> OrderLine:
        return OrderLine(
            line_id=self.line_id,
            product_id=self.product_id,
            name=self.name,
            quantity=self.quantity,
            unit_price=self.unit_price,
            note=self.note,
            guest_id=self.guest_id,
            options=list(self.options),
        )


@dataclass(frozen=True)
class Round:
    """A round as the guests confirmed it (the POS may since have amended or rejected it: see
    `rounds.PosRound`)."""

    round_number: int
    lines: tuple[OrderLine, ...]
    round_total: Money
    placed_by: str
    sent_to_production: bool = False


@dataclass(frozen=True)
class TableOrder:
    """The state of a session stream: the shared cart and the order (once confirmed)."""

    cart: tuple[CartLine, ...] = ()
    order_id: str | None = None
    venue_id: str | None = None
    spot_id: str | None = None
    rounds: tuple[Round, ...] = ()
    order_total: Money | None = None
    """As the last confirmation stated it; what is owed now also depends on the POS's
    amendments and rejections (`rounds.order_total`)."""
    closed: bool = False
    currency: str | None = None
    """The currency of everything in this session so far (None before the first line)."""

    def line(self, line_id: str) -> CartLine | None:
        return next((line for line in self.cart if line.line_id == line_id), None)

    def round(self, round_number: int) -> Round | None:
        return next((r for r in self.rounds if r.round_number == round_number), None)

    def cart_total(self, currency: str) -> Money:
        return money_sum((line.total for line in self.cart), currency)


def money_sum(amounts: Iterable[Money], currency: str) -> Money:
    return Money(amount_minor=sum(a.amount_minor for a in amounts), currency=currency)


def evolve(state: TableOrder, event: Event) -> TableOrder:
    match event:
        case CartItemAdded():
            name = event.product_name or LocalizedText(fr=event.product_id, en=event.product_id)
            line = CartLine(
                line_id=event.line_id,
                product_id=event.product_id,
                name=name,
                quantity=event.quantity,
                unit_price=event.unit_price,
                guest_id=event.guest_id,
                note=event.note,
                options=tuple(event.options),
            )
            return replace(
                state,
                cart=(*state.cart, line),
                venue_id=event.venue_id,
                currency=state.currency or event.unit_price.currency,
            )
        case CartItemChanged():
            cart = tuple(
                replace(line, quantity=event.quantity) if line.line_id == event.line_id else line
                for line in state.cart
            )
            return replace(state, cart=cart)
        case CartItemRemoved():
            return replace(state, cart=tuple(x for x in state.cart if x.line_id != event.line_id))
        case OrderPlaced() | RoundAdded():
            confirmed = {line.line_id for line in event.lines}
            new_round = Round(
                round_number=event.round_number,
                lines=tuple(event.lines),
                round_total=event.round_total,
                placed_by=event.placed_by,
            )
            return replace(
                state,
                cart=tuple(x for x in state.cart if x.line_id not in confirmed),
                order_id=event.order_id,
                venue_id=event.venue_id,
                spot_id=event.spot_id,
                rounds=(*state.rounds, new_round),
                order_total=event.order_total,
                currency=state.currency or event.order_total.currency,
            )
        case SentToProduction():
            rounds = tuple(
                replace(r, sent_to_production=True) if r.round_number == event.round_number else r
                for r in state.rounds
            )
            return replace(state, rounds=rounds)
        case OrderClosed():
            return replace(state, closed=True)
    return state


def fold(history: Iterable[Event | EventEnvelope]) -> TableOrder:
    """The session stream's state after these events (an empty cart and no order before any)."""
    return domain.fold(evolve, TableOrder(), history)
