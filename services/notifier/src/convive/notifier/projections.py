"""Read models the notifier keeps from other services' events: who may follow which feed
(`notifier.access`) and the feeds themselves (`notifier.feeds`). The e-mails it sends have
their own projection (`convive.notifier.outgoing`).

Both are applied by the runtime's idempotent consumers, one transaction per batch. A feed entry
gets the next number of its feed under the feed's counter row lock, so numbers are gap-free and
follow the order in which entries commit; a NOTIFY in the same transaction wakes the streams
(of every notifier process) once it committed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import Event, EventEnvelope, registry
from convive.contracts.pos_gateway import DevicePaired, DeviceRevoked
from convive.contracts.table_session import GuestJoined, SessionClosed, SessionOpened
from convive.notifier.domain import feeds_of, notification, relayed_event_classes, revocation
from convive.runtime import db
from convive.runtime.db import metadata as new_metadata
from convive.runtime.projections import Projection

metadata = new_metadata()


async def put_row(conn: AsyncConnection, table: sa.Table, key: str, **values: object) -> None:
    """Insert the row, or replace the other columns of the row that has this key."""
    stmt = insert(table).values(**values)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[key],
            set_={name: stmt.excluded[name] for name in values if name != key},
        )
    )


# --- access: sessions and their guests, POS devices and their venue ----------------------

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("spot_id", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
)

session_guests = sa.Table(
    "session_guests",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("guest_id", sa.Text, primary_key=True),
)

devices = sa.Table(
    "devices",
    metadata,
    sa.Column("device_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("credential_sha256", sa.Text, nullable=False, index=True),
)

# --- feeds: what each session's guests and each venue's devices may follow ---------------

feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("feed_kind", sa.Text, primary_key=True),
    sa.Column("feed_id", sa.Text, primary_key=True),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
)

feed_entries = sa.Table(
    "feed_entries",
    metadata,
    sa.Column("feed_kind", sa.Text, primary_key=True),
    sa.Column("feed_id", sa.Text, primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("data", JSONB, nullable=False),
    sa.UniqueConstraint("feed_kind", "feed_id", "event_id"),
)


def feed_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel announcing new feed entries of a schema."""
    return f"convive_feed_{schema}"[:63]


access = Projection("notifier.access", tables=[sessions, session_guests, devices])


async def _upsert_session(
    conn: AsyncConnection, session_id: str, venue_id: str, spot_id: str
) -> None:
    await conn.execute(
        insert(sessions)
        .values(session_id=session_id, venue_id=venue_id, spot_id=spot_id, status="open")
        .on_conflict_do_nothing()
    )


async def _add_guest(conn: AsyncConnection, session_id: str, guest_id: str) -> None:
    await conn.execute(
        insert(session_guests)
        .values(session_id=session_id, guest_id=guest_id)
        .on_conflict_do_nothing()
    )


@access.on(SessionOpened)
async def on_session_opened(conn: AsyncConnection, event: SessionOpened, _: EventEnvelope) -> None:
    await _upsert_session(conn, event.session_id, event.venue_id, event.spot_id)
    await _add_guest(conn, event.session_id, event.host_guest_id)


@access.on(GuestJoined)
async def on_guest_joined(conn: AsyncConnection, event: GuestJoined, _: EventEnvelope) -> None:
    # Its SessionOpened is on the same spot stream, so it normally came first; if not, the
    # session is recorded from what this event says.
    await _upsert_session(conn, event.session_id, event.venue_id, event.spot_id)
    await _add_guest(conn, event.session_id, event.guest_id)


@access.on(SessionClosed)
async def on_session_closed(conn: AsyncConnection, event: SessionClosed, _: EventEnvelope) -> None:
    stmt = insert(sessions).values(
        session_id=event.session_id,
        venue_id=event.venue_id,
        spot_id=event.spot_id,
        status="closed",
    )
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=["session_id"], set_={"status": "closed"})
    )


@access.on(DevicePaired)
async def on_device_paired(conn: AsyncConnection, event: DevicePaired, _: EventEnvelope) -> None:
    # Pairing the same device again replaces its credential.
    await put_row(
        conn,
        devices,
        "device_id",
        device_id=event.device_id,
        venue_id=event.venue_id,
        credential_sha256=event.credential_sha256,
    )


@access.on(DeviceRevoked)
async def on_device_revoked(conn: AsyncConnection, event: DeviceRevoked, _: EventEnvelope) -> None:
    # Forgotten, its credential is refused; the live hubs of every notifier process end its
    # open streams once this commits.
    await conn.execute(devices.delete().where(devices.c.device_id == event.device_id))
    channel = feed_channel(db.schema_of(conn.engine))
    await conn.execute(sa.select(sa.func.pg_notify(channel, revocation(event.device_id))))


feed = Projection("notifier.feeds", tables=[feed_entries, feeds])


async def on_relayed_event(conn: AsyncConnection, event: Event, envelope: EventEnvelope) -> None:
    """Write the event once to each feed it concerns, numbered in its feed, and announce it."""
    channel = feed_channel(db.schema_of(conn.engine))
    data = event.model_dump(mode="json")
    for target in feeds_of(envelope.type, data):
        already = await conn.scalar(
            sa.select(feed_entries.c.seq).where(
                feed_entries.c.feed_kind == target.kind.value,
                feed_entries.c.feed_id == target.feed_id,
                feed_entries.c.event_id == envelope.id,
            )
        )
        if already is not None:
            continue
        counter = insert(feeds).values(
            feed_kind=target.kind.value, feed_id=target.feed_id, last_seq=1
        )
        seq = await conn.scalar(
            counter.on_conflict_do_update(
                index_elements=["feed_kind", "feed_id"],
                set_={"last_seq": feeds.c.last_seq + 1},
            ).returning(feeds.c.last_seq)
        )
        assert seq is not None
        await conn.execute(
            feed_entries.insert().values(
                feed_kind=target.kind.value,
                feed_id=target.feed_id,
                seq=seq,
                event_id=envelope.id,
                type=envelope.type,
                time=envelope.time,
                subject=envelope.subject,
                data=target.data,
            )
        )
        await conn.execute(
            sa.select(sa.func.pg_notify(channel, notification(target.kind, target.feed_id, seq)))
        )


for _event_class in relayed_event_classes(registry.contract_events()):
    feed.on(_event_class)(on_relayed_event)

PROJECTIONS: Sequence[Projection] = (access, feed)
