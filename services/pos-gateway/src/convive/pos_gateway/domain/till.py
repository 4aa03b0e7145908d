"""Taking payments at the till: any amount up to what is due (a part payment), the lines
of one guest (split by items), or equal shares (split equally). The payment that leaves
nothing due is `fully_paid`; a rejected round is not due. Pure functions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from convive.contracts import Event, Money
from convive.contracts.pos_gateway import PaymentMethod, PaymentSettled
from convive.pos_gateway.domain.order import PosOrder, line_total
from convive.runtime.domain import Conflict, DomainError, Invalid

TILL_METHODS = frozenset({PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.ROOM_CHARGE})


@dataclass(frozen=True)
class SettlePayment:
    order_id: str
    amount: Money
    method: PaymentMethod
    payment_card_token: str | None = None
    line_ids: tuple[str, ...] | None = None  # the lines it pays for, when split by items
    staff: str | None = None
    staff_id: str | None = None
    device_id: str | None = None


# 13 to 19 digits, possibly grouped with spaces or dashes as card numbers are written.
_PAN = re.compile(r"(?<!\d)(?:\d[ -]*){12,18}\d")


def looks_like_card_number(text: str) -> bool:
    return _PAN.search(text) is not None


def _require_payable(state: PosOrder) -> None:
    state.require_known()
    if state.paid:
        raise Conflict(f"order {state.order_id} is already paid")


def decide_settle(state: PosOrder, command: SettlePayment) -> list[Event]:
    """A payment at the till of any amount up to what is due; for some lines, exactly their
    unpaid total. The one that leaves nothing due is `fully_paid`."""
    _require_payable(state)
    pending = state.unvalidated_rounds
    if pending:
        rounds = ", ".join(str(n) for n in pending)
        raise Conflict(
            f"order {state.order_id} cannot be paid before every round is validated; "
            f"not validated: round {rounds}"
        )
    if command.method not in TILL_METHODS:
        raise Invalid(
            f"{command.method.value} payments are made by guests from the phone, not at the till",
            field="method",
        )
    token = command.payment_card_token
    if token is not None and looks_like_card_number(token):
        raise DomainError(
            "payment_card_token looks like a card number; send the payment provider's token, "
            "never the card number",
            field="payment_card_token",
        )
    if command.method is PaymentMethod.CARD and token is None:
        raise DomainError(
            "a card payment needs payment_card_token, the payment provider's token of the card",
            field="payment_card_token",
        )
    given, currency, due = command.amount, state.currency, state.due_minor
    if given.currency != currency:
        raise DomainError(
            f"the order is in {currency}; a payment in {given.currency} is refused",
            field="amount.currency",
        )
    if given.amount_minor <= 0:
        raise DomainError("a payment must be of more than 0", field="amount")
    if command.line_ids is not None:
        expected = _lines_total(state, command.line_ids)
        if given.amount_minor != expected:
            raise DomainError(
                f"amount must be the total of those lines: expected {expected} {currency}, "
                f"given {given.amount_minor} {given.currency}",
                field="amount",
            )
    if given.amount_minor > due:
        raise DomainError(
            f"amount is more than what is still due: at most {due} {currency}, "
            f"given {given.amount_minor} {given.currency}",
            field="amount",
        )
    balance = due - given.amount_minor
    return [
        PaymentSettled(
            venue_id=state.venue_id,
            order_id=state.order_id,
            session_id=state.session_id,
            amount=given,
            method=command.method,
            payment_card_token=token,
            fully_paid=balance == 0,
            balance_due=Money(amount_minor=balance, currency=currency),
            line_ids=list(command.line_ids) if command.line_ids is not None else None,
            device_id=command.device_id,
            received_by=command.staff,
        )
    ]


def _lines_total(state: PosOrder, line_ids: tuple[str, ...]) -> int:
    if not line_ids:
        raise Invalid("line_ids, when given, names at least one line", field="line_ids")
    if len(set(line_ids)) != len(line_ids):
        raise Invalid("a line is named twice in line_ids", field="line_ids")
    total = 0
    for line_id in line_ids:
        line = state.line(line_id)
        if line is None:
            raise DomainError(
                f"line {line_id} is not a line to pay of order {state.order_id}",
                field="line_ids",
            )
        if line_id in state.paid_lines:
            raise Conflict(f"line {line_id} ({line.name.en}) is already paid", field="line_ids")
        total += line_total(line)
    return total


def split_equally(state: PosOrder, parts: int) -> list[Money]:
    """What is due in `parts` equal shares, the remainder cents on the first shares."""
    _require_payable(state)
    due = state.due_minor
    if due <= 0:
        raise Conflict(f"nothing is due on order {state.order_id}")
    if parts < 1:
        raise Invalid("parts must be at least 1", field="parts")
    if parts > due:
        raise DomainError(f"{due} {state.currency} cannot be split in {parts} parts", field="parts")
    share, extra = divmod(due, parts)
    return [
        Money(amount_minor=share + (1 if i < extra else 0), currency=state.currency)
        for i in range(parts)
    ]
