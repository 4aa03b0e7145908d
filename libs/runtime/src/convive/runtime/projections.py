"""Projections: read models kept from events, applied exactly once per event.

A `Projection` names its tables and one handler per event type. `ProjectionApplier` applies a
batch of Kafka records in one database transaction: for each record, the handler's writes, the
record of the processed event id, and the consumer's offset checkpoint commit together, so a
redelivered event is skipped. A record that cannot be decoded, or whose handler keeps failing
after a few tries, is sent to the dead-letter topic with the error and marked done; the batch
goes on. Only infrastructure failures (the database unreachable) abort the batch, for Kafka to
redeliver it.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.contracts import EnvelopeError, Event, EventEnvelope, events_topic
from convive.runtime import telemetry
from convive.runtime.eventstore import consumer_checkpoints, processed_events

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[AsyncConnection, Any, EventEnvelope], Awaitable[None]]

H_DLQ_ERROR = "convive_dlq_error"
H_DLQ_CONSUMER = "convive_dlq_consumer"
H_DLQ_ORIGIN = "convive_dlq_origin"


class Record(Protocol):
    """What we read of a Kafka record (aiokafka's ConsumerRecord has these)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


@dataclass
class Projection:
    """A read model: its tables and its handlers, by event type."""

    name: str
    tables: Sequence[sa.Table] = ()
    handlers: dict[str, Handler] = field(default_factory=dict)
    services: set[str] = field(default_factory=set)

    def on(
        self, event_class: type[E]
    ) -> Callable[
        [Callable[[AsyncConnection, E, EventEnvelope], Awaitable[None]]],
        Callable[[AsyncConnection, E, EventEnvelope], Awaitable[None]],
    ]:
        """Register `handler(conn, event, envelope)` for one event class."""

        def register(
            handler: Callable[[AsyncConnection, E, EventEnvelope], Awaitable[None]],
        ) -> Callable[[AsyncConnection, E, EventEnvelope], Awaitable[None]]:
            if event_class.event_type in self.handlers:
                raise ValueError(f"{self.name} already handles {event_class.event_type}")
            self.handlers[event_class.event_type] = handler
            self.services.add(event_class.service)
            return handler

        return register

    def topics(self, namespace: str = "") -> list[str]:
        return sorted(events_topic(s, namespace) for s in self.services)

    async def apply(self, conn: AsyncConnection, envelopes: Sequence[EventEnvelope]) -> None:
        """Apply events in the caller's transaction, without the consumer's bookkeeping: how a
        service writes its own read models in the transaction of the append that decided the
        events (the event store calls it; see `EventStore(own_read_models=...)`)."""
        for envelope in envelopes:
            handler = self.handlers.get(envelope.type)
            if handler is not None:
                await handler(conn, envelope.event(), envelope)


# --- writing read models that a replay cannot undo -------------------------------------------


def stream_version(envelope: EventEnvelope) -> int:
    """The event's version in its stream: what a read model row remembers, so that a replayed
    or late event never overwrites a later one."""
    if envelope.stream_version is None:
        raise ValueError(f"event {envelope.id} ({envelope.type}) has no stream version")
    return envelope.stream_version


async def upsert_if_newer(
    conn: AsyncConnection,
    table: sa.Table,
    key: Mapping[str, object],
    values: Mapping[str, object],
    *,
    version: int,
    on_insert: Mapping[str, object] | None = None,
    version_column: str = "version",
) -> bool:
    """Insert the row named by `key` with `values`, or update it with them when `version` is
    newer than the row's; `on_insert` are columns set only when the row is new (when it was
    created). True when the row was written, False when it already stood at a later version."""
    row = {**key, **(on_insert or {}), **values, version_column: version}
    stmt = insert(table).values(**row)
    written = await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=list(key),
            set_={**values, version_column: version},
            where=table.c[version_column] < stmt.excluded[version_column],
        )
    )
    return bool(written.rowcount)


async def advance_if_newer(
    conn: AsyncConnection,
    table: sa.Table,
    key: Mapping[str, object],
    *,
    version: int,
    values: Mapping[str, object] | None = None,
    version_column: str = "version",
) -> bool:
    """Move an existing row to `version` (and set `values`) when `version` is newer than the
    row's. False when there is no such row or it stands at this version or a later one: the
    event was applied already, and the caller's other writes for it must be skipped too."""
    condition = sa.and_(
        *(table.c[name] == value for name, value in key.items()),
        table.c[version_column] < version,
    )
    moved = await conn.execute(
        table.update().where(condition).values({**(values or {}), version_column: version})
    )
    return bool(moved.rowcount)


DeadLetter = Callable[[Record, str], Awaitable[None]]


