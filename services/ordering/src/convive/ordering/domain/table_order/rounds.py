"""The order's rounds: confirming the cart into the next round, each round as it now stands
after the POS amended or rejected it, production tickets per station once the POS validated it,
and the closing of the order once the bill is paid in full.

Amendments and rejections are pos-gateway's decisions on its own stream (`pos-<order_id>`), not
ordering's events: the caller reads them from ordering's projection of them (`PosRound`) and
hands them over in the command.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from convive.contracts import Event, Money
from convive.contracts.ordering import (
    OrderClosed,
    OrderLine,
    OrderPlaced,
    ProductionTicket,
    RoundAdded,
    SentToProduction,
    TicketLine,
)
from convive.ordering.domain.facts import SessionFacts
from convive.ordering.domain.table_order.cart import session_of_guest
from convive.ordering.domain.table_order.state import Round, TableOrder, money_sum
from convive.runtime.domain import Conflict

DEFAULT_STATION = "kitchen"
"""Where a product goes when the menu names no production station for it."""


class RoundStatus(StrEnum):
    PENDING = "pending"
    VALIDATED = "validated"
    REJECTED = "rejected"


@dataclass(frozen=True)
class PosRound:
    """What the POS decided about a round before validating it (pos-gateway's `OrderAmended`
    and `OrderRejected`)."""

    round_number: int
    lines: tuple[OrderLine, ...] | None = None
    """The round as staff amended it; None while not amended."""
    round_total: Money | None = None
    amendment_note: str | None = None
    rejected_reason: str | None = None

    @property
    def amended(self) -> bool:
        return self.lines is not None

    @property
    def rejected(self) -> bool:
        return self.rejected_reason is not None


PosRounds = Mapping[int, PosRound]
"""The POS's decisions about an order's rounds, by round number (rounds it did not touch are
absent)."""


@dataclass(frozen=True)
class RoundAsItStands:
    """A round as the guests should now see it: the POS's amendment replaces its lines."""

    round_number: int
    placed_by: str
    status: RoundStatus
    lines: tuple[OrderLine, ...]
    round_total: Money
    sent_to_production: bool
    amended: bool = False
    amendment_note: str | None = None
    rejected_reason: str | None = None


def as_it_stands(confirmed: Round, pos: PosRound | None) -> RoundAsItStands:
    pos = pos or PosRound(round_number=confirmed.round_number)
    if confirmed.sent_to_production:
        status = RoundStatus.VALIDATED
    elif pos.rejected:
        status = RoundStatus.REJECTED
    else:
        status = RoundStatus.PENDING
    return RoundAsItStands(
        round_number=confirmed.round_number,
        placed_by=confirmed.placed_by,
        status=status,
        lines=pos.lines if pos.lines is not None else confirmed.lines,
        round_total=pos.round_total if pos.round_total is not None else confirmed.round_total,
        sent_to_production=confirmed.sent_to_production,
        amended=pos.amended,
        amendment_note=pos.amendment_note,
        rejected_reason=pos.rejected_reason,
    )


def rounds_as_they_stand(state: TableOrder, pos_rounds: PosRounds) -> tuple[RoundAsItStands, ...]:
    return tuple(as_it_stands(r, pos_rounds.get(r.round_number)) for r in state.rounds)


def order_total(state: TableOrder, pos_rounds: PosRounds, currency: str) -> Money:
    """What the order comes to: every round as amended, rejected rounds left out."""
    return money_sum(
        (
            r.round_total
            for r in rounds_as_they_stand(state, pos_rounds)
            if r.status is not RoundStatus.REJECTED
        ),
        currency,
    )


# --- commands --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmCart:
    session_id: str
    session: SessionFacts | None
    guest_id: str
    new_order_id: str
    """Used only when this confirmation places the session's first order."""
    pos_rounds: PosRounds = field(default_factory=dict)
    """The POS's amendments and rejections of the earlier rounds, for the order's total."""


@dataclass(frozen=True)
class SendToProduction:
    """The POS validated a round: it goes to the production stations (once), one ticket each."""

    session_id: str
    order_id: str
    round_number: int
    pos_round: PosRound | None = None
    """What the POS decided about the round before validating it (its amended lines)."""
    stations: Mapping[str, str | None] = field(default_factory=dict)
    """Each product's production station, from the venue's current menu."""
    spot_name: str | None = None


@dataclass(frozen=True)
class CloseOrder:
    """A payment was settled: the order takes no more rounds once it is paid in full (closed
    once); a part payment leaves it open."""

    session_id: str
    order_id: str
    fully_paid: bool = True


def confirm(state: TableOrder, command: ConfirmCart) -> list[Event]:
    session = session_of_guest(state, command)
    if not state.cart:
        raise Conflict("the cart is empty: nothing to confirm")
    currency = state.currency or state.cart[0].unit_price.currency
    round_total = state.cart_total(currency)
    before = order_total(state, command.pos_rounds, currency)
    event_class = OrderPlaced if state.order_id is None else RoundAdded
    return [
        event_class(
            order_id=state.order_id or command.new_order_id,
            session_id=command.session_id,
            venue_id=session.venue_id,
            spot_id=session.spot_id,
            placed_by=command.guest_id,
            round_number=len(state.rounds) + 1,
            lines=[line.as_order_line() for line in state.cart],
            round_total=round_total,
            order_total=money_sum((before, round_total), currency),
        )
    ]


def tickets(
    lines: Iterable[OrderLine], stations: Mapping[str, str | None]
) -> list[ProductionTicket]:
    """One ticket per production station, in the order the stations first appear in the round;
    a product the menu gives no station (or no longer has) goes to the kitchen."""
    by_station: dict[str, list[TicketLine]] = {}
    for line in lines:
        station = stations.get(line.product_id) or DEFAULT_STATION
        by_station.setdefault(station, []).append(
            TicketLine(
                line_id=line.line_id,
                name=line.name,
                quantity=line.quantity,
                note=line.note,
                options=list(line.options),
            )
        )
    return [ProductionTicket(station=s, lines=ls) for s, ls in by_station.items()]


def send_to_production(state: TableOrder, command: SendToProduction) -> list[Event]:
    validated = state.round(command.round_number)
    # A validation of another order, of a round we do not have, or one already sent changes
    # nothing: the POS may tell us twice, and it is not ours to refuse its facts. A round the
    # POS rejected is never made.
    if state.order_id != command.order_id or validated is None or validated.sent_to_production:
        return []
    if command.pos_round is not None and command.pos_round.rejected:
        return []
    lines = as_it_stands(validated, command.pos_round).lines
    return [
        SentToProduction(
            order_id=command.order_id,
            session_id=command.session_id,
            venue_id=state.venue_id or "",
            round_number=command.round_number,
            spot_name=command.spot_name,
            tickets=tickets(lines, command.stations),
        )
    ]


def close(state: TableOrder, command: CloseOrder) -> list[Event]:
    if not command.fully_paid or state.order_id != command.order_id or state.closed:
        return []
    return [
        OrderClosed(
            order_id=command.order_id,
            session_id=command.session_id,
            venue_id=state.venue_id or "",
        )
    ]
