"""The Convive pipeline end to end: EventStore.append -> outbox -> OutboxRelay -> Kafka ->
`subscribe_projection` (FastStream batch consumer) -> projection row committed in PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from faststream.kafka import KafkaBroker
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.config import Settings
from bench.infra import Infra, create_schema
from bench.stats import latency_summary, rate, size_summary
from bench.workload import scanned
from convive.contracts import EventEnvelope, dlq_topic, events_topic
from convive.contracts.table_session import TableScanned
from convive.runtime import db, kafka
from convive.runtime.consumers import subscribe_projection
from convive.runtime.eventstore import NO_STREAM, EventStore, runtime_metadata
from convive.runtime.outbox import OutboxRelay
from convive.runtime.projections import Projection, ProjectionApplier, Record

SERVICE = "table-session"

scan_metadata = db.metadata()
scans_per_spot = sa.Table(
    "bench_scans_per_spot",
    scan_metadata,
    sa.Column("spot_id", sa.Text, primary_key=True),
    sa.Column("scans", sa.Integer, nullable=False),
)


def scans_projection() -> Projection:
    """A read model counting TableScanned events per spot, with one upsert per event."""
    projection = Projection("bench.scans_per_spot", tables=[scans_per_spot])

    @projection.on(TableScanned)
    async def on_table_scanned(conn: AsyncConnection, event: TableScanned, _: Any) -> None:
        statement = insert(scans_per_spot).values(spot_id=event.spot_id, scans=1)
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=["spot_id"], set_={"scans": scans_per_spot.c.scans + 1}
            )
        )

    return projection


class CommitClock:
    """Wraps a ProjectionApplier's `apply_batch`: when it returns, the batch's transaction has
    committed, so its rows are visible; that moment is recorded per event id (from `ce_id`)."""

    def __init__(self, applier: ProjectionApplier) -> None:
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.batch_sizes: list[int] = []
        self.record_bytes: list[int] = []
        original = applier.apply_batch

        async def apply_and_clock(records: Sequence[Record]) -> None:
            await original(records)
            now = time.monotonic()
            self.batch_sizes.append(len(records))
            for record in records:
                headers = dict(record.headers or ())
                self.record_bytes.append(
                    len(record.value or b"") + sum(len(k) + len(v) for k, v in headers.items())
                )
                event_id = headers.get("ce_id", b"").decode()
                future = self.waiting.pop(event_id, None)
                if future is not None and not future.done():
                    future.set_result(now)

        applier.apply_batch = apply_and_clock  # type: ignore[method-assign]

    def expect(self, event_id: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[event_id] = future
        return future


class StatementCounter:
    """Counts the SQL statements SQLAlchemy sends on an engine, and how many of them start an
    outbox relay drain (its advisory-lock query)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.total = 0
        self.relay_drains = 0

        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            self.total += 1
            if "pg_try_advisory_xact_lock" in statement:
                self.relay_drains += 1

        sa.event.listen(engine.sync_engine, "before_cursor_execute", count)

    def mark(self) -> tuple[int, int]:
        return self.total, self.relay_drains

    def since(self, mark: tuple[int, int], events: int) -> dict[str, float]:
        return {
            "sql_statements_per_event": round((self.total - mark[0]) / events, 2),
            "relay_drains_per_event": round((self.relay_drains - mark[1]) / events, 2),
        }


