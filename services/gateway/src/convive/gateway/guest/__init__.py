"""The guest web app at `/t/<token>`: the page a phone opens by scanning a spot's QR code
(`page`), what a seated guest does from it (`actions`) and a room's concierge offers
(`offers`), shown from the services' answers by the pure functions of `views`."""

from convive.gateway.guest import actions, offers, page

ROUTES = [*page.ROUTES, *actions.ROUTES, *offers.ROUTES]
