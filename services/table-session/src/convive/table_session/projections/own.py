"""The read models table-session keeps of its own events: venues' settings, profit centres, spots
(with their current QR token, so a token finds its spot; replaced tokens are kept apart, so a
scan of an old QR code can be told "no longer valid") and sessions with their guests and
current PIN.

The event store writes them in the transaction of every append (`commands.event_store`), so a
query right after a command's answer sees it, and a token works as soon as `POST /spots`
returned. The same `projection` is subscribed to table-session's own topic: each handler is
idempotent and guarded by the event's stream version (on the venue's, the profit centre's or
the spot's row), so replaying the topic rebuilds the tables and never undoes a later change.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.table_session import (
    GuestJoined,
    PinRotated,
    ProfitCentreConfigured,
    QrTokenIssued,
    SessionClosed,
    SessionOpened,
    SpotCreated,
    SpotReleased,
    VenueConfigured,
)
from convive.runtime.projections import (
    Projection,
    advance_if_newer,
    stream_version,
    upsert_if_newer,
)
from convive.table_session.domain.spots import GUEST, HOST
from convive.table_session.tables import (
    profit_centres,
    retired_tokens,
    session_guests,
    sessions,
    spots,
    venues,
)

projection = Projection(
    "table_session.own_views",
    tables=[venues, profit_centres, spots, sessions, session_guests, retired_tokens],
)


async def _advance_spot(
    conn: AsyncConnection, spot_id: str, envelope: EventEnvelope, **values: object
) -> bool:
    """Move the spot's row to this event's version (with `values`); False when the event was
    applied already, so the handler's other writes are skipped too."""
    return await advance_if_newer(
        conn, spots, {"spot_id": spot_id}, version=stream_version(envelope), values=values
    )


@projection.on(VenueConfigured)
async def on_venue_configured(
    conn: AsyncConnection, event: VenueConfigured, envelope: EventEnvelope
) -> None:
    await upsert_if_newer(
        conn,
        venues,
        {"venue_id": event.venue_id},
        {
            "name": event.name,
            "language": event.language,
            "notification_email": event.notification_email,
            "pms_integration": event.pms_integration.value,
            "time_zone": event.time_zone,
        },
        version=stream_version(envelope),
    )


@projection.on(ProfitCentreConfigured)
async def on_profit_centre_configured(
    conn: AsyncConnection, event: ProfitCentreConfigured, envelope: EventEnvelope
) -> None:
    await upsert_if_newer(
        conn,
        profit_centres,
        {"profit_centre_id": event.profit_centre_id},
        {"venue_id": event.venue_id, "name": event.name, "mode": event.mode.value},
        version=stream_version(envelope),
    )


@projection.on(SpotCreated)
async def on_spot_created(
    conn: AsyncConnection, event: SpotCreated, envelope: EventEnvelope
) -> None:
    # The first event of the spot's stream: a row already there means it was applied.
    await conn.execute(
        insert(spots)
        .values(
            spot_id=event.spot_id,
            venue_id=event.venue_id,
            profit_centre_id=event.profit_centre_id,
            name=event.name,
            kind=event.kind.value,
            status="free",
            version=stream_version(envelope),
            created_at=envelope.time,
        )
        .on_conflict_do_nothing()
    )


@projection.on(QrTokenIssued)
async def on_qr_token_issued(
    conn: AsyncConnection, event: QrTokenIssued, envelope: EventEnvelope
) -> None:
    previous = await conn.scalar(sa.select(spots.c.token).where(spots.c.spot_id == event.spot_id))
    if not await _advance_spot(conn, event.spot_id, envelope, token=event.token):
        return
    if previous is not None and previous != event.token:
        await conn.execute(
            insert(retired_tokens)
            .values(token=previous, spot_id=event.spot_id, retired_at=envelope.time)
            .on_conflict_do_nothing()
        )


@projection.on(SessionOpened)
async def on_session_opened(
    conn: AsyncConnection, event: SessionOpened, envelope: EventEnvelope
) -> None:
    if not await _advance_spot(
        conn, event.spot_id, envelope, status="occupied", session_id=event.session_id
    ):
        return
    await conn.execute(
        insert(sessions)
        .values(
            session_id=event.session_id,
            spot_id=event.spot_id,
            venue_id=event.venue_id,
            profit_centre_id=event.profit_centre_id,
            status="open",
            pin=event.pin,
            host_guest_id=event.host_guest_id,
            opened_at=envelope.time,
        )
        .on_conflict_do_nothing()
    )
    # The host's phone is in the TableScanned before this event; the guest list shows the role.
    await conn.execute(
        insert(session_guests)
        .values(
            session_id=event.session_id,
            guest_id=event.host_guest_id,
            device_id=None,
            role=HOST,
            joined_at=envelope.time,
        )
        .on_conflict_do_nothing()
    )


@projection.on(GuestJoined)
async def on_guest_joined(
    conn: AsyncConnection, event: GuestJoined, envelope: EventEnvelope
) -> None:
    if not await _advance_spot(conn, event.spot_id, envelope):
        return
    await conn.execute(
        insert(session_guests)
        .values(
            session_id=event.session_id,
            guest_id=event.guest_id,
            device_id=event.device_id,
            role=GUEST,
            joined_at=envelope.time,
        )
        .on_conflict_do_nothing()
    )


@projection.on(PinRotated)
async def on_pin_rotated(conn: AsyncConnection, event: PinRotated, envelope: EventEnvelope) -> None:
    if await _advance_spot(conn, event.spot_id, envelope):
        await conn.execute(
            sessions.update().where(sessions.c.session_id == event.session_id).values(pin=event.pin)
        )


@projection.on(SessionClosed)
async def on_session_closed(
    conn: AsyncConnection, event: SessionClosed, envelope: EventEnvelope
) -> None:
    if not await _advance_spot(conn, event.spot_id, envelope):
        return
    await conn.execute(
        sessions.update()
        .where(sessions.c.session_id == event.session_id)
        .values(status="closed", closed_at=envelope.time, close_reason=event.reason)
    )


@projection.on(SpotReleased)
async def on_spot_released(
    conn: AsyncConnection, event: SpotReleased, envelope: EventEnvelope
) -> None:
    if not await _advance_spot(conn, event.spot_id, envelope):
        return
    await conn.execute(
        spots.update()
        .where(spots.c.spot_id == event.spot_id, spots.c.session_id == event.session_id)
        .values(status="free", session_id=None)
    )
