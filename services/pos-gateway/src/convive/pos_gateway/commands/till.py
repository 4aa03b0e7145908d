"""Payments at the till: any amount up to what is due once every round is validated (in full,
in part, or exactly the unpaid lines of one guest), and the bill split in equal shares, each
then paid as a part payment."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import Money
from convive.contracts.pos_gateway import PaymentMethod, PaymentSettled
from convive.pos_gateway import domain
from convive.pos_gateway.commands.pos_order import first_round, one_event, order_state
from convive.runtime.eventstore import AppendResult, EventStore


async def settle_payment(
    engine: AsyncEngine,
    store: EventStore,
    *,
    order_id: str,
    amount: Money,
    method: PaymentMethod,
    payment_card_token: str | None,
    device: domain.Device,
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
    return await one_event(
        engine,
        store,
        order_id,
        device,
        lambda state: domain.decide_settle(state, command),
        first_round,
    )


async def split_bill(
    engine: AsyncEngine, store: EventStore, *, order_id: str, parts: int, device: domain.Device
) -> list[Money]:
    """What is due in `parts` equal shares (the remainder cents on the first ones)."""
    state = await order_state(engine, store, order_id)
    device.require_venue(state.venue_id)
    return domain.split_equally(state, parts)
