"""The outbox relay: publishes committed events to the service's Kafka topic, oldest first.

It is a `WakeableWorker`: woken in-process after an append, by PostgreSQL NOTIFY (appends made
by other processes or inside callers' transactions), and by a slow poll as a safety net. One
relay per schema works at a time (an advisory lock), so a stream's events reach Kafka in order.
A row leaves the outbox only after Kafka acknowledged its record, in the same transaction that
read it: a crash before that publishes it again after restart (consumers skip the duplicate by
event id); a crash before publishing only delays it.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.runtime import db, telemetry
from convive.runtime.eventstore import events, outbox, outbox_channel, row_to_envelope
from convive.runtime.wakeup import WakeableWorker


class OutboxRelay(WakeableWorker):
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
        self._lock_key = zlib.crc32(f"convive-outbox:{self.schema}".encode())
        super().__init__(
            name=f"outbox-relay-{self.schema}",
            channel=outbox_channel(self.schema),
            log_extra={"topic": topic},
        )

    async def work_round(self) -> float:
        await self.drain()
        return self.poll_interval

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
