"""The back office at `/admin`: server-rendered pages with plain forms, for the venues of the
signed-in staff member (staff.py): venue settings, profit centres and spots with their QR sheet,
the menu, POS devices and pairing codes, staff accounts (venue.py), concierge offers and Guest
activity → Orders, the offer orders with their PMS posting and e-mails (concierge.py).

Who may do what (PLAN decision 3): the owner everything; a manager everything but staff
accounts; a cashier only reads the Orders list. Every route names its roles in
`require_staff(...)`, which also refuses a venue that is not one of the member's (403) and a
post without the page's CSRF token. An id below a venue in a path (an offer order, a device, a
staff account, a spot) is checked to be that venue's before a service is asked to act on it:
table-session and ordering trust the gateway to have done so.

A post redirects back to its page with a one-shot message (Post/Redirect/Get); a form with a
mistake is shown again with what was typed and the error next to its field.
"""

from litestar import Router

from convive.gateway.admin import concierge, venue

ROUTES = [Router(path="/admin", route_handlers=[*venue.ROUTES, *concierge.ROUTES])]
