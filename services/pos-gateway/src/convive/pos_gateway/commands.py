"""Command handlers of the POS on orders: validate, amend or reject a round, settle a payment
at the till (in full, in part, by items), split the bill, and let a guest pay from the phone
(online through the provider, or charged to the room). Each loads what it decides on, decides
with the domain, and appends to the order's POS stream; the read models that the next request
needs are written in the same transaction. Devices are paired in `devices.py`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.contracts import Event, EventEnvelope, Money
from convive.contracts.pos_gateway import (
    OnlinePaymentStarted,
    OrderAmended,
    OrderRejected,
    OrderValidated,
    PaymentMethod,
    PaymentSettled,
)
from convive.pos_gateway import domain
from convive.pos_gateway.auth import Device
from convive.pos_gateway.menu import menu_items
from convive.pos_gateway.payments.provider import PaymentProvider, WebhookNotice
from convive.pos_gateway.projections import record_payment, record_validation
from convive.pos_gateway.queries import KnownOrder, guest_facts, known_order
from convive.pos_gateway.round_changes import record_amendment, record_rejection
from convive.runtime.domain import NotFound
from convive.runtime.eventstore import (
    AppendResult,
    ConcurrencyError,
    EventStore,
    decide_and_append,
)

ATTEMPTS = 5

Decision = Callable[[domain.PosOrder], list[Event]]


def _first_round(known: KnownOrder) -> tuple[str, str]:
    """The bill settles the whole order: it continues the order's first round's story."""
    return known.round_events[min(known.round_events)]


async def _decide_on_order(
    engine: AsyncEngine,
    store: EventStore,
    order_id: str,
    device: Device | None,
    decision: Decision,
    caused_by: Callable[[KnownOrder], tuple[str, str]],
) -> tuple[AppendResult | None, list[EventEnvelope]]:
    """Decide on the order's known rounds plus the POS's own history of it; on a concurrent
    append to the order's stream, read both again and decide again. A decision of nothing
    (a replayed webhook) appends nothing and answers None.

    This retry stays ours: `decide_and_append` would retry by reading the stream again, but
    not the known rounds (its `decide` cannot read the projection), and a round that reached
    the POS meanwhile changes what is due."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await _decide_once(engine, store, order_id, device, decision, caused_by)
        except ConcurrencyError:
            if attempt == ATTEMPTS:
                raise
            await asyncio.sleep(0.005 * attempt)
    raise AssertionError("unreachable")


async def _decide_once(
    engine: AsyncEngine,
    store: EventStore,
    order_id: str,
    device: Device | None,
    decision: Decision,
    caused_by: Callable[[KnownOrder], tuple[str, str]],
) -> tuple[AppendResult | None, list[EventEnvelope]]:
    stream = domain.order_stream(order_id)
    async with engine.begin() as conn:
        known = await known_order(conn, order_id)
        if known is None:
            raise NotFound(f"order {order_id} is not known to the POS (yet)", field="order_id")
        if device is not None:
            device.require_venue(known.state.venue_id)
        causation_id, correlation_id = caused_by(known)
        decided: list[EventEnvelope] = []

        def decide(history: list[EventEnvelope]) -> Sequence[EventEnvelope]:
            state = domain.fold(known.state, history)
            decided[:] = [
                EventEnvelope.wrap(
                    event,
                    subject=stream,
                    correlation_id=correlation_id,
                    causation_id=causation_id,
                )
                for event in decision(state)
            ]
            return decided

        # One try: a lost race goes back to `_decide_on_order`, to read the known rounds again.
        result = await decide_and_append(
            store, stream, decide, attempts=1, conn=conn, then=_write_through
        )
    if result is not None:
        store.notify_committed(len(result.event_ids))
    return result, decided


