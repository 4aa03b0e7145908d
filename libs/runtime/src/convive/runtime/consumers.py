"""Kafka wiring of projections: FastStream batch subscribers that apply records exactly once,
and the runner that rebuilds a projection from its topics.

Offsets are acknowledged only after the batch's database transaction committed (FastStream's
default acknowledges first, which is at-most-once). A batch whose transaction cannot commit is
sought back and redelivered after a pause; a poison record never is (it goes to the DLQ).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import dlq_topic
from convive.runtime import telemetry
from convive.runtime.projections import Projection, ProjectionApplier, Record, dlq_headers

log = logging.getLogger(__name__)


async def _raw(message: StreamMessage[Any]) -> Any:
    """Leave decoding to the applier, so a bad body becomes a dead letter, not a crash."""
    return message.body


def subscribe_projection(
    broker: KafkaBroker,
    engine: AsyncEngine,
    projection: Projection,
    producer: AIOKafkaProducer,
    *,
    service: str,
    namespace: str = "",
    max_records: int = 500,
    batch_timeout_ms: int = 25,
    attempts: int = 3,
    redelivery_pause: float = 1.0,
) -> ProjectionApplier:
    """Subscribe one consumer group (named after the projection) to the projection's topics."""
    dead_letter_topic = dlq_topic(service, namespace)
    group = f"{namespace}{projection.name}"

    async def dead_letter(record: Record, error: str) -> None:
        await producer.send_and_wait(
            dead_letter_topic,
            value=record.value,
            key=record.key,
            headers=dlq_headers(record, projection.name, error),
        )

    applier = ProjectionApplier(engine, projection, dead_letter, attempts=attempts)

    @broker.subscriber(
        *projection.topics(namespace),
        group_id=group,
        batch=True,
        max_records=max_records,
        # FastStream waits this long for records, then as long again when none came: keep it
        # short, or an idle consumer adds up to twice this to the next event's latency.
        batch_timeout_ms=batch_timeout_ms,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw,
        title=f"{projection.name}",
        description=f"projection {projection.name} of {service}",
    )
    async def on_records(body: Any, message: KafkaMessage) -> None:
        raw = message.raw_message
        records: Sequence[Any] = raw if isinstance(raw, tuple) else (raw,)
        try:
            await applier.apply_batch(records)
        except Exception:
            log.exception("batch not applied; it will be redelivered", extra={"consumer": group})
            await asyncio.sleep(redelivery_pause)
            raise
        consumer = getattr(message, "consumer", None)
        if consumer is not None and hasattr(consumer, "highwater"):
            for r in records:
                high = consumer.highwater(TopicPartition(r.topic, r.partition))
                if high is not None:
                    telemetry.CONSUMER_LAG.labels(projection.name, r.topic, r.partition).set(
                        max(0, high - r.offset - 1)
                    )

    return applier


async def read_topics(
    bootstrap: str,
    topics: Sequence[str],
    *,
    until: datetime | None = None,
    batch: int = 500,
    idle_timeout: float = 30.0,
) -> Any:
    """Yield batches of records from the beginning of `topics` to their current end (or to the
    last record at or before `until`), with a plain consumer outside any group.

    The consumer resets to the earliest offset itself: with aiokafka's default ("latest"), its
    own reset could land after our seek to the beginning and leave a partition at its end,
    waited on forever. A partition that gives nothing for `idle_timeout` seconds while it is
    still short of its end is an error, not a silent wait."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(t, p)
            for t in topics
            for p in sorted(consumer.partitions_for_topic(t) or await _partitions(consumer, t))
        ]
        if not partitions:
            return
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        limit_ms = int(until.timestamp() * 1000) if until is not None else None
        open_parts = {tp for tp in partitions if end[tp] > 0}
        loop = asyncio.get_running_loop()
        last_progress = loop.time()
        while open_parts:
            fetched = await consumer.getmany(*open_parts, timeout_ms=1000, max_records=batch)
            out = []
            for tp, records in fetched.items():
                for r in records:
                    if r.offset >= end[tp] or (limit_ms is not None and r.timestamp > limit_ms):
                        open_parts.discard(tp)
                        break
                    out.append(r)
            for tp in list(open_parts):
                if await consumer.position(tp) >= end[tp]:
                    open_parts.discard(tp)
            if out:
                last_progress = loop.time()
                yield out
            elif open_parts and loop.time() - last_progress > idle_timeout:
                raise TimeoutError(
                    f"no record for {idle_timeout}s from {sorted(map(str, open_parts))}, "
                    "which have not reached their end"
                )
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


async def rebuild(
    engine: AsyncEngine,
    projection: Projection,
    bootstrap: str,
    *,
    namespace: str = "",
    as_of: datetime | None = None,
) -> int:
    """Drop the projection's rows and replay its topics into it; returns records read.

    The projection's live consumer should be paused meanwhile; when it resumes, it skips what
    the rebuild already applied. Records that fail are logged (they were dead-lettered live).
    """

    async def log_only(record: Record, error: str) -> None:
        log.warning(
            "record skipped during rebuild",
            extra={"topic": record.topic, "offset": record.offset, "error": error},
        )

    applier = ProjectionApplier(engine, projection, log_only)
    await applier.reset()
    count = 0
    async for records in read_topics(bootstrap, projection.topics(namespace), until=as_of):
        await applier.apply_batch(records)
        count += len(records)
    return count
