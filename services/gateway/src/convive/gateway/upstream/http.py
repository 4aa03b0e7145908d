"""How the gateway calls a service over HTTP: one pooled client for the process, request bodies
and answers as pydantic models, a read sent again when it met a connection the server was
closing, and a refusal (4xx) or a failure (5xx, unreachable: 503) raised as `UpstreamError`
with the service's status and message.

Every answer is read into its model (`Answer`): a field the gateway needs that a service stops
sending fails there, at the boundary, not deep in a page. Fields the gateway does not use are
kept as they came (`extra="allow"`), so an answer handed on to a script (the guest's cart
actions) loses nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, cast
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

log = logging.getLogger(__name__)

IDEMPOTENT_READS = frozenset({"GET", "HEAD", "OPTIONS"})
UNKNOWN_YET_SECONDS = 5.0
"""How long a command naming a session, guest or order another service has just made is sent
again while the service answers that it does not know it yet (it learns of it from events)."""

A = TypeVar("A")


class Answer(BaseModel):
    """A service's answer (or a part of one), as the gateway reads it."""

    model_config = ConfigDict(extra="allow", frozen=True)

    def json_body(self) -> dict[str, Any]:
        """The answer as the service sent it, to hand on to a script."""
        return self.model_dump(mode="json", exclude_unset=True)


class Body(BaseModel):
    """A request body the gateway sends; only the fields set are sent (an optional field the
    gateway leaves out is not sent as null)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class UpstreamError(Exception):
    """A service refused (4xx) or could not answer (5xx, unreachable → 503)."""

    def __init__(self, status: int, message: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body or {}

    @property
    def field(self) -> str | None:
        return self.text("field")

    @property
    def reason(self) -> str | None:
        return self.text("reason")

    def text(self, name: str) -> str | None:
        """A text the refusal's body carries (`field`, `reason`, `validated_by`...)."""
        value = self.body.get(name)
        return value if isinstance(value, str) else None

    def number(self, name: str) -> int | None:
        """A whole number the refusal's body carries (`tries_left`, `retry_after`...)."""
        value = self.body.get(name)
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        try:
            return int(float(str(value))) if value is not None else None
        except ValueError:
            return None


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


@dataclass(frozen=True)
class Route(Generic[A]):
    """A route of a service the gateway calls: its method, its path as the service's OpenAPI
    names it (`/venues/{venue_id}/spots`) and what its answer is read into (None: the answer
    is not read). Each client module lists its routes in `ROUTES`, which a test checks against
    the service's OpenAPI document and its real answers."""

    method: str
    template: str
    answer: Any = None

    def path(self, **params: str | int) -> str:
        return self.template.format(**{k: segment(str(v)) for k, v in params.items()})


Seen = Callable[[Route[Any], Any], None]
"""Told of every answer read into a model: the route and the JSON as it came."""


class ServiceClient:
    """One service's base URL on the shared HTTP client."""

    service: ClassVar[str]

    def __init__(self, client: httpx.AsyncClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.seen: Seen | None = None

    def url(self, route: Route[Any], **params: str | int) -> str:
        return self.base_url + route.path(**params)

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """The service's status and JSON body at `path`; `UpstreamError` for a refusal or a
        failure."""
        url = self.base_url + path
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
            if "retry-after" in answer.headers:
                payload = {**payload, "retry_after": answer.headers["retry-after"]}
            raise UpstreamError(status, message, payload)
        return answer.status_code, body

    async def request(
        self,
        route: Route[A],
        *,
        body: Body | None = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        **params: str | int,
    ) -> A:
        """The route (its `{names}` filled from `params`), its answer read into its model."""
        return await self._request(route, params, body=body, query=query, headers=headers)

    async def request_when_known(self, route: Route[A], *, body: Body, **params: str | int) -> A:
        """A command naming what another service has just made: ordering and pos-gateway learn
        of sessions, guests and orders from the others' events, so a guest who acts right after
        scanning or confirming may be a moment ahead of them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + UNKNOWN_YET_SECONDS
        while True:
            try:
                return await self._request(route, params, body=body)
            except UpstreamError as exc:
                if exc.status not in (403, 404) or loop.time() >= deadline:
                    raise
                await asyncio.sleep(0.2)

    async def read_or_none(self, route: Route[A], **params: str | int) -> A | None:
        """The route's answer, or None when the service has none (404)."""
        try:
            return await self._request(route, params)
        except UpstreamError as exc:
            if exc.status == 404:
                return None
            raise

    async def _request(
        self,
        route: Route[A],
        params: dict[str, str | int],
        *,
        body: Body | None = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> A:
        json = body.to_json() if body is not None else None
        _, answer = await self.call(
            route.method, route.path(**params), json=json, params=query, headers=headers
        )
        return self._read(route, answer)

    async def file(self, route: Route[Any], **params: str | int) -> httpx.Response:
        """A file the service makes (a QR code, a PDF), as it answered; `UpstreamError` (503)
        when it is unreachable."""
        url = self.url(route, **params)
        try:
            return await self.client.get(url)
        except httpx.HTTPError as exc:
            log.warning("file unavailable", extra={"url": url, "error": repr(exc)})
            raise UpstreamError(503, "unavailable") from exc

    def _read(self, route: Route[A], answer: Any) -> A:
        if route.answer is None:
            return cast(A, None)  # a Route[None]: its answer is not read
        if self.seen is not None:
            self.seen(route, answer)
        try:
            read: A = _adapter(route.answer).validate_python(answer)
        except ValidationError as exc:
            log.warning(
                "unexpected answer",
                extra={"service": self.service, "route": route.template, "error": str(exc)},
            )
            raise UpstreamError(503, "a service answered what the gateway cannot read") from exc
        return read


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(model: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return adapter