async def _write_through(
    conn: AsyncConnection, new_events: Sequence[EventEnvelope], result: AppendResult
) -> None:
    first_version = result.version - len(new_events) + 1
    for offset, envelope in enumerate(new_events):
        event = envelope.event()
        if isinstance(event, OrderValidated):
            await record_validation(conn, event, envelope.time, envelope.id)
        elif isinstance(event, PaymentSettled):
            await record_payment(conn, event, envelope.time, envelope.id)
        elif isinstance(event, OrderAmended):
            await record_amendment(conn, event, envelope.time, first_version + offset)
        elif isinstance(event, OrderRejected):
            await record_rejection(conn, event, envelope.time)


async def _one_event(
    engine: AsyncEngine,
    store: EventStore,
    order_id: str,
    device: Device | None,
    decision: Decision,
    caused_by: Callable[[KnownOrder], tuple[str, str]],
) -> tuple[AppendResult, Any]:
    result, envelopes = await _decide_on_order(engine, store, order_id, device, decision, caused_by)
    assert result is not None, "this decision always yields an event"
    assert len(envelopes) == 1, "this decision yields one event"
    return result, envelopes[0].event()


def _round_cause(round_number: int) -> Callable[[KnownOrder], tuple[str, str]]:
    """A decision on a round continues the story of the round's event."""

    def caused_by(known: KnownOrder) -> tuple[str, str]:
        first = min(known.round_events)
        return known.round_events.get(round_number, known.round_events[first])

    return caused_by


class _RoundCommand(Protocol):
    @property
    def order_id(self) -> str: ...
    @property
    def round_number(self) -> int: ...


_RoundCommandT = TypeVar("_RoundCommandT", bound=_RoundCommand)


async def _decide_on_round(
    engine: AsyncEngine,
    store: EventStore,
    device: Device,
    command: _RoundCommandT,
    decide: Callable[[domain.PosOrder, _RoundCommandT], list[Event]],
) -> tuple[AppendResult, Any]:
    """A staff decision on one round of the order, yielding one event."""
    return await _one_event(
        engine,
        store,
        command.order_id,
        device,
        lambda state: decide(state, command),
        _round_cause(command.round_number),
    )


async def validate_round(
    engine: AsyncEngine,
    store: EventStore,
    *,
    order_id: str,
    round_number: int,
    staff: str,
    device: Device,
    staff_id: str | None = None,
) -> tuple[AppendResult, OrderValidated]:
    command = domain.ValidateRound(
        order_id=order_id,
        round_number=round_number,
        staff=staff,
        device_id=device.device_id,
        staff_id=staff_id,
    )
    return await _decide_on_round(engine, store, device, command, domain.decide_validate)


async def amend_round(
    engine: AsyncEngine,
    store: EventStore,
    *,
    order_id: str,
    round_number: int,
    lines: Sequence[domain.AmendLine],
    staff: str,
    device: Device,
    note: str | None = None,
    staff_id: str | None = None,
) -> tuple[AppendResult, OrderAmended]:
    """Amend a pending round; products added are priced from the venue's menu as the POS
    last learnt it."""
    async with engine.connect() as conn:
        menu = await menu_items(
            conn, device.venue_id, [line.product_id for line in lines if line.product_id]
        )
    command = domain.AmendRound(
        order_id=order_id,
        round_number=round_number,
        staff=staff,
        device_id=device.device_id,
        lines=tuple(lines),
        new_line_ids=tuple(uuid.uuid4().hex for line in lines if line.line_id is None),
        menu=menu,
        note=note,
        staff_id=staff_id,
    )
    return await _decide_on_round(engine, store, device, command, domain.decide_amend)


async def reject_round(
    engine: AsyncEngine,
    store: EventStore,
    *,
    order_id: str,
    round_number: int,
    reason: str,
    staff: str,
    device: Device,
    staff_id: str | None = None,
) -> tuple[AppendResult, OrderRejected]:
    command = domain.RejectRound(
        order_id=order_id,
        round_number=round_number,
        staff=staff,
        device_id=device.device_id,
        reason=reason,
        staff_id=staff_id,
    )
    return await _decide_on_round(engine, store, device, command, domain.decide_reject)


