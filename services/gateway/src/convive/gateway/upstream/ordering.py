"""ordering's API as the gateway uses it: the menu, the shared cart and the order, production
tickets, concierge offers and their orders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from convive.contracts.base import LocalizedText, Money
from convive.contracts.ordering import (
    ChosenOption,
    MenuCategory,
    MenuProduct,
    OrderLine,
    TicketLine,
)
from convive.gateway.upstream.http import Answer, Body, Route, ServiceClient

# --- answers -----------------------------------------------------------------------------------


class Menu(Answer):
    """A venue's menu as it was last published: the whole of it."""

    currency: str
    categories: list[MenuCategory]
    products: list[MenuProduct]


class CartLine(Answer):
    line_id: str
    product_id: str
    name: LocalizedText
    quantity: int
    unit_price: Money
    line_total: Money
    guest_id: str
    note: str | None = None
    options: list[ChosenOption] = []


class Cart(Answer):
    """The session's shared cart: every guest's lines."""

    session_id: str
    lines: list[CartLine]
    total: Money


class CartChanged(Answer):
    """The answer to an add, change or removal: the line's id and the cart as it now stands."""

    line_id: str
    cart: Cart


class Confirmed(Answer):
    """The answer to a confirmed cart: the order and the round it became."""

    order_id: str
    round_number: int
    round_total: Money
    order_total: Money


class OrderRound(Answer):
    """A round as the guests see it: as the staff amended it, or rejected with a reason."""

    round_number: int
    status: str
    lines: list[OrderLine]
    round_total: Money
    sent_to_production: bool = False
    amended: bool = False
    amendment_note: str | None = None
    rejected_reason: str | None = None


class Order(Answer):
    """The session's order: its rounds, and a total that leaves rejected rounds out."""

    order_id: str
    session_id: str
    status: str
    rounds: list[OrderRound]
    order_total: Money

    @property
    def closed(self) -> bool:
        return self.status == "closed"


class Ticket(Answer):
    """A validated round's production ticket for one station."""

    order_id: str
    round_number: int
    spot_name: str | None
    station: str
    lines: list[TicketLine]
    sent_at: datetime | None


class Offer(Answer):
    offer_id: str
    name: LocalizedText
    offer_type: str
    price: Money
    description: LocalizedText | None = None
    auto_confirm: bool
    available: bool


class OfferOrder(Answer):
    offer_order_id: str
    venue_id: str
    ordered_at: datetime
    guest_name: str
    guest_email: str
    offer_name: LocalizedText
    offer_type: str
    revenue: Money
    status: str
    automatic: bool
    spot_name: str | None = None
    note: str | None = None


# --- request bodies ----------------------------------------------------------------------------


class OptionPick(Body):
    group_id: str
    choice_id: str


class AddItem(Body):
    guest_id: str
    product_id: str
    quantity: int
    # Only sent when chosen, so an ordering without options still takes the others.
    options: list[OptionPick] | None = None
    note: str | None = None


class ChangeItem(Body):
    guest_id: str
    quantity: int


class ConfirmCart(Body):
    guest_id: str


class MenuIn(Body):
    """The whole menu, published again (ordering keeps one per venue; the last one wins)."""

    currency: str
    categories: list[MenuCategory]
    products: list[MenuProduct]

    def to_json(self) -> dict[str, Any]:
        # What a product does not have (no photo, no station...) is left out, not sent as null.
        return self.model_dump(mode="json", exclude_unset=True, exclude_none=True)


class OfferIn(Body):
    name: LocalizedText
    offer_type: str
    price: Money
    description: LocalizedText | None
    auto_confirm: bool
    available: bool


class OrderOffer(Body):
    guest_id: str
    offer_id: str
    guest_name: str
    guest_email: str
    language: str
    note: str | None = None


class StaffDecision(Body):
    staff: str
    reason: str | None = None


# --- routes ------------------------------------------------------------------------------------

MENU = Route[Menu]("GET", "/venues/{venue_id}/menu", Menu)
PUBLISH_MENU = Route[None]("PUT", "/venues/{venue_id}/menu")
CART = Route[Cart]("GET", "/sessions/{session_id}/cart", Cart)
ORDER = Route[Order]("GET", "/sessions/{session_id}/order", Order)
ADD_ITEM = Route[CartChanged]("POST", "/sessions/{session_id}/cart/items", CartChanged)
CHANGE_ITEM = Route[CartChanged](
    "PATCH", "/sessions/{session_id}/cart/items/{line_id}", CartChanged
)
REMOVE_ITEM = Route[CartChanged](
    "DELETE", "/sessions/{session_id}/cart/items/{line_id}", CartChanged
)
CONFIRM = Route[Confirmed]("POST", "/sessions/{session_id}/cart/confirm", Confirmed)
TICKETS = Route[list[Ticket]]("GET", "/venues/{venue_id}/tickets", list[Ticket])
OFFERS = Route[list[Offer]]("GET", "/venues/{venue_id}/offers", list[Offer])
SAVE_OFFER = Route[None]("PUT", "/venues/{venue_id}/offers/{offer_id}")
GUEST_OFFER_ORDERS = Route[list[OfferOrder]](
    "GET", "/sessions/{session_id}/offer-orders", list[OfferOrder]
)
ORDER_OFFER = Route[OfferOrder]("POST", "/sessions/{session_id}/offer-orders", OfferOrder)
OFFER_ORDERS = Route[list[OfferOrder]]("GET", "/venues/{venue_id}/offer-orders", list[OfferOrder])
CONFIRM_OFFER_ORDER = Route[None]("POST", "/offer-orders/{offer_order_id}/confirm")
CANCEL_OFFER_ORDER = Route[None]("POST", "/offer-orders/{offer_order_id}/cancel")

