"""The POS's view of one order: its rounds as ordering announced them and as staff amended
them, which rounds were validated or rejected (by whom, where), and what was paid, in all and
line by line. `evolve` takes ordering's rounds and the POS's own decisions one at a time; `fold`
builds the order from them.

An order's POS stream holds only the POS's decisions: the rounds come from the projection of
ordering's events, so `fold` starts from the order as the projection knows it (its rounds) and
folds the stream on top."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from convive.contracts import Event, EventEnvelope, Money
from convive.contracts.ordering import OrderLine, OrderPlaced, RoundAdded
from convive.contracts.pos_gateway import (
    OnlinePaymentFailed,
    OnlinePaymentStarted,
    OrderAmended,
    OrderRejected,
    OrderValidated,
    PaymentSettled,
)
from convive.runtime import domain as runtime_domain
from convive.runtime.domain import NotFound


def order_stream(order_id: str) -> str:
    """The stream of the POS's own decisions on an order."""
    return f"pos-{order_id}"


@dataclass(frozen=True)
class Round:
    """One round as it stands: the guests' lines, or staff's amendment of them."""

    lines: tuple[OrderLine, ...]
    total: Money
    placed_by: str = ""
    amended: bool = False


@dataclass(frozen=True)
class Validation:
    staff: str
    device_id: str


@dataclass(frozen=True)
class Rejection:
    staff: str
    reason: str
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
    validated or rejected, and what was paid."""

    order_id: str
    venue_id: str = ""
    session_id: str = ""
    rounds: Mapping[int, Round] = field(default_factory=dict)
    validations: Mapping[int, Validation] = field(default_factory=dict)
    rejections: Mapping[int, Rejection] = field(default_factory=dict)
    paid_minor: int = 0
    payments: int = 0
    paid_lines: frozenset[str] = frozenset()
    online: Mapping[str, OnlinePayment] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        return bool(self.rounds)

    @property
    def currency(self) -> str:
        return next(iter(self.rounds.values())).total.currency if self.rounds else ""

    @property
    def due_rounds(self) -> dict[int, Round]:
        """The rounds to pay for: every round but the rejected ones."""
        return {n: r for n, r in self.rounds.items() if n not in self.rejections}

    @property
    def total_minor(self) -> int:
        return sum(r.total.amount_minor for r in self.due_rounds.values())

    @property
    def validated_minor(self) -> int:
        return sum(
            r.total.amount_minor for n, r in self.due_rounds.items() if n in self.validations
        )

    @property
    def due_minor(self) -> int:
        return self.total_minor - self.paid_minor

    @property
    def paid(self) -> bool:
        return self.payments > 0 and self.due_minor <= 0

    @property
    def unvalidated_rounds(self) -> list[int]:
        return sorted(n for n in self.due_rounds if n not in self.validations)

    def line(self, line_id: str) -> OrderLine | None:
        """A line of a round still to pay for (a rejected round's lines are not)."""
        for r in self.due_rounds.values():
            for line in r.lines:
                if line.line_id == line_id:
                    return line
        return None

    def require_known(self) -> None:
        if not self.known:
            raise NotFound(f"order {self.order_id} is not known to the POS (yet)", field="order_id")


def line_total(line: OrderLine) -> int:
    """A line's amount in minor units (its unit price includes the chosen options)."""
    return line.unit_price.amount_minor * line.quantity


def evolve(state: PosOrder, event: Event) -> PosOrder:
    """The order after one more event (ordering's rounds or the POS's own decisions)."""
    match event:
        case OrderPlaced() | RoundAdded():
            known = state.rounds.get(event.round_number)
            if known is not None and known.amended:
                return state  # staff's amendment stands over the guests' lines
            placed = Round(
                lines=tuple(event.lines), total=event.round_total, placed_by=event.placed_by
            )
            return replace(
                state,
                venue_id=event.venue_id,
                session_id=event.session_id,
                rounds={**state.rounds, event.round_number: placed},
            )
        case OrderAmended():
            before = state.rounds.get(event.round_number)
            amended = Round(
                lines=tuple(event.lines),
                total=event.round_total,
                placed_by=before.placed_by if before is not None else "",
                amended=True,
            )
            return replace(
                _seen(state, event.venue_id, event.session_id),
                rounds={**state.rounds, event.round_number: amended},
            )
        case OrderRejected():
            rejection = Rejection(
                staff=event.rejected_by, reason=event.reason, device_id=event.device_id
            )
            return replace(
                _seen(state, event.venue_id, event.session_id),
                rejections={**state.rejections, event.round_number: rejection},
            )
        case OrderValidated():
            validation = Validation(staff=event.validated_by, device_id=event.device_id)
            return replace(
                _seen(state, event.venue_id, event.session_id or ""),
                validations={**state.validations, event.round_number: validation},
            )
        case PaymentSettled():
            online = dict(state.online)
            if event.payment_id is not None and event.payment_id in online:
                online[event.payment_id] = replace(online[event.payment_id], status="settled")
            return replace(
                _seen(state, event.venue_id, event.session_id),
                paid_minor=state.paid_minor + event.amount.amount_minor,
                payments=state.payments + 1,
                paid_lines=state.paid_lines | frozenset(event.line_ids or ()),
                online=online,
            )
        case OnlinePaymentStarted():
            started = OnlinePayment(amount=event.amount, guest_id=event.guest_id)
            return replace(state, online={**state.online, event.payment_id: started})
        case OnlinePaymentFailed():
            known_payment = state.online.get(event.payment_id)
            if known_payment is None:
                return state
            failed = replace(known_payment, status="failed", reason=event.reason)
            return replace(state, online={**state.online, event.payment_id: failed})
    return state


def _seen(state: PosOrder, venue_id: str, session_id: str) -> PosOrder:
    return replace(
        state, venue_id=state.venue_id or venue_id, session_id=state.session_id or session_id
    )


def fold(known: PosOrder, history: Iterable[Event | EventEnvelope]) -> PosOrder:
    """The order after `history` (its POS stream, or any events of it), from what is `known`
    of it already (the rounds that reached the POS)."""
    return runtime_domain.fold(evolve, known, history)