class Pipeline:
    """The running parts, wired like `convive.runtime.app.ServiceRuntime` wires a service."""

    def __init__(self, infra: Infra, schema: str, topic: str) -> None:
        self.infra = infra
        self.engine: AsyncEngine = db.create_engine(infra.database_url, schema)
        self.store = EventStore(self.engine)
        self.topic = topic
        self.producer = kafka.make_producer(infra.bootstrap, "bench-pipeline")
        self.relay_batches: list[int] = []
        self.relay = OutboxRelay(
            self.engine, self.producer, topic, before_publish=self.relay_batches.append
        )
        self.broker = KafkaBroker(
            infra.bootstrap,
            client_id="bench-pipeline",
            acks="all",
            enable_idempotence=True,
            logger=logging.getLogger("bench.broker"),
        )
        applier = subscribe_projection(
            self.broker,
            self.engine,
            scans_projection(),
            self.producer,
            service=SERVICE,
            namespace=infra.namespace,
        )
        self.clock = CommitClock(applier)
        self.statements = StatementCounter(self.engine)
        self.versions: dict[str, int] = {}

    async def start(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(runtime_metadata.create_all)
            await conn.run_sync(scan_metadata.create_all)
        await self.producer.start()
        self.store.on_commit(self.relay.wake)
        self.relay.start(listen_dsn=db.plain_dsn(self.infra.database_url))
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()
        await self.relay.stop()
        await self.producer.stop()
        await self.engine.dispose()

    async def append(self, stream_id: str) -> tuple[EventEnvelope, asyncio.Future[float]]:
        """Append the stream's next event; returns it and the future of its projection commit."""
        envelope = scanned(stream_id)
        committed = self.clock.expect(envelope.id)
        version = self.versions.get(stream_id, NO_STREAM)
        await self.store.append(stream_id, [envelope], expected_version=version)
        self.versions[stream_id] = version + 1
        return envelope, committed

    async def latency(
        self, count: int, *, label: str, gap: tuple[float, float] | None = None
    ) -> tuple[list[float], list[float]]:
        """One event at a time, each waited for: (append -> projected, append call) seconds."""
        end_to_end, appends = [], []
        for i in range(count):
            if gap is not None:
                await asyncio.sleep(random.uniform(*gap))
            stream_id = f"{label}-spot-{i % 10}"
            started = time.monotonic()
            _, committed = await self.append(stream_id)
            appended = time.monotonic()
            done = await asyncio.wait_for(committed, timeout=60)
            end_to_end.append(done - started)
            appends.append(appended - started)
        return end_to_end, appends

    async def throughput(self, total: int, writers: int) -> dict[str, Any]:
        """`writers` tasks append to one stream each until `total` events; until all projected."""
        relay_mark, consumer_mark = len(self.relay_batches), len(self.clock.batch_sizes)
        sql_mark, cpu_mark = self.statements.mark(), time.process_time()
        share = [total // writers + (1 if w < total % writers else 0) for w in range(writers)]
        started_at: dict[str, float] = {}
        futures: list[tuple[str, asyncio.Future[float]]] = []

        async def writer(n: int) -> None:
            stream_id = f"load-{uuid.uuid4().hex[:12]}"
            for _ in range(n):
                before = time.monotonic()
                envelope, committed = await self.append(stream_id)
                started_at[envelope.id] = before
                futures.append((envelope.id, committed))

        started = time.monotonic()
        await asyncio.gather(*(writer(n) for n in share))
        appended = time.monotonic()
        done_at = await asyncio.wait_for(
            asyncio.gather(*(f for _, f in futures)), timeout=max(120.0, total / 20)
        )
        finished = max(done_at)
        cpu = time.process_time() - cpu_mark
        lags = [done - started_at[eid] for (eid, _), done in zip(futures, done_at, strict=True)]
        return {
            "events": total,
            "writers": writers,
            "seconds": round(finished - started, 3),
            "events_per_s": rate(total, finished - started),
            "append_phase_events_per_s": rate(total, appended - started),
            "drain_after_appends_s": round(finished - appended, 3),
            "latency_under_load": latency_summary(lags),
            "relay_batches": size_summary(self.relay_batches[relay_mark:]),
            "consumer_batches": size_summary(self.clock.batch_sizes[consumer_mark:]),
            "process_cpu_ms_per_event": round(cpu * 1000 / total, 3),
            "process_cpu_share": round(cpu / (finished - started), 2),
            **self.statements.since(sql_mark, total),
        }


async def run(infra: Infra, settings: Settings) -> dict[str, Any]:
    """Latency (back-to-back and after idle pauses) and throughput of the whole pipeline."""
    schema = infra.schema("pipeline")
    topic = infra.topic(events_topic(SERVICE, infra.namespace))
    dlq = infra.topic(dlq_topic(SERVICE, infra.namespace))
    await create_schema(infra.dsn, schema)
    await kafka.ensure_topics(infra.bootstrap, [topic, dlq], partitions=settings.partitions)
    pipeline = Pipeline(infra, schema, topic)
    await pipeline.start()
    result: dict[str, Any] = {}
    try:
        # The first event also waits for the consumer group to form.
        await pipeline.latency(1, label="first")
        await pipeline.latency(settings.warmup, label="warm")
        relay_mark, consumer_mark = len(pipeline.relay_batches), len(pipeline.clock.batch_sizes)
        sql_mark = pipeline.statements.mark()
        end_to_end, appends = await pipeline.latency(settings.latency_samples, label="b2b")
        result["latency_sql"] = pipeline.statements.since(sql_mark, settings.latency_samples)
        result["latency"] = latency_summary(end_to_end)
        result["append_call"] = latency_summary(appends)
        result["latency_relay_batches"] = size_summary(pipeline.relay_batches[relay_mark:])
        result["latency_consumer_batches"] = size_summary(
            pipeline.clock.batch_sizes[consumer_mark:]
        )
        gap = (settings.idle_gap_min_ms / 1000, settings.idle_gap_max_ms / 1000)
        idle, _ = await pipeline.latency(settings.idle_samples, label="idle", gap=gap)
        result["latency_after_idle"] = latency_summary(idle)
        result["throughput"] = await pipeline.throughput(
            settings.pipeline_events, settings.pipeline_writers
        )
        sizes = pipeline.clock.record_bytes
        result["record_bytes_mean"] = round(sum(sizes) / len(sizes), 1) if sizes else None
        async with pipeline.engine.connect() as conn:
            projected = await conn.scalar(sa.select(sa.func.sum(scans_per_spot.c.scans)))
        appended = sum(pipeline.versions.values())
        result["check"] = {"appended": appended, "projected": int(projected or 0)}
    finally:
        await pipeline.stop()
    return result
