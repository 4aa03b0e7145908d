"""Queries over the read models: a venue's spots, one spot, one session with its guests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.runtime.domain import NotFound
from convive.table_session.projections import (
    confirmed_orders,
    profit_centres,
    session_guests,
    sessions,
    spots,
    venues,
)


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
            "order_confirmed": bool(
                await conn.scalar(
                    sa.select(confirmed_orders.c.order_id).where(
                        confirmed_orders.c.session_id == session_id
                    )
                )
            ),
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
