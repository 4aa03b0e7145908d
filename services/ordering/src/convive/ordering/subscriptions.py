"""Every subscription of the ordering service, in one place: which other services' events it
listens to, and what each one does (update a projection, or issue a command).

- table-session → `ordering.sessions`: the open sessions, their guests (who may order) and
  their profit centre.
- table-session → `ordering.profit_centres`: each profit centre's journey mode (whether
  ordering is offered there).
- pos-gateway → `ordering.pos_outcomes`: a validated round goes to production; a settled bill
  closes the order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.pos_gateway import OrderValidated, PaymentSettled
from convive.contracts.table_session import (
    GuestJoined,
    ProfitCentreConfigured,
    SessionClosed,
    SessionOpened,
)
from convive.ordering import commands, projections
from convive.runtime.projections import Projection

log = logging.getLogger(__name__)

sessions = Projection(
    "ordering.sessions", tables=[projections.sessions, projections.session_guests]
)

# A consumer group of its own, so that it reads table-session's topic from its beginning and
# learns the profit centres configured before ordering knew about modes.
profit_centres = Projection("ordering.profit_centres", tables=[projections.profit_centres])


@profit_centres.on(ProfitCentreConfigured)
async def on_profit_centre_configured(
    conn: AsyncConnection, event: ProfitCentreConfigured, envelope: EventEnvelope
) -> None:
    await projections.profit_centre_configured(
        conn,
        venue_id=event.venue_id,
        profit_centre_id=event.profit_centre_id,
        name=event.name,
        mode=event.mode.value,
    )


@sessions.on(SessionOpened)
async def on_session_opened(
    conn: AsyncConnection, event: SessionOpened, envelope: EventEnvelope
) -> None:
    await projections.session_opened(
        conn,
        session_id=event.session_id,
        venue_id=event.venue_id,
        spot_id=event.spot_id,
        profit_centre_id=event.profit_centre_id,
        host_guest_id=event.host_guest_id,
    )
    await projections.guest_joined(conn, session_id=event.session_id, guest_id=event.host_guest_id)


@sessions.on(GuestJoined)
async def on_guest_joined(
    conn: AsyncConnection, event: GuestJoined, envelope: EventEnvelope
) -> None:
    # The session row too: should this ever come first, the guest can still order.
    await projections.session_seen(
        conn, session_id=event.session_id, venue_id=event.venue_id, spot_id=event.spot_id
    )
    await projections.guest_joined(conn, session_id=event.session_id, guest_id=event.guest_id)


@sessions.on(SessionClosed)
async def on_session_closed(
    conn: AsyncConnection, event: SessionClosed, envelope: EventEnvelope
) -> None:
    await projections.session_closed(
        conn, session_id=event.session_id, venue_id=event.venue_id, spot_id=event.spot_id
    )


pos_outcomes = Projection("ordering.pos_outcomes")


async def _session_of(conn: AsyncConnection, order_id: str, session_id: str | None) -> str | None:
    if session_id:
        return session_id
    found = await projections.session_of_order(conn, order_id)
    if found is None:
        log.warning("event about an order ordering does not know", extra={"order_id": order_id})
    return found


@pos_outcomes.on(OrderValidated)
async def on_order_validated(
    conn: AsyncConnection, event: OrderValidated, envelope: EventEnvelope
) -> None:
    session_id = await _session_of(conn, event.order_id, event.session_id)
    if session_id is None:
        return
    await commands.send_to_production(
        conn,
        session_id=session_id,
        order_id=event.order_id,
        round_number=event.round_number,
        cause=envelope,
    )


@pos_outcomes.on(PaymentSettled)
async def on_payment_settled(
    conn: AsyncConnection, event: PaymentSettled, envelope: EventEnvelope
) -> None:
    session_id = await _session_of(conn, event.order_id, event.session_id)
    if session_id is None:
        return
    await commands.close_order(conn, session_id=session_id, order_id=event.order_id, cause=envelope)


PROJECTIONS: Sequence[Projection] = (sessions, profit_centres, pos_outcomes)
