"""The notifier as the gateway uses it: the e-mails sent for a venue (the back office's Orders
list) and the live streams the gateway forwards (`live_proxy`)."""

from __future__ import annotations

from typing import Any

from convive.gateway.upstream.http import ServiceClient, segment


class Notifier(ServiceClient):
    async def notifications(self, venue_id: str) -> Any:
        return await self.read(f"/venues/{segment(venue_id)}/notifications") or []

    def session_stream(self, session_id: str) -> str:
        return self.url(f"/events/sessions/{segment(session_id)}")

    def venue_stream(self, venue_id: str) -> str:
        return self.url(f"/events/venues/{segment(venue_id)}")
