"""What the POS keeps of ordering's facts (the handlers are in `subscriptions.py`):

- `orders`, `rounds`: each order and its rounds as ordering announced them (`OrderPlaced`,
  `RoundAdded`); the order's total is the one announced with its latest round known here;
- `menu_products`: each venue's menu (`MenuPublished` replaces it whole): what staff may add to
  a round when they amend it, at which price;
- `folio_postings`: the concierge orders to post to the PMS (`OfferOrdered`, `OfferConfirmed`,
  `OfferCancelled`). Every fact is its own columns, set by "insert, or update those columns"
  and never by a fact of another kind, so events arriving in any order converge; an order
  confirmed, or its details arriving after its confirmation, wakes the posting worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.ordering import (
    MenuPublished,
    OfferCancelled,
    OfferConfirmed,
    OfferOrdered,
    OrderPlaced,
    RoundAdded,
)
from convive.pos_gateway.projections import notify_folio_worker
from convive.pos_gateway.tables import folio_postings, menu_products, orders, rounds

# --- orders and rounds ----------------------------------------------------------------------


async def round_placed(
    conn: AsyncConnection, event: OrderPlaced | RoundAdded, envelope: EventEnvelope
) -> None:
    """A round of an order (the first one opens the order)."""
    await conn.execute(
        insert(rounds)
        .values(
            order_id=event.order_id,
            round_number=event.round_number,
            lines=[line.model_dump(mode="json") for line in event.lines],
            round_total_minor=event.round_total.amount_minor,
            order_total_minor=event.order_total.amount_minor,
            currency=event.round_total.currency,
            placed_by=event.placed_by,
            placed_at=envelope.time,
            event_id=envelope.id,
            correlation_id=envelope.correlation_id,
        )
        .on_conflict_do_nothing()
    )
    # The order's total is the one ordering announced with the latest round known here
    # (a subquery inside ON CONFLICT would escape the schema translation, hence two steps).
    latest_total = await conn.scalar(
        sa.select(rounds.c.order_total_minor)
        .where(rounds.c.order_id == event.order_id)
        .order_by(rounds.c.round_number.desc())
        .limit(1)
    )
    upsert = insert(orders).values(
        order_id=event.order_id,
        venue_id=event.venue_id,
        session_id=event.session_id,
        spot_id=event.spot_id,
        currency=event.order_total.currency,
        order_total_minor=latest_total,
        placed_at=envelope.time,
    )
    await conn.execute(
        upsert.on_conflict_do_update(
            index_elements=[orders.c.order_id],
            set_={
                "order_total_minor": upsert.excluded.order_total_minor,
                "placed_at": sa.func.least(orders.c.placed_at, upsert.excluded.placed_at),
            },
        )
    )


# --- menus ----------------------------------------------------------------------------------


async def menu_published(conn: AsyncConnection, event: MenuPublished) -> None:
    """The venue's menu, replaced whole: a venue's menu events come in order on one stream, so
    the latest one is the menu."""
    await conn.execute(menu_products.delete().where(menu_products.c.venue_id == event.venue_id))
    if event.products:
        await conn.execute(
            menu_products.insert(),
            [
                {
                    "venue_id": event.venue_id,
                    "product_id": product.product_id,
                    "name": product.name.model_dump(mode="json"),
                    "price_minor": product.price.amount_minor,
                    "currency": product.price.currency,
                    "available": product.available,
                }
                for product in event.products
            ],
        )


# --- concierge orders to post to the PMS ----------------------------------------------------


async def _merge_offer_order(
    conn: AsyncConnection,
    offer_order_id: str,
    venue_id: str,
    values: dict[str, Any],
    merge: Callable[[Insert], dict[str, Any]],
) -> None:
    """Insert the order's row with `values`, or update the columns `merge` says for the
    incoming row (`Insert.excluded`) when it exists."""
    upsert = insert(folio_postings).values(
        offer_order_id=offer_order_id, venue_id=venue_id, **values
    )
    await conn.execute(
        upsert.on_conflict_do_update(
            index_elements=[folio_postings.c.offer_order_id], set_=merge(upsert)
        )
    )


def _first_kept(upsert: Insert, *columns: str) -> dict[str, sa.ColumnElement[Any]]:
    """Each column keeps its value once it has one."""
    t = folio_postings
    return {c: sa.func.coalesce(t.c[c], upsert.excluded[c]) for c in columns}


async def offer_ordered(
    conn: AsyncConnection, event: OfferOrdered, envelope: EventEnvelope
) -> None:
    facts = {
        "ordered_at": envelope.time,
        "amount_minor": event.price.amount_minor,
        "currency": event.price.currency,
        "spot_id": event.spot_id,
        "room": event.spot_name,
        "guest_name": event.guest_name,
        "offer_name": event.offer_name.model_dump(),
        "offer_type": event.offer_type.value,
    }
    await _merge_offer_order(
        conn,
        event.offer_order_id,
        event.venue_id,
        facts,
        lambda upsert: {name: upsert.excluded[name] for name in facts},
    )
    # An order confirmed before its details arrived (another topic) is due from now on.
    await notify_folio_worker(conn)


async def offer_confirmed(
    conn: AsyncConnection, event: OfferConfirmed, envelope: EventEnvelope
) -> None:
    """The order is confirmed: from now on it is to be posted (at once, when its venue posts
    automatically). The postings' events continue the confirmation's story."""
    first = folio_postings.c.confirmed_at.is_(None)
    confirmation = ("confirmed_at", "confirmed_by", "confirmed_event_id", "correlation_id")
    await _merge_offer_order(
        conn,
        event.offer_order_id,
        event.venue_id,
        {
            "confirmed_at": envelope.time,
            "confirmed_by": event.confirmed_by,
            "confirmed_event_id": envelope.id,
            "correlation_id": envelope.correlation_id,
        },
        lambda upsert: {
            c: sa.case((first, upsert.excluded[c]), else_=folio_postings.c[c]) for c in confirmation
        },
    )
    await notify_folio_worker(conn)


async def offer_cancelled(
    conn: AsyncConnection, event: OfferCancelled, envelope: EventEnvelope
) -> None:
    await _merge_offer_order(
        conn,
        event.offer_order_id,
        event.venue_id,
        {"cancelled_at": envelope.time, "cancelled_by": event.cancelled_by},
        lambda upsert: _first_kept(upsert, "cancelled_at", "cancelled_by"),
    )
