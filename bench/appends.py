"""Single-event appends to new streams: Convive's EventStore (asyncio, asyncpg) against the
`eventsourcing` library's PostgreSQL store (threads, psycopg), on the same server."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import sqlalchemy as sa

from bench.config import Settings
from bench.infra import Infra, create_schema
from bench.stats import rate, ratio
from bench.workload import data_bytes, scanned
from convive.runtime import db
from convive.runtime.eventstore import NO_STREAM, EventStore, events, runtime_metadata

# Imported now, not when the section starts: the package must be loaded while it is installed.
THEIRS_MISSING = ""
try:
    from bench import theirs
except ImportError as missing:
    theirs = None  # type: ignore[assignment]
    THEIRS_MISSING = str(missing)


async def _append_new(store: EventStore, count: int) -> None:
    for _ in range(count):
        stream_id = f"spot-{uuid.uuid4().hex}"
        await store.append(stream_id, [scanned(stream_id)], expected_version=NO_STREAM)


async def _statements_per_append(store: EventStore, engine: Any, samples: int = 20) -> float:
    """SQL statements SQLAlchemy sends per append (BEGIN and COMMIT not included)."""
    seen = 0

    def count(*_: Any) -> None:
        nonlocal seen
        seen += 1

    sa.event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        await _append_new(store, samples)
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", count)
    return seen / samples


async def ours(infra: Infra, settings: Settings) -> dict[str, Any]:
    schema = infra.schema("store")
    await create_schema(infra.dsn, schema)
    engine = db.create_engine(infra.database_url, schema)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(runtime_metadata.create_all)
        store = EventStore(engine)
        await _append_new(store, settings.warmup)
        statements = await _statements_per_append(store, engine)

        started, cpu = time.monotonic(), time.process_time()
        await _append_new(store, settings.append_events)
        one_writer = time.monotonic() - started
        cpu_one = time.process_time() - cpu

        total, writers = settings.append_concurrent_events, settings.append_writers
        share = [total // writers + (1 if w < total % writers else 0) for w in range(writers)]
        started, cpu = time.monotonic(), time.process_time()
        await asyncio.gather(*(_append_new(store, n) for n in share))
        concurrent = time.monotonic() - started
        cpu_concurrent = time.process_time() - cpu
        async with engine.connect() as conn:
            stored = await conn.scalar(sa.select(sa.func.count()).select_from(events))
    finally:
        await engine.dispose()
    return {
        "sequential_seconds": one_writer,
        "concurrent_seconds": concurrent,
        "sequential_cpu_seconds": cpu_one,
        "concurrent_cpu_seconds": cpu_concurrent,
        "statements_per_append": statements,
        "stored": int(stored or 0),
        "expected": settings.warmup + 20 + settings.append_events + total,
    }


def _ms_each(seconds: float, count: int) -> float:
    return round(seconds * 1000 / count, 3) if count else 0.0


async def run(infra: Infra, settings: Settings) -> dict[str, Any]:
    """Both stores, ours first, each in its own schema of the same server."""
    if theirs is None:
        return {"skipped": f"eventsourcing is not installed ({THEIRS_MISSING}); run `make bench`"}
    mine = await ours(infra, settings)
    schema = infra.schema("eventsourcing")
    await create_schema(infra.dsn, schema)
    other = await asyncio.to_thread(
        theirs.measure,
        infra.postgres_params(),
        schema,
        warmup=settings.warmup,
        sequential=settings.append_events,
        total=settings.append_concurrent_events,
        writers=settings.append_writers,
    )
    n, total = settings.append_events, settings.append_concurrent_events
    ours_seq = rate(n, mine["sequential_seconds"])
    theirs_seq = rate(n, other["sequential_seconds"])
    ours_conc = rate(total, mine["concurrent_seconds"])
    theirs_conc = rate(total, other["concurrent_seconds"])
    return {
        "event_data_bytes": data_bytes("spot-" + "0" * 32),
        "one_writer": {
            "appends": n,
            "ours_per_s": ours_seq,
            "eventsourcing_per_s": theirs_seq,
            "ratio_ours_to_eventsourcing": ratio(ours_seq, theirs_seq),
            "ours_cpu_ms_per_append": _ms_each(mine["sequential_cpu_seconds"], n),
            "eventsourcing_cpu_ms_per_append": _ms_each(other["sequential_cpu_seconds"], n),
        },
        "concurrent": {
            "appends": total,
            "writers": settings.append_writers,
            "ours_per_s": ours_conc,
            "eventsourcing_per_s": theirs_conc,
            "ratio_ours_to_eventsourcing": ratio(ours_conc, theirs_conc),
            "ours_cpu_ms_per_append": _ms_each(mine["concurrent_cpu_seconds"], total),
            "eventsourcing_cpu_ms_per_append": _ms_each(other["concurrent_cpu_seconds"], total),
        },
        "ours_statements_per_append": mine["statements_per_append"],
        "check": {
            "ours_stored": mine["stored"],
            "ours_expected": mine["expected"],
            "eventsourcing_stored": other["stored"],
            "eventsourcing_expected": other["expected"],
        },
    }
