"""The gateway's signed cookies and what each holds: the guest phone's id (`convive_device`), its
seat at a table (`convive_seat`: session, guest, token — the only source of a guest id the
gateway trusts), a one-shot message for the next page (`convive_flash`), a POS device's
credential (`convive_pos_device`, never shown to the page), a signed-in staff member
(`convive_staff`, dated) and the staff forms' CSRF token (`convive_csrf`).

A value is `base64url(json).base64url(hmac_sha256(key, name + "." + json))`: the name is signed
too, so a value cannot be moved from one cookie to another. Every cookie is HttpOnly and
SameSite=Lax.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

from litestar.datastructures import Cookie

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

from convive.gateway.upstream.pos_gateway import StaffAccount

DEVICE_COOKIE = "convive_device"
SEAT_COOKIE = "convive_seat"
FLASH_COOKIE = "convive_flash"
POS_DEVICE_COOKIE = "convive_pos_device"
STAFF_COOKIE = "convive_staff"
CSRF_COOKIE = "convive_csrf"

T = TypeVar("T", bound="DataclassInstance")

LONGEST = 400 * 24 * 3600  # the longest browsers keep a cookie
SEAT_MAX_AGE = 24 * 3600
FLASH_MAX_AGE = 120
STAFF_SESSION_SECONDS = 12 * 3600  # one working day; staff sign in again the next one

ROLES = ("owner", "manager", "cashier")
MANAGERS = ("owner", "manager")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def _mac(self, name: str, payload: bytes) -> bytes:
        return hmac.new(self._key, name.encode() + b"." + payload, hashlib.sha256).digest()

    def sign(self, name: str, value: dict[str, Any]) -> str:
        payload = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(payload)}.{_b64(self._mac(name, payload))}"

    def unsign(self, name: str, signed: str | None) -> dict[str, Any] | None:
        """The value, or None when absent, malformed or not signed by us."""
        if not signed or "." not in signed or len(signed) > 4096:
            return None
        payload_b64, _, mac_b64 = signed.partition(".")
        try:
            payload, mac = _unb64(payload_b64), _unb64(mac_b64)
        except (binascii.Error, ValueError):
            return None
        if not hmac.compare_digest(mac, self._mac(name, payload)):
            return None
        try:
            value = json.loads(payload)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


def cookie(name: str, value: str, max_age: int, *, secure: bool) -> Cookie:
    return Cookie(
        key=name,
        value=value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def delete_cookie(name: str, *, secure: bool) -> Cookie:
    return cookie(name, "", 0, secure=secure)


class _Signed:
    """Cookies signed with one key."""

    def __init__(self, key: str, *, secure: bool) -> None:
        self.signer = Signer(key)
        self.secure = secure

    def signed(self, name: str, value: dict[str, Any], max_age: int) -> Cookie:
        return cookie(name, self.signer.sign(name, value), max_age, secure=self.secure)

    def delete(self, name: str) -> Cookie:
        return delete_cookie(name, secure=self.secure)


def _texts(kind: type[T], value: dict[str, Any] | None) -> T | None:
    """A dataclass of texts from a cookie's value; None when the value misses one."""
    if value is None:
        return None
    try:
        return kind(**{f.name: str(value[f.name]) for f in fields(kind)})
    except (KeyError, TypeError):
        return None


# --- a guest's phone ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """A phone seated at a session, as table-session told the gateway at a scan."""

    token: str
    session_id: str
    guest_id: str
    role: str
    venue_id: str
    spot_id: str
    mode: str
    kind: str = "table"

    @classmethod
    def parse(cls, value: dict[str, Any] | None) -> Seat | None:
        return _texts(cls, value)


def new_device_id() -> str:
    return "dev_" + secrets.token_urlsafe(18)


class GuestCookies(_Signed):
    """A phone's id, its seat and the one-shot message of the next page."""

    def device(self, raw: str | None) -> str | None:
        value = self.signer.unsign(DEVICE_COOKIE, raw)
        device = value.get("d") if value else None
        return device if isinstance(device, str) and device else None

    def device_cookie(self, device_id: str) -> Cookie:
        return self.signed(DEVICE_COOKIE, {"d": device_id}, LONGEST)

    def seat(self, raw: str | None) -> Seat | None:
        return Seat.parse(self.signer.unsign(SEAT_COOKIE, raw))

    def seat_cookie(self, seat: Seat) -> Cookie:
        return self.signed(SEAT_COOKIE, asdict(seat), SEAT_MAX_AGE)

    def flash(self, raw: str | None) -> dict[str, Any] | None:
        return self.signer.unsign(FLASH_COOKIE, raw)

    def flash_cookie(self, key: str, kind: str = "error", **values: Any) -> Cookie:
        return self.signed(
            FLASH_COOKIE, {"key": key, "kind": kind, "values": values}, FLASH_MAX_AGE
        )


