"""The services the gateway calls, one client each (`upstream.table_session`, `.ordering`,
`.pos_gateway`, `.notifier`) on one pooled HTTP client."""

from __future__ import annotations

import httpx

from convive.gateway.settings import Settings
from convive.gateway.upstream.http import UpstreamError, new_http_client
from convive.gateway.upstream.notifier import Notifier
from convive.gateway.upstream.ordering import Ordering
from convive.gateway.upstream.pos_gateway import PosGateway
from convive.gateway.upstream.table_session import TableSession


class Services:
    """Every service's client, on one HTTP client made for the serving event loop."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self.client = client or new_http_client(settings.upstream_timeout)
        self.table_session = TableSession(self.client, settings.table_session_url)
        self.ordering = Ordering(self.client, settings.ordering_url)
        self.pos = PosGateway(self.client, settings.pos_gateway_url)
        self.notifier = Notifier(self.client, settings.notifier_url)

    async def aclose(self) -> None:
        await self.client.aclose()


__all__ = ["Services", "UpstreamError"]
