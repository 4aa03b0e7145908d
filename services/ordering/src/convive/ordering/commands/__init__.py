"""The ordering service's commands, one module per feature: `menu` (a venue publishes its menu),
`table_order` (the guests' shared cart and the order its confirmations build, closed once
pos-gateway says it is paid in full), `production` (a round the POS validated goes to the
production stations), `offers` (a venue publishes its concierge offers) and `offer_orders` (a
guest orders one, staff confirm or cancel it).

Each command reads what its decision needs (its stream, projections of other services' facts),
decides with the pure domain and appends; the event store writes ordering's own read models in
the append's transaction (`convive.ordering.projections.own`), so the answer and the very next
query already show what was decided.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from convive.ordering.projections import own
from convive.runtime.eventstore import EventStore


def event_store(engine: AsyncEngine) -> EventStore:
    """Ordering's event store on `engine`, writing ordering's own read models in every append:
    for command code that runs outside a request (a subscription's handler, with the consumer's
    connection). The app's store is the runtime's, made from the same `own.projection` (see
    `convive.ordering.app`)."""
    return EventStore(engine, own_read_models=own.projection.apply)
