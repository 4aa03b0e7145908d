"""A guest's order of a concierge offer: a seated guest of a session at a room orders an offer of
the venue; staff confirm or cancel it. Each answers with the offer order's row as it now stands."""

from __future__ import annotations

import uuid

from convive.ordering import queries
from convive.ordering.commands.offers import Outcome, decide_and_read_back, load_offer
from convive.ordering.domain import offer_orders
from convive.ordering.projections import table_session
from convive.runtime.eventstore import EventStore


def new_offer_order_id() -> str:
    return f"oo_{uuid.uuid4().hex}"


async def _decide_offer_order(
    store: EventStore, offer_order_id: str, command: offer_orders.Command
) -> Outcome:
    return await decide_and_read_back(
        store,
        offer_orders.offer_order_stream(offer_order_id),
        lambda history: offer_orders.decide(offer_orders.fold(history), command),
        lambda conn: queries.offer_order(conn, offer_order_id),
    )


async def order_offer(
    store: EventStore,
    *,
    session_id: str,
    guest_id: str,
    offer_id: str,
    guest_name: str,
    guest_email: str,
    language: str,
    note: str | None,
) -> Outcome:
    """A seated guest of a session at a room orders an offer of the venue."""
    async with store.engine.connect() as conn:
        session = await table_session.session_facts(conn, session_id)
        spot = await table_session.spot_facts(conn, session.spot_id) if session else None
        offer = await load_offer(store, offer_id, conn=conn)
    offer_order_id = new_offer_order_id()
    command = offer_orders.OrderOffer(
        offer_order_id=offer_order_id,
        session_id=session_id,
        session=session,
        spot=spot,
        guest_id=guest_id,
        offer_id=offer_id,
        offer=offer,
        guest_name=guest_name,
        guest_email=guest_email,
        language=language,
        note=note,
    )
    return await _decide_offer_order(store, offer_order_id, command)


async def confirm_offer_order(store: EventStore, *, offer_order_id: str, staff: str) -> Outcome:
    command = offer_orders.ConfirmOfferOrder(offer_order_id=offer_order_id, staff=staff)
    return await _decide_offer_order(store, offer_order_id, command)


async def cancel_offer_order(
    store: EventStore, *, offer_order_id: str, staff: str, reason: str | None
) -> Outcome:
    command = offer_orders.CancelOfferOrder(
        offer_order_id=offer_order_id, staff=staff, reason=reason
    )
    return await _decide_offer_order(store, offer_order_id, command)
