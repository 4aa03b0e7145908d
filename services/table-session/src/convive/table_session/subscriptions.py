"""Every subscription of the table-session service, in one place: which topics it listens to,
and what each event does (update a projection, or issue a command).

- table-session → `table_session.own_views` (`projections.own`): its own read models (venues,
  profit centres, spots with their current and replaced QR tokens, sessions and their guests).
  The event store writes them in every command's transaction; subscribed to the service's own
  topic too, so that they can be rebuilt from Kafka alone.
- ordering `OrderPlaced` → `table_session.confirmed_orders` (`projections.ordering`): the session
  has a confirmed order, so from then on a phone that is not yet a guest needs the session's
  PIN to join. The event arrives a moment after the guest confirmed, so a phone scanning in
  that moment may still join without the PIN: acceptable, it is one more guest of a table that
  was open to all a moment before.
- pos-gateway `PaymentSettled` paying the bill in full (`fully_paid`; a part payment changes
  nothing) → `table_session.settlements`: the command `sessions.settle` (`SessionClosed` with
  reason "settled", then `SpotReleased`), in the handler's transaction. It keeps no table of
  its own: what it does is on the spot's stream, and so in the own read models.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.ordering import OrderPlaced
from convive.contracts.pos_gateway import PaymentSettled
from convive.runtime.projections import Projection
from convive.table_session.commands import sessions
from convive.table_session.projections import ordering, own
from convive.table_session.tables import confirmed_orders

orders = Projection("table_session.confirmed_orders", tables=[confirmed_orders])
settlements = Projection("table_session.settlements")


@orders.on(OrderPlaced)
async def on_order_placed(
    conn: AsyncConnection, event: OrderPlaced, envelope: EventEnvelope
) -> None:
    await ordering.order_confirmed(
        conn,
        session_id=event.session_id,
        order_id=event.order_id,
        spot_id=event.spot_id,
        venue_id=event.venue_id,
        placed_at=envelope.time,
    )


@settlements.on(PaymentSettled)
async def on_payment_settled(
    conn: AsyncConnection, event: PaymentSettled, envelope: EventEnvelope
) -> None:
    await sessions.settle(
        conn, event.session_id, fully_paid=event.fully_paid, caused=envelope.caused()
    )


PROJECTIONS: Sequence[Projection] = (own.projection, orders, settlements)
"""Every projection the service subscribes to, its own read models included."""
