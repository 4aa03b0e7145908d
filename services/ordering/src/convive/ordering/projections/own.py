"""Read models the ordering service keeps of its own events, that a command's answer or the very
next query must already show: the production tickets of validated rounds, the concierge offers,
the guests' offer orders, and which session each order belongs to (so that a POS event naming
only the order finds its session).

The event store writes them in the transaction of every append (`EventStore(own_read_models=
projection.apply)`: see `convive.ordering.commands.event_store`). The same `projection` is
subscribed to ordering's own topic: each handler is idempotent and guarded by the event's stream
version, so replaying the topic rebuilds the tables and never undoes a later change.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.ordering import (
    OfferCancelled,
    OfferConfirmed,
    OfferOrdered,
    OfferPublished,
    OrderPlaced,
    SentToProduction,
)
from convive.ordering.domain.offer_orders import OfferOrderStatus
from convive.ordering.tables import offer_orders, offers, order_sessions, production_tickets
from convive.runtime.projections import (
    Projection,
    advance_if_newer,
    stream_version,
    upsert_if_newer,
)

projection = Projection(
    "ordering.own_views", tables=[production_tickets, offers, offer_orders, order_sessions]
)


@projection.on(OrderPlaced)
async def on_order_placed(
    conn: AsyncConnection, event: OrderPlaced, envelope: EventEnvelope
) -> None:
    # An order never moves to another session: the first record of it is the only one.
    await conn.execute(
        insert(order_sessions)
        .values(order_id=event.order_id, session_id=event.session_id, venue_id=event.venue_id)
        .on_conflict_do_nothing()
    )


@projection.on(SentToProduction)
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


@projection.on(OfferPublished)
async def on_offer_published(
    conn: AsyncConnection, event: OfferPublished, envelope: EventEnvelope
) -> None:
    await upsert_if_newer(
        conn,
        offers,
        {"offer_id": event.offer_id},
        {
            "venue_id": event.venue_id,
            "name": event.name.model_dump(mode="json"),
            "offer_type": event.offer_type.value,
            "price_minor": event.price.amount_minor,
            "currency": event.price.currency,
            "description": event.description.model_dump(mode="json") if event.description else None,
            "auto_confirm": event.auto_confirm,
            "available": event.available,
            "updated_at": envelope.time,
        },
        version=stream_version(envelope),
        on_insert={"created_at": envelope.time},
    )


@projection.on(OfferOrdered)
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
            version=stream_version(envelope),
        )
        .on_conflict_do_nothing()
    )


@projection.on(OfferConfirmed)
async def on_offer_confirmed(
    conn: AsyncConnection, event: OfferConfirmed, envelope: EventEnvelope
) -> None:
    await advance_if_newer(
        conn,
        offer_orders,
        {"offer_order_id": event.offer_order_id},
        version=stream_version(envelope),
        values={
            "status": OfferOrderStatus.CONFIRMED.value,
            "automatic": event.automatic,
            "confirmed_at": envelope.time,
            "confirmed_by": event.confirmed_by,
        },
    )


@projection.on(OfferCancelled)
async def on_offer_cancelled(
    conn: AsyncConnection, event: OfferCancelled, envelope: EventEnvelope
) -> None:
    await advance_if_newer(
        conn,
        offer_orders,
        {"offer_order_id": event.offer_order_id},
        version=stream_version(envelope),
        values={
            "status": OfferOrderStatus.CANCELLED.value,
            "cancelled_at": envelope.time,
            "cancelled_by": event.cancelled_by,
            "cancel_reason": event.reason,
        },
    )


# --- reads for decisions ---------------------------------------------------------------------


async def session_of_order(conn: AsyncConnection, order_id: str) -> str | None:
    """The session whose stream holds the order; None for an order ordering did not place."""
    found = await conn.scalar(
        sa.select(order_sessions.c.session_id).where(order_sessions.c.order_id == order_id)
    )
    return str(found) if found is not None else None
