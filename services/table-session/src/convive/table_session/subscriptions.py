"""Every subscription of the table-session service, in one place: what it does when other
services' events arrive. (Its own read models are written with its commands: see projections.)

- pos-gateway `PaymentSettled` paying the bill in full (`fully_paid`; a part payment changes
  nothing) → close the session and release its spot (`SessionClosed` with
  reason "settled", then `SpotReleased`), in the handler's transaction.
- ordering `OrderPlaced` → remember that the session has a confirmed order (`confirmed_orders`):
  from then on a phone that is not yet a guest needs the session's PIN to join. The event
  arrives a moment after the guest confirmed, so a phone scanning in that moment may still join
  without the PIN: acceptable, it is one more guest of a table that was open to all a moment
  before.
"""

from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.ordering import OrderPlaced
from convive.contracts.pos_gateway import PaymentSettled
from convive.runtime.projections import Projection
from convive.table_session import commands
from convive.table_session.projections import confirmed_orders

settlements = Projection("table_session.settlements")
orders = Projection("table_session.confirmed_orders", tables=[confirmed_orders])


@settlements.on(PaymentSettled)
async def on_payment_settled(
    conn: AsyncConnection, event: PaymentSettled, envelope: EventEnvelope
) -> None:
    # A part payment leaves the bill open; a settlement of a session we do not know, or
    # closed already, closes nothing.
    if not event.fully_paid:
        return
    await commands.close_session(conn, event.session_id, "settled", envelope.caused())


@orders.on(OrderPlaced)
async def on_order_placed(
    conn: AsyncConnection, event: OrderPlaced, envelope: EventEnvelope
) -> None:
    # Only the first confirmation matters; the session may not be known here yet (another
    # stream, another topic): the row is kept by session id all the same.
    await conn.execute(
        insert(confirmed_orders)
        .values(
            session_id=event.session_id,
            order_id=event.order_id,
            spot_id=event.spot_id,
            venue_id=event.venue_id,
            placed_at=envelope.time,
        )
        .on_conflict_do_nothing()
    )


PROJECTIONS: Sequence[Projection] = (settlements, orders)
