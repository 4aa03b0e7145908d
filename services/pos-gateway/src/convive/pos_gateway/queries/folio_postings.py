"""Reading the postings of concierge orders to the PMS: ordering's facts of each order
(`folio_postings`) with how its posting goes (`folio_posting_outcomes`) and its venue's PMS
setting in force when it was confirmed; as the back office lists them, as the domain decides on
them, and which tries are due when.

A posting is due at its confirmation until a try was made, then when its latest failure
scheduled the next try (never once given up, posted or cancelled), and only for a venue that
posted automatically (two-way) when the order was confirmed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.contracts import Money
from convive.contracts.table_session import PmsIntegration
from convive.pos_gateway.domain import folio
from convive.pos_gateway.tables import folio_posting_outcomes, folio_postings, folio_venue_settings
from convive.runtime.domain import NotFound

_order = folio_postings
_outcome = folio_posting_outcomes


def integration_at_confirmation() -> sa.ScalarSelect[str]:
    """The venue's PMS setting in force when the posting's order was confirmed (NULL: none
    was set then)."""
    s = folio_venue_settings
    return (
        sa.select(s.c.pms_integration)
        .where(
            s.c.venue_id == _order.c.venue_id,
            s.c.configured_at <= _order.c.confirmed_at,
        )
        .order_by(s.c.configured_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def venue_language() -> sa.ScalarSelect[str]:
    """The language the venue's staff read (the charge's description is in it)."""
    s = folio_venue_settings
    return (
        sa.select(s.c.language)
        .where(s.c.venue_id == _order.c.venue_id)
        .order_by(s.c.configured_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def integration_of(value: str | None) -> PmsIntegration:
    try:
        return PmsIntegration(value) if value else PmsIntegration.NONE
    except ValueError:  # a kind of integration added after this version: post nothing
        return PmsIntegration.NONE


def _next_attempt_at() -> sa.ColumnElement[datetime | None]:
    """When the next try is due: at confirmation until a try was made (or the charge marked
    posted), then as the latest failure scheduled it."""
    return sa.case(
        (_outcome.c.offer_order_id.is_(None), _order.c.confirmed_at),
        else_=_outcome.c.next_attempt_at,
    )


def _columns() -> list[sa.ColumnElement[Any]]:
    """A posting's row: ordering's facts, the outcome of its tries (when any), its venue's
    setting at confirmation and language."""
    return [
        sa.func.coalesce(_order.c.offer_order_id, _outcome.c.offer_order_id).label(
            "offer_order_id"
        ),
        sa.func.coalesce(_order.c.venue_id, _outcome.c.venue_id).label("venue_id"),
        _order.c.room,
        _order.c.guest_name,
        _order.c.offer_name,
        _order.c.confirmed_at,
        _order.c.confirmed_event_id,
        _order.c.correlation_id,
        _order.c.cancelled_at,
        # The order's price, or (before OfferOrdered reached the POS) the amount posted.
        sa.func.coalesce(_order.c.amount_minor, _outcome.c.amount_minor).label("amount_minor"),
        sa.case(
            (_order.c.amount_minor.is_not(None), _order.c.currency), else_=_outcome.c.currency
        ).label("currency"),
        sa.func.coalesce(_outcome.c.attempts, 0).label("attempts"),
        _outcome.c.last_error,
        _outcome.c.posted_at,
        _outcome.c.pms_reference,
        _outcome.c.method,
        _outcome.c.posted_by,
        _next_attempt_at().label("next_attempt_at"),
        integration_at_confirmation().label("integration"),
        venue_language().label("language"),
    ]


def _same_posting() -> sa.ColumnElement[bool]:
    return _outcome.c.offer_order_id == _order.c.offer_order_id


def postings_to_lock() -> sa.Select[Any]:
    """Postings of orders ordering told the POS about, to be locked `FOR UPDATE OF
    folio_postings`: every writer of a posting's stream holds that row's lock."""
    return sa.select(*_columns()).select_from(_order.outerjoin(_outcome, _same_posting()))


def _every_posting() -> sa.Select[Any]:
    """Every posting, also one the POS's own events told of before ordering's did (a rebuild
    may read the topics in any order)."""
    return sa.select(*_columns()).select_from(_order.join(_outcome, _same_posting(), full=True))


def scheduled() -> list[sa.ColumnElement[bool]]:
    """A posting the worker will try: confirmed, not cancelled nor posted, its details known,
    of a venue posting automatically, with a time for its next try."""
    return [
        _order.c.confirmed_at.is_not(None),
        _order.c.cancelled_at.is_(None),
        _outcome.c.posted_at.is_(None),
        _order.c.amount_minor.is_not(None),
        _order.c.room.is_not(None),
        _order.c.guest_name.is_not(None),
        _next_attempt_at().is_not(None),
        integration_at_confirmation() == PmsIntegration.TWO_WAY.value,
    ]


def due(now: datetime) -> list[sa.ColumnElement[bool]]:
    """A posting the worker tries now: scheduled, and its time come."""
    return [*scheduled(), _next_attempt_at() <= now]


def by_next_attempt() -> sa.ColumnElement[Any]:
    return _next_attempt_at()


def of_order(offer_order_id: str) -> sa.ColumnElement[bool]:
    return _order.c.offer_order_id == offer_order_id


async def earliest_scheduled(conn: AsyncConnection) -> datetime | None:
    """When the earliest scheduled try is due (None: none is)."""
    earliest: datetime | None = await conn.scalar(
        sa.select(sa.func.min(_next_attempt_at()))
        .select_from(_order.outerjoin(_outcome, _same_posting()))
        .where(*scheduled())
    )
    return earliest


async def posting_known(conn: AsyncConnection, offer_order_id: str) -> bool:
    """Whether ordering told the POS of this concierge order."""
    found = await conn.scalar(sa.select(sa.literal(True)).where(of_order(offer_order_id)))
    return bool(found)


async def unlocked_posting(conn: AsyncConnection, offer_order_id: str) -> sa.Row[Any] | None:
    """A posting known from the POS's own events only (ordering's have not come yet)."""
    offer_order = sa.func.coalesce(_order.c.offer_order_id, _outcome.c.offer_order_id)
    row: sa.Row[Any] | None = (
        await conn.execute(_every_posting().where(offer_order == offer_order_id))
    ).first()
    return row


def facts_of(row: sa.Row[Any]) -> folio.OfferOrderFacts:
    """What the domain decides a posting on, from its row."""
    name = row.offer_name or {}
    return folio.OfferOrderFacts(
        offer_order_id=row.offer_order_id,
        venue_id=row.venue_id,
        amount=(
            Money(amount_minor=row.amount_minor, currency=row.currency)
            if row.amount_minor is not None and row.currency
            else None
        ),
        room=row.room,
        guest_name=row.guest_name,
        description=name.get(row.language or "fr") or name.get("fr") or name.get("en"),
        integration=integration_of(row.integration),
        confirmed=row.confirmed_at is not None,
        cancelled=row.cancelled_at is not None,
    )


# --- what the back office sees --------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def posting_view(row: sa.Row[Any]) -> dict[str, Any]:
    facts = facts_of(row)
    posted = row.posted_at is not None
    state = folio.status(
        integration=facts.integration,
        cancelled=facts.cancelled,
        posted=posted,
        attempts=row.attempts,
    )
    is_scheduled = state in (folio.PostingStatus.PENDING, folio.PostingStatus.FAILING)
    return {
        "offer_order_id": row.offer_order_id,
        "venue_id": row.venue_id,
        "status": state.value,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "next_attempt_at": _iso(row.next_attempt_at) if is_scheduled else None,
        "pms_reference": row.pms_reference,
        "method": row.method,
        "posted_at": _iso(row.posted_at),
        "posted_by": row.posted_by,
        "integration": facts.integration.value,
        "amount": facts.amount.model_dump() if facts.amount is not None else None,
        "room": row.room,
        "guest_name": row.guest_name,
        "offer_name": row.offer_name,
        "confirmed_at": _iso(row.confirmed_at),
        "cancelled": facts.cancelled,
        # The PMS keeps a charge posted before the order was cancelled: staff refund it there.
        "cancelled_after_posting": facts.cancelled and posted,
    }


async def posting_views(
    conn: AsyncConnection,
    *,
    venue_id: str | None = None,
    offer_order_id: str | None = None,
    status: folio.PostingStatus | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Confirmed concierge orders with their posting, newest first."""
    query = _every_posting().where(
        sa.or_(_order.c.confirmed_at.is_not(None), _outcome.c.posted_at.is_not(None))
    )
    if venue_id is not None:
        query = query.where(sa.func.coalesce(_order.c.venue_id, _outcome.c.venue_id) == venue_id)
    if offer_order_id is not None:
        offer_order = sa.func.coalesce(_order.c.offer_order_id, _outcome.c.offer_order_id)
        query = query.where(offer_order == offer_order_id)
    query = query.order_by(sa.func.coalesce(_order.c.confirmed_at, _outcome.c.posted_at).desc())
    if status is None:
        query = query.limit(limit)
    views = [posting_view(row) for row in (await conn.execute(query)).all()]
    if status is not None:
        views = [v for v in views if v["status"] == status.value][:limit]
    return views


async def one_posting(engine: AsyncEngine, offer_order_id: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await posting_views(conn, offer_order_id=offer_order_id)
    if not found:
        raise NotFound(
            f"offer order {offer_order_id} has no folio posting (it is unknown to the POS or "
            "not confirmed yet)",
            field="offer_order_id",
        )
    return found[0]
