"""The event store against a real PostgreSQL: appends, reads, optimistic concurrency."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.runtime.eventstore import (
    ANY_VERSION,
    NO_STREAM,
    ConcurrencyError,
    EventStore,
    decide_and_append,
    events,
    outbox,
)

pytestmark = pytest.mark.infra


async def test_append_then_read_back_in_order(store: EventStore, scanned: Any) -> None:
    first, second = scanned(device="a"), scanned(device="b")
    result = await store.append("spot-1", [first, second], expected_version=NO_STREAM)
    assert result.version == 2
    assert result.event_ids == (first.id, second.id)

    stream = await store.read_stream("spot-1")
    assert [e.id for e in stream] == [first.id, second.id]
    assert [e.stream_version for e in stream] == [1, 2]
    assert stream[0].data == first.data
    assert stream[0].correlation_id == first.correlation_id
    assert stream[0].event().device_id == "a"  # type: ignore[attr-defined]
    assert await store.stream_version("spot-1") == 2
    assert await store.stream_version("nobody") == 0


async def test_append_at_a_stale_version_is_refused_and_writes_nothing(
    store: EventStore, engine: AsyncEngine, scanned: Any
) -> None:
    await store.append("spot-1", [scanned()], expected_version=NO_STREAM)
    with pytest.raises(ConcurrencyError, match=r"expected version 0, found version 1"):
        await store.append("spot-1", [scanned()], expected_version=NO_STREAM)
    async with engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(events)) == 1
        assert await conn.scalar(sa.select(sa.func.count()).select_from(outbox)) == 1


async def test_any_version_appends_without_a_check(store: EventStore, scanned: Any) -> None:
    await store.append("spot-1", [scanned()], expected_version=NO_STREAM)
    result = await store.append("spot-1", [scanned()], expected_version=ANY_VERSION)
    assert result.version == 2


async def test_concurrent_appends_at_the_same_version_one_wins(
    store: EventStore, engine: AsyncEngine, scanned: Any
) -> None:
    """Many writers race for the same version, round after round: exactly one wins each round,
    the others get the concurrency error, and the stream has no gap and no duplicate."""
    writers = 6
    for round_no in range(10):
        outcomes = await asyncio.gather(
            *(
                store.append("spot-1", [scanned(device=f"w{w}")], expected_version=round_no)
                for w in range(writers)
            ),
            return_exceptions=True,
        )
        winners = [o for o in outcomes if not isinstance(o, BaseException)]
        losers = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(winners) == 1, outcomes
        assert all(isinstance(e, ConcurrencyError) for e in losers), losers

    async with engine.connect() as conn:
        versions = (
            (
                await conn.execute(
                    sa.select(events.c.stream_version)
                    .where(events.c.stream_id == "spot-1")
                    .order_by(events.c.stream_version)
                )
            )
            .scalars()
            .all()
        )
        outbox_rows = await conn.scalar(sa.select(sa.func.count()).select_from(outbox))
    assert versions == list(range(1, 11))
    assert outbox_rows == 10


async def test_decide_and_append_redecides_on_fresh_state(store: EventStore, scanned: Any) -> None:
    """Two deciders that both want to append "the next scan" both land, one after the other."""
    seen_histories: list[int] = []

    def decide(history: list) -> list:  # type: ignore[type-arg]
        seen_histories.append(len(history))
        return [scanned(device=f"d{len(history)}")]

    results = await asyncio.gather(*(decide_and_append(store, "spot-1", decide) for _ in range(4)))
    assert sorted(r.version for r in results if r) == [1, 2, 3, 4]
    stream = await store.read_stream("spot-1")
    assert [e.data["device_id"] for e in stream] == ["d0", "d1", "d2", "d3"]
    assert len(seen_histories) > 4  # someone lost a race and decided again


async def test_an_append_inside_the_callers_transaction_commits_with_it(
    store: EventStore, engine: AsyncEngine, scanned: Any
) -> None:
    async with engine.connect() as conn:
        tx = await conn.begin()
        await store.append("spot-1", [scanned()], expected_version=NO_STREAM, conn=conn)
        await tx.rollback()
    assert await store.read_stream("spot-1") == []


async def test_events_with_another_subject_are_refused(store: EventStore, scanned: Any) -> None:
    with pytest.raises(ValueError, match="subject"):
        await store.append("spot-2", [scanned(spot="spot-1")], expected_version=NO_STREAM)
    with pytest.raises(ValueError, match="nothing to append"):
        await store.append("spot-2", [], expected_version=NO_STREAM)


async def test_read_all_walks_the_global_order(store: EventStore, scanned: Any) -> None:
    for spot in ("a", "b", "c"):
        await store.append(spot, [scanned(spot=spot)], expected_version=NO_STREAM)
    seen = [(p, e.subject) async for p, e in store.read_all(batch_size=2)]
    assert [s for _, s in seen] == ["a", "b", "c"]
    assert [p for p, _ in seen] == sorted(p for p, _ in seen)


async def test_decide_and_append_inside_a_transaction_reads_and_writes_in_it(
    store: EventStore, engine: AsyncEngine, scanned: Any
) -> None:
    """As an event handler does: the decision sees the transaction's own writes, and nothing is
    kept when the transaction rolls back."""
    async with engine.connect() as conn:
        tx = await conn.begin()
        await store.append("spot-1", [scanned(device="a")], expected_version=NO_STREAM, conn=conn)
        result = await decide_and_append(
            store, "spot-1", lambda history: [scanned(device=f"after-{len(history)}")], conn=conn
        )
        assert result is not None
        assert result.version == 2
        await tx.rollback()
    assert await store.read_stream("spot-1") == []

    async with engine.begin() as conn:
        await decide_and_append(store, "spot-1", lambda h: [scanned(device="kept")], conn=conn)
    assert [e.data["device_id"] for e in await store.read_stream("spot-1")] == ["kept"]


async def test_then_runs_in_the_appends_transaction(
    store: EventStore, engine: AsyncEngine, scanned: Any
) -> None:
    """A read model written by `then` commits with the events; if `then` fails, neither is kept."""
    written: list[int] = []

    async def record(conn: Any, new_events: Any, result: Any) -> None:
        in_tx = await conn.scalar(sa.select(sa.func.count()).select_from(events))
        written.append(in_tx)
        if result.version == 2:
            raise RuntimeError("read model refused")

    await decide_and_append(store, "spot-1", lambda h: [scanned()], then=record)
    assert written == [1]
    with pytest.raises(RuntimeError, match="read model refused"):
        await decide_and_append(store, "spot-1", lambda h: [scanned()], then=record)
    assert len(await store.read_stream("spot-1")) == 1


async def test_inside_a_transaction_a_conflict_is_retried_in_a_savepoint(
    store: EventStore, engine: AsyncEngine, scanned: Any
) -> None:
    """An event handler's decision races a writer outside: the savepoint is rolled back and the
    decision is taken again on the winner's events, in the same outer transaction."""
    decisions: list[int] = []

    async with engine.connect() as conn:
        tx = await conn.begin()

        def decide(history: list[Any]) -> list[Any]:
            decisions.append(len(history))
            return [scanned(device=f"handler-after-{len(history)}")]

        # the other writer commits between our read and our append, once
        original_read = store.read_stream

        async def read_then_race(stream_id: str, **kw: Any) -> list[Any]:
            history = await original_read(stream_id, **kw)
            if len(decisions) == 0:
                await EventStore(engine).append(
                    stream_id, [scanned(device="racer")], expected_version=len(history)
                )
            return history

        store.read_stream = read_then_race  # type: ignore[method-assign]
        result = await decide_and_append(store, "spot-1", decide, conn=conn)
        await tx.commit()

    assert result is not None
    assert decisions == [0, 1]
    devices = [e.data["device_id"] for e in await original_read("spot-1")]
    assert devices == ["racer", "handler-after-1"]
