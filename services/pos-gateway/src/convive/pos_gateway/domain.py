"""The POS's view of one order, and the decisions taken on it: validating a round, settling
the bill at the till, and a guest paying from the phone (online through the payment provider,
or charged to the room). Pure functions, no I/O: `evolve` folds events into a `PosOrder`,
`decide_*` turn a command into new events or refuse it with a domain error."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from convive.contracts import Event, EventEnvelope, Money
from convive.contracts.ordering import OrderPlaced, RoundAdded
from convive.contracts.pos_gateway import (
    OnlinePaymentFailed,
    OnlinePaymentStarted,
    OrderValidated,
    PaymentMethod,
    PaymentSettled,
)
from convive.contracts.table_session import JourneyMode, SpotKind
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
class OnlinePayment:
    """A payment a guest started from the phone, and how it ended (if it did)."""

    amount: Money
    guest_id: str
    status: str = "started"  # then "settled" or "failed"
    reason: str | None = None


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
    online: Mapping[str, OnlinePayment] = field(default_factory=dict)

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
            online = dict(state.online)
            if event.payment_id is not None and event.payment_id in online:
                online[event.payment_id] = replace(online[event.payment_id], status="settled")
            return replace(
                state,
                venue_id=state.venue_id or event.venue_id,
                session_id=state.session_id or event.session_id,
                paid_minor=state.paid_minor + event.amount.amount_minor,
                payments=state.payments + 1,
                online=online,
            )
        case OnlinePaymentStarted():
            started = OnlinePayment(amount=event.amount, guest_id=event.guest_id)
            return replace(state, online={**state.online, event.payment_id: started})
        case OnlinePaymentFailed():
            known = state.online.get(event.payment_id)
            if known is None:
                return state
            failed = replace(known, status="failed", reason=event.reason)
            return replace(state, online={**state.online, event.payment_id: failed})
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


# --- guests paying from the phone ---------------------------------------------------------

# The modes whose guests pay from the phone (SPEC §1); in `order`, the bill is paid to staff.
ONLINE_PAYMENT_MODES = frozenset({JourneyMode.ORDER_AND_PAY, JourneyMode.PAY})
PROVIDER_PAID = "paid"


class NotAGuest(DomainError):
    """Someone who is not a guest of the order's session asked to pay it."""

    status = 403


@dataclass(frozen=True)
class GuestFacts:
    """What table-session told the POS about the guest and the order's spot (None: not yet)."""

    guest_id: str
    seated: bool
    mode: JourneyMode | None = None
    spot_kind: SpotKind | None = None


@dataclass(frozen=True)
class StartOnlinePayment:
    guest: GuestFacts
    payment_id: str
    provider: str
    amount: Money | None = None  # what the provider was asked for; None to check before asking


@dataclass(frozen=True)
class ProviderOutcome:
    """What the provider's webhook reported about one payment."""

    payment_id: str
    status: str  # "paid", or what else the provider said ("cancelled", "failed"…)
    amount: Money


@dataclass(frozen=True)
class ChargeToRoom:
    guest: GuestFacts


def _require_guest(state: PosOrder, guest: GuestFacts) -> None:
    if not guest.seated:
        raise NotAGuest(
            f"guest {guest.guest_id} is not a guest of the session of order {state.order_id}",
            field="guest_id",
        )


def amount_due(state: PosOrder) -> Money:
    """What a guest may pay now: the whole amount still due, or a refusal saying why not."""
    _require_known(state)
    if state.paid:
        raise Conflict(f"order {state.order_id} is already paid")
    if state.due_minor <= 0:
        raise Conflict(f"nothing is due on order {state.order_id}")
    return Money(amount_minor=state.due_minor, currency=state.currency)


def decide_start_online(state: PosOrder, command: StartOnlinePayment) -> list[Event]:
    """A guest starts paying the amount due online; allowed before the POS validated (the
    kitchen still waits for the validation)."""
    _require_known(state)
    _require_guest(state, command.guest)
    mode = command.guest.mode
    if mode is not None and mode not in ONLINE_PAYMENT_MODES:
        raise Conflict(f"paying from the phone is not offered here (mode {mode.value})")
    due = amount_due(state)
    if command.amount is not None and command.amount != due:
        raise Conflict(
            f"the amount due on order {state.order_id} changed to {due.amount_minor} "
            f"{due.currency} meanwhile; start the payment again"
        )
    return [
        OnlinePaymentStarted(
            venue_id=state.venue_id,
            order_id=state.order_id,
            session_id=state.session_id,
            payment_id=command.payment_id,
            amount=due,
            provider=command.provider,
            guest_id=command.guest.guest_id,
        )
    ]


def decide_online_outcome(state: PosOrder, outcome: ProviderOutcome) -> list[Event]:
    """The provider's word on a payment: settle the order with it, or record why not. A word
    already heard (a replayed webhook) decides nothing."""
    payment = state.online.get(outcome.payment_id)
    if payment is None:
        raise NotFound(
            f"no online payment {outcome.payment_id} was started on order {state.order_id}",
            field="payment_id",
        )
    if payment.status != "started":
        return []

    def failed(reason: str) -> list[Event]:
        return [
            OnlinePaymentFailed(
                venue_id=state.venue_id,
                order_id=state.order_id,
                session_id=state.session_id,
                payment_id=outcome.payment_id,
                reason=reason,
            )
        ]

    if outcome.status != PROVIDER_PAID:
        return failed(outcome.status)
    # Never settle an amount the guest was not asked for; money taken in these cases is
    # refunded by staff (the POS sees the failure and its reason).
    if outcome.amount != payment.amount:
        return failed("amount_mismatch")
    if state.paid:
        return failed("already_paid")
    if payment.amount.amount_minor != state.due_minor:
        return failed("amount_due_changed")
    return [
        PaymentSettled(
            venue_id=state.venue_id,
            order_id=state.order_id,
            session_id=state.session_id,
            amount=payment.amount,
            method=PaymentMethod.ONLINE,
            payment_id=outcome.payment_id,
            paid_by_guest=payment.guest_id,
        )
    ]


def decide_room_charge(state: PosOrder, command: ChargeToRoom) -> list[Event]:
    """A guest of a room puts the whole amount due on the room's bill."""
    _require_known(state)
    _require_guest(state, command.guest)
    kind = command.guest.spot_kind
    if kind is not SpotKind.ROOM:
        where = f"a {kind.value}" if kind is not None else "a spot whose kind is not known yet"
        raise Conflict(
            f"only an order of a room can be charged to the room; this one is at {where}"
        )
    due = amount_due(state)
    return [
        PaymentSettled(
            venue_id=state.venue_id,
            order_id=state.order_id,
            session_id=state.session_id,
            amount=due,
            method=PaymentMethod.ROOM_CHARGE,
            paid_by_guest=command.guest.guest_id,
        )
    ]
