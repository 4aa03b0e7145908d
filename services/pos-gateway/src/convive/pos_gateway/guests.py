"""What the POS learns from table-session: the guests of each session, the kind of each spot
and the mode of each profit centre (who may pay an order from the phone, and whether the bill
can go on a room), and the spot's name for the POS screens.

As for the other read models, every fact has its own table keyed by what identifies it, so a
redelivered event and one arriving before the one it refers to converge.
"""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.table_session import (
    GuestJoined,
    ProfitCentreConfigured,
    SessionOpened,
    SpotCreated,
)
from convive.pos_gateway.schema import metadata
from convive.runtime.projections import Projection

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("spot_id", sa.Text, nullable=False),
    # Known from SessionOpened only (GuestJoined does not carry it).
    sa.Column("profit_centre_id", sa.Text, nullable=True),
)

session_guests = sa.Table(
    "session_guests",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("guest_id", sa.Text, primary_key=True),
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

profit_centres = sa.Table(
    "profit_centres",
    metadata,
    sa.Column("profit_centre_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("mode", sa.Text, nullable=False),
)


# The guests of each session, the kind of each spot and the mode of each profit centre: who
# may pay an order from the phone, and how.
guests_and_spots = Projection(
    "pos_gateway.guests_and_spots",
    tables=[sessions, session_guests, spots, profit_centres],
)


async def _session_seen(
    conn: AsyncConnection,
    *,
    session_id: str,
    venue_id: str,
    spot_id: str,
    profit_centre_id: str | None = None,
) -> None:
    upsert = insert(sessions).values(
        session_id=session_id,
        venue_id=venue_id,
        spot_id=spot_id,
        profit_centre_id=profit_centre_id,
    )
    if profit_centre_id is None:
        await conn.execute(upsert.on_conflict_do_nothing())
    else:
        # A GuestJoined that came first left the profit centre unknown.
        await conn.execute(
            upsert.on_conflict_do_update(
                index_elements=[sessions.c.session_id],
                set_={"profit_centre_id": upsert.excluded.profit_centre_id},
            )
        )


async def _guest_seated(conn: AsyncConnection, session_id: str, guest_id: str) -> None:
    await conn.execute(
        insert(session_guests)
        .values(session_id=session_id, guest_id=guest_id)
        .on_conflict_do_nothing()
    )


@guests_and_spots.on(SessionOpened)
async def on_session_opened(
    conn: AsyncConnection, event: SessionOpened, envelope: EventEnvelope
) -> None:
    await _session_seen(
        conn,
        session_id=event.session_id,
        venue_id=event.venue_id,
        spot_id=event.spot_id,
        profit_centre_id=event.profit_centre_id,
    )
    await _guest_seated(conn, event.session_id, event.host_guest_id)


@guests_and_spots.on(GuestJoined)
async def on_guest_joined(
    conn: AsyncConnection, event: GuestJoined, envelope: EventEnvelope
) -> None:
    await _session_seen(
        conn, session_id=event.session_id, venue_id=event.venue_id, spot_id=event.spot_id
    )
    await _guest_seated(conn, event.session_id, event.guest_id)


@guests_and_spots.on(SpotCreated)
async def on_spot_created(
    conn: AsyncConnection, event: SpotCreated, envelope: EventEnvelope
) -> None:
    await conn.execute(
        insert(spots)
        .values(
            spot_id=event.spot_id,
            venue_id=event.venue_id,
            profit_centre_id=event.profit_centre_id,
            name=event.name,
            kind=event.kind.value,
        )
        .on_conflict_do_nothing()
    )


@guests_and_spots.on(ProfitCentreConfigured)
async def on_profit_centre_configured(
    conn: AsyncConnection, event: ProfitCentreConfigured, envelope: EventEnvelope
) -> None:
    # Reconfiguring changes the mode; the events of one profit centre come in order.
    upsert = insert(profit_centres).values(
        profit_centre_id=event.profit_centre_id,
        venue_id=event.venue_id,
        name=event.name,
        mode=event.mode.value,
    )
    await conn.execute(
        upsert.on_conflict_do_update(
            index_elements=[profit_centres.c.profit_centre_id],
            set_={"name": upsert.excluded.name, "mode": upsert.excluded.mode},
        )
    )
