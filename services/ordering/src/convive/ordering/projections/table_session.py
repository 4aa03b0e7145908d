"""What ordering keeps of table-session's facts, and how it reads them back for decisions: the
table sessions (open or closed) and their guests (who may order), each profit centre's journey
mode (whether ordering is offered there at all), and the spots (their names for tickets, and
which are rooms, where concierge offers are ordered).

The handlers that call these writes are in `convive.ordering.subscriptions`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts.table_session import JourneyMode, SpotKind
from convive.ordering.domain.facts import SessionFacts, SpotFacts
from convive.ordering.tables import profit_centres, session_guests, sessions, spots

SESSION_OPEN = "open"
SESSION_CLOSED = "closed"


# --- writes ----------------------------------------------------------------------------------


async def session_opened(
    conn: AsyncConnection,
    *,
    session_id: str,
    venue_id: str,
    spot_id: str,
    profit_centre_id: str,
    host_guest_id: str,
) -> None:
    """What only the opening tells: the profit centre and the host, who is the session's first
    guest. Kept on a row a GuestJoined may have created first, without reopening a session
    already known as closed."""
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
    await _guest_of(conn, session_id=session_id, guest_id=host_guest_id)


async def guest_joined(
    conn: AsyncConnection, *, session_id: str, venue_id: str, spot_id: str, guest_id: str
) -> None:
    """A guest of the session. The session row too, as open unless it is already known (then it
    may be closed: a late or redelivered join never reopens it), so that should the join come
    before the opening, the guest can still order."""
    await conn.execute(
        insert(sessions)
        .values(session_id=session_id, venue_id=venue_id, spot_id=spot_id, status=SESSION_OPEN)
        .on_conflict_do_nothing(index_elements=["session_id"])
    )
    await _guest_of(conn, session_id=session_id, guest_id=guest_id)


async def _guest_of(conn: AsyncConnection, *, session_id: str, guest_id: str) -> None:
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
