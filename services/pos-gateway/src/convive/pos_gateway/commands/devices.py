"""POS devices: pairing one to a venue (directly, or with a single-use code a manager issued,
whose guessing is locked out like passwords), and revoking one. A device's credential is shown
once and only its SHA-256 is kept (the event store writes the `devices` read model with the
event, so the credential works at once); a revoked credential is refused from the commit of
its revocation on. Pairing codes live only in `pairing_codes`, a table the commands own."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.contracts import EventEnvelope
from convive.contracts.pos_gateway import DevicePaired, DeviceRevoked, StaffRole
from convive.pos_gateway.commands import throttle
from convive.pos_gateway.domain import credential_digest, device_stream
from convive.pos_gateway.domain.staff import (
    PAIRING_ALPHABET,
    PAIRING_CODE_LENGTH,
    PAIRING_CODE_TTL,
    StaffMember,
    normalize_code,
    show_code,
)
from convive.pos_gateway.tables import devices, pairing_codes
from convive.runtime.domain import Conflict, Invalid, NotFound
from convive.runtime.eventstore import NO_STREAM, AppendResult, EventStore


def new_credential() -> tuple[str, str]:
    """A fresh device credential and the digest to keep of it."""
    credential = secrets.token_urlsafe(32)
    return credential, credential_digest(credential)


@dataclass(frozen=True)
class PairedDevice:
    device_id: str
    venue_id: str
    name: str
    credential: str
    event_ids: tuple[str, ...]


async def _pair(
    conn: AsyncConnection, store: EventStore, venue_id: str, name: str, paired_by: str | None
) -> PairedDevice:
    device_id = uuid.uuid4().hex
    credential, digest = new_credential()
    event = DevicePaired(
        venue_id=venue_id,
        device_id=device_id,
        name=name,
        credential_sha256=digest,
        paired_by=paired_by,
    )
    stream = device_stream(device_id)
    envelope = EventEnvelope.wrap(event, subject=stream)
    result = await store.append(stream, [envelope], expected_version=NO_STREAM, conn=conn)
    return PairedDevice(device_id, venue_id, name, credential, result.event_ids)


async def pair_device(
    engine: AsyncEngine, store: EventStore, venue_id: str, name: str
) -> PairedDevice:
    """A new device of the venue, with a credential shown to the caller once."""
    async with engine.begin() as conn:
        paired = await _pair(conn, store, venue_id, name, None)
    store.notify_committed(1)
    return paired


def _code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def issue_pairing_code(
    engine: AsyncEngine, staff: StaffMember, venue_id: str
) -> tuple[str, datetime]:
    """A code that pairs one device to the venue within 10 minutes; shown once."""
    staff.require(StaffRole.MANAGER, [venue_id])
    for _ in range(3):
        code = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_CODE_LENGTH))
        now = datetime.now(UTC)
        expires_at = now + PAIRING_CODE_TTL
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    pairing_codes.insert().values(
                        code_sha256=_code_digest(code),
                        venue_id=venue_id,
                        issued_by=staff.staff_id,
                        issued_at=now,
                        expires_at=expires_at,
                    )
                )
        except IntegrityError:
            continue  # the same code drawn twice (about one in 10^12): draw again
        return show_code(code), expires_at
    raise AssertionError("could not draw a fresh pairing code")


async def pair_with_code(
    engine: AsyncEngine, store: EventStore, *, code: str, name: str, client: str
) -> PairedDevice:
    """Pair a device with a code: the code is spent in the same transaction that pairs the
    device, so of two devices typing it at once only one is paired. Failed codes from one
    client are limited like passwords are."""
    key = f"pair:{client}"
    attempt = await throttle.claim_attempt(engine, key, throttle.PAIRING, "pairing codes")
    refused = Invalid(
        "unknown, used or expired pairing code; ask a manager for a new one", field="code"
    )
    issued = normalize_code(code)
    paired: PairedDevice | None = None
    if issued is not None:
        async with engine.begin() as conn:
            spent = (
                await conn.execute(
                    pairing_codes.update()
                    .where(
                        pairing_codes.c.code_sha256 == _code_digest(issued),
                        pairing_codes.c.used_at.is_(None),
                        pairing_codes.c.expires_at > sa.func.now(),
                    )
                    .values(used_at=sa.func.now())
                    .returning(pairing_codes.c.venue_id, pairing_codes.c.issued_by)
                )
            ).first()
            if spent is not None:
                paired = await _pair(conn, store, spent.venue_id, name, spent.issued_by)
                await conn.execute(
                    pairing_codes.update()
                    .where(pairing_codes.c.code_sha256 == _code_digest(issued))
                    .values(device_id=paired.device_id)
                )
    if paired is None:
        await throttle.attempt_failed(engine, key, attempt, throttle.PAIRING)
        raise refused
    store.notify_committed(1)
    await throttle.attempt_succeeded(engine, key)
    return paired


async def revoke_device(
    engine: AsyncEngine, store: EventStore, staff: StaffMember, device_id: str
) -> tuple[AppendResult, DeviceRevoked]:
    """Revoke a device: its credential is refused from this commit on, and the event tells
    the notifier to close its streams."""
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                sa.select(devices).where(devices.c.device_id == device_id).with_for_update()
            )
        ).first()
        if row is None:
            raise NotFound(f"no device {device_id}", field="device_id")
        staff.require(StaffRole.MANAGER, [row.venue_id])
        if row.revoked_at is not None:
            raise Conflict(f"device {row.name} was already revoked", field="device_id")
        event = DeviceRevoked(venue_id=row.venue_id, device_id=device_id, revoked_by=staff.staff_id)
        stream = device_stream(device_id)
        version = await store.stream_version(stream, conn=conn)
        envelope = EventEnvelope.wrap(event, subject=stream)
        result = await store.append(stream, [envelope], expected_version=version, conn=conn)
    store.notify_committed(1)
    return result, event
