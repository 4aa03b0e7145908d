"""Every subscription of the pos-gateway service, in one place: which events it listens to, and
what each one does. Every handler only writes a projection (the POS issues no command on
another service's event); the writes are in `projections/`.

- ordering → `pos_gateway.orders`: orders and their rounds as ordering announced them (what
  the POS validates, amends, rejects and takes payment for).
- ordering → `pos_gateway.menus`: each venue's menu (what staff may add to a round, at which
  price).
- ordering → `pos_gateway.folio_postings`: the concierge orders to post to the PMS (ordered,
  confirmed, cancelled); a confirmation wakes the posting worker.
- table-session → `pos_gateway.guests_and_spots`: the guests of each session, each spot's
  name and kind, each profit centre's mode (who may pay from the phone, and how).
- table-session → `pos_gateway.venue_pms_settings`: each venue's PMS setting over time (which
  concierge orders are posted automatically, by hand, or not at all).
- pos-gateway → `pos_gateway.own`: the POS's own decisions (devices and revocations,
  validations, amendments, rejections, payments, postings to the PMS), written by the event
  store with every append and rebuilt from the POS's own topic (see `projections/own.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

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
from convive.contracts.table_session import (
    GuestJoined,
    ProfitCentreConfigured,
    SessionOpened,
    SpotCreated,
    VenueConfigured,
)
from convive.pos_gateway import tables
from convive.pos_gateway.projections import ordering, own, table_session
from convive.runtime.projections import Projection

# --- ordering -------------------------------------------------------------------------------

orders = Projection("pos_gateway.orders", tables=[tables.orders, tables.rounds])


@orders.on(OrderPlaced)
async def on_order_placed(
    conn: AsyncConnection, event: OrderPlaced, envelope: EventEnvelope
) -> None:
    await ordering.round_placed(conn, event, envelope)


@orders.on(RoundAdded)
async def on_round_added(conn: AsyncConnection, event: RoundAdded, envelope: EventEnvelope) -> None:
    await ordering.round_placed(conn, event, envelope)


menus = Projection("pos_gateway.menus", tables=[tables.menu_products])


@menus.on(MenuPublished)
async def on_menu_published(
    conn: AsyncConnection, event: MenuPublished, envelope: EventEnvelope
) -> None:
    await ordering.menu_published(conn, event)


offer_orders = Projection("pos_gateway.folio_postings", tables=[tables.folio_postings])


@offer_orders.on(OfferOrdered)
async def on_offer_ordered(
    conn: AsyncConnection, event: OfferOrdered, envelope: EventEnvelope
) -> None:
    await ordering.offer_ordered(conn, event, envelope)


@offer_orders.on(OfferConfirmed)
async def on_offer_confirmed(
    conn: AsyncConnection, event: OfferConfirmed, envelope: EventEnvelope
) -> None:
    await ordering.offer_confirmed(conn, event, envelope)


@offer_orders.on(OfferCancelled)
async def on_offer_cancelled(
    conn: AsyncConnection, event: OfferCancelled, envelope: EventEnvelope
) -> None:
    await ordering.offer_cancelled(conn, event, envelope)


# --- table-session --------------------------------------------------------------------------

guests_and_spots = Projection(
    "pos_gateway.guests_and_spots",
    tables=[tables.sessions, tables.session_guests, tables.spots, tables.profit_centres],
)


@guests_and_spots.on(SessionOpened)
async def on_session_opened(
    conn: AsyncConnection, event: SessionOpened, envelope: EventEnvelope
) -> None:
    await table_session.session_seen(
        conn,
        session_id=event.session_id,
        venue_id=event.venue_id,
        spot_id=event.spot_id,
        profit_centre_id=event.profit_centre_id,
    )
    await table_session.guest_seated(
        conn, session_id=event.session_id, guest_id=event.host_guest_id
    )


@guests_and_spots.on(GuestJoined)
async def on_guest_joined(
    conn: AsyncConnection, event: GuestJoined, envelope: EventEnvelope
) -> None:
    # The session row too: should this come first, the guest can still pay.
    await table_session.session_seen(
        conn, session_id=event.session_id, venue_id=event.venue_id, spot_id=event.spot_id
    )
    await table_session.guest_seated(conn, session_id=event.session_id, guest_id=event.guest_id)


@guests_and_spots.on(SpotCreated)
async def on_spot_created(
    conn: AsyncConnection, event: SpotCreated, envelope: EventEnvelope
) -> None:
    await table_session.spot_created(conn, event)


@guests_and_spots.on(ProfitCentreConfigured)
async def on_profit_centre_configured(
    conn: AsyncConnection, event: ProfitCentreConfigured, envelope: EventEnvelope
) -> None:
    await table_session.profit_centre_configured(conn, event)


venue_pms_settings = Projection(
    "pos_gateway.venue_pms_settings", tables=[tables.folio_venue_settings]
)


@venue_pms_settings.on(VenueConfigured)
async def on_venue_configured(
    conn: AsyncConnection, event: VenueConfigured, envelope: EventEnvelope
) -> None:
    await table_session.venue_configured(conn, event, envelope)


# --- pos-gateway: its own events (handlers in projections/own.py) ---------------------------

PROJECTIONS: Sequence[Projection] = (
    orders,
    menus,
    offer_orders,
    guests_and_spots,
    venue_pms_settings,
    own.projection,
)
