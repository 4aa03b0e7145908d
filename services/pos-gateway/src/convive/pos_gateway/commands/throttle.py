"""Locking out guessing (staff passwords, pairing codes) across every replica of the service:
the counters live in PostgreSQL, one row per guarded key.

An attempt is counted before it is checked, in its own committed statement, so that many
attempts sent at once cannot all slip past the limit while the first ones are being checked.
A success forgets the key; the failure that reaches the limit locks the key for a while, and
attempts on a locked key are refused without being checked."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.pos_gateway.tables import attempt_throttles as t
from convive.runtime.domain import TooManyAttempts


@dataclass(frozen=True)
class Limit:
    failures: int  # the failures allowed within `window`; the next attempt is refused
    window: timedelta
    lock: timedelta  # how long a key stays locked once the limit is reached


LOGIN = Limit(failures=5, window=timedelta(minutes=15), lock=timedelta(minutes=15))
PAIRING = Limit(failures=10, window=timedelta(minutes=15), lock=timedelta(minutes=15))


async def claim_attempt(engine: AsyncEngine, key: str, limit: Limit, what: str) -> int:
    """Count one more attempt on `key`, or refuse it (TooManyAttempts) while the key is
    locked or already past its limit. Answers the attempt's number within its window."""
    now = sa.func.now()
    locked = t.c.locked_until > now
    fresh = sa.or_(t.c.locked_until.is_not(None), t.c.window_started_at <= now - limit.window)
    fresh_row = insert(t).values(key=key, failures=1, window_started_at=now, locked_until=None)
    claim = fresh_row.on_conflict_do_update(
        index_elements=[t.c.key],
        set_={
            "failures": sa.case((locked, t.c.failures), (fresh, 1), else_=t.c.failures + 1),
            "window_started_at": sa.case(
                (locked, t.c.window_started_at), (fresh, now), else_=t.c.window_started_at
            ),
            "locked_until": sa.case((locked, t.c.locked_until), else_=None),
        },
    ).returning(t.c.failures, t.c.locked_until, now.label("now"))
    async with engine.begin() as conn:
        row = (await conn.execute(claim)).one()
    if row.locked_until is not None and row.locked_until > row.now:
        raise _refusal(what, row.locked_until, row.now)
    if row.failures > limit.failures:
        # Attempts sent at once: the failure that reached the limit is locking the key.
        raise _refusal(what, row.now + limit.lock, row.now)
    return int(row.failures)


async def attempt_failed(engine: AsyncEngine, key: str, number: int, limit: Limit) -> None:
    """The attempt `number` of `key` failed: at the limit, lock the key."""
    if number < limit.failures:
        return
    async with engine.begin() as conn:
        await conn.execute(
            t.update().where(t.c.key == key).values(locked_until=sa.func.now() + limit.lock)
        )


async def attempt_succeeded(engine: AsyncEngine, key: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(t.delete().where(t.c.key == key))


def _refusal(what: str, until: datetime, now: datetime) -> TooManyAttempts:
    seconds = math.ceil((until - now).total_seconds())
    minutes = max(1, math.ceil(seconds / 60))
    return TooManyAttempts(
        f"too many failed {what}; try again in {minutes} minute{'s' if minutes > 1 else ''}",
        retry_after=seconds,
    )
