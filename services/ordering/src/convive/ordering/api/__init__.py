"""The ordering service's HTTP API, one module per audience: `guest` (the menu and offers, the
session's shared cart and order, a room's offer orders), `staff` (the back office publishes the
menu and offers and handles offer orders) and `pos` (the production tickets the POS console
shows). Request bodies are in `bodies`. Every endpoint is called by the gateway, which checked
the caller."""

from convive.ordering.api import guest, pos, staff

ROUTE_HANDLERS = [*guest.ROUTE_HANDLERS, *staff.ROUTE_HANDLERS, *pos.ROUTE_HANDLERS]