async def settle_payment(
    engine: AsyncEngine,
    store: EventStore,
    *,
    order_id: str,
    amount: Money,
    method: PaymentMethod,
    payment_card_token: str | None,
    device: Device,
    line_ids: Sequence[str] | None = None,
    staff: str | None = None,
    staff_id: str | None = None,
) -> tuple[AppendResult, PaymentSettled]:
    command = domain.SettlePayment(
        order_id=order_id,
        amount=amount,
        method=method,
        payment_card_token=payment_card_token,
        line_ids=tuple(line_ids) if line_ids is not None else None,
        staff=staff,
        staff_id=staff_id,
        device_id=device.device_id,
    )
    return await _one_event(
        engine,
        store,
        order_id,
        device,
        lambda state: domain.decide_settle(state, command),
        _first_round,
    )


async def order_state(engine: AsyncEngine, store: EventStore, order_id: str) -> domain.PosOrder:
    """The order as it stands: its known rounds and the POS's decisions on it."""
    async with engine.connect() as conn:
        known = await known_order(conn, order_id)
        if known is None:
            raise NotFound(f"order {order_id} is not known to the POS (yet)", field="order_id")
        history = await store.read_stream(domain.order_stream(order_id), conn=conn)
    return domain.fold(known.state, history)


# --- guests paying from the phone --------------------------------------------------------


async def _order_and_guest(
    engine: AsyncEngine, store: EventStore, order_id: str, guest_id: str
) -> tuple[domain.PosOrder, domain.GuestFacts]:
    """The order as it stands and what table-session said of the guest and the order's spot."""
    state = await order_state(engine, store, order_id)
    async with engine.connect() as conn:
        facts = await guest_facts(conn, order_id, state.session_id, guest_id)
    return state, facts


@dataclass(frozen=True)
class StartedPayment:
    result: AppendResult
    event: OnlinePaymentStarted
    redirect_url: str


async def start_online_payment(
    engine: AsyncEngine,
    store: EventStore,
    provider: PaymentProvider,
    *,
    order_id: str,
    guest_id: str,
    return_url: str,
    webhook_url: str,
) -> StartedPayment:
    """Open a checkout at the provider for the amount due and record that the guest started
    paying. Refusals come before the provider is asked, so a refused guest opens nothing."""
    state, guest = await _order_and_guest(engine, store, order_id, guest_id)
    domain.decide_start_online(
        state, domain.StartOnlinePayment(guest=guest, payment_id="", provider=provider.name)
    )
    due = domain.amount_due(state)
    checkout = await provider.create_checkout(
        amount=due,
        reference=order_id,
        return_url=return_url,
        webhook_url=webhook_url,
        idempotency_key=uuid.uuid4().hex,
    )
    command = domain.StartOnlinePayment(
        guest=guest, payment_id=checkout.payment_id, provider=provider.name, amount=due
    )
    result, event = await _one_event(
        engine,
        store,
        order_id,
        None,
        lambda s: domain.decide_start_online(s, command),
        _first_round,
    )
    return StartedPayment(result, event, checkout.redirect_url)


async def record_provider_outcome(
    engine: AsyncEngine, store: EventStore, notice: WebhookNotice
) -> tuple[AppendResult | None, list[Event]]:
    """Settle or fail the payment the provider's webhook is about; a replayed webhook finds
    the payment already decided and appends nothing."""
    outcome = domain.ProviderOutcome(
        payment_id=notice.payment_id, status=notice.status, amount=notice.amount
    )
    result, envelopes = await _decide_on_order(
        engine,
        store,
        notice.reference,
        None,
        lambda s: domain.decide_online_outcome(s, outcome),
        _first_round,
    )
    return result, [e.event() for e in envelopes]


async def charge_to_room(
    engine: AsyncEngine, store: EventStore, *, order_id: str, guest_id: str
) -> tuple[AppendResult, PaymentSettled]:
    _, guest = await _order_and_guest(engine, store, order_id, guest_id)
    command = domain.ChargeToRoom(guest=guest)
    return await _one_event(
        engine,
        store,
        order_id,
        None,
        lambda s: domain.decide_room_charge(s, command),
        _first_round,
    )
