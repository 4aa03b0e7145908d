"""`/events/sessions/{session_id}` and `/events/venues/{venue_id}` on the one origin browsers
see: the notifier's stream of a session or of a venue, forwarded as it comes
(docs/decisions/0007-one-origin.md).

The guest is the one of the phone's signed seat cookie, never one the browser names; a venue's
stream is for a paired POS device of that venue (its signed `convive_pos_device` cookie, whose
credential the gateway sends as the bearer, so the notifier cuts it off when the device is
revoked) with a signed-in staff member of the venue. The browser's `Last-Event-ID` (or
`?last_event_id=`) is passed on so a reconnecting EventSource resumes where it was. The upstream
stream has no read timeout (the notifier sends keep-alives) and is closed as soon as the
browser goes away.
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

from convive.gateway.upstream import Services
from convive.gateway.upstream.pos_gateway import as_device
from convive.gateway.web.cookies import (
    POS_DEVICE_COOKIE,
    SEAT_COOKIE,
    STAFF_COOKIE,
    GuestCookies,
    PosDevices,
    StaffCookies,
)
from convive.gateway.web.refusals import Refused

log = logging.getLogger(__name__)

FORWARDED_RESPONSE_HEADERS = ("content-type", "cache-control")


def _refused(status: int, message: str, field: str | None = None) -> Response[Any]:
    return Refused(status, message, field).as_json()


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
    url = services.notifier.session_stream(session_id)
    return await forward(services, request, url, {"guest": seat.guest_id}, {})


@get(
    "/events/venues/{venue_id:str}",
    summary="Live events of the POS device's venue (Server-Sent Events, from the notifier)",
    description="For a POS device of the venue (its device cookie) with a signed-in staff "
    "member of the venue; 401/403 otherwise, and 401 once the device is revoked. Resume with "
    "`Last-Event-ID` or `?last_event_id=`.",
)
async def venue_events(
    venue_id: FromPath[str],
    request: Request[Any, Any, Any],
    services: NamedDependency[Services],
    guest_cookies: NamedDependency[GuestCookies],
    staff_cookies: NamedDependency[StaffCookies],
) -> Response[Any]:
    device = PosDevices.of(guest_cookies).read(request.cookies.get(POS_DEVICE_COOKIE))
    if device is None:
        return _refused(401, "this browser is not a paired POS device", "device")
    if device.venue_id != venue_id:
        return _refused(403, "this device belongs to another venue", "venue_id")
    staff = staff_cookies.profile(request.cookies.get(STAFF_COOKIE))
    if staff is None:
        return _refused(401, "sign in first", "staff")
    if not staff.has_venue(venue_id):
        return _refused(403, "this venue is not one of yours", "venue_id")
    url = services.notifier.venue_stream(venue_id)
    return await forward(services, request, url, {}, as_device(device.credential))


async def forward(
    services: Services,
    request: Request[Any, Any, Any],
    url: str,
    params: dict[str, str],
    headers: dict[str, str],
) -> Response[Any]:
    """The notifier's stream at `url`, relayed to the browser from where it resumes."""
    params = dict(params)
    if last := request.query_params.get("last_event_id"):
        params["last_event_id"] = last
    headers = {**headers, "accept": "text/event-stream"}
    if last_header := request.headers.get("last-event-id"):
        headers["last-event-id"] = last_header
    upstream = services.client.build_request(
        "GET",
        url,
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


ROUTES = [session_events, venue_events]
