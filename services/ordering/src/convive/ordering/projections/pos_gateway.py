"""What ordering keeps of pos-gateway's facts, and how it reads them back: the POS's amendments
and rejections of rounds (`pos_rounds`), which the guests' view of the order, its totals and the
production tickets follow.

The handlers that call these writes are in `convive.ordering.subscriptions`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import Money
from convive.contracts.ordering import OrderLine
from convive.ordering.domain.table_order import PosRound
from convive.ordering.tables import pos_rounds

# --- writes ----------------------------------------------------------------------------------


async def _upsert_pos_round(
    conn: AsyncConnection,
    order_id: str,
    round_number: int,
    session_id: str,
    venue_id: str,
    **values: object,
) -> None:
    """Insert the round's row or change the given columns of it."""
    stmt = insert(pos_rounds).values(
        order_id=order_id,
        round_number=round_number,
        session_id=session_id,
        venue_id=venue_id,
        **values,
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["order_id", "round_number"],
            set_={**values, "updated_at": sa.func.now()},
        )
    )


async def round_amended(
    conn: AsyncConnection,
    *,
    order_id: str,
    round_number: int,
    session_id: str,
    venue_id: str,
    lines: Sequence[OrderLine],
    round_total: Money,
    note: str | None,
    amended_by: str,
) -> None:
    """The latest amendment wins: a round's POS events come in order on the order's stream."""
    await _upsert_pos_round(
        conn,
        order_id,
        round_number,
        session_id,
        venue_id,
        lines=[line.model_dump(mode="json") for line in lines],
        round_total_minor=round_total.amount_minor,
        currency=round_total.currency,
        amendment_note=note,
        amended_by=amended_by,
    )


async def round_rejected(
    conn: AsyncConnection,
    *,
    order_id: str,
    round_number: int,
    session_id: str,
    venue_id: str,
    reason: str,
    rejected_by: str,
) -> None:
    await _upsert_pos_round(
        conn,
        order_id,
        round_number,
        session_id,
        venue_id,
        rejected_reason=reason,
        rejected_by=rejected_by,
    )


# --- reads -----------------------------------------------------------------------------------


async def pos_rounds_of_session(
    conn: AsyncConnection, session_id: str, *, order_id: str | None = None
) -> dict[int, PosRound]:
    """The POS's amendments and rejections of the session's rounds, by round number."""
    query = sa.select(pos_rounds).where(pos_rounds.c.session_id == session_id)
    if order_id is not None:
        query = query.where(pos_rounds.c.order_id == order_id)
    found: dict[int, PosRound] = {}
    for row in await conn.execute(query):
        amended = row.lines is not None and row.currency is not None
        found[row.round_number] = PosRound(
            round_number=row.round_number,
            lines=tuple(OrderLine.model_validate(x) for x in row.lines) if amended else None,
            round_total=Money(amount_minor=row.round_total_minor, currency=row.currency)
            if amended
            else None,
            amendment_note=row.amendment_note,
            rejected_reason=row.rejected_reason,
        )
    return found
