"""Who is calling: a paired POS device, recognised by the bearer credential it received when it
was paired (only the credential's SHA-256 is kept; a revoked device's credential is refused).
Staff members are recognised in `staff.py`, by the header the gateway sends."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_401_UNAUTHORIZED
from litestar.types import ExceptionHandlersMap
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.pos_gateway.projections import devices
from convive.runtime import domain as domain_errors
from convive.runtime.domain import Forbidden

REALM = "convive-pos"


class Unauthenticated(domain_errors.Unauthenticated):
    """No credential, or one that no paired device holds."""

    def __init__(self, message: str, *, invalid_token: bool = False) -> None:
        super().__init__(message)
        self.invalid_token = invalid_token


@dataclass(frozen=True)
class Device:
    device_id: str
    venue_id: str
    name: str

    def require_venue(self, venue_id: str) -> None:
        if venue_id != self.venue_id:
            raise Forbidden(f"device {self.device_id} is paired to another venue than {venue_id}")


def new_credential() -> tuple[str, str]:
    """A fresh device credential and the digest to keep of it."""
    credential = secrets.token_urlsafe(32)
    return credential, credential_digest(credential)


def credential_digest(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


def _bearer(request: Request) -> str:  # type: ignore[type-arg]
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.strip().partition(" ")
    if not header:
        raise Unauthenticated(
            "this call needs a device credential: Authorization: Bearer <credential>"
        )
    if scheme.lower() != "bearer" or not credential.strip():
        raise Unauthenticated(
            "the Authorization header must be 'Bearer <device credential>'", invalid_token=True
        )
    return credential.strip()


async def authenticate_device(
    request: Request,  # type: ignore[type-arg]
    engine: NamedDependency[AsyncEngine],
) -> Device:
    """The paired device whose credential the request carries (a Litestar dependency)."""
    digest = credential_digest(_bearer(request))
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                sa.select(devices).where(
                    devices.c.credential_sha256 == digest, devices.c.revoked_at.is_(None)
                )
            )
        ).first()
    # The lookup is by digest; comparing again in constant time costs nothing and keeps a
    # future lookup by device id from leaking timing.
    if row is None or not hmac.compare_digest(row.credential_sha256, digest):
        raise Unauthenticated("unknown or revoked device credential", invalid_token=True)
    return Device(device_id=row.device_id, venue_id=row.venue_id, name=row.name)


def on_unauthenticated(_: Request, exc: Unauthenticated) -> Response[dict[str, object]]:  # type: ignore[type-arg]
    challenge = f'Bearer realm="{REALM}"'
    if exc.invalid_token:
        challenge += ', error="invalid_token"'
    return Response(
        {"status": HTTP_401_UNAUTHORIZED, "error": exc.message},
        status_code=HTTP_401_UNAUTHORIZED,
        headers={"WWW-Authenticate": challenge},
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    Unauthenticated: on_unauthenticated,
}
