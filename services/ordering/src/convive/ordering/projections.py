"""Read models the ordering service keeps of other services' facts: the table sessions it learns
from table-session's events (who may order where), the journey mode of each profit centre
(whether ordering is offered there at all), the spots (their names for tickets, and which are
rooms, where concierge offers are ordered), the POS's amendments and rejections of rounds
(`pos_rounds`), and which session each of its orders belongs to (written with the confirmation
that placed the order, so a POS event naming only the order finds its session).

The handlers that feed these tables are wired in `subscriptions.py`; ordering's read models of
its own events are in `own_views.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import Money
from convive.contracts.ordering import OrderLine
from convive.contracts.table_session import JourneyMode, SpotKind
from convive.ordering.domain.facts import SessionFacts, SpotFacts
from convive.ordering.domain.table_order import PosRound
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
    # Known from SessionOpened only: a GuestJoined that comes first leaves them null.
    sa.Column("profit_centre_id", sa.Text, nullable=True),
    sa.Column("host_guest_id", sa.Text, nullable=True),
)

profit_centres = sa.Table(
    "profit_centres",
    metadata,
    sa.Column("venue_id", sa.Text, primary_key=True),
    sa.Column("profit_centre_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("mode", sa.Text, nullable=False),
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

spots = sa.Table(
    "spots",
    metadata,
    sa.Column("spot_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("profit_centre_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
)

pos_rounds = sa.Table(
    "pos_rounds",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("round_number", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Text, nullable=False, index=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    # The round as last amended (null while not amended), and what staff said about it.
    sa.Column("lines", JSONB, nullable=True),
    sa.Column("round_total_minor", sa.BigInteger, nullable=True),
    sa.Column("currency", sa.Text, nullable=True),
    sa.Column("amendment_note", sa.Text, nullable=True),
    sa.Column("amended_by", sa.Text, nullable=True),
    sa.Column("rejected_reason", sa.Text, nullable=True),
    sa.Column("rejected_by", sa.Text, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)
"""What the POS decided about each round before validating it (pos-gateway's OrderAmended and
OrderRejected): the guests' view of the order, its totals and its tickets follow it."""


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


async def session_opened(
    conn: AsyncConnection,
    *,
    session_id: str,
    venue_id: str,
    spot_id: str,
    profit_centre_id: str,
    host_guest_id: str,
) -> None:
    """What only the opening tells: the profit centre and the host. Kept on a row a GuestJoined
    may have created first, without reopening a session already known as closed."""
    stmt = insert(sessions).values(
        session_id=session_id,
        venue_id=venue_id,
        spot_id=spot_id,
        status=SESSION_OPEN,
        profit_centre_id=profit_centre_id,
        host_guest_id=host_guest_id,
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["session_id"],
            set_={
                "profit_centre_id": stmt.excluded.profit_centre_id,
                "host_guest_id": stmt.excluded.host_guest_id,
            },
        )
    )


async def profit_centre_configured(
    conn: AsyncConnection, *, venue_id: str, profit_centre_id: str, name: str, mode: str
) -> None:
    """The latest configuration wins: a profit centre's events come in order on its stream."""
    stmt = insert(profit_centres).values(
        venue_id=venue_id, profit_centre_id=profit_centre_id, name=name, mode=mode
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["venue_id", "profit_centre_id"],
            set_={"name": name, "mode": mode, "updated_at": sa.func.now()},
        )
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


async def spot_created(
    conn: AsyncConnection,
    *,
    spot_id: str,
    venue_id: str,
    profit_centre_id: str,
    name: str,
    kind: str,
) -> None:
    await conn.execute(
        insert(spots)
        .values(
            spot_id=spot_id,
            venue_id=venue_id,
            profit_centre_id=profit_centre_id,
            name=name,
            kind=kind,
        )
        .on_conflict_do_nothing()
    )


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
    values = {
        "lines": [line.model_dump(mode="json") for line in lines],
        "round_total_minor": round_total.amount_minor,
        "currency": round_total.currency,
        "amendment_note": note,
        "amended_by": amended_by,
    }
    await _upsert_pos_round(conn, order_id, round_number, session_id, venue_id, **values)


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


async def session_facts(conn: AsyncConnection, session_id: str) -> SessionFacts | None:
    """The session as ordering knows it, with its profit centre's current mode (None while
    ordering has not learnt the profit centre or its configuration)."""
    found = sessions.outerjoin(
        profit_centres,
        sa.and_(
            profit_centres.c.venue_id == sessions.c.venue_id,
            profit_centres.c.profit_centre_id == sessions.c.profit_centre_id,
        ),
    )
    row = (
        await conn.execute(
            sa.select(sessions, profit_centres.c.mode)
            .select_from(found)
            .where(sessions.c.session_id == session_id)
        )
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
        profit_centre_id=row.profit_centre_id,
        mode=_mode(row.mode),
        host_guest_id=row.host_guest_id,
    )


def _mode(value: str | None) -> JourneyMode | None:
    try:
        return JourneyMode(value) if value is not None else None
    except ValueError:  # a mode added after this version: not one we know to offer ordering in
        return None


async def session_of_order(conn: AsyncConnection, order_id: str) -> str | None:
    found = await conn.scalar(
        sa.select(order_sessions.c.session_id).where(order_sessions.c.order_id == order_id)
    )
    return str(found) if found is not None else None


async def spot_facts(conn: AsyncConnection, spot_id: str) -> SpotFacts | None:
    row = (await conn.execute(sa.select(spots).where(spots.c.spot_id == spot_id))).first()
    if row is None:
        return None
    try:
        kind = SpotKind(row.kind)
    except ValueError:  # a kind added after this version: neither a table nor a room to us
        return None
    return SpotFacts(spot_id=row.spot_id, venue_id=row.venue_id, name=row.name, kind=kind)


async def spot_name(conn: AsyncConnection, spot_id: str) -> str | None:
    found = await conn.scalar(sa.select(spots.c.name).where(spots.c.spot_id == spot_id))
    return str(found) if found is not None else None


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
