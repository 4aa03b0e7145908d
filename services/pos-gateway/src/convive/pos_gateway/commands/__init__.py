"""The POS's commands, one module per feature: each loads what it decides on, decides with the
domain, and appends to its stream; the event store writes the POS's own read models in the
append's transaction (`event_store`).

- `rounds`: validate, amend or reject a round (`pos_order` is how every decision on an order's
  POS stream is taken);
- `till`: payments at the till (in full, in part, by items) and splitting the bill;
- `guest_payments`: guests paying from the phone (online through the provider, on the room);
- `staff`: staff accounts and logins; `devices`: pairing devices (directly or with a code) and
  revoking them; `throttle`: the lock-outs of password and code guessing they share;
- `folio`: posting concierge orders to the PMS (a try, staff's retry, staff marking a charge
  posted by hand).
"""

from sqlalchemy.ext.asyncio import AsyncEngine

from convive.pos_gateway.projections import own
from convive.runtime.eventstore import EventStore


def event_store(engine: AsyncEngine) -> EventStore:
    """The POS's event store as the runtime makes it for the app (see `app.definition`): every
    append also writes the POS's own read models, in its transaction. For command code that
    runs outside a request (tests, tools)."""
    return EventStore(engine, own_read_models=own.projection.apply)
