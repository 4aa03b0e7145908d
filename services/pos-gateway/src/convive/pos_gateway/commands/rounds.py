"""What staff decide on a round at the POS: validate it, or, while it is still pending, amend it
(products added are priced from the venue's menu as the POS last learnt it) or reject it. Of
two devices deciding on one round at once, one wins; the other hears who decided."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import Event
from convive.contracts.pos_gateway import OrderAmended, OrderRejected, OrderValidated
from convive.pos_gateway import domain
from convive.pos_gateway.commands.pos_order import one_event, round_cause
from convive.pos_gateway.queries.orders import menu_items
from convive.runtime.eventstore import AppendResult, EventStore


class _RoundCommand(Protocol):
    @property
    def order_id(self) -> str: ...
    @property
    def round_number(self) -> int: ...


_RoundCommandT = TypeVar("_RoundCommandT", bound=_RoundCommand)


async def _decide_on_round(
    engine: AsyncEngine,
    store: EventStore,
    device: domain.Device,
    command: _RoundCommandT,
    decide: Callable[[domain.PosOrder, _RoundCommandT], list[Event]],
) -> tuple[AppendResult, Any]:
    """A staff decision on one round of the order, yielding one event."""
    return await one_event(
        engine,
        store,
        command.order_id,
        device,
        lambda state: decide(state, command),
        round_cause(command.round_number),
    )


async def validate_round(
    engine: AsyncEngine,
    store: EventStore,
    *,
    order_id: str,
    round_number: int,
    staff: str,
    device: domain.Device,
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
    device: domain.Device,
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
    device: domain.Device,
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
