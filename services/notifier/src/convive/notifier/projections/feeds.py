"""The feeds: every event of the relayed services (table-session, ordering, pos-gateway) written
once to each feed it concerns (its session's, its venue's), with what that audience may see
(`domain.feeds` decides both).

A feed entry gets the next number of its feed under the feed's counter row lock, so numbers are
gap-free and follow the order in which entries commit; the NOTIFY in the same transaction wakes
the streams following that feed (in every notifier process) once it committed.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import Event, EventEnvelope
from convive.notifier.domain.feeds import feeds_of, notification
from convive.notifier.projections.announcements import announce
from convive.notifier.tables import feed_entries, feeds


async def relayed(conn: AsyncConnection, event: Event, envelope: EventEnvelope) -> None:
    """Write the event once to each feed it concerns, numbered in its feed, and announce it."""
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
        await announce(conn, notification(target.kind, target.feed_id, seq))
