"""The read models the POS keeps from events, by source:

- `own`: the POS's own decisions (devices and their revocation, validations, amendments and
  rejections, payments, how each posting to the PMS went), written by the event store in every
  append's transaction and rebuilt from the POS's own topic;
- `ordering`: orders and rounds as ordering announced them, the menus, the concierge orders to
  post to the PMS;
- `table_session`: the guests of each session, spots, profit centres' modes, each venue's PMS
  setting over time.

Every fact is written so that a redelivered event, an event arriving before the one it refers
to, and a replay of a topic all converge. `subscriptions.py` says which event goes where.

This module also holds the PMS posting worker's wake-up: the projections that make a posting
due notify its channel when their transaction commits.
"""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.runtime import db


def folio_work_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel that wakes a schema's PMS posting worker."""
    return f"convive_folio_{schema}"[:63]


async def notify_folio_worker(conn: AsyncConnection) -> None:
    """Wake the PMS posting workers of this schema when the transaction commits."""
    channel = folio_work_channel(db.schema_of(conn.engine))
    await conn.execute(sa.select(sa.func.pg_notify(channel, "")))
