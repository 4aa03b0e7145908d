"""The event store: an append-only table of events per service schema, with optimistic
concurrency per stream, and the transactional outbox written in the same transaction.

A stream's versions start at 1. `expected_version` says what the caller decided on: `NO_STREAM`
(0) for a new stream, the last version it read, or `ANY_VERSION` to skip the check. A conflicting
append raises `ConcurrencyError` and writes nothing; the caller re-decides on fresh state.

A store made with `own_read_models` (the service's projection of its own events) applies the
appended events to them in the append's transaction, so that a command's answer and the very
next query already show what it decided; the same projection, subscribed to the service's own
topic, rebuilds those tables from Kafka alone.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.contracts import EventEnvelope
from convive.runtime import db, telemetry

NO_STREAM: Final = 0
ANY_VERSION: Final = -1

runtime_metadata = db.metadata()

events = sa.Table(
    "events",
    runtime_metadata,
    sa.Column("global_position", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("stream_id", sa.Text, nullable=False),
    sa.Column("stream_version", sa.Integer, nullable=False),
    sa.Column("event_id", UUID(as_uuid=False), nullable=False, unique=True),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("data", JSONB, nullable=False),
    sa.Column("metadata", JSONB, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("stream_id", "stream_version"),
)

outbox = sa.Table(
    "outbox",
    runtime_metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column(
        "global_position",
        sa.BigInteger,
        sa.ForeignKey("events.global_position"),
        nullable=False,
    ),
)

processed_events = sa.Table(
    "processed_events",
    runtime_metadata,
    sa.Column("consumer", sa.Text, primary_key=True),
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)

consumer_checkpoints = sa.Table(
    "consumer_checkpoints",
    runtime_metadata,
    sa.Column("consumer", sa.Text, primary_key=True),
    sa.Column("topic", sa.Text, primary_key=True),
    sa.Column("partition", sa.Integer, primary_key=True),
    sa.Column("next_offset", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)


class ConcurrencyError(Exception):
    """Another writer appended to the stream since the caller read it."""

    def __init__(self, stream_id: str, expected: int, actual: int | None) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        found = "a concurrent append" if actual is None else f"version {actual}"
        super().__init__(
            f"stream {stream_id!r}: expected version {expected}, found {found}; "
            "re-read the stream and decide again"
        )


@dataclass(frozen=True)
class AppendResult:
    stream_id: str
    version: int
    event_ids: tuple[str, ...]
    global_positions: tuple[int, ...]
    appended: tuple[EventEnvelope, ...] = ()
    """The appended events, each carrying its stream version."""


OwnReadModels = Callable[[AsyncConnection, Sequence[EventEnvelope]], Awaitable[None]]
"""Applies freshly appended events (carrying their stream versions) to a service's own read
models, in the append's transaction (`Projection.apply`)."""


def outbox_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel that wakes a schema's outbox relay."""
    return f"convive_outbox_{schema}"[:63]


def row_to_envelope(row: sa.Row[Any]) -> EventEnvelope:
    meta = row.metadata
    return EventEnvelope(
        id=str(row.event_id),
        type=row.type,
        source=meta["source"],
        subject=row.stream_id,
        data=row.data,
        schema_version=row.schema_version,
        time=row.recorded_at,
        correlation_id=meta["correlation_id"],
        causation_id=meta.get("causation_id"),
        stream_version=row.stream_version,
    )


