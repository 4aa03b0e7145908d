"""Read models the ordering service keeps: the table sessions it learns from table-session's
events (who may order where), and which session each of its orders belongs to (written with
the confirmation that placed the order, so a POS event naming only the order finds its session).

The handlers that feed these tables are wired in `subscriptions.py`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.ordering.domain.table_order import SessionFacts
from convive.runtime.db import metadata as new_metadata

metadata = new_metadata()

SESSION_OPEN = "open"
SESSION_CLOSED = "closed"

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("spot_id", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)

session_guests = sa.Table(
    "session_guests",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("guest_id", sa.Text, primary_key=True),
)

order_sessions = sa.Table(
    "order_sessions",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("session_id", sa.Text, nullable=False),
    sa.Column("venue_id", sa.Text, nullable=False),
)


# --- writes ----------------------------------------------------------------------------------


async def session_seen(
    conn: AsyncConnection, *, session_id: str, venue_id: str, spot_id: str
) -> None:
    """Know of a session as open, unless it is already known (then it may be closed: a late
    or redelivered opening never reopens it)."""
    await conn.execute(
        insert(sessions)
        .values(session_id=session_id, venue_id=venue_id, spot_id=spot_id, status=SESSION_OPEN)
        .on_conflict_do_nothing(index_elements=["session_id"])
    )


async def guest_joined(conn: AsyncConnection, *, session_id: str, guest_id: str) -> None:
    await conn.execute(
        insert(session_guests)
        .values(session_id=session_id, guest_id=guest_id)
        .on_conflict_do_nothing()
    )


async def session_closed(
    conn: AsyncConnection, *, session_id: str, venue_id: str, spot_id: str
) -> None:
    stmt = insert(sessions).values(
        session_id=session_id, venue_id=venue_id, spot_id=spot_id, status=SESSION_CLOSED
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["session_id"],
            set_={"status": SESSION_CLOSED, "updated_at": sa.func.now()},
        )
    )


async def order_placed(
    conn: AsyncConnection, *, order_id: str, session_id: str, venue_id: str
) -> None:
    await conn.execute(
        insert(order_sessions)
        .values(order_id=order_id, session_id=session_id, venue_id=venue_id)
        .on_conflict_do_nothing()
    )


# --- reads -----------------------------------------------------------------------------------


async def session_facts(conn: AsyncConnection, session_id: str) -> SessionFacts | None:
    row = (
        await conn.execute(sa.select(sessions).where(sessions.c.session_id == session_id))
    ).first()
    if row is None:
        return None
    guests = await conn.scalars(
        sa.select(session_guests.c.guest_id).where(session_guests.c.session_id == session_id)
    )
    return SessionFacts(
        session_id=row.session_id,
        venue_id=row.venue_id,
        spot_id=row.spot_id,
        open=row.status == SESSION_OPEN,
        guests=frozenset(guests),
    )


async def session_of_order(conn: AsyncConnection, order_id: str) -> str | None:
    found = await conn.scalar(
        sa.select(order_sessions.c.session_id).where(order_sessions.c.order_id == order_id)
    )
    return str(found) if found is not None else None
