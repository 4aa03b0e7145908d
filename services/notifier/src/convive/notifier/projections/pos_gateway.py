"""What the notifier keeps of pos-gateway's facts: the venue's paired POS devices, by the
SHA-256 of their credential (who may follow a venue's feed)."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.pos_gateway import DevicePaired, DeviceRevoked
from convive.notifier.domain.feeds import revocation
from convive.notifier.projections.announcements import announce
from convive.notifier.tables import devices


async def device_paired(conn: AsyncConnection, event: DevicePaired, _: EventEnvelope) -> None:
    # Pairing the same device again replaces its credential.
    paired = {"venue_id": event.venue_id, "credential_sha256": event.credential_sha256}
    stmt = insert(devices).values(device_id=event.device_id, **paired)
    await conn.execute(stmt.on_conflict_do_update(index_elements=["device_id"], set_=paired))


async def device_revoked(conn: AsyncConnection, event: DeviceRevoked, _: EventEnvelope) -> None:
    # Forgotten, its credential is refused; the live hubs of every notifier process end its
    # open streams once this commits.
    await conn.execute(devices.delete().where(devices.c.device_id == event.device_id))
    await announce(conn, revocation(event.device_id))
