"""What the venue's staff call (through the gateway's back office): publishing the menu and the
concierge offers, listing the offer orders (newest first, filtered), and confirming or
cancelling them. The menu and the offers are read here too, by guests as by staff: a path has
one controller, with whoever publishes it. The gateway checked the staff member's role and
venues before calling (decision 0008); the staff name in a body is kept for the record."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from convive.contracts.ordering import MenuCategory, MenuProduct, OfferType
from convive.ordering import queries
from convive.ordering.api.bodies import (
    CancelOfferOrderIn,
    ConfirmOfferOrderIn,
    MenuIn,
    OfferIn,
)
from convive.ordering.commands import menu, offer_orders, offers
from convive.ordering.domain.offer_orders import OfferOrderStatus
from convive.runtime.domain import Invalid, NotFound
from convive.runtime.eventstore import EventStore

OFFER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")


def _when(value: str | None, field: str, *, end_of_day: bool = False) -> datetime | None:
    """An ISO date or date-time of a query (UTC when it names no zone); a bare date given as the
    end of a range means the end of that day."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            at = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return at + timedelta(days=1) if end_of_day else at
        at = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            f"{field} must be an ISO date (2025-06-30) or date-time (2025-06-30T18:00:00Z), "
            f"not {value!r}",
            field=field,
        ) from None
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    # A date-time `until` includes that very instant.
    return at + timedelta(microseconds=1) if end_of_day else at


class MenuController(Controller):
    path = "/venues/{venue_id:str}/menu"
    tags = ["menu"]

    @put("/", summary="Publish the venue's whole menu (it replaces the previous one)")
    async def publish(
        self, venue_id: FromPath[str], data: JSONBody[MenuIn], store: NamedDependency[EventStore]
    ) -> dict[str, Any]:
        result = await menu.publish_menu(
            store,
            venue_id=venue_id,
            currency=data.currency,
            categories=[
                MenuCategory(category_id=c.category_id, name=c.name.text(), position=c.position)
                for c in data.categories
            ],
            products=[
                MenuProduct(
                    product_id=p.product_id,
                    category_id=p.category_id,
                    name=p.name.text(),
                    description=p.description.text() if p.description else None,
                    price=p.price.money(),
                    available=p.available,
                    allergens=p.allergens,
                    photo_url=p.photo_url,
                    options=[g.group() for g in p.options],
                    station=p.station,
                )
                for p in data.products
            ],
        )
        return {"venue_id": venue_id, "version": result.version, "event_ids": result.event_ids}

    @get("/", summary="The venue's current menu")
    async def show(
        self, venue_id: FromPath[str], store: NamedDependency[EventStore]
    ) -> dict[str, Any]:
        current = await menu.load_menu(store, venue_id)
        if current is None:
            raise NotFound(f"venue {venue_id} has no menu", field="venue_id")
        return current.model_dump(mode="json")


class VenueOffersController(Controller):
    path = "/venues/{venue_id:str}"
    tags = ["concierge offers"]

    @put("/offers/{offer_id:str}", summary="Create or replace one of the venue's offers")
    async def publish(
        self,
        venue_id: FromPath[str],
        offer_id: FromPath[str],
        data: JSONBody[OfferIn],
        store: NamedDependency[EventStore],
    ) -> dict[str, Any]:
        if not OFFER_ID.match(offer_id):
            raise Invalid(
                "offer_id must be 1 to 100 letters, digits, '_', '.', ':' or '-'",
                field="offer_id",
            )
        outcome = await offers.publish_offer(
            store,
            venue_id=venue_id,
            offer_id=offer_id,
            name=data.name.text(),
            offer_type=data.offer_type,
            price=data.price.money(),
            description=data.description.text() if data.description else None,
            auto_confirm=data.auto_confirm,
            available=data.available,
        )
        return outcome.answer()

    @get("/offers", summary="The venue's offers (only those on sale with available=true)")
    async def list_offers(
        self,
        venue_id: FromPath[str],
        store: NamedDependency[EventStore],
        available: Annotated[bool | None, QueryParameter()] = None,
    ) -> list[dict[str, Any]]:
        async with store.engine.connect() as conn:
            return await queries.venue_offers(conn, venue_id, available=available)

    @get("/offers/{offer_id:str}", summary="One of the venue's offers")
    async def show_offer(
        self, venue_id: FromPath[str], offer_id: FromPath[str], store: NamedDependency[EventStore]
    ) -> dict[str, Any]:
        async with store.engine.connect() as conn:
            found = await queries.offer(conn, offer_id)
        if found is None or found["venue_id"] != venue_id:
            raise NotFound(f"venue {venue_id} has no offer {offer_id}", field="offer_id")
        return found

    @get("/offer-orders", summary="The venue's offer orders, newest first, filtered")
    async def list_offer_orders(
        self,
        venue_id: FromPath[str],
        store: NamedDependency[EventStore],
        status: Annotated[OfferOrderStatus | None, QueryParameter()] = None,
        offer_type: Annotated[OfferType | None, QueryParameter()] = None,
        since: Annotated[str | None, QueryParameter(max_length=40)] = None,
        until: Annotated[str | None, QueryParameter(max_length=40)] = None,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> list[dict[str, Any]]:
        wanted = queries.OfferOrderFilter(
            status=status.value if status is not None else None,
            offer_type=offer_type.value if offer_type is not None else None,
            since=_when(since, "since"),
            before=_when(until, "until", end_of_day=True),
            q=q.strip() if q and q.strip() else None,
        )
        async with store.engine.connect() as conn:
            return await queries.venue_offer_orders(conn, venue_id, wanted)


class OfferOrderController(Controller):
    path = "/offer-orders/{offer_order_id:str}"
    tags = ["concierge offers"]

    @get("/", summary="One offer order")
    async def show(
        self, offer_order_id: FromPath[str], store: NamedDependency[EventStore]
    ) -> dict[str, Any]:
        async with store.engine.connect() as conn:
            found = await queries.offer_order(conn, offer_order_id)
        if found is None:
            raise NotFound(f"no offer order {offer_order_id}", field="offer_order_id")
        return found

    @post("/confirm", status_code=200, summary="Staff confirm a pending offer order")
    async def confirm(
        self,
        offer_order_id: FromPath[str],
        data: JSONBody[ConfirmOfferOrderIn],
        store: NamedDependency[EventStore],
    ) -> dict[str, Any]:
        outcome = await offer_orders.confirm_offer_order(
            store, offer_order_id=offer_order_id, staff=data.staff
        )
        return outcome.answer()

    @post("/cancel", status_code=200, summary="Staff cancel an offer order (even confirmed)")
    async def cancel(
        self,
        offer_order_id: FromPath[str],
        data: JSONBody[CancelOfferOrderIn],
        store: NamedDependency[EventStore],
    ) -> dict[str, Any]:
        outcome = await offer_orders.cancel_offer_order(
            store, offer_order_id=offer_order_id, staff=data.staff, reason=data.reason
        )
        return outcome.answer()


ROUTE_HANDLERS = [MenuController, VenueOffersController, OfferOrderController]
