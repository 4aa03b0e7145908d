"""Guests paying from the phone: online through the payment provider, or charged to the
room. A guest always pays the whole amount still due (net of any part payment at the till),
so a guest's payment is always `fully_paid`. Pure functions, as the rest of the domain."""

from __future__ import annotations

from dataclasses import dataclass

from convive.contracts import Event, Money
from convive.contracts.pos_gateway import (
    OnlinePaymentFailed,
    OnlinePaymentStarted,
    PaymentMethod,
    PaymentSettled,
)
from convive.contracts.table_session import JourneyMode, SpotKind
from convive.pos_gateway.domain.order import PosOrder
from convive.runtime.domain import Conflict, Forbidden, NotFound

# The modes whose guests pay from the phone (SPEC §1); in `order`, the bill is paid to staff.
ONLINE_PAYMENT_MODES = frozenset({JourneyMode.ORDER_AND_PAY, JourneyMode.PAY})
PROVIDER_PAID = "paid"


class NotAGuest(Forbidden):
    """Someone who is not a guest of the order's session asked to pay it."""


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
    state.require_known()
    if state.paid:
        raise Conflict(f"order {state.order_id} is already paid")
    if state.due_minor <= 0:
        raise Conflict(f"nothing is due on order {state.order_id}")
    return Money(amount_minor=state.due_minor, currency=state.currency)


def decide_start_online(state: PosOrder, command: StartOnlinePayment) -> list[Event]:
    """A guest starts paying the amount due online; allowed before the POS validated (the
    kitchen still waits for the validation)."""
    state.require_known()
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
            fully_paid=True,
            balance_due=Money(amount_minor=0, currency=payment.amount.currency),
        )
    ]


def decide_room_charge(state: PosOrder, command: ChargeToRoom) -> list[Event]:
    """A guest of a room puts the whole amount due on the room's bill."""
    state.require_known()
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
            fully_paid=True,
            balance_due=Money(amount_minor=0, currency=due.currency),
        )
    ]
