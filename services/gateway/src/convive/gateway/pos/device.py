"""This browser as a POS device: its signed `convive_pos_device` cookie (whose credential is never
shown to the page), the refusals every console route shares, and the device's calls to
pos-gateway (401: the device was revoked)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from litestar import Request

from convive.gateway.upstream import UpstreamError
from convive.gateway.web.cookies import (
    POS_DEVICE_COOKIE,
    GuestCookies,
    PosDevice,
    PosDevices,
    StaffProfile,
)
from convive.gateway.web.language import N_
from convive.gateway.web.refusals import Refused

T = TypeVar("T")

DEVICE_REVOKED = "device_revoked"
REVOKED = N_("This device was revoked. Pair it again with a new code.")


def device_of(request: Request[Any, Any, Any], cookies: GuestCookies) -> PosDevice | None:
    return PosDevices.of(cookies).read(request.cookies.get(POS_DEVICE_COOKIE))


def require_device(request: Request[Any, Any, Any], cookies: GuestCookies) -> PosDevice:
    device = device_of(request, cookies)
    if device is None:
        raise Refused(401, "this browser is not a paired POS device: pair it at /pos", "device")
    return device


def staff_of_venue(profile: StaffProfile, device: PosDevice) -> None:
    if not profile.has_venue(device.venue_id):
        raise Refused(403, f"venue {device.venue_id} is not one of yours", "venue_id")


def revoked(refused: Refused) -> bool:
    return refused.reason == DEVICE_REVOKED


async def as_device(call: Awaitable[T]) -> T:
    """A call to pos-gateway made with the device's credential: refused with 401, the device
    was revoked (or never known)."""
    try:
        return await call
    except UpstreamError as exc:
        if exc.status == 401:
            raise Refused(401, exc.message, "device", reason=DEVICE_REVOKED) from exc
        raise
