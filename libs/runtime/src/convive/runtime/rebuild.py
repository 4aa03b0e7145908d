"""Rebuilding a service's projections from the topics into a shadow schema, and comparing them
with the live ones, while the live ones keep serving.

A projection is only as good as a rebuild of it: every table it owns must equal what replaying
its topics from the beginning gives. `rebuild_in_shadow` migrates a fresh schema, replays each
projection there and reports, table by table, the rows that differ. Columns that record when a
row was written (a server default of `now()`) say nothing about the events and are left out of
the comparison.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.runtime import db, migrations
from convive.runtime.consumers import rebuild
from convive.runtime.eventstore import consumer_checkpoints, outbox
from convive.runtime.projections import Projection


@dataclass
class Comparison:
    """What a rebuild of one projection gave, against the live tables."""

    projection: str
    records: int
    differences: dict[str, list[str]] = field(default_factory=dict)
    """Per table, the rows found on one side only (`live only: …`, `rebuilt only: …`)."""

    @property
    def equal(self) -> bool:
        return not self.differences


def written_at_columns(table: sa.Table) -> set[str]:
    """Columns whose value is the moment a row was written (`server_default=now()`)."""
    found = set()
    for column in table.columns:
        default = column.server_default
        if isinstance(default, sa.DefaultClause) and "now()" in str(default.arg).lower():
            found.add(column.name)
    return found


async def rows_of(
    engine: AsyncEngine, table: sa.Table, *, ignore: Iterable[str] = ()
) -> list[tuple[Any, ...]]:
    """A table's rows as sorted tuples of its compared columns."""
    left_out = written_at_columns(table) | set(ignore)
    columns = [c for c in table.columns if c.name not in left_out]
    async with engine.connect() as conn:
        found = await conn.execute(sa.select(*columns))
        return sorted((tuple(row) for row in found), key=repr)


async def compare_tables(
    live: AsyncEngine,
    rebuilt: AsyncEngine,
    tables: Sequence[sa.Table],
    *,
    ignore: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, list[str]]:
    """Per table, the rows that are on one side only (empty when every table is equal)."""
    ignore = ignore or {}
    differences: dict[str, list[str]] = {}
    for table in tables:
        skip = ignore.get(table.name, ())
        on_live = await rows_of(live, table, ignore=skip)
        on_rebuilt = await rows_of(rebuilt, table, ignore=skip)
        if on_live == on_rebuilt:
            continue
        live_only = [r for r in on_live if r not in on_rebuilt]
        rebuilt_only = [r for r in on_rebuilt if r not in on_live]
        differences[table.name] = [f"live only: {r!r}" for r in live_only] + [
            f"rebuilt only: {r!r}" for r in rebuilt_only
        ]
    return differences


async def wait_until_settled(
    engine: AsyncEngine,
    projections: Sequence[Projection],
    bootstrap: str,
    *,
    namespace: str = "",
    within: float = 60.0,
) -> None:
    """Wait until the service published every event it appended (its outbox is empty) and each
    projection applied its topics up to their current end, so that a rebuild reads what the
    live tables were made of."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        while True:
            behind = await _behind(engine, consumer, projections, namespace)
            if not behind:
                return
            if loop.time() > deadline:
                raise TimeoutError(f"not settled within {within}s: {behind}")
            await asyncio.sleep(0.1)
    finally:
        await consumer.stop()


async def _behind(
    engine: AsyncEngine,
    consumer: AIOKafkaConsumer,
    projections: Sequence[Projection],
    namespace: str,
) -> list[str]:
    behind: list[str] = []
    async with engine.connect() as conn:
        unpublished = await conn.scalar(sa.select(sa.func.count()).select_from(outbox))
        if unpublished:
            behind.append(f"{unpublished} events not published yet")
        checkpoints = {
            (r.consumer, r.topic, r.partition): r.next_offset
            for r in await conn.execute(sa.select(consumer_checkpoints))
        }
    for projection in projections:
        for topic in projection.topics(namespace):
            partitions = consumer.partitions_for_topic(topic) or set()
            if not partitions:
                await consumer._client.force_metadata_update()
                partitions = consumer.partitions_for_topic(topic) or set()
            parts = [TopicPartition(topic, p) for p in sorted(partitions)]
            ends = await consumer.end_offsets(parts) if parts else {}
            for tp, end in ends.items():
                done = checkpoints.get((projection.name, tp.topic, tp.partition), 0)
                if end > 0 and done < end:
                    behind.append(
                        f"{projection.name} at {done}/{end} of {tp.topic}[{tp.partition}]"
                    )
    return behind


async def rebuild_in_shadow(
    live: AsyncEngine,
    shadow: AsyncEngine,
    projections: Sequence[Projection],
    bootstrap: str,
    *,
    migrations_path: Path | None,
    namespace: str = "",
    as_of: datetime | None = None,
    ignore: Mapping[str, Iterable[str]] | None = None,
) -> list[Comparison]:
    """Migrate the shadow engine's schema, replay each projection's topics into it, and compare
    its tables with the live ones (with `as_of`, the rebuild stops at that moment and the
    comparison says how the projection has moved on since)."""
    if migrations_path is not None:
        await migrations.upgrade(shadow, migrations_path)
    else:
        await db.ensure_schema(shadow)
    compared = []
    for projection in projections:
        records = await rebuild(shadow, projection, bootstrap, namespace=namespace, as_of=as_of)
        differences = await compare_tables(live, shadow, projection.tables, ignore=ignore)
        compared.append(Comparison(projection.name, records, differences))
    return compared
