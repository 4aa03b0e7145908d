"""`/events/sessions/{session_id}` on the one origin browsers see: the notifier's stream of the
session, forwarded as it comes (docs/decisions/0007-one-origin.md).

The guest is the one of the phone's signed seat cookie, never one the browser names; the
browser's `Last-Event-ID` (or `?last_event_id=`) is passed on so a reconnecting EventSource
resumes where it was. The upstream stream has no read timeout (the notifier sends
keep-alives) and is closed as soon as the browser goes away.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Stream

from convive.gateway.cookies import SEAT_COOKIE, GuestCookies
from convive.gateway.upstream import Services

log = logging.getLogger(__name__)

FORWARDED_RESPONSE_HEADERS = ("content-type", "cache-control")


def _refused(status: int, message: str, field: str | None = None) -> Response[Any]:
    body: dict[str, Any] = {"status": status, "error": message}
    if field:
        body["field"] = field
    return Response(body, status_code=status)


@get(
    "/events/sessions/{session_id:str}",
    summary="Live events of the phone's table session (Server-Sent Events, from the notifier)",
    description="For the phone seated at the session (its seat cookie); 403 otherwise. Resume "
    "with `Last-Event-ID` or `?last_event_id=`.",
)
async def session_events(
    session_id: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
) -> Response[Any]:
    seat = guest_cookies.seat(request.cookies.get(SEAT_COOKIE))
    if seat is None or seat.session_id != session_id:
        return _refused(403, "this phone is not seated at this session", "session_id")
    params = {"guest": seat.guest_id}
    if last := request.query_params.get("last_event_id"):
        params["last_event_id"] = last
    headers = {"accept": "text/event-stream"}
    if last_header := request.headers.get("last-event-id"):
        headers["last-event-id"] = last_header
    upstream = services.client.build_request(
        "GET",
        f"{services.notifier}/events/sessions/{session_id}",
        params=params,
        headers=headers,
        timeout=httpx.Timeout(connect=5.0, read=None, write=10.0, pool=5.0),
    )
    try:
        answer = await services.client.send(upstream, stream=True)
    except httpx.HTTPError as exc:
        log.warning("notifier unreachable", extra={"error": repr(exc)})
        return _refused(503, "live updates are unavailable, retry in a moment")
    if answer.status_code != 200:
        try:
            raw = await answer.aread()
        finally:
            await answer.aclose()
        try:
            body = json.loads(raw)
            message = str(body.get("error") or "live updates refused")
        except ValueError:
            message = "live updates refused"
        status = answer.status_code if answer.status_code < 500 else 503
        return _refused(status, message)

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in answer.aiter_raw():
                yield chunk
        except httpx.HTTPError:
            log.info("notifier stream ended; the browser reconnects with its Last-Event-ID")
        finally:
            # Also when the browser left (this generator is cancelled): free the upstream now.
            with anyio.CancelScope(shield=True):
                await answer.aclose()

    return Stream(
        relay(),
        media_type="text/event-stream",
        headers={
            "cache-control": "no-cache",
            "x-accel-buffering": "no",
        },
    )


ROUTES = [session_events]