ROUTES = [
    MENU,
    PUBLISH_MENU,
    CART,
    ORDER,
    ADD_ITEM,
    CHANGE_ITEM,
    REMOVE_ITEM,
    CONFIRM,
    TICKETS,
    OFFERS,
    SAVE_OFFER,
    GUEST_OFFER_ORDERS,
    ORDER_OFFER,
    OFFER_ORDERS,
    CONFIRM_OFFER_ORDER,
    CANCEL_OFFER_ORDER,
]
OFFER_ORDER_DECISIONS = {"confirm": CONFIRM_OFFER_ORDER, "cancel": CANCEL_OFFER_ORDER}


class Ordering(ServiceClient):
    service = "ordering"

    # --- the menu -------------------------------------------------------------------------

    async def menu(self, venue_id: str) -> Menu | None:
        """The venue's menu; None before it published one."""
        return await self.read_or_none(MENU, venue_id=venue_id)

    async def publish_menu(self, venue_id: str, menu: MenuIn) -> None:
        await self.request(PUBLISH_MENU, body=menu, venue_id=venue_id)

    # --- the cart and the order -----------------------------------------------------------

    async def cart(self, session_id: str) -> Cart | None:
        """The shared cart; None while ordering has not learnt of the session."""
        return await self.read_or_none(CART, session_id=session_id)

    async def order(self, session_id: str) -> Order | None:
        """The session's order; None before its first round."""
        return await self.read_or_none(ORDER, session_id=session_id)

    async def add_item(self, session_id: str, item: AddItem) -> CartChanged:
        return await self.request_when_known(ADD_ITEM, body=item, session_id=session_id)

    async def change_item(
        self, session_id: str, guest_id: str, line_id: str, quantity: int
    ) -> CartChanged:
        body = ChangeItem(guest_id=guest_id, quantity=quantity)
        return await self.request(CHANGE_ITEM, body=body, session_id=session_id, line_id=line_id)

    async def remove_item(self, session_id: str, guest_id: str, line_id: str) -> CartChanged:
        query = {"guest_id": guest_id}
        return await self.request(REMOVE_ITEM, query=query, session_id=session_id, line_id=line_id)

    async def confirm(self, session_id: str, guest_id: str) -> Confirmed:
        body = ConfirmCart(guest_id=guest_id)
        return await self.request_when_known(CONFIRM, body=body, session_id=session_id)

    async def tickets(self, venue_id: str, station: str | None = None) -> list[Ticket]:
        query = {"station": station} if station else None
        return await self.request(TICKETS, query=query, venue_id=venue_id)

    # --- concierge offers -----------------------------------------------------------------

    async def offers(self, venue_id: str, *, available_only: bool = False) -> list[Offer]:
        query = {"available": "true"} if available_only else None
        return await self.request(OFFERS, query=query, venue_id=venue_id)

    async def save_offer(self, venue_id: str, offer_id: str, offer: OfferIn) -> None:
        await self.request(SAVE_OFFER, body=offer, venue_id=venue_id, offer_id=offer_id)

    async def guest_offer_orders(self, session_id: str, guest_id: str) -> list[OfferOrder]:
        query = {"guest_id": guest_id}
        return await self.request(GUEST_OFFER_ORDERS, query=query, session_id=session_id)

    async def order_offer(self, session_id: str, order: OrderOffer) -> OfferOrder:
        # Ordering learns of the seat from table-session's events: a moment behind a scan.
        return await self.request_when_known(ORDER_OFFER, body=order, session_id=session_id)

    async def offer_orders(
        self, venue_id: str, filters: dict[str, str] | None = None
    ) -> list[OfferOrder]:
        return await self.request(OFFER_ORDERS, query=filters, venue_id=venue_id)

    async def decide_offer_order(
        self, offer_order_id: str, verb: str, decision: StaffDecision
    ) -> None:
        """`verb`: confirm or cancel."""
        route = OFFER_ORDER_DECISIONS[verb]
        await self.request(route, body=decision, offer_order_id=offer_order_id)
