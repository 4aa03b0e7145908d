"""Read models the table-session service keeps from its own events: profit centres, spots (with
their current QR token, so a token finds its spot; replaced tokens are kept apart, so a scan of
an old QR code can be told "no longer valid") and sessions with their guests and current PIN.
One table is kept from another service's events: the sessions whose order was confirmed
(ordering's `OrderPlaced`, see subscriptions).

They are written in the same database transaction as the events they come from
(`project(conn, envelopes)` from the command handlers), so a query right after a command's answer
sees it, and a token works as soon as `POST /spots` returned. Each handler is idempotent and keyed
on the event's stream version, so the same `own_views` projection can also rebuild the tables by
replaying this service's topic.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from convive.runtime.db import metadata as new_metadata
from convive.runtime.projections import Projection

metadata = new_metadata()

profit_centres = sa.Table(
    "profit_centres",
    metadata,
    sa.Column("profit_centre_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

venues = sa.Table(
    "venues",
    metadata,
    sa.Column("venue_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("notification_email", sa.Text, nullable=True),
    sa.Column("pms_integration", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)
"""Each venue's current settings (from VenueConfigured)."""

spots = sa.Table(
    "spots",
    metadata,
    sa.Column("spot_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False, index=True),
    sa.Column("profit_centre_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("token", sa.Text, nullable=True, unique=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("session_id", sa.Text, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("spot_id", sa.Text, nullable=False, index=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("profit_centre_id", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("pin", sa.Text, nullable=False),
    sa.Column("host_guest_id", sa.Text, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("close_reason", sa.Text, nullable=True),
)

session_guests = sa.Table(
    "session_guests",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("guest_id", sa.Text, primary_key=True),
    sa.Column("device_id", sa.Text, nullable=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
)

retired_tokens = sa.Table(
    "retired_tokens",
    metadata,
    sa.Column("token", sa.Text, primary_key=True),
    sa.Column("spot_id", sa.Text, nullable=False),
    sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
)

confirmed_orders = sa.Table(
    "confirmed_orders",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("order_id", sa.Text, nullable=False),
    sa.Column("spot_id", sa.Text, nullable=False),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
)
"""Sessions with a confirmed order, from ordering's OrderPlaced: from then on a new phone needs
the session's PIN to join."""

own_views = Projection(
    "table_session.own_views",
    tables=[venues, profit_centres, spots, sessions, session_guests, retired_tokens],
)


async def project(conn: AsyncConnection, envelopes: Sequence[EventEnvelope]) -> None:
    """Apply freshly appended events (carrying their stream versions) in the caller's
    transaction."""
    for envelope in envelopes:
        handler = own_views.handlers.get(envelope.type)
        if handler is not None:
            await handler(conn, envelope.event(), envelope)


def _version(envelope: EventEnvelope) -> int:
    if envelope.stream_version is None:
        raise ValueError(f"event {envelope.id} has no stream version")
    return envelope.stream_version


async def _advance_spot(conn: AsyncConnection, spot_id: str, envelope: EventEnvelope) -> bool:
    """Move the spot's row to this event's version; False when the event was already applied
    (a replay), so every later write of the handler is skipped."""
    version = _version(envelope)
    moved = await conn.execute(
        spots.update()
        .where(spots.c.spot_id == spot_id, spots.c.version < version)
        .values(version=version)
    )
    return bool(moved.rowcount)


@own_views.on(ProfitCentreConfigured)
async def on_profit_centre_configured(
    conn: AsyncConnection, event: ProfitCentreConfigured, envelope: EventEnvelope
) -> None:
    values = {
        "venue_id": event.venue_id,
        "name": event.name,
        "mode": event.mode.value,
        "version": _version(envelope),
    }
    stmt = insert(profit_centres).values(profit_centre_id=event.profit_centre_id, **values)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[profit_centres.c.profit_centre_id],
            set_=values,
            where=profit_centres.c.version < stmt.excluded.version,
        )
    )


@own_views.on(VenueConfigured)
async def on_venue_configured(
    conn: AsyncConnection, event: VenueConfigured, envelope: EventEnvelope
) -> None:
    values = {
        "name": event.name,
        "language": event.language,
        "notification_email": event.notification_email,
        "pms_integration": event.pms_integration.value,
        "version": _version(envelope),
    }
    stmt = insert(venues).values(venue_id=event.venue_id, **values)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[venues.c.venue_id],
            set_=values,
            where=venues.c.version < stmt.excluded.version,
        )
    )


@own_views.on(SpotCreated)
async def on_spot_created(
    conn: AsyncConnection, event: SpotCreated, envelope: EventEnvelope
) -> None:
    await conn.execute(
        insert(spots)
        .values(
            spot_id=event.spot_id,
            venue_id=event.venue_id,
            profit_centre_id=event.profit_centre_id,
            name=event.name,
            kind=event.kind.value,
            status="free",
            version=_version(envelope),
            created_at=envelope.time,
        )
        .on_conflict_do_nothing()
    )


@own_views.on(QrTokenIssued)
async def on_qr_token_issued(
    conn: AsyncConnection, event: QrTokenIssued, envelope: EventEnvelope
) -> None:
    previous = await conn.scalar(sa.select(spots.c.token).where(spots.c.spot_id == event.spot_id))
    if not await _advance_spot(conn, event.spot_id, envelope):
        return
    if previous is not None and previous != event.token:
        await conn.execute(
            insert(retired_tokens)
            .values(token=previous, spot_id=event.spot_id, retired_at=envelope.time)
            .on_conflict_do_nothing()
        )
    await conn.execute(
        spots.update().where(spots.c.spot_id == event.spot_id).values(token=event.token)
    )


@own_views.on(PinRotated)
async def on_pin_rotated(conn: AsyncConnection, event: PinRotated, envelope: EventEnvelope) -> None:
    if await _advance_spot(conn, event.spot_id, envelope):
        await conn.execute(
            sessions.update().where(sessions.c.session_id == event.session_id).values(pin=event.pin)
        )


@own_views.on(SessionOpened)
async def on_session_opened(
    conn: AsyncConnection, event: SessionOpened, envelope: EventEnvelope
) -> None:
    if not await _advance_spot(conn, event.spot_id, envelope):
        return
    await conn.execute(
        spots.update()
        .where(spots.c.spot_id == event.spot_id)
        .values(status="occupied", session_id=event.session_id)
    )
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
            role="host",
            joined_at=envelope.time,
        )
        .on_conflict_do_nothing()
    )


@own_views.on(GuestJoined)
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
            role="guest",
            joined_at=envelope.time,
        )
        .on_conflict_do_nothing()
    )


@own_views.on(SessionClosed)
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


@own_views.on(SpotReleased)
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
