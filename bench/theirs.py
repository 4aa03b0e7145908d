"""The comparison store: the `eventsourcing` library's Application and Aggregate on its
PostgreSQL persistence (psycopg 3, synchronous), writing the same TableScanned-shaped event."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.workload import DEVICE, VENUE


class ScannedSpot(Aggregate):
    """A stream of one event: the spot was scanned (the same fields as our TableScanned)."""

    @event("TableScanned")
    def __init__(self, venue_id: str, spot_id: str, device_id: str) -> None:
        self.venue_id = venue_id
        self.spot_id = spot_id
        self.device_id = device_id


class BenchScans(Application):
    """The library's application; its events table is `benchscans_events` in our schema."""


def application(postgres: dict[str, Any], schema: str, pool_size: int) -> BenchScans:
    """An application on the given server and schema, configured by the library's env keys."""
    return BenchScans(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(postgres["dbname"]),
            "POSTGRES_HOST": str(postgres["host"]),
            "POSTGRES_PORT": str(postgres["port"]),
            "POSTGRES_USER": str(postgres["user"]),
            "POSTGRES_PASSWORD": str(postgres["password"]),
            "POSTGRES_SCHEMA": schema,
            "POSTGRES_POOL_SIZE": str(pool_size),
            "POSTGRES_MAX_OVERFLOW": "0",
            "CREATE_TABLE": "y",
        }
    )


def save_new(app: BenchScans, count: int) -> None:
    """`count` single-event saves, each a new aggregate (a new stream)."""
    for _ in range(count):
        spot = f"spot-{uuid.uuid4().hex}"
        app.save(ScannedSpot(venue_id=VENUE, spot_id=spot, device_id=DEVICE))


def measure(
    postgres: dict[str, Any], schema: str, *, warmup: int, sequential: int, total: int, writers: int
) -> dict[str, Any]:
    """Appends/s with one writer, then with `writers` threads sharing `total` appends."""
    app = application(postgres, schema, pool_size=writers + 1)
    try:
        save_new(app, warmup)
        started, cpu = time.monotonic(), time.process_time()
        save_new(app, sequential)
        one_writer = time.monotonic() - started
        cpu_one = time.process_time() - cpu

        share = [total // writers + (1 if w < total % writers else 0) for w in range(writers)]
        with ThreadPoolExecutor(max_workers=writers, thread_name_prefix="es-writer") as pool:
            started, cpu = time.monotonic(), time.process_time()
            for future in [pool.submit(save_new, app, n) for n in share]:
                future.result()
            concurrent = time.monotonic() - started
            cpu_concurrent = time.process_time() - cpu
        stored = app.recorder.max_notification_id() or 0  # type: ignore[attr-defined]
    finally:
        app.close()
    return {
        "sequential_seconds": one_writer,
        "concurrent_seconds": concurrent,
        "sequential_cpu_seconds": cpu_one,
        "concurrent_cpu_seconds": cpu_concurrent,
        "stored": int(stored),
        "expected": warmup + sequential + total,
    }
