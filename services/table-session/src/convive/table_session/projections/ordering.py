"""What table-session keeps of ordering's facts: the sessions whose order was confirmed
(`OrderPlaced`). From then on a phone that is not yet a guest of the session needs its PIN to
join (see `domain.scans`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.table_session.tables import confirmed_orders


async def order_confirmed(
    conn: AsyncConnection,
    *,
    session_id: str,
    order_id: str,
    spot_id: str,
    venue_id: str,
    placed_at: datetime,
) -> None:
    """Remember the session's first confirmed order; later rounds change nothing. The session
    may not be known here yet (another stream, another topic): the row is kept by session id
    all the same."""
    await conn.execute(
        insert(confirmed_orders)
        .values(
            session_id=session_id,
            order_id=order_id,
            spot_id=spot_id,
            venue_id=venue_id,
            placed_at=placed_at,
        )
        .on_conflict_do_nothing()
    )
