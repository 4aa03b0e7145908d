"""How a projection wakes whoever waits on what it wrote: a NOTIFY on the schema's feed channel,
which PostgreSQL delivers when the transaction commits (and never if it rolls back), to the
live hub of every notifier process (`workers.feed_hub`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.notifier.domain.feeds import feed_channel
from convive.runtime import db


async def announce(conn: AsyncConnection, payload: str) -> None:
    """NOTIFY `payload` (see `domain.feeds` for what payloads say) at commit."""
    channel = feed_channel(db.schema_of(conn.engine))
    await conn.execute(sa.select(sa.func.pg_notify(channel, payload)))
