"""This browser as a POS device: the signed `convive_pos_device` cookie that holds its credential
(never shown to the page), the device's calls to pos-gateway with it as the bearer (401: the
device was revoked), and the refusals every console route shares."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.datastructures import Cookie

from convive.gateway.cookies import GuestCookies, Signer, cookie, delete_cookie
from convive.gateway.staff import StaffProfile, StaffRefused
from convive.gateway.upstream import Services, UpstreamError

DEVICE_COOKIE = "convive_pos_device"
DEVICE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie: re-paired when it goes


def path_segment(segment: str) -> str:
    """A path segment as it may go in a service's URL."""
    return quote(segment, safe="")


# --- the device cookie ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PosDevice:
    """This browser as a paired POS device: what `POST /devices/pair` answered."""

    device_id: str
    venue_id: str
    name: str
    credential: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credential}"}


class PosDevices:
    """Reads and writes `convive_pos_device` with the gateway's cookie key (the name is signed
    too, so no other cookie's value passes for a device)."""

    def __init__(self, signer: Signer, *, secure: bool) -> None:
        self.signer, self.secure = signer, secure

    @classmethod
    def of(cls, cookies: GuestCookies) -> PosDevices:
        return cls(cookies.signer, secure=cookies.secure)

    def read(self, raw: str | None) -> PosDevice | None:
        value = self.signer.unsign(DEVICE_COOKIE, raw)
        if value is None:
            return None
        try:
            device = PosDevice(**{k: str(value[k]) for k in PosDevice.__dataclass_fields__})
        except (KeyError, TypeError):
            return None
        return device if device.credential and device.venue_id else None

    def cookie(self, device: PosDevice) -> Cookie:
        signed = self.signer.sign(DEVICE_COOKIE, asdict(device))
        return cookie(DEVICE_COOKIE, signed, DEVICE_MAX_AGE, secure=self.secure)

    def forget(self) -> Cookie:
        return delete_cookie(DEVICE_COOKIE, secure=self.secure)


def device_of(request: Request[Any, Any, Any], cookies: GuestCookies) -> PosDevice | None:
    return PosDevices.of(cookies).read(request.cookies.get(DEVICE_COOKIE))


class DeviceRevoked(Exception):
    """pos-gateway refused the device's credential: it was revoked (or never known)."""


class PosRefused(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def staff_of_venue(profile: StaffProfile, device: PosDevice) -> None:
    if not profile.has_venue(device.venue_id):
        raise StaffRefused(403, f"venue {device.venue_id} is not one of yours", "venue_id")


def require_device(request: Request[Any, Any, Any], cookies: GuestCookies) -> PosDevice:
    device = device_of(request, cookies)
    if device is None:
        raise PosRefused(401, "this browser is not a paired POS device: pair it at /pos", "device")
    return device


async def device_call(
    services: Services,
    device: PosDevice,
    method: str,
    path: str,
    *,
    json_body: Any = None,
    params: dict[str, str] | None = None,
) -> Any:
    """A call to pos-gateway as this device; 401 means the credential was revoked."""
    try:
        _, body = await services.call(
            method, f"{services.pos}{path}", json=json_body, params=params, headers=device.auth
        )
    except UpstreamError as exc:
        if exc.status == 401:
            raise DeviceRevoked from exc
        raise
    return body


def json_refusal(
    status: int, message: str, field: str | None = None, **extra: Any
) -> Response[Any]:
    body: dict[str, Any] = {"status": status, "error": message}
    if field:
        body["field"] = field
    body.update(extra)
    return Response(body, status_code=status, headers={"cache-control": "no-store"})
