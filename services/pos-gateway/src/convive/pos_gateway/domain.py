"""The POS's view of one order, and the decisions taken on it: validating a round and settling
the bill. Pure functions, no I/O: `evolve` folds events into a `PosOrder`, `decide_*` turn a
command into new events or refuse it with a domain error."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from convive.contracts import Event, EventEnvelope, Money
from convive.contracts.ordering import OrderPlaced, RoundAdded
from convive.contracts.pos_gateway import OrderValidated, PaymentMethod, PaymentSettled
from convive.runtime.errors import Conflict, DomainError, NotFound


def order_stream(order_id: str) -> str:
    """The stream of the POS's own decisions on an order."""
    return f"pos-{order_id}"


def device_stream(device_id: str) -> str:
    return f"device-{device_id}"


@dataclass(frozen=True)
class Validation:
    staff: str
    device_id: str


@dataclass(frozen=True)
class PosOrder:
    """An order as the POS knows it: the rounds that reached it so far, which of them were
    validated (by whom, where), and what was paid."""

    order_id: str
    venue_id: str = ""
    session_id: str = ""
    rounds: Mapping[int, Money] = field(default_factory=dict)
    validations: Mapping[int, Validation] = field(default_factory=dict)
    paid_minor: int = 0
    payments: int = 0

    @property
    def known(self) -> bool:
        return bool(self.rounds)

    @property
    def currency(self) -> str:
        return next(iter(self.rounds.values())).currency if self.rounds else ""

    @property
    def total_minor(self) -> int:
        return sum(total.amount_minor for total in self.rounds.values())

    @property
    def due_minor(self) -> int:
        return self.total_minor - self.paid_minor

    @property
    def paid(self) -> bool:
        return self.payments > 0 and self.due_minor <= 0

    @property
    def unvalidated_rounds(self) -> list[int]:
        return sorted(n for n in self.rounds if n not in self.validations)


def evolve(state: PosOrder, event: Event | EventEnvelope) -> PosOrder:
    """The order after one more event (ordering's rounds or the POS's own decisions)."""
    if isinstance(event, EventEnvelope):
        event = event.event()
    match event:
        case OrderPlaced() | RoundAdded():
            return replace(
                state,
                venue_id=event.venue_id,
                session_id=event.session_id,
                rounds={**state.rounds, event.round_number: event.round_total},
            )
        case OrderValidated():
            validation = Validation(staff=event.validated_by, device_id=event.device_id)
            return replace(
                state,
                venue_id=state.venue_id or event.venue_id,
                session_id=state.session_id or (event.session_id or ""),
                validations={**state.validations, event.round_number: validation},
            )
        case PaymentSettled():
            return replace(
                state,
                venue_id=state.venue_id or event.venue_id,
                session_id=state.session_id or event.session_id,
                paid_minor=state.paid_minor + event.amount.amount_minor,
                payments=state.payments + 1,
            )
    return state


def fold(state: PosOrder, history: Iterable[Event | EventEnvelope]) -> PosOrder:
    for event in history:
        state = evolve(state, event)
    return state


# --- commands ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidateRound:
    order_id: str
    round_number: int
    staff: str
    device_id: str


@dataclass(frozen=True)
class SettlePayment:
    order_id: str
    amount: Money
    method: PaymentMethod
    payment_card_token: str | None = None


def _require_known(state: PosOrder) -> None:
    if not state.known:
        raise NotFound(f"order {state.order_id} is not known to the POS (yet)", field="order_id")


def decide_validate(state: PosOrder, command: ValidateRound) -> list[Event]:
    _require_known(state)
    number = command.round_number
    if number not in state.rounds:
        known = ", ".join(str(n) for n in sorted(state.rounds))
        raise NotFound(
            f"round {number} of order {state.order_id} is not known to the POS (yet); "
            f"known rounds: {known}",
            field="round_number",
        )
    done = state.validations.get(number)
    if done is not None:
        raise Conflict(f"round {number} was already validated by {done.staff} on {done.device_id}")
    return [
        OrderValidated(
            venue_id=state.venue_id,
            order_id=state.order_id,
            round_number=number,
            device_id=command.device_id,
            validated_by=command.staff,
            session_id=state.session_id or None,
        )
    ]


# 13 to 19 digits, possibly grouped with spaces or dashes as card numbers are written.
_PAN = re.compile(r"(?<!\d)(?:\d[ -]*){12,18}\d")


def looks_like_card_number(text: str) -> bool:
    return _PAN.search(text) is not None


def decide_settle(state: PosOrder, command: SettlePayment) -> list[Event]:
    _require_known(state)
    if state.paid:
        raise Conflict(f"order {state.order_id} is already paid")
    pending = state.unvalidated_rounds
    if pending:
        rounds = ", ".join(str(n) for n in pending)
        raise Conflict(
            f"order {state.order_id} cannot be paid before every round is validated; "
            f"not validated: round {rounds}"
        )
    token = command.payment_card_token
    if token is not None and looks_like_card_number(token):
        raise DomainError(
            "payment_card_token looks like a card number; send the payment provider's token, "
            "never the card number",
            field="payment_card_token",
        )
    given, currency = command.amount, state.currency
    if given.currency != currency:
        raise DomainError(
            f"the order is in {currency}; a payment in {given.currency} is refused",
            field="amount.currency",
        )
    if given.amount_minor != state.due_minor:
        raise DomainError(
            f"amount must be the total still due: expected {state.due_minor} {currency}, "
            f"given {given.amount_minor} {given.currency}",
            field="amount",
        )
    return [
        PaymentSettled(
            venue_id=state.venue_id,
            order_id=state.order_id,
            session_id=state.session_id,
            amount=given,
            method=command.method,
            payment_card_token=token,
        )
    ]
