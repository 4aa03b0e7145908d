"""The ordering service's HTTP API: the menu, the guests' cart and order (`orders`), the
production tickets (`tickets`) and the concierge offers with their orders (`offers`); request
bodies are in `bodies`."""

from convive.ordering.api.offers import (
    OfferOrderController,
    SessionOfferOrdersController,
    VenueOffersController,
)
from convive.ordering.api.orders import CartController, MenuController
from convive.ordering.api.tickets import TicketController

ROUTE_HANDLERS = [
    MenuController,
    CartController,
    TicketController,
    VenueOffersController,
    SessionOfferOrdersController,
    OfferOrderController,
]
