"""Reading the venues' devices: a venue's devices as staff list them, and the paired device a
credential belongs to (revoked ones are refused from the commit of their revocation on)."""

from __future__ import annotations

import hmac
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts.pos_gateway import StaffRole
from convive.pos_gateway.domain import Device
from convive.pos_gateway.domain.staff import StaffMember
from convive.pos_gateway.tables import devices


async def list_devices(
    engine: AsyncEngine, staff: StaffMember, venue_id: str
) -> list[dict[str, Any]]:
    """The venue's devices, revoked ones included, in the order they were paired."""
    staff.require(StaffRole.CASHIER, [venue_id])
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(devices)
                .where(devices.c.venue_id == venue_id)
                .order_by(devices.c.paired_at, devices.c.device_id)
            )
        ).all()
    return [
        {
            "device_id": row.device_id,
            "name": row.name,
            "paired_at": row.paired_at.isoformat(),
            "revoked": row.revoked_at is not None,
            "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        }
        for row in rows
    ]


async def paired_device(engine: AsyncEngine, credential_digest: str) -> Device | None:
    """The paired, unrevoked device whose credential has this digest."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                sa.select(devices).where(
                    devices.c.credential_sha256 == credential_digest,
                    devices.c.revoked_at.is_(None),
                )
            )
        ).first()
    # The lookup is by digest; comparing again in constant time costs nothing and keeps a
    # future lookup by device id from leaking timing.
    if row is None or not hmac.compare_digest(row.credential_sha256, credential_digest):
        return None
    return Device(device_id=row.device_id, venue_id=row.venue_id, name=row.name)
