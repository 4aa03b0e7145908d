"""The baseline: a plain aiokafka producer, configured like `convive.runtime.kafka.make_producer`
(acks=all, idempotent, linger 5 ms), to a plain aiokafka consumer on a fresh topic."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.config import Settings
from bench.infra import Infra
from bench.stats import latency_summary, rate
from convive.runtime import kafka


class _Receiver:
    """A consumer assigned to every partition of one topic that resolves a future per key."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self.waiting: dict[bytes, asyncio.Future[float]] = {}
        self.count = 0
        self.target = 0
        self.all_arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        partitions = self.consumer.partitions_for_topic(self.topic)
        while not partitions:
            await self.consumer._client.force_metadata_update()
            partitions = self.consumer.partitions_for_topic(self.topic)
        assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self.consumer.assign(assigned)
        await self.consumer.seek_to_beginning(*assigned)
        self._task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=1000, max_records=2000)
            now = time.monotonic()
            for records in batches.values():
                self.count += len(records)
                for record in records:
                    future = self.waiting.pop(record.key or b"", None)
                    if future is not None and not future.done():
                        future.set_result(now)
            if self.target and self.count >= self.target:
                self.all_arrived.set()

    def expect(self, key: bytes) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[key] = future
        return future

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.consumer.stop()


async def _latency(
    producer: AIOKafkaProducer,
    receiver: _Receiver,
    payload: bytes,
    *,
    count: int,
    label: str,
    gap: tuple[float, float] | None = None,
) -> list[float]:
    samples = []
    for i in range(count):
        if gap is not None:
            await asyncio.sleep(random.uniform(*gap))
        key = f"{label}-{i}".encode()
        arrived = receiver.expect(key)
        started = time.monotonic()
        acked = await producer.send(receiver.topic, value=payload, key=key)
        done = await asyncio.wait_for(arrived, timeout=30)
        await acked
        samples.append(done - started)
    return samples


async def run(infra: Infra, settings: Settings) -> dict[str, Any]:
    """Latency (back-to-back and after idle pauses) and throughput of the plain clients."""
    latency_topic = infra.topic(f"{infra.namespace}raw-latency")
    throughput_topic = infra.topic(f"{infra.namespace}raw-throughput")
    await kafka.ensure_topics(
        infra.bootstrap, [latency_topic, throughput_topic], partitions=settings.partitions
    )
    payload = os.urandom(settings.raw_payload_bytes)
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.bootstrap, **kafka.producer_config("bench-raw")
    )
    await producer.start()
    result: dict[str, Any] = {"payload_bytes": len(payload)}
    try:
        receiver = _Receiver(infra.bootstrap, latency_topic)
        await receiver.start()
        try:
            await _latency(producer, receiver, payload, count=settings.warmup, label="warm")
            back_to_back = await _latency(
                producer, receiver, payload, count=settings.latency_samples, label="b2b"
            )
            gap = (settings.idle_gap_min_ms / 1000, settings.idle_gap_max_ms / 1000)
            idle = await _latency(
                producer, receiver, payload, count=settings.idle_samples, label="idle", gap=gap
            )
        finally:
            await receiver.stop()
        result["latency"] = latency_summary(back_to_back)
        result["latency_after_idle"] = latency_summary(idle)

        receiver = _Receiver(infra.bootstrap, throughput_topic)
        await receiver.start()
        try:
            count = settings.raw_messages
            receiver.target = count
            started = time.monotonic()
            pending = [
                await producer.send(throughput_topic, value=payload, key=f"k{i % 64}".encode())
                for i in range(count)
            ]
            await asyncio.gather(*pending)
            produced = time.monotonic()
            await asyncio.wait_for(receiver.all_arrived.wait(), timeout=120)
            consumed = time.monotonic()
        finally:
            await receiver.stop()
        result["throughput"] = {
            "messages": count,
            "seconds": round(consumed - started, 3),
            "messages_per_s": rate(count, consumed - started),
            "produce_acked_per_s": rate(count, produced - started),
        }
    finally:
        await producer.stop()
    return result


async def latency_baseline(infra: Infra, settings: Settings, samples: int) -> dict[str, Any]:
    """Only the back-to-back latency of the plain clients, on a topic of its own: the baseline
    a section measures for its ratios when the raw section is not part of the run."""
    topic = infra.topic(f"{infra.namespace}raw-baseline")
    await kafka.ensure_topics(infra.bootstrap, [topic], partitions=settings.partitions)
    payload = os.urandom(settings.raw_payload_bytes)
    producer = AIOKafkaProducer(
        bootstrap_servers=infra.bootstrap, **kafka.producer_config("bench-raw-baseline")
    )
    await producer.start()
    try:
        receiver = _Receiver(infra.bootstrap, topic)
        await receiver.start()
        try:
            await _latency(producer, receiver, payload, count=settings.warmup, label="warm")
            back_to_back = await _latency(
                producer, receiver, payload, count=samples, label="baseline"
            )
        finally:
            await receiver.stop()
    finally:
        await producer.stop()
    return {"payload_bytes": len(payload), "latency": latency_summary(back_to_back)}
