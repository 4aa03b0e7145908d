"""Production: a round the POS validated (pos-gateway's `OrderValidated`, inside the consumer's
transaction) goes to production as the POS amended it, one ticket per station of the venue's
current menu, with the name of the table or room."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.ordering.commands import event_store
from convive.ordering.commands.menu import load_menu
from convive.ordering.commands.table_order import Outcome, decide_on_session, session_of_order
from convive.ordering.domain.table_order import SendToProduction
from convive.ordering.projections import pos_gateway, table_session


async def send_to_production(
    conn: AsyncConnection,
    *,
    order_id: str,
    round_number: int,
    venue_id: str,
    session_id: str | None,
    cause: EventEnvelope,
) -> Outcome | None:
    """None when ordering does not know the order."""
    session_id = await session_of_order(conn, order_id, session_id)
    if session_id is None:
        return None
    store = event_store(conn.engine)
    decided_by_pos = await pos_gateway.pos_rounds_of_session(conn, session_id, order_id=order_id)
    current_menu = await load_menu(store, venue_id, conn=conn)
    session = await table_session.session_facts(conn, session_id)
    command = SendToProduction(
        session_id=session_id,
        order_id=order_id,
        round_number=round_number,
        pos_round=decided_by_pos.get(round_number),
        stations={p.product_id: p.station for p in current_menu.products} if current_menu else {},
        spot_name=await table_session.spot_name(conn, session.spot_id) if session else None,
    )
    return await decide_on_session(store, session_id, command, conn=conn, cause=cause)
