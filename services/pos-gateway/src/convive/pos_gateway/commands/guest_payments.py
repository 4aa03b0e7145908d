"""Guests paying from the phone: online through the payment provider (a checkout for what is
due, then the provider's word on it by webhook), or charged to the room. A guest always pays all
that is still due; only a guest of the order's session may (as table-session told the POS)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import Event
from convive.contracts.pos_gateway import OnlinePaymentStarted, PaymentSettled
from convive.pos_gateway import domain
from convive.pos_gateway.adapters.payment_provider import PaymentProvider, WebhookNotice
from convive.pos_gateway.commands.pos_order import (
    decide_on_order,
    first_round,
    one_event,
    order_state,
)
from convive.pos_gateway.queries.orders import guest_facts
from convive.runtime.eventstore import AppendResult, EventStore


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
    result, event = await one_event(
        engine,
        store,
        order_id,
        None,
        lambda s: domain.decide_start_online(s, command),
        first_round,
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
    result, envelopes = await decide_on_order(
        engine,
        store,
        notice.reference,
        None,
        lambda s: domain.decide_online_outcome(s, outcome),
        first_round,
    )
    return result, [e.event() for e in envelopes]


async def charge_to_room(
    engine: AsyncEngine, store: EventStore, *, order_id: str, guest_id: str
) -> tuple[AppendResult, PaymentSettled]:
    _, guest = await _order_and_guest(engine, store, order_id, guest_id)
    command = domain.ChargeToRoom(guest=guest)
    return await one_event(
        engine,
        store,
        order_id,
        None,
        lambda s: domain.decide_room_charge(s, command),
        first_round,
    )
