"""What the POS console calls (through the gateway): the production tickets, what each station
(kitchen, bar…) must make, newest first, from the rounds the POS validated (as it amended
them)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from convive.ordering import queries
from convive.runtime.eventstore import EventStore


class TicketController(Controller):
    path = "/venues/{venue_id:str}/tickets"
    tags = ["production"]

    @get("/", summary="The venue's production tickets, newest first (of one station if named)")
    async def list_tickets(
        self,
        venue_id: FromPath[str],
        store: NamedDependency[EventStore],
        station: Annotated[str | None, QueryParameter(min_length=1, max_length=40)] = None,
    ) -> list[dict[str, Any]]:
        async with store.engine.connect() as conn:
            return await queries.tickets(conn, venue_id, station=station)


ROUTE_HANDLERS = [TicketController]
