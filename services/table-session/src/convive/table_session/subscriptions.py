"""Every subscription of the table-session service, in one place: what it does when other
services' events arrive. (Its own read models are written with its commands: see projections.)

- pos-gateway `PaymentSettled` → close the session and release its spot (`SessionClosed` with
  reason "settled", then `SpotReleased`), in the handler's transaction.
"""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.pos_gateway import PaymentSettled
from convive.runtime.projections import Projection
from convive.table_session import commands

settlements = Projection("table_session.settlements")


@settlements.on(PaymentSettled)
async def on_payment_settled(
    conn: AsyncConnection, event: PaymentSettled, envelope: EventEnvelope
) -> None:
    # A settlement of a session we do not know, or closed already, closes nothing.
    await commands.close_session(conn, event.session_id, "settled", envelope.caused())


PROJECTIONS: Sequence[Projection] = (settlements,)
