"""Read models a replay cannot undo (`upsert_if_newer`, `advance_if_newer`), and a store that
writes its service's own read models in the transaction of every append."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.contracts import EventEnvelope
from convive.contracts.table_session import TableScanned
from convive.runtime import db
from convive.runtime.eventstore import NO_STREAM, EventStore, decide_and_append
from convive.runtime.projections import (
    Projection,
    advance_if_newer,
    stream_version,
    upsert_if_newer,
)

pytestmark = pytest.mark.infra

metadata = db.metadata()
last_scans = sa.Table(
    "last_scans",
    metadata,
    sa.Column("spot_id", sa.Text, primary_key=True),
    sa.Column("device_id", sa.Text, nullable=False),
    sa.Column("first_device_id", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

own = Projection("tests.last_scans", tables=[last_scans])


@own.on(TableScanned)
async def on_table_scanned(conn: AsyncConnection, event: TableScanned, envelope: Any) -> None:
    await upsert_if_newer(
        conn,
        last_scans,
        {"spot_id": event.spot_id},
        {"device_id": event.device_id},
        on_insert={"first_device_id": event.device_id},
        version=stream_version(envelope),
    )


@pytest.fixture
async def tables(engine: AsyncEngine) -> AsyncEngine:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return engine


async def rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        found = await conn.execute(sa.select(last_scans).order_by(last_scans.c.spot_id))
        return [tuple(r) for r in found]


async def test_a_newer_version_overwrites_and_an_older_one_changes_nothing(
    tables: AsyncEngine,
) -> None:
    async with tables.begin() as conn:
        key = {"spot_id": "spot-1"}
        first = {"first_device_id": "a"}
        assert await upsert_if_newer(
            conn, last_scans, key, {"device_id": "a"}, version=1, on_insert=first
        )
        assert await upsert_if_newer(
            conn, last_scans, key, {"device_id": "c"}, version=3, on_insert={"first_device_id": "c"}
        )
        assert not await upsert_if_newer(
            conn, last_scans, key, {"device_id": "b"}, version=2, on_insert={"first_device_id": "b"}
        )
        assert not await upsert_if_newer(
            conn, last_scans, key, {"device_id": "c"}, version=3, on_insert={"first_device_id": "c"}
        )
    assert await rows(tables) == [("spot-1", "c", "a", 3)]


async def test_advance_moves_only_an_existing_row_forward(tables: AsyncEngine) -> None:
    async with tables.begin() as conn:
        key = {"spot_id": "spot-1"}
        assert not await advance_if_newer(conn, last_scans, key, version=1)
        await conn.execute(
            last_scans.insert().values(
                spot_id="spot-1", device_id="a", first_device_id="a", version=1
            )
        )
        assert await advance_if_newer(conn, last_scans, key, version=2, values={"device_id": "b"})
        assert not await advance_if_newer(
            conn, last_scans, key, version=2, values={"device_id": "x"}
        )
    assert await rows(tables) == [("spot-1", "b", "a", 2)]


def scanned(spot: str, device: str) -> EventEnvelope:
    return EventEnvelope.wrap(
        TableScanned(venue_id="venue-1", spot_id=spot, device_id=device), subject=spot
    )


async def test_a_store_with_own_read_models_writes_them_with_every_append(
    tables: AsyncEngine,
) -> None:
    store = EventStore(tables, own_read_models=own.apply)
    result = await store.append("spot-1", [scanned("spot-1", "a")], expected_version=NO_STREAM)
    assert [e.stream_version for e in result.appended] == [1]
    assert await rows(tables) == [("spot-1", "a", "a", 1)]

    def decide(history: list[EventEnvelope]) -> list[EventEnvelope]:
        return [scanned("spot-1", "b"), scanned("spot-1", "c")]

    await decide_and_append(store, "spot-1", decide)
    assert await rows(tables) == [("spot-1", "c", "a", 3)]


async def test_own_read_models_roll_back_with_a_refused_append(tables: AsyncEngine) -> None:
    store = EventStore(tables, own_read_models=own.apply)
    await store.append("spot-1", [scanned("spot-1", "a")], expected_version=NO_STREAM)
    async with tables.connect() as conn, conn.begin():
        await store.append(
            "spot-2", [scanned("spot-2", "x")], expected_version=NO_STREAM, conn=conn
        )
        inside = (await conn.execute(sa.select(last_scans.c.spot_id))).scalars().all()
        assert sorted(inside) == ["spot-1", "spot-2"]
        await conn.rollback()
    assert await rows(tables) == [("spot-1", "a", "a", 1)]


async def test_replaying_the_own_topic_leaves_the_read_models_as_the_appends_made_them(
    tables: AsyncEngine,
) -> None:
    store = EventStore(tables, own_read_models=own.apply)
    await store.append(
        "spot-1", [scanned("spot-1", "a"), scanned("spot-1", "b")], expected_version=NO_STREAM
    )
    written = await rows(tables)
    async with tables.begin() as conn:
        await own.apply(conn, await store.read_stream("spot-1"))
    assert await rows(tables) == written
