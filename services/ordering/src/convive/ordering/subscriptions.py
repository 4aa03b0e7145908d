"""Every subscription of the ordering service, in one place: which events it listens to, and what
each one does (update a projection, or issue a command). `PROJECTIONS` lists them all.

- table-session → `ordering.sessions`: the open sessions, their guests (who may order) and
  their profit centre.
- table-session → `ordering.profit_centres`: each profit centre's journey mode (whether
  ordering is offered there).
- table-session → `ordering.spots`: each spot's name (for tickets) and kind (concierge offers
  are ordered from rooms only).
- pos-gateway → `ordering.pos_outcomes`: amendments and rejections of rounds are kept
  (`pos_rounds`: the guests' view, totals and tickets follow them); a validated round goes to
  production; a payment in full closes the order (a part payment does not). One consumer on
  purpose: a round goes to production as amended by the events before its validation, which
  only a reader of the topic in its order is sure to have applied. Replayed into an empty
  schema (a rebuild), the two commands find no session stream and decide nothing.
- ordering → `ordering.own_views`: ordering's own read models (tickets, offers, offer orders,
  each order's session), written by the event store in every append and rebuilt from
  ordering's topic (`projections.own`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection as Conn

from convive.contracts import EventEnvelope as Envelope
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
from convive.ordering import tables
from convive.ordering.commands import production, table_order
from convive.ordering.projections import own, pos_gateway, table_session
from convive.runtime.projections import Projection

sessions = Projection("ordering.sessions", tables=[tables.sessions, tables.session_guests])
# Consumer groups of their own: each reads table-session's topic from its beginning, so that the
# profit centres and spots configured before ordering knew of them are learnt as well.
profit_centres = Projection("ordering.profit_centres", tables=[tables.profit_centres])
spots = Projection("ordering.spots", tables=[tables.spots])
pos_outcomes = Projection("ordering.pos_outcomes", tables=[tables.pos_rounds])


@sessions.on(SessionOpened)
async def on_session_opened(conn: Conn, event: SessionOpened, envelope: Envelope) -> None:
    await table_session.session_opened(
        conn,
        session_id=event.session_id,
        venue_id=event.venue_id,
        spot_id=event.spot_id,
        profit_centre_id=event.profit_centre_id,
        host_guest_id=event.host_guest_id,
    )


@sessions.on(GuestJoined)
async def on_guest_joined(conn: Conn, event: GuestJoined, envelope: Envelope) -> None:
    await table_session.guest_joined(
        conn,
        session_id=event.session_id,
        venue_id=event.venue_id,
        spot_id=event.spot_id,
        guest_id=event.guest_id,
    )


@sessions.on(SessionClosed)
async def on_session_closed(conn: Conn, event: SessionClosed, envelope: Envelope) -> None:
    await table_session.session_closed(
        conn, session_id=event.session_id, venue_id=event.venue_id, spot_id=event.spot_id
    )


@profit_centres.on(ProfitCentreConfigured)
async def on_profit_centre_configured(
    conn: Conn, event: ProfitCentreConfigured, envelope: Envelope
) -> None:
    await table_session.profit_centre_configured(
        conn,
        venue_id=event.venue_id,
        profit_centre_id=event.profit_centre_id,
        name=event.name,
        mode=event.mode.value,
    )


@spots.on(SpotCreated)
async def on_spot_created(conn: Conn, event: SpotCreated, envelope: Envelope) -> None:
    await table_session.spot_created(
        conn,
        spot_id=event.spot_id,
        venue_id=event.venue_id,
        profit_centre_id=event.profit_centre_id,
        name=event.name,
        kind=event.kind.value,
    )


@pos_outcomes.on(OrderAmended)
async def on_order_amended(conn: Conn, event: OrderAmended, envelope: Envelope) -> None:
    await pos_gateway.round_amended(
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
async def on_order_rejected(conn: Conn, event: OrderRejected, envelope: Envelope) -> None:
    await pos_gateway.round_rejected(
        conn,
        order_id=event.order_id,
        round_number=event.round_number,
        session_id=event.session_id,
        venue_id=event.venue_id,
        reason=event.reason,
        rejected_by=event.rejected_by,
    )


@pos_outcomes.on(OrderValidated)
async def on_order_validated(conn: Conn, event: OrderValidated, envelope: Envelope) -> None:
    await production.send_to_production(
        conn,
        order_id=event.order_id,
        round_number=event.round_number,
        venue_id=event.venue_id,
        session_id=event.session_id,
        cause=envelope,
    )


@pos_outcomes.on(PaymentSettled)
async def on_payment_settled(conn: Conn, event: PaymentSettled, envelope: Envelope) -> None:
    await table_order.close_order(
        conn,
        order_id=event.order_id,
        session_id=event.session_id,
        fully_paid=event.fully_paid,
        cause=envelope,
    )


PROJECTIONS: Sequence[Projection] = (sessions, profit_centres, spots, pos_outcomes, own.projection)