class EventStore:
    """Appends and reads the events of one service schema."""

    def __init__(
        self, engine: AsyncEngine, *, own_read_models: OwnReadModels | None = None
    ) -> None:
        self.engine = engine
        self.own_read_models = own_read_models
        self.schema = db.schema_of(engine)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", self.schema):
            raise ValueError(f"schema {self.schema!r} is not a plain identifier")
        self._listeners: list[Callable[[], None]] = []
        self._append_statement: sa.TextClause | None = None

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` after every committed append (the relay's in-process wake-up)."""
        self._listeners.append(callback)

    async def append(
        self,
        stream_id: str,
        new_events: Sequence[EventEnvelope],
        *,
        expected_version: int,
        conn: AsyncConnection | None = None,
    ) -> AppendResult:
        """Append events to a stream atomically with their outbox rows.

        With `conn`, the append joins the caller's transaction (for example to update a
        projection in the same commit) and the caller commits; the relay then learns of it
        through NOTIFY or its poll.
        """
        if not new_events:
            raise ValueError("nothing to append")
        for envelope in new_events:
            if envelope.subject != stream_id:
                raise ValueError(f"event {envelope.type} has subject {envelope.subject!r}")
        if conn is not None:
            return await self._append(conn, stream_id, new_events, expected_version)
        async with self.engine.begin() as own:
            result = await self._append(own, stream_id, new_events, expected_version)
        self.notify_committed(len(new_events))
        return result

    def notify_committed(self, count: int) -> None:
        """Tell the in-process listeners (the outbox relay) that `count` events were committed.
        `append` does it for its own transactions; callers that commit appends made with `conn`
        may call it too (otherwise the relay learns of them by NOTIFY)."""
        telemetry.EVENTS_APPENDED.labels(self.schema).inc(count)
        for callback in self._listeners:
            callback()

    async def _append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        new_events: Sequence[EventEnvelope],
        expected_version: int,
    ) -> AppendResult:
        # One round trip: check the version, insert the events and their outbox rows, notify
        # the relay. Two writers that pass the check at once collide on (stream_id,
        # stream_version); the loser's statement fails and its transaction is aborted (callers
        # that must go on after a conflict wrap the append in a savepoint, as
        # decide_and_append does).
        params = {
            "stream_id": stream_id,
            "expected": expected_version,
            "channel": outbox_channel(self.schema),
            "event_ids": [e.id for e in new_events],
            "types": [e.type for e in new_events],
            "schema_versions": [e.schema_version for e in new_events],
            "datas": [json.dumps(e.data, ensure_ascii=False) for e in new_events],
            "metas": [
                json.dumps(
                    {
                        "source": e.source,
                        "correlation_id": e.correlation_id,
                        "causation_id": e.causation_id,
                    }
                )
                for e in new_events
            ],
            "times": [e.time for e in new_events],
        }
        try:
            row = (await conn.execute(self._append_sql, params)).one()
        except IntegrityError as exc:
            if "stream_id" in str(exc.orig):
                raise ConcurrencyError(stream_id, expected_version, None) from exc
            raise
        current, positions = int(row.current), row.positions
        if positions is None:
            raise ConcurrencyError(stream_id, expected_version, current)
        appended = tuple(e.with_stream_version(current + i) for i, e in enumerate(new_events, 1))
        if self.own_read_models is not None:
            await self.own_read_models(conn, appended)
        return AppendResult(
            stream_id=stream_id,
            version=current + len(new_events),
            event_ids=tuple(e.id for e in new_events),
            global_positions=tuple(positions),
            appended=appended,
        )

    @property
    def _append_sql(self) -> sa.TextClause:
        if self._append_statement is None:
            table = f'"{self.schema}".events'
            self._append_statement = sa.text(
                f"""
                WITH cur AS (
                    SELECT coalesce(max(stream_version), 0) AS v
                    FROM {table} WHERE stream_id = :stream_id
                ), ins AS (
                    INSERT INTO {table} (stream_id, stream_version, event_id, type,
                                         schema_version, data, metadata, recorded_at)
                    SELECT :stream_id, cur.v + e.ord, e.event_id, e.type, e.schema_version,
                           e.data::jsonb, e.metadata::jsonb, e.recorded_at
                    FROM cur, unnest(
                        CAST(:event_ids AS uuid[]), CAST(:types AS text[]),
                        CAST(:schema_versions AS int[]), CAST(:datas AS text[]),
                        CAST(:metas AS text[]), CAST(:times AS timestamptz[])
                    ) WITH ORDINALITY
                      AS e(event_id, type, schema_version, data, metadata, recorded_at, ord)
                    WHERE CAST(:expected AS int) < 0 OR cur.v = CAST(:expected AS int)
                    RETURNING global_position
                ), box AS (
                    INSERT INTO "{self.schema}".outbox (global_position)
                    SELECT global_position FROM ins ORDER BY global_position
                    RETURNING global_position, pg_notify(:channel, '') AS notified
                )
                SELECT (SELECT v FROM cur) AS current,
                       (SELECT array_agg(global_position ORDER BY global_position) FROM box)
                       AS positions
                """  # the schema is a checked identifier; values are bound
            )
        return self._append_statement

    async def stream_version(self, stream_id: str, *, conn: AsyncConnection | None = None) -> int:
        """The stream's last version, 0 when it has no events."""
        query = sa.select(sa.func.coalesce(sa.func.max(events.c.stream_version), 0)).where(
            events.c.stream_id == stream_id
        )
        if conn is not None:
            return int((await conn.execute(query)).scalar_one())
        async with self.engine.connect() as own:
            return int((await own.execute(query)).scalar_one())

    async def read_stream(
        self, stream_id: str, *, from_version: int = 1, conn: AsyncConnection | None = None
    ) -> list[EventEnvelope]:
        query = (
            sa.select(events)
            .where(events.c.stream_id == stream_id, events.c.stream_version >= from_version)
            .order_by(events.c.stream_version)
        )
        if conn is not None:
            result = await conn.execute(query)
        else:
            async with self.engine.connect() as own:
                result = await own.execute(query)
        return [row_to_envelope(r) for r in result]

    async def read_all(
        self, *, after_position: int = 0, batch_size: int = 1000
    ) -> AsyncIterator[tuple[int, EventEnvelope]]:
        """Every event of the schema in global order, as (global position, envelope)."""
        position = after_position
        while True:
            async with self.engine.connect() as conn:
                rows = (
                    await conn.execute(
                        sa.select(events)
                        .where(events.c.global_position > position)
                        .order_by(events.c.global_position)
                        .limit(batch_size)
                    )
                ).all()
            for row in rows:
                position = row.global_position
                yield position, row_to_envelope(row)
            if len(rows) < batch_size:
                return


AfterAppend = Callable[[AsyncConnection, Sequence[EventEnvelope], AppendResult], Awaitable[None]]


async def decide_and_append(
    store: EventStore,
    stream_id: str,
    decide: Callable[[list[EventEnvelope]], Sequence[EventEnvelope]],
    *,
    attempts: int = 5,
    conn: AsyncConnection | None = None,
    then: AfterAppend | None = None,
) -> AppendResult | None:
    """Load the stream, decide on it, append at the version read; on a conflict, decide again
    on fresh state (never overwrite).

    `decide` gets the stream's history and returns the new events (or raises a domain error);
    it returns nothing to decide nothing (and `decide_and_append` returns None). `then(conn,
    new_events, result)` runs in the append's transaction, for read models that must be up to
    date when the command answers beyond the store's own read models (which the append itself
    writes); `new_events` then carry their stream versions. With `conn` (an event handler's
    transaction) each try runs in a savepoint of it, and the caller commits.
    """
    for attempt in range(attempts):
        try:
            if conn is not None:
                async with conn.begin_nested():
                    return await _decide_once(store, stream_id, decide, conn, then)
            async with store.engine.begin() as own:
                result = await _decide_once(store, stream_id, decide, own, then)
            if result is not None:
                store.notify_committed(len(result.event_ids))
            return result
        except ConcurrencyError:
            if attempt + 1 == attempts:
                raise
            # jitter, so that writers that collided do not collide again
            await asyncio.sleep(random.uniform(0.002, 0.01) * (attempt + 1))
    raise AssertionError("unreachable")


async def _decide_once(
    store: EventStore,
    stream_id: str,
    decide: Callable[[list[EventEnvelope]], Sequence[EventEnvelope]],
    conn: AsyncConnection,
    then: AfterAppend | None,
) -> AppendResult | None:
    history = await store.read_stream(stream_id, conn=conn)
    new_events = decide(history)
    if not new_events:
        return None
    result = await store.append(stream_id, new_events, expected_version=len(history), conn=conn)
    if then is not None:
        await then(conn, result.appended, result)
    return result


def new_stream_id(prefix: str) -> str:
    """A fresh, unguessable stream id such as `order-6f1c…`."""
    return f"{prefix}-{uuid.uuid4().hex}"
