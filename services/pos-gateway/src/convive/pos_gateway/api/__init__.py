"""The pos-gateway's HTTP API, one module per audience, assembled once here into `router`:

- `pos`: paired POS devices (the venue's orders; validating, amending, rejecting rounds; taking
  payments; splitting the bill) and pairing a device;
- `staff`: staff through the gateway (accounts and logins, pairing codes, devices and their
  revocation, concierge orders posted to the PMS);
- `guest_payments`: guests paying from the phone (online, on the room) and the payment
  provider's webhook.

Refusals are the domain's errors, answered by the runtime's HTTP layer; only the device's 401
challenge (`WWW-Authenticate: Bearer`) is answered here.
"""

from litestar import Router
from litestar.di import Provide

from convive.pos_gateway.api import guest_payments, pos, staff

router = Router(
    path="/",
    route_handlers=[*pos.ROUTES, *staff.ROUTES, *guest_payments.ROUTES],
    dependencies={
        "device": Provide(pos.authenticate_device),
        "staff_member": Provide(staff.staff_of_request),
        "payment_provider": Provide(guest_payments.payment_provider_of, sync_to_thread=False),
        "pms": Provide(staff.pms_of, sync_to_thread=False),
    },
    exception_handlers=pos.EXCEPTION_HANDLERS,
)
