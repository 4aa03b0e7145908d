"""Fixtures for the runtime's own tests: an engine on a fresh schema with the runtime tables,
a test projection that counts scans per spot, and helpers to read topics back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.contracts import EventEnvelope, dlq_topic, events_topic
from convive.contracts.table_session import TableScanned
from convive.runtime import db
from convive.runtime.eventstore import EventStore, runtime_metadata
from convive.runtime.projections import Projection


@pytest.fixture
async def engine(database_url: str, db_schema: str) -> AsyncIterator[AsyncEngine]:
    eng = db.create_engine(database_url, db_schema, pool_size=5)
    async with eng.begin() as conn:
        await conn.run_sync(runtime_metadata.create_all)
        await conn.run_sync(scan_metadata.create_all)
    yield eng
    await eng.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> EventStore:
    return EventStore(engine)


@pytest.fixture
async def topics(namespace: str, create_topics: Any) -> dict[str, str]:
    names = {
        "events": events_topic("table-session", namespace),
        "dlq": dlq_topic("table-session", namespace),
    }
    await create_topics(list(names.values()))
    return names


def _scanned(spot: str = "spot-1", device: str = "phone-1") -> EventEnvelope:
    return EventEnvelope.wrap(
        TableScanned(venue_id="venue-1", spot_id=spot, device_id=device), subject=spot
    )


@pytest.fixture
def scanned() -> Callable[..., EventEnvelope]:
    """Factory of TableScanned envelopes: scanned(spot=..., device=...)."""
    return _scanned


# A projection used by the tests: how many scans each spot had.
scan_metadata = db.metadata()
scan_counts = sa.Table(
    "scan_counts",
    scan_metadata,
    sa.Column("spot_id", sa.Text, primary_key=True),
    sa.Column("scans", sa.Integer, nullable=False),
)


def _make_scan_projection(fail_on_device: str | None = None) -> Projection:
    projection = Projection("tests.scan_counts", tables=[scan_counts])

    @projection.on(TableScanned)
    async def on_table_scanned(conn: AsyncConnection, event: TableScanned, _: Any) -> None:
        if event.device_id == fail_on_device:
            raise RuntimeError(f"cannot handle device {event.device_id}")
        updated = await conn.execute(
            scan_counts.update()
            .where(scan_counts.c.spot_id == event.spot_id)
            .values(scans=scan_counts.c.scans + 1)
        )
        if updated.rowcount == 0:
            await conn.execute(scan_counts.insert().values(spot_id=event.spot_id, scans=1))

    return projection


@pytest.fixture
def scan_projection() -> Callable[..., Projection]:
    """Factory of the scan-count projection; `fail_on_device` makes its handler raise."""
    return _make_scan_projection


@pytest.fixture
def scan_counts_of() -> Callable[[AsyncEngine], Any]:
    """Reads the scan-count projection: {spot_id: scans}."""

    async def read(engine: AsyncEngine) -> dict[str, int]:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.select(scan_counts))
            return {r.spot_id: r.scans for r in rows}

    return read
