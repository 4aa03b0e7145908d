"""Read models the ordering service keeps of its own events, that a command's answer or the very
next query must already show: the production tickets of validated rounds, the concierge offers,
and the guests' offer orders.

They are written in the transaction of the append that decided the events (`project(conn,
envelopes)`, from the command handlers). The same handlers form the `own_views` projection of
ordering's own topic: each is idempotent and guarded by the event's stream version, so replaying
the topic rebuilds the tables and never undoes a later change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.ordering import (
    OfferCancelled,
    OfferConfirmed,
    OfferOrdered,
    OfferPublished,
    SentToProduction,
)
from convive.ordering.domain.offer_orders import OfferOrderStatus
from convive.ordering.projections import metadata
from convive.runtime.projections import Projection

production_tickets = sa.Table(
    "production_tickets",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("round_number", sa.Integer, primary_key=True),
    sa.Column("station", sa.Text, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("session_id", sa.Text, nullable=False),
    sa.Column("spot_name", sa.Text, nullable=True),
    sa.Column("lines", JSONB, nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_production_tickets_venue_sent", "venue_id", "sent_at"),
)

offers = sa.Table(
    "offers",
    metadata,
    sa.Column("offer_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False, index=True),
    sa.Column("name", JSONB, nullable=False),
    sa.Column("offer_type", sa.Text, nullable=False),
    sa.Column("price_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("description", JSONB, nullable=True),
    sa.Column("auto_confirm", sa.Boolean, nullable=False),
    sa.Column("available", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

offer_orders = sa.Table(
    "offer_orders",
    metadata,
    sa.Column("offer_order_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("offer_id", sa.Text, nullable=False),
    sa.Column("offer_name", JSONB, nullable=False),
    sa.Column("offer_type", sa.Text, nullable=False),
    sa.Column("price_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("spot_id", sa.Text, nullable=False),
    sa.Column("spot_name", sa.Text, nullable=False),
    sa.Column("session_id", sa.Text, nullable=True, index=True),
    sa.Column("guest_id", sa.Text, nullable=False),
    sa.Column("guest_name", sa.Text, nullable=False),
    sa.Column("guest_email", sa.Text, nullable=False),
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("automatic", sa.Boolean, nullable=False),
    sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("confirmed_by", sa.Text, nullable=True),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cancelled_by", sa.Text, nullable=True),
    sa.Column("cancel_reason", sa.Text, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_offer_orders_venue_ordered", "venue_id", "ordered_at"),
)

own_views = Projection("ordering.own_views", tables=[production_tickets, offers, offer_orders])


async def project(conn: AsyncConnection, envelopes: Sequence[EventEnvelope]) -> None:
    """Apply freshly appended events (carrying their stream versions) in the caller's
    transaction."""
    for envelope in envelopes:
        handler = own_views.handlers.get(envelope.type)
        if handler is not None:
            await handler(conn, envelope.event(), envelope)


def _version(envelope: EventEnvelope) -> int:
    if envelope.stream_version is None:
        raise ValueError(f"event {envelope.id} has no stream version")
    return envelope.stream_version


@own_views.on(SentToProduction)
async def on_sent_to_production(
    conn: AsyncConnection, event: SentToProduction, envelope: EventEnvelope
) -> None:
    if not event.tickets:
        return
    await conn.execute(
        insert(production_tickets)
        .values(
            [
                {
                    "order_id": event.order_id,
                    "round_number": event.round_number,
                    "station": ticket.station,
                    "position": position,
                    "venue_id": event.venue_id,
                    "session_id": event.session_id,
                    "spot_name": event.spot_name,
                    "lines": [line.model_dump(mode="json") for line in ticket.lines],
                    "sent_at": envelope.time,
                }
                for position, ticket in enumerate(event.tickets)
            ]
        )
        .on_conflict_do_nothing()
    )


@own_views.on(OfferPublished)
async def on_offer_published(
    conn: AsyncConnection, event: OfferPublished, envelope: EventEnvelope
) -> None:
    values = {
        "venue_id": event.venue_id,
        "name": event.name.model_dump(mode="json"),
        "offer_type": event.offer_type.value,
        "price_minor": event.price.amount_minor,
        "currency": event.price.currency,
        "description": event.description.model_dump(mode="json") if event.description else None,
        "auto_confirm": event.auto_confirm,
        "available": event.available,
        "version": _version(envelope),
        "updated_at": envelope.time,
    }
    stmt = insert(offers).values(offer_id=event.offer_id, created_at=envelope.time, **values)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[offers.c.offer_id],
            set_=values,
            where=offers.c.version < stmt.excluded.version,
        )
    )


@own_views.on(OfferOrdered)
async def on_offer_ordered(
    conn: AsyncConnection, event: OfferOrdered, envelope: EventEnvelope
) -> None:
    await conn.execute(
        insert(offer_orders)
        .values(
            offer_order_id=event.offer_order_id,
            venue_id=event.venue_id,
            offer_id=event.offer_id,
            offer_name=event.offer_name.model_dump(mode="json"),
            offer_type=event.offer_type.value,
            price_minor=event.price.amount_minor,
            currency=event.price.currency,
            spot_id=event.spot_id,
            spot_name=event.spot_name,
            session_id=event.session_id,
            guest_id=event.guest_id,
            guest_name=event.guest_name,
            guest_email=event.guest_email,
            language=event.language,
            note=event.note,
            status=OfferOrderStatus.PENDING.value,
            automatic=False,
            ordered_at=envelope.time,
            version=_version(envelope),
        )
        .on_conflict_do_nothing()
    )


async def _advance(
    conn: AsyncConnection, offer_order_id: str, envelope: EventEnvelope, **values: object
) -> None:
    await conn.execute(
        offer_orders.update()
        .where(
            offer_orders.c.offer_order_id == offer_order_id,
            offer_orders.c.version < _version(envelope),
        )
        .values(version=_version(envelope), **values)
    )


@own_views.on(OfferConfirmed)
async def on_offer_confirmed(
    conn: AsyncConnection, event: OfferConfirmed, envelope: EventEnvelope
) -> None:
    await _advance(
        conn,
        event.offer_order_id,
        envelope,
        status=OfferOrderStatus.CONFIRMED.value,
        automatic=event.automatic,
        confirmed_at=envelope.time,
        confirmed_by=event.confirmed_by,
    )


@own_views.on(OfferCancelled)
async def on_offer_cancelled(
    conn: AsyncConnection, event: OfferCancelled, envelope: EventEnvelope
) -> None:
    await _advance(
        conn,
        event.offer_order_id,
        envelope,
        status=OfferOrderStatus.CANCELLED.value,
        cancelled_at=envelope.time,
        cancelled_by=event.cancelled_by,
        cancel_reason=event.reason,
    )