def _is_infrastructure(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class ProjectionApplier:
    """Applies records to one projection, idempotently, in database transactions."""

    def __init__(
        self,
        engine: AsyncEngine,
        projection: Projection,
        dead_letter: DeadLetter,
        *,
        attempts: int = 3,
        retry_delay: float = 0.05,
    ) -> None:
        self.engine = engine
        self.projection = projection
        self.dead_letter = dead_letter
        self.attempts = attempts
        self.retry_delay = retry_delay

    async def apply_batch(self, records: Sequence[Record]) -> None:
        """Apply a batch: first all at once (one transaction, no savepoints); if a record
        fails, again record by record, each in a savepoint with retries, so that only the
        failing record is dead-lettered."""
        if not records:
            return
        with telemetry.BATCH_SECONDS.labels(self.projection.name).time():
            try:
                await self._apply_all_at_once(records)
                return
            except Exception as exc:
                if _is_infrastructure(exc):
                    raise
                log.info(
                    "batch failed as a whole; applying it record by record",
                    extra={"consumer": self.projection.name, "error": repr(exc)},
                )
            async with self.engine.begin() as conn:
                for record in records:
                    await self._apply(conn, record)
                await self._checkpoint(conn, records)

    async def _apply_all_at_once(self, records: Sequence[Record]) -> None:
        name = self.projection.name
        decoded: list[tuple[Record, EventEnvelope]] = []
        undecodable: list[tuple[Record, str]] = []
        for record in records:
            try:
                decoded.append((record, EventEnvelope.from_kafka(record.headers, record.value)))
            except EnvelopeError as exc:
                undecodable.append((record, f"undecodable record: {exc}"))
        wanted = [(r, e) for r, e in decoded if e.type in self.projection.handlers]
        applied: list[str] = []
        async with self.engine.begin() as conn:
            done: set[str] = set()
            if wanted:
                done = set(
                    (
                        await conn.execute(
                            sa.select(processed_events.c.event_id).where(
                                processed_events.c.consumer == name,
                                processed_events.c.event_id.in_([e.id for _, e in wanted]),
                            )
                        )
                    )
                    .scalars()
                    .all()
                )
            for _, envelope in wanted:
                if envelope.id in done:
                    continue
                done.add(envelope.id)
                await self.projection.handlers[envelope.type](conn, envelope.event(), envelope)
                applied.append(envelope.id)
            if applied:
                await conn.execute(
                    insert(processed_events)
                    .values(
                        [{"consumer": name, "event_id": i, "outcome": "applied"} for i in applied]
                    )
                    .on_conflict_do_nothing()
                )
            for record, error in undecodable:
                await self._dead_letter(conn, record, None, error)
            await self._checkpoint(conn, records)
        telemetry.CONSUMED.labels(name, "applied").inc(len(applied))
        telemetry.CONSUMED.labels(name, "duplicate").inc(len(wanted) - len(applied))
        telemetry.CONSUMED.labels(name, "ignored").inc(len(decoded) - len(wanted))

    async def _apply(self, conn: AsyncConnection, record: Record) -> None:
        name = self.projection.name
        try:
            envelope = EventEnvelope.from_kafka(record.headers, record.value)
        except EnvelopeError as exc:
            await self._dead_letter(conn, record, None, f"undecodable record: {exc}")
            return
        handler = self.projection.handlers.get(envelope.type)
        if handler is None:
            telemetry.CONSUMED.labels(name, "ignored").inc()
            return
        seen = await conn.scalar(
            sa.select(sa.literal(True)).where(
                processed_events.c.consumer == name,
                processed_events.c.event_id == envelope.id,
            )
        )
        if seen:
            telemetry.CONSUMED.labels(name, "duplicate").inc()
            return
        error = ""
        for attempt in range(1, self.attempts + 1):
            try:
                async with conn.begin_nested():
                    await handler(conn, envelope.event(), envelope)
                    await self._mark(conn, envelope.id, "applied")
                telemetry.CONSUMED.labels(name, "applied").inc()
                return
            except Exception as exc:
                if _is_infrastructure(exc):
                    raise
                error = "".join(traceback.format_exception_only(exc)).strip()
                log.warning(
                    "projection handler failed",
                    extra={"consumer": name, "event_id": envelope.id, "attempt": attempt},
                )
                if attempt < self.attempts:
                    await asyncio.sleep(self.retry_delay * attempt)
        await self._dead_letter(conn, record, envelope.id, error)

    async def _dead_letter(
        self, conn: AsyncConnection, record: Record, event_id: str | None, error: str
    ) -> None:
        await self.dead_letter(record, error)
        if event_id is not None:
            await self._mark(conn, event_id, "dead_lettered")
        telemetry.CONSUMED.labels(self.projection.name, "dead_lettered").inc()
        log.error(
            "record sent to the dead-letter topic",
            extra={
                "consumer": self.projection.name,
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "error": error,
            },
        )

    async def _mark(self, conn: AsyncConnection, event_id: str, outcome: str) -> None:
        await conn.execute(
            insert(processed_events)
            .values(consumer=self.projection.name, event_id=event_id, outcome=outcome)
            .on_conflict_do_nothing()
        )

    async def _checkpoint(self, conn: AsyncConnection, records: Sequence[Record]) -> None:
        latest: dict[tuple[str, int], int] = {}
        for r in records:
            key = (r.topic, r.partition)
            latest[key] = max(latest.get(key, -1), r.offset)
        rows = [
            {"consumer": self.projection.name, "topic": t, "partition": p, "next_offset": o + 1}
            for (t, p), o in latest.items()
        ]
        stmt = insert(consumer_checkpoints).values(rows)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["consumer", "topic", "partition"],
                set_={"next_offset": stmt.excluded.next_offset, "updated_at": sa.func.now()},
            )
        )

    async def reset(self) -> None:
        """Empty the projection's tables and forget what it processed (before a rebuild)."""
        async with self.engine.begin() as conn:
            for table in reversed(self.projection.tables):
                await conn.execute(table.delete())
            for bookkeeping in (processed_events, consumer_checkpoints):
                await conn.execute(
                    bookkeeping.delete().where(bookkeeping.c.consumer == self.projection.name)
                )


def dlq_headers(record: Record, consumer: str, error: str) -> list[tuple[str, bytes]]:
    """The original headers plus where the record came from and why it failed."""
    origin = f"{record.topic}/{record.partition}/{record.offset}"
    extra = [
        (H_DLQ_ERROR, error[:4000].encode()),
        (H_DLQ_CONSUMER, consumer.encode()),
        (H_DLQ_ORIGIN, origin.encode()),
    ]
    return [*list(record.headers or ()), *extra]
