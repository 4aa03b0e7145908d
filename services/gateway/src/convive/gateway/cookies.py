"""The guest's signed cookies: the phone's id (`convive_device`), its seat at a table
(`convive_seat`: session, guest, token — the only source of a guest id the gateway trusts) and a
one-shot message for the next page (`convive_flash`).

A value is `base64url(json).base64url(hmac_sha256(key, name + "." + json))`: the name is signed
too, so a value cannot be moved from one cookie to another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from litestar.datastructures import Cookie

DEVICE_COOKIE = "convive_device"
SEAT_COOKIE = "convive_seat"
FLASH_COOKIE = "convive_flash"

DEVICE_MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
SEAT_MAX_AGE = 24 * 3600
FLASH_MAX_AGE = 120


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
        if value is None:
            return None
        try:
            return cls(**{k: str(value[k]) for k in cls.__dataclass_fields__})
        except (KeyError, TypeError):
            return None


def new_device_id() -> str:
    return "dev_" + secrets.token_urlsafe(18)


def cookie(name: str, value: str, max_age: int, *, secure: bool, http_only: bool = True) -> Cookie:
    return Cookie(
        key=name,
        value=value,
        max_age=max_age,
        path="/",
        httponly=http_only,
        samesite="lax",
        secure=secure,
    )


def delete_cookie(name: str, *, secure: bool) -> Cookie:
    return Cookie(
        key=name, value="", max_age=0, path="/", httponly=True, samesite="lax", secure=secure
    )


class GuestCookies:
    """Reads and writes the guest's cookies with one key."""

    def __init__(self, key: str, *, secure: bool) -> None:
        self.signer = Signer(key)
        self.secure = secure

    def device(self, raw: str | None) -> str | None:
        value = self.signer.unsign(DEVICE_COOKIE, raw)
        device = value.get("d") if value else None
        return device if isinstance(device, str) and device else None

    def device_cookie(self, device_id: str) -> Cookie:
        signed = self.signer.sign(DEVICE_COOKIE, {"d": device_id})
        return cookie(DEVICE_COOKIE, signed, DEVICE_MAX_AGE, secure=self.secure)

    def seat(self, raw: str | None) -> Seat | None:
        return Seat.parse(self.signer.unsign(SEAT_COOKIE, raw))

    def seat_cookie(self, seat: Seat) -> Cookie:
        signed = self.signer.sign(SEAT_COOKIE, asdict(seat))
        return cookie(SEAT_COOKIE, signed, SEAT_MAX_AGE, secure=self.secure)

    def flash(self, raw: str | None) -> dict[str, Any] | None:
        return self.signer.unsign(FLASH_COOKIE, raw)

    def flash_cookie(self, key: str, kind: str = "error", **values: Any) -> Cookie:
        signed = self.signer.sign(FLASH_COOKIE, {"key": key, "kind": kind, "values": values})
        return cookie(FLASH_COOKIE, signed, FLASH_MAX_AGE, secure=self.secure)

    def delete(self, name: str) -> Cookie:
        return delete_cookie(name, secure=self.secure)
