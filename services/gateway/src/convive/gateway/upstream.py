"""The services the guest app calls, over HTTP: table-session (scans, sessions), ordering (menu,
cart, order) and pos-gateway (payments from the phone). A refusal comes back as an
`UpstreamError` carrying the service's status and message; an unreachable service as a 503."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

import httpx

from convive.gateway.settings import Settings

log = logging.getLogger(__name__)


class UpstreamError(Exception):
    """A service refused (4xx) or could not answer (5xx, unreachable → 503)."""

    def __init__(self, status: int, message: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body or {}

    @property
    def field(self) -> str | None:
        value = self.body.get("field")
        return value if isinstance(value, str) else None

    @property
    def reason(self) -> str | None:
        value = self.body.get("reason")
        return value if isinstance(value, str) else None


def _p(segment: str) -> str:
    return quote(segment, safe="")


IDEMPOTENT_READS = frozenset({"GET", "HEAD", "OPTIONS"})


class Services:
    """One pooled HTTP client for every service call of this process."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(settings.upstream_timeout, connect=3.0),
            # Idle connections are dropped before the services' servers drop them (uvicorn
            # closes a keep-alive connection after 5 s), so a request is rarely sent on a
            # connection the server is closing at that moment.
            limits=httpx.Limits(
                max_connections=200, max_keepalive_connections=50, keepalive_expiry=2.0
            ),
        )
        self.table_session = settings.table_session_url.rstrip("/")
        self.ordering = settings.ordering_url.rstrip("/")
        self.pos = settings.pos_gateway_url.rstrip("/")
        self.notifier = settings.notifier_url.rstrip("/")
        self._spot_kinds: dict[str, str] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    async def call(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        try:
            try:
                answer = await self.client.request(
                    method, url, json=json, params=params, headers=headers
                )
            except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
                # A pooled connection the server closed as we used it. A read is safe to send
                # again; a command is not (it may have been done), so only reads are retried.
                if method.upper() not in IDEMPOTENT_READS:
                    raise
                answer = await self.client.request(
                    method, url, json=json, params=params, headers=headers
                )
        except httpx.HTTPError as exc:
            log.warning("service unreachable", extra={"url": url, "error": repr(exc)})
            raise UpstreamError(503, "a service is unreachable, retry in a moment") from exc
        try:
            body = answer.json() if answer.content else None
        except ValueError:
            body = None
        if answer.status_code >= 400:
            payload = body if isinstance(body, dict) else {}
            message = str(payload.get("error") or payload.get("detail") or answer.reason_phrase)
            status = answer.status_code if answer.status_code < 500 else 503
            if answer.status_code >= 500:
                log.warning("service failed", extra={"url": url, "status": answer.status_code})
            raise UpstreamError(status, message, payload)
        return answer.status_code, body

    # --- table-session ---------------------------------------------------------------------

    async def scan(self, token: str, device_id: str, pin: str | None = None) -> tuple[int, Any]:
        body: dict[str, Any] = {"token": token, "device_id": device_id}
        if pin is not None:
            body["pin"] = pin
        return await self.call("POST", f"{self.table_session}/scan", json=body)

    async def session(self, session_id: str) -> dict[str, Any]:
        return (await self.call("GET", f"{self.table_session}/sessions/{_p(session_id)}"))[1]

    async def spot_kind(self, venue_id: str, spot_id: str) -> str:
        """A spot's kind (table or room); it never changes, so it is remembered."""
        if spot_id not in self._spot_kinds:
            _, spots = await self.call("GET", f"{self.table_session}/venues/{_p(venue_id)}/spots")
            for spot in spots or []:
                self._spot_kinds[str(spot.get("spot_id"))] = str(spot.get("kind") or "table")
        return self._spot_kinds.get(spot_id, "table")

    async def spot(self, venue_id: str, spot_id: str) -> dict[str, Any] | None:
        """A spot as table-session lists it (name, kind, status), or None if unknown."""
        _, spots = await self.call("GET", f"{self.table_session}/venues/{_p(venue_id)}/spots")
        return next((s for s in spots or [] if str(s.get("spot_id")) == spot_id), None)

    # --- ordering --------------------------------------------------------------------------

    async def menu(self, venue_id: str) -> dict[str, Any] | None:
        try:
            return (await self.call("GET", f"{self.ordering}/venues/{_p(venue_id)}/menu"))[1]
        except UpstreamError as exc:
            if exc.status == 404:
                return None
            raise

    async def cart(self, session_id: str) -> dict[str, Any] | None:
        try:
            return (await self.call("GET", f"{self.ordering}/sessions/{_p(session_id)}/cart"))[1]
        except UpstreamError as exc:
            if exc.status == 404:  # ordering has not learnt of the session yet
                return None
            raise

    async def order(self, session_id: str) -> dict[str, Any] | None:
        try:
            return (await self.call("GET", f"{self.ordering}/sessions/{_p(session_id)}/order"))[1]
        except UpstreamError as exc:
            if exc.status == 404:
                return None
            raise

    async def add_item(
        self,
        session_id: str,
        guest_id: str,
        product_id: str,
        quantity: int,
        options: list[dict[str, str]],
        note: str | None,
    ) -> Any:
        body: dict[str, Any] = {
            "guest_id": guest_id,
            "product_id": product_id,
            "quantity": quantity,
        }
        # Only sent when chosen, so an ordering without options still takes the others.
        if options:
            body["options"] = options
        if note:
            body["note"] = note
        url = f"{self.ordering}/sessions/{_p(session_id)}/cart/items"
        return await self._retry_unknown_session("POST", url, body)

    async def change_item(self, session_id: str, guest_id: str, line_id: str, qty: int) -> Any:
        url = f"{self.ordering}/sessions/{_p(session_id)}/cart/items/{_p(line_id)}"
        return (await self.call("PATCH", url, json={"guest_id": guest_id, "quantity": qty}))[1]

    async def remove_item(self, session_id: str, guest_id: str, line_id: str) -> Any:
        url = f"{self.ordering}/sessions/{_p(session_id)}/cart/items/{_p(line_id)}"
        return (await self.call("DELETE", url, params={"guest_id": guest_id}))[1]

    async def confirm(self, session_id: str, guest_id: str) -> Any:
        url = f"{self.ordering}/sessions/{_p(session_id)}/cart/confirm"
        return await self._retry_unknown_session("POST", url, {"guest_id": guest_id})

    async def _retry_unknown_session(self, method: str, url: str, body: dict[str, Any]) -> Any:
        """Ordering and pos-gateway learn of sessions, guests and orders from the others'
        events: a guest who acts right after scanning or confirming may be a moment ahead."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5.0
        while True:
            try:
                return (await self.call(method, url, json=body))[1]
            except UpstreamError as exc:
                if exc.status not in (403, 404) or loop.time() >= deadline:
                    raise
                await asyncio.sleep(0.2)

    # --- pos-gateway -----------------------------------------------------------------------

    async def online_payment(self, order_id: str, guest_id: str, return_url: str) -> Any:
        url = f"{self.pos}/orders/{_p(order_id)}/online-payments"
        body = {"guest_id": guest_id, "return_url": return_url}
        return await self._retry_unknown_session("POST", url, body)

    async def room_charge(self, order_id: str, guest_id: str) -> Any:
        url = f"{self.pos}/orders/{_p(order_id)}/room-charge"
        return await self._retry_unknown_session("POST", url, {"guest_id": guest_id})
