"""The POS console at `/pos`: a browser becomes a POS device of a venue by exchanging a pairing
code (pos-gateway `POST /devices/pair`); signed-in staff of that venue then follow its live
order feed and validate, amend, reject and settle rounds from it (docs/decisions/0011).

The device credential lives only in the signed, HttpOnly `convive_pos_device` cookie
(`device`): the gateway puts it in the `Authorization` header of the device's calls to
pos-gateway and of the venue's live stream (`live_proxy`); the page's script never sees it.
Staff sign in at `/pos/login` (`web.sign_in`), whose CSRF token every form of the console
carries. A call that pos-gateway refuses with 401 means the device was revoked: the console
says so and asks to pair it again.

Pages are rendered on the server (`pages`), in parts (`parts`) the script re-fetches when the
venue's feed says something changed; actions (`actions`) answer JSON to the script and redirect
plain form posts back to the console with a one-shot message. What is shown is built by the
pure functions of `views`.
"""

from convive.gateway.pos.actions import amend, reject, settle, validate
from convive.gateway.pos.pages import console, device_status, forget, fragment, pair

ROUTES = [console, fragment, device_status, pair, forget, validate, amend, reject, settle]
