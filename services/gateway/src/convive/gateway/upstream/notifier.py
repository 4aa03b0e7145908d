"""The notifier as the gateway uses it: the e-mails sent for a venue (the back office's Orders
list) and the live streams the gateway forwards (`live_proxy`)."""

from __future__ import annotations

from convive.gateway.upstream.http import Answer, Route, ServiceClient


class Notification(Answer):
    """An e-mail to a guest or to the property, and how sending it goes."""

    status: str  # pending | failing | sent | failed
    recipient_role: str | None
    attempts: int
    last_error: str | None
    offer_order_id: str | None


NOTIFICATIONS = Route[list[Notification]](
    "GET", "/venues/{venue_id}/notifications", list[Notification]
)
SESSION_STREAM = Route[None]("GET", "/events/sessions/{session_id}")
VENUE_STREAM = Route[None]("GET", "/events/venues/{venue_id}")

ROUTES = [NOTIFICATIONS, SESSION_STREAM, VENUE_STREAM]


class Notifier(ServiceClient):
    service = "notifier"

    async def notifications(self, venue_id: str) -> list[Notification]:
        return await self.request(NOTIFICATIONS, venue_id=venue_id)

    def session_stream(self, session_id: str) -> str:
        return self.url(SESSION_STREAM, session_id=session_id)

    def venue_stream(self, venue_id: str) -> str:
        return self.url(VENUE_STREAM, venue_id=venue_id)
