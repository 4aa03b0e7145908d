"""How the gateway calls a service over HTTP: one pooled client for the process, a read sent again
when it met a connection the server was closing, and a refusal (4xx) or a failure (5xx,
unreachable: 503) raised as `UpstreamError` with the service's status and message."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

import httpx

log = logging.getLogger(__name__)

IDEMPOTENT_READS = frozenset({"GET", "HEAD", "OPTIONS"})
UNKNOWN_YET_SECONDS = 5.0
"""How long a command naming a session, guest or order another service has just made is sent
again while the service answers that it does not know it yet (it learns of it from events)."""


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


def segment(value: str) -> str:
    """A path segment, escaped for a service's URL."""
    return quote(value, safe="")


def new_http_client(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=3.0),
        # Idle connections are dropped before the services' servers drop them (uvicorn closes
        # a keep-alive connection after 5 s), so a request is rarely sent on a connection the
        # server is closing at that moment.
        limits=httpx.Limits(
            max_connections=200, max_keepalive_connections=50, keepalive_expiry=2.0
        ),
    )


class ServiceClient:
    """One service's base URL on the shared HTTP client."""

    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """The service's status and JSON body; `UpstreamError` for a refusal or a failure."""
        url = self.url(path)
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
            if answer.status_code == 429 and "retry_after" not in payload:
                payload = {**payload, "retry_after": answer.headers.get("retry-after")}
            raise UpstreamError(status, message, payload)
        return answer.status_code, body

    async def read(self, path: str, **kwargs: Any) -> Any:
        return (await self.call("GET", path, **kwargs))[1]

    async def read_or_none(self, path: str, **kwargs: Any) -> Any:
        """The answer, or None when the service has none (404)."""
        try:
            return await self.read(path, **kwargs)
        except UpstreamError as exc:
            if exc.status == 404:
                return None
            raise

    async def send(self, method: str, path: str, **kwargs: Any) -> Any:
        return (await self.call(method, path, **kwargs))[1]

    async def send_when_known(self, method: str, path: str, body: Any) -> Any:
        """A command naming what another service has just made: ordering and pos-gateway learn
        of sessions, guests and orders from the others' events, so a guest who acts right after
        scanning or confirming may be a moment ahead of them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + UNKNOWN_YET_SECONDS
        while True:
            try:
                return await self.send(method, path, json=body)
            except UpstreamError as exc:
                if exc.status not in (403, 404) or loop.time() >= deadline:
                    raise
                await asyncio.sleep(0.2)

    async def file(self, path: str) -> httpx.Response:
        """A file the service makes (a QR code, a PDF), as it answered; `UpstreamError` (503)
        when it is unreachable."""
        try:
            return await self.client.get(self.url(path))
        except httpx.HTTPError as exc:
            log.warning("file unavailable", extra={"path": path, "error": repr(exc)})
            raise UpstreamError(503, "unavailable") from exc
