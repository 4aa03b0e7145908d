"""The outbox relay: publishes committed events to the service's Kafka topic, oldest first.

It is woken in-process after an append, by PostgreSQL NOTIFY (appends made by other processes
or inside callers' transactions), and by a slow poll as a safety net. One relay per schema works
at a time (an advisory lock), so a stream's events reach Kafka in order. A row leaves the outbox
only after Kafka acknowledged its record, in the same transaction that read it: a crash before
that publishes it again after restart (consumers skip the duplicate by event id); a crash before
publishing only delays it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Awaitable, Callable

import asyncpg
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.runtime import db, telemetry
from convive.runtime.eventstore import events, outbox, outbox_channel, row_to_envelope

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        producer: AIOKafkaProducer,
        topic: str,
        *,
        batch_size: int = 500,
        poll_interval: float = 5.0,
        before_publish: Callable[[int], Awaitable[None] | None] | None = None,
    ) -> None:
        self.engine = engine
        self.schema = db.schema_of(engine)
        self.producer = producer
        self.topic = topic
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.before_publish = before_publish
        self._wake = asyncio.Event()
        self._lock_key = zlib.crc32(f"convive-outbox:{self.schema}".encode())
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    async def drain(self) -> int:
        """Publish what the outbox holds now; returns how many events were published."""
        total = 0
        while True:
            published = await self._publish_batch()
            total += published
            if published < self.batch_size:
                return total

    async def _publish_batch(self) -> int:
        async with self.engine.begin() as conn:
            locked = await conn.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(self._lock_key)))
            if not locked:
                return 0  # another relay of this schema is at work
            rows = (
                await conn.execute(
                    sa.select(outbox.c.id, events)
                    .join(events, events.c.global_position == outbox.c.global_position)
                    .order_by(outbox.c.id)
                    .limit(self.batch_size)
                )
            ).all()
            if not rows:
                telemetry.OUTBOX_BACKLOG.labels(self.schema).set(0)
                return 0
            if self.before_publish is not None:
                hook = self.before_publish(len(rows))
                if hook is not None:
                    await hook
            pending = []
            for row in rows:
                envelope = row_to_envelope(row)
                pending.append(
                    await self.producer.send(
                        self.topic,
                        value=envelope.body(),
                        key=envelope.key(),
                        headers=envelope.headers(),
                    )
                )
            await asyncio.gather(*pending)
            await conn.execute(outbox.delete().where(outbox.c.id.in_([r.id for r in rows])))
        telemetry.OUTBOX_PUBLISHED.labels(self.topic).inc(len(rows))
        return len(rows)

    async def run(self, listen_dsn: str | None = None) -> None:
        """Relay until cancelled. With `listen_dsn`, also wake on NOTIFY from other processes."""
        listener = asyncio.create_task(self._listen(listen_dsn)) if listen_dsn else None
        backoff = 0.2
        try:
            while True:
                self._wake.clear()
                try:
                    await self.drain()
                    backoff = 0.2
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox relay failed; retrying", extra={"topic": self.topic})
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener

    def start(self, listen_dsn: str | None = None) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self.run(listen_dsn), name=f"outbox-relay-{self.schema}")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _listen(self, dsn: str) -> None:
        channel = outbox_channel(self.schema)
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda *_, lost=lost: lost.set())
                await conn.add_listener(channel, lambda *_: self._wake.set())
                self._wake.set()  # catch up on what was committed while not listening
                await lost.wait()
                raise ConnectionError("LISTEN connection closed")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("outbox LISTEN connection lost; reconnecting", exc_info=True)
                await asyncio.sleep(1.0)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)
