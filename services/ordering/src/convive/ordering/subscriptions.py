"""Every subscription of the ordering service, in one place: which other services' events it
listens to, and what each one does (update a projection, or issue a command).

- table-session → `ordering.sessions`: the open sessions, their guests (who may order) and
  their profit centre.
- table-session → `ordering.profit_centres`: each profit centre's journey mode (whether
  ordering is offered there).
- table-session → `ordering.spots`: each spot's name (for tickets) and kind (concierge offers
  are ordered from rooms only).
- pos-gateway → `ordering.pos_outcomes`: amendments and rejections of rounds are kept
  (`pos_rounds`: the guests' view, totals and tickets follow them); a validated round goes to
  production; a payment in full closes the order (a part payment does not).
- ordering → `ordering.own_views`: ordering's own read models (tickets, offers, offer orders),
  written with the commands and rebuildable from ordering's topic (see `own_views`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.pos_gateway import (
    OrderAmended,
    OrderRejected,
    OrderValidated,
    PaymentSettled,
)
from convive.contracts.table_session import (
    GuestJoined,
    ProfitCentreConfigured,
    SessionClosed,
    SessionOpened,
    SpotCreated,
)
from convive.ordering import commands, projections
from convive.ordering.own_views import own_views
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


# A consumer group of its own too: it reads table-session's topic from its beginning, so the
# spots created before ordering knew of spots are learnt as well.
spots = Projection("ordering.spots", tables=[projections.spots])


@spots.on(SpotCreated)
async def on_spot_created(
    conn: AsyncConnection, event: SpotCreated, envelope: EventEnvelope
) -> None:
    await projections.spot_created(
        conn,
        spot_id=event.spot_id,
        venue_id=event.venue_id,
        profit_centre_id=event.profit_centre_id,
        name=event.name,
        kind=event.kind.value,
    )


pos_outcomes = Projection("ordering.pos_outcomes", tables=[projections.pos_rounds])


@pos_outcomes.on(OrderAmended)
async def on_order_amended(
    conn: AsyncConnection, event: OrderAmended, envelope: EventEnvelope
) -> None:
    await projections.round_amended(
        conn,
        order_id=event.order_id,
        round_number=event.round_number,
        session_id=event.session_id,
        venue_id=event.venue_id,
        lines=event.lines,
        round_total=event.round_total,
        note=event.note,
        amended_by=event.amended_by,
    )


@pos_outcomes.on(OrderRejected)
async def on_order_rejected(
    conn: AsyncConnection, event: OrderRejected, envelope: EventEnvelope
) -> None:
    await projections.round_rejected(
        conn,
        order_id=event.order_id,
        round_number=event.round_number,
        session_id=event.session_id,
        venue_id=event.venue_id,
        reason=event.reason,
        rejected_by=event.rejected_by,
    )


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
        venue_id=event.venue_id,
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
    await commands.close_order(
        conn,
        session_id=session_id,
        order_id=event.order_id,
        fully_paid=event.fully_paid,
        cause=envelope,
    )


PROJECTIONS: Sequence[Projection] = (sessions, profit_centres, spots, pos_outcomes, own_views)
