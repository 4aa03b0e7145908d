"""Queries of ordering's own read models (`projections.own`), answered as the JSON the API
returns: the production tickets of a venue, its concierge offers, and the offer orders (a
guest's, or the back office's filtered list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.ordering.tables import offer_orders, offers, production_tickets

MAX_ROWS = 500
"""The most rows a list answers with (newest first)."""


def _money(amount_minor: int, currency: str) -> dict[str, Any]:
    return {"amount_minor": amount_minor, "currency": currency}


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- production tickets ----------------------------------------------------------------------


async def tickets(
    conn: AsyncConnection, venue_id: str, *, station: str | None = None, limit: int = MAX_ROWS
) -> list[dict[str, Any]]:
    query = sa.select(production_tickets).where(production_tickets.c.venue_id == venue_id)
    if station is not None:
        query = query.where(production_tickets.c.station == station)
    query = query.order_by(
        production_tickets.c.sent_at.desc(),
        production_tickets.c.order_id,
        production_tickets.c.round_number.desc(),
        production_tickets.c.position,
    ).limit(limit)
    return [
        {
            "order_id": row.order_id,
            "round_number": row.round_number,
            "session_id": row.session_id,
            "spot_name": row.spot_name,
            "station": row.station,
            "lines": row.lines,
            "sent_at": _at(row.sent_at),
        }
        for row in await conn.execute(query)
    ]


# --- offers ----------------------------------------------------------------------------------


def offer_view(row: sa.Row[Any]) -> dict[str, Any]:
    return {
        "offer_id": row.offer_id,
        "venue_id": row.venue_id,
        "name": row.name,
        "offer_type": row.offer_type,
        "price": _money(row.price_minor, row.currency),
        "description": row.description,
        "auto_confirm": row.auto_confirm,
        "available": row.available,
        "updated_at": _at(row.updated_at),
    }


async def offer(conn: AsyncConnection, offer_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(sa.select(offers).where(offers.c.offer_id == offer_id))).first()
    return offer_view(row) if row is not None else None


async def venue_offers(
    conn: AsyncConnection, venue_id: str, *, available: bool | None = None
) -> list[dict[str, Any]]:
    query = sa.select(offers).where(offers.c.venue_id == venue_id)
    if available is not None:
        query = query.where(offers.c.available == available)
    query = query.order_by(offers.c.created_at, offers.c.offer_id)
    return [offer_view(row) for row in await conn.execute(query)]


# --- offer orders ----------------------------------------------------------------------------


def offer_order_view(row: sa.Row[Any]) -> dict[str, Any]:
    return {
        "offer_order_id": row.offer_order_id,
        "venue_id": row.venue_id,
        "ordered_at": _at(row.ordered_at),
        "guest_id": row.guest_id,
        "guest_name": row.guest_name,
        "guest_email": row.guest_email,
        "language": row.language,
        "offer_id": row.offer_id,
        "offer_name": row.offer_name,
        "offer_type": row.offer_type,
        "revenue": _money(row.price_minor, row.currency),
        "status": row.status,
        "automatic": row.automatic,
        "session_id": row.session_id,
        "spot_id": row.spot_id,
        "spot_name": row.spot_name,
        "note": row.note,
        "confirmed_at": _at(row.confirmed_at),
        "confirmed_by": row.confirmed_by,
        "cancelled_at": _at(row.cancelled_at),
        "cancelled_by": row.cancelled_by,
        "cancel_reason": row.cancel_reason,
    }


async def offer_order(conn: AsyncConnection, offer_order_id: str) -> dict[str, Any] | None:
    row = (
        await conn.execute(
            sa.select(offer_orders).where(offer_orders.c.offer_order_id == offer_order_id)
        )
    ).first()
    return offer_order_view(row) if row is not None else None


async def guest_offer_orders(
    conn: AsyncConnection, session_id: str, guest_id: str
) -> list[dict[str, Any]]:
    query = (
        sa.select(offer_orders)
        .where(offer_orders.c.session_id == session_id, offer_orders.c.guest_id == guest_id)
        .order_by(offer_orders.c.ordered_at.desc(), offer_orders.c.offer_order_id)
    )
    return [offer_order_view(row) for row in await conn.execute(query)]


@dataclass(frozen=True)
class OfferOrderFilter:
    """The back office's filters of the offer orders list; None filters nothing."""

    status: str | None = None
    offer_type: str | None = None
    since: datetime | None = None
    """Ordered at or after this time."""
    before: datetime | None = None
    """Ordered strictly before this time."""
    q: str | None = None
    """Words found in the guest's name or e-mail, or the offer's name (either language)."""


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def venue_offer_orders(
    conn: AsyncConnection,
    venue_id: str,
    wanted: OfferOrderFilter = OfferOrderFilter(),
    *,
    limit: int = MAX_ROWS,
) -> list[dict[str, Any]]:
    query = sa.select(offer_orders).where(offer_orders.c.venue_id == venue_id)
    if wanted.status is not None:
        query = query.where(offer_orders.c.status == wanted.status)
    if wanted.offer_type is not None:
        query = query.where(offer_orders.c.offer_type == wanted.offer_type)
    if wanted.since is not None:
        query = query.where(offer_orders.c.ordered_at >= wanted.since)
    if wanted.before is not None:
        query = query.where(offer_orders.c.ordered_at < wanted.before)
    if wanted.q:
        pattern = _like(wanted.q.strip())
        query = query.where(
            sa.or_(
                offer_orders.c.guest_name.ilike(pattern, escape="\\"),
                offer_orders.c.guest_email.ilike(pattern, escape="\\"),
                offer_orders.c.offer_name["fr"].astext.ilike(pattern, escape="\\"),
                offer_orders.c.offer_name["en"].astext.ilike(pattern, escape="\\"),
            )
        )
    query = query.order_by(offer_orders.c.ordered_at.desc(), offer_orders.c.offer_order_id).limit(
        limit
    )
    return [offer_order_view(row) for row in await conn.execute(query)]