# --- a POS device ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PosDevice:
    """This browser as a paired POS device: what `POST /devices/pair` answered."""

    device_id: str
    venue_id: str
    name: str
    credential: str


class PosDevices:
    """Reads and writes `convive_pos_device` with the gateway's cookie key (the name is signed
    too, so no other cookie's value passes for a device)."""

    def __init__(self, signer: Signer, *, secure: bool) -> None:
        self.signer, self.secure = signer, secure

    @classmethod
    def of(cls, cookies: GuestCookies) -> PosDevices:
        return cls(cookies.signer, secure=cookies.secure)

    def read(self, raw: str | None) -> PosDevice | None:
        device = _texts(PosDevice, self.signer.unsign(POS_DEVICE_COOKIE, raw))
        return device if device and device.credential and device.venue_id else None

    def cookie(self, device: PosDevice) -> Cookie:
        signed = self.signer.sign(POS_DEVICE_COOKIE, asdict(device))
        return cookie(POS_DEVICE_COOKIE, signed, LONGEST, secure=self.secure)

    def forget(self) -> Cookie:
        return delete_cookie(POS_DEVICE_COOKIE, secure=self.secure)


# --- a staff member ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffProfile:
    """A signed-in staff member, as pos-gateway answered at login."""

    staff_id: str
    email: str
    name: str
    role: str
    venue_ids: tuple[str, ...]
    expires_at: int  # epoch seconds
    csrf: str = ""  # the token this browser's staff forms carry (from `convive_csrf`)

    def has_role(self, *roles: str) -> bool:
        return not roles or self.role in roles

    def has_venue(self, venue_id: str) -> bool:
        return venue_id in self.venue_ids

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGERS

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @classmethod
    def from_login(cls, account: StaffAccount, now: float) -> StaffProfile:
        if account.role not in ROLES:
            raise ValueError(f"unknown staff role {account.role!r}")
        return cls(
            staff_id=account.staff_id,
            email=account.email,
            name=account.name or account.email,
            role=account.role,
            venue_ids=tuple(account.venue_ids),
            expires_at=int(now) + STAFF_SESSION_SECONDS,
        )

    @classmethod
    def parse(cls, value: dict[str, Any] | None, now: float) -> StaffProfile | None:
        if value is None:
            return None
        try:
            profile = cls(
                staff_id=str(value["staff_id"]),
                email=str(value["email"]),
                name=str(value["name"]),
                role=str(value["role"]),
                venue_ids=tuple(str(v) for v in value["venue_ids"]),
                expires_at=int(value["expires_at"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        if profile.role not in ROLES or profile.expires_at <= now:
            return None
        return profile


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


class StaffCookies(_Signed):
    """The staff member's profile and the CSRF token of staff forms, with the guest cookies'
    key (the names are signed, so a guest value can never be read as a staff one)."""

    def profile(self, raw: str | None, now: float | None = None) -> StaffProfile | None:
        value = self.signer.unsign(STAFF_COOKIE, raw)
        return StaffProfile.parse(value, time.time() if now is None else now)

    def profile_cookie(self, profile: StaffProfile) -> Cookie:
        value = asdict(profile)
        value.pop("csrf")
        value["venue_ids"] = list(profile.venue_ids)
        return self.signed(STAFF_COOKIE, value, max(0, profile.expires_at - int(time.time())))

    def csrf(self, raw: str | None) -> str | None:
        value = self.signer.unsign(CSRF_COOKIE, raw)
        token = value.get("c") if value else None
        return token if isinstance(token, str) and len(token) >= 16 else None

    def csrf_cookie(self, token: str) -> Cookie:
        return self.signed(CSRF_COOKIE, {"c": token}, STAFF_SESSION_SECONDS)

    def sign_out(self) -> list[Cookie]:
        return [self.delete(STAFF_COOKIE), self.csrf_cookie(new_csrf_token())]
