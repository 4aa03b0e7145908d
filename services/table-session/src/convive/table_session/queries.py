"""Reads of the read models: what the API answers (a venue's settings, profit centres and spots,
one spot, one session with its guests) and what a command looks up before it decides on a
spot's stream (the spot behind a token or a session, the profit centre's mode, whether the
session's order was confirmed)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.contracts.table_session import JourneyMode
from convive.runtime.domain import Gone, NotFound
from convive.table_session.domain.scans import RETIRED_TOKEN, UNKNOWN_TOKEN
from convive.table_session.tables import (
    confirmed_orders,
    profit_centres,
    retired_tokens,
    session_guests,
    sessions,
    spots,
    venues,
)

# --- for the API -------------------------------------------------------------------------------


async def venue_spots(engine: AsyncEngine, venue_id: str) -> list[sa.Row[Any]]:
    """The venue's spots in the order they were created."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(spots)
            .where(spots.c.venue_id == venue_id)
            .order_by(spots.c.created_at, spots.c.spot_id)
        )
        return list(rows)


async def spot(engine: AsyncEngine, spot_id: str) -> sa.Row[Any]:
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(spots).where(spots.c.spot_id == spot_id))).first()
    if row is None or row.token is None:
        raise NotFound(f"unknown spot {spot_id!r}", field="spot_id")
    return row


async def session(engine: AsyncEngine, session_id: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(sa.select(sessions).where(sessions.c.session_id == session_id))
        ).first()
        if row is None:
            raise NotFound(f"unknown session {session_id!r}", field="session_id")
        guests = await conn.execute(
            sa.select(session_guests)
            .where(session_guests.c.session_id == session_id)
            .order_by(session_guests.c.joined_at, session_guests.c.guest_id)
        )
        return {
            "session_id": row.session_id,
            "spot_id": row.spot_id,
            "venue_id": row.venue_id,
            "profit_centre_id": row.profit_centre_id,
            "status": row.status,
            "host_guest_id": row.host_guest_id,
            "pin": row.pin,
            "opened_at": row.opened_at.isoformat(),
            "closed_at": row.closed_at.isoformat() if row.closed_at else None,
            "close_reason": row.close_reason,
            "order_confirmed": await has_confirmed_order(conn, session_id),
            "guests": [
                {"guest_id": g.guest_id, "role": g.role, "joined_at": g.joined_at.isoformat()}
                for g in guests
            ],
        }


async def venue_settings(engine: AsyncEngine, venue_id: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(venues).where(venues.c.venue_id == venue_id))).first()
    if row is None:
        raise NotFound(f"venue {venue_id!r} has no settings yet", field="venue_id")
    return {
        "venue_id": row.venue_id,
        "name": row.name,
        "language": row.language,
        "notification_email": row.notification_email,
        "pms_integration": row.pms_integration,
        "time_zone": row.time_zone,
    }


async def venue_profit_centres(engine: AsyncEngine, venue_id: str) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(profit_centres)
            .where(profit_centres.c.venue_id == venue_id)
            .order_by(profit_centres.c.name, profit_centres.c.profit_centre_id)
        )
        return [
            {"profit_centre_id": r.profit_centre_id, "name": r.name, "mode": r.mode} for r in rows
        ]


# --- for the commands --------------------------------------------------------------------------


async def spot_of_token(conn: AsyncConnection, token: str) -> str:
    """The spot whose current QR token this is; a replaced token is gone, any other unknown."""
    spot_id = await conn.scalar(sa.select(spots.c.spot_id).where(spots.c.token == token))
    if spot_id is not None:
        return str(spot_id)
    if await conn.scalar(
        sa.select(retired_tokens.c.spot_id).where(retired_tokens.c.token == token)
    ):
        raise Gone(RETIRED_TOKEN, field="token")
    raise NotFound(UNKNOWN_TOKEN, field="token")


async def mode_and_session_of_spot(
    conn: AsyncConnection, spot_id: str
) -> tuple[JourneyMode, str | None]:
    """The journey mode of the spot's profit centre, and the spot's open session if any."""
    row = (
        await conn.execute(
            sa.select(profit_centres.c.mode, spots.c.session_id)
            .select_from(
                spots.join(
                    profit_centres, profit_centres.c.profit_centre_id == spots.c.profit_centre_id
                )
            )
            .where(spots.c.spot_id == spot_id)
        )
    ).first()
    if row is None:  # a spot is only ever created in a known profit centre
        raise LookupError(f"the profit centre of spot {spot_id!r} is not in the read model")
    return JourneyMode(row.mode), row.session_id


async def has_confirmed_order(conn: AsyncConnection, session_id: str) -> bool:
    """Whether ordering's OrderPlaced for this session has reached table-session."""
    return bool(
        await conn.scalar(
            sa.select(confirmed_orders.c.order_id).where(
                confirmed_orders.c.session_id == session_id
            )
        )
    )


async def spot_of_session(
    conn: AsyncConnection, session_id: str, *, open_only: bool = False
) -> str | None:
    """The spot of a session (of an open one only, with `open_only`); None when unknown."""
    query = sa.select(sessions.c.spot_id).where(sessions.c.session_id == session_id)
    if open_only:
        query = query.where(sessions.c.status == "open")
    spot_id = await conn.scalar(query)
    return None if spot_id is None else str(spot_id)
