"""The back office at `/admin`: server-rendered pages with plain forms, for the venues of the
signed-in staff member (`web.sign_in`): venue settings, profit centres and spots with their QR
codes, the menu (`venue`), POS devices and pairing codes, staff accounts (`team`), concierge
offers and Guest activity → Orders, the offer orders with their PMS posting and e-mails
(`concierge`, with the pure `orders`).

Who may do what (docs/decisions/0008): the owner everything; a manager everything but staff
accounts; a cashier only reads the Orders list. Every route names its roles in its guards
(`web.guards.staff_only`), which also refuse a venue that is not one of the member's (403) and
a post without the page's CSRF token. An id below a venue in a path (an offer order, a device, a
staff account, a spot) is checked to be that venue's before a service is asked to act on it:
table-session and ordering trust the gateway to have done so.

A post redirects back to its page with a one-shot message (Post/Redirect/Get); a form with a
mistake is shown again with what was typed and the error next to its field.
"""

from litestar import Router

from convive.gateway.admin import concierge, team, venue

ROUTES = [Router(path="/admin", route_handlers=[*venue.ROUTES, *team.ROUTES, *concierge.ROUTES])]
