"""Idempotent projection consumers on a real broker and database: duplicates, poison records,
failing handlers, and rebuilding a projection from its topic."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import EventEnvelope
from convive.contracts.table_session import TableScanned
from convive.runtime.consumers import rebuild, subscribe_projection
from convive.runtime.eventstore import processed_events
from convive.runtime.projections import H_DLQ_CONSUMER, H_DLQ_ERROR, H_DLQ_ORIGIN, Projection
from convive.runtime.testkit import (
    before_sentinel,
    eventually,
    has_event,
    read_topic_until,
)

pytestmark = pytest.mark.infra


async def publish(producer: AIOKafkaProducer, topic: str, envelope: EventEnvelope) -> None:
    await producer.send_and_wait(
        topic, value=envelope.body(), key=envelope.key(), headers=envelope.headers()
    )


def sentinel_after(subject: str) -> EventEnvelope:
    """A scan of the spot "sentinel" on the stream `subject`: published after other records of
    that stream, it lands behind them on their partition, so once it is counted the consumer has
    handled every one of them. How a test proves that something did NOT happen, without a
    sleep."""
    return EventEnvelope.wrap(
        TableScanned(venue_id="venue-1", spot_id="sentinel", device_id="phone-1"), subject=subject
    )


async def poison_after(producer: AIOKafkaProducer, topic: str, subject: str) -> str:
    """A record that cannot be decoded, on the stream `subject` behind what was published there:
    it goes to the dead-letter topic (on the partition of the same key) behind every dead letter
    of that stream. Answers its event id, to find it there."""
    poison = sentinel_after(subject)
    await producer.send_and_wait(
        topic, value=b"{not json", key=poison.key(), headers=poison.headers()
    )
    return poison.id


async def _counts_has(scan_counts_of: Any, engine: AsyncEngine, *spots: str) -> bool:
    counts: dict[str, int] = await scan_counts_of(engine)
    return all(spot in counts for spot in spots)


@pytest.fixture
async def consume(
    kafka_bootstrap: str,
    engine: AsyncEngine,
    producer: AIOKafkaProducer,
    namespace: str,
    topics: dict[str, str],
) -> AsyncIterator[Any]:
    """Start a FastStream broker consuming into the given projection."""
    brokers: list[KafkaBroker] = []

    async def start(projection: Projection) -> None:
        broker = KafkaBroker(kafka_bootstrap)
        subscribe_projection(
            broker, engine, projection, producer, service="table-session", namespace=namespace
        )
        await broker.start()
        brokers.append(broker)

    yield start
    for broker in brokers:
        await broker.stop()


async def test_the_same_event_delivered_twice_changes_the_projection_once(
    consume: Any,
    producer: AIOKafkaProducer,
    topics: dict[str, str],
    engine: AsyncEngine,
    scanned: Any,
    scan_projection: Any,
    scan_counts_of: Any,
) -> None:
    await consume(scan_projection())
    twice = scanned(spot="t1")
    await publish(producer, topics["events"], twice)
    await publish(producer, topics["events"], twice)
    await publish(producer, topics["events"], scanned(spot="t1"))
    await publish(producer, topics["events"], scanned(spot="t2"))
    sentinel = sentinel_after("t1")  # behind the duplicate, on its partition
    await publish(producer, topics["events"], sentinel)

    await eventually(lambda: _counts_has(scan_counts_of, engine, "t2", "sentinel"))
    counts = await scan_counts_of(engine)
    assert counts.pop("sentinel") == 1
    assert counts == {"t1": 2, "t2": 1}
    async with engine.connect() as conn:
        outcomes = (
            (
                await conn.execute(
                    sa.select(processed_events.c.outcome).where(
                        processed_events.c.event_id != sentinel.id
                    )
                )
            )
            .scalars()
            .all()
        )
    assert sorted(outcomes) == ["applied"] * 3


async def test_a_poison_record_goes_to_the_dlq_and_the_next_one_is_processed(
    consume: Any,
    producer: AIOKafkaProducer,
    topics: dict[str, str],
    engine: AsyncEngine,
    kafka_bootstrap: str,
    scanned: Any,
    scan_projection: Any,
    scan_counts_of: Any,
) -> None:
    await consume(scan_projection())
    good = scanned(spot="after-poison")
    poison_headers = [(k, v) for k, v in good.headers() if k != "ce_id"]
    # same key, so the poison sits before the good record in the same partition
    await producer.send_and_wait(
        topics["events"], value=b"{not json", key=good.key(), headers=good.headers()
    )
    await producer.send_and_wait(
        topics["events"], value=good.body(), key=good.key(), headers=poison_headers
    )
    await publish(producer, topics["events"], good)
    sentinel = await poison_after(producer, topics["events"], good.subject)

    await eventually(lambda: _counts_has(scan_counts_of, engine, "after-poison"))
    dead = before_sentinel(
        await read_topic_until(kafka_bootstrap, topics["dlq"], has_event(sentinel)), sentinel
    )
    assert len(dead) == 2
    errors = [dict(r.headers)[H_DLQ_ERROR].decode() for r in dead]
    assert "body is not JSON" in errors[0]
    assert "missing header(s): ce_id" in errors[1]
    assert dead[0].value == b"{not json"
    assert dict(dead[0].headers)[H_DLQ_CONSUMER] == b"tests.scan_counts"
    assert dict(dead[0].headers)[H_DLQ_ORIGIN].decode().startswith(topics["events"] + "/")
    assert await scan_counts_of(engine) == {"after-poison": 1}


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_its_retries(
    consume: Any,
    producer: AIOKafkaProducer,
    topics: dict[str, str],
    engine: AsyncEngine,
    kafka_bootstrap: str,
    scanned: Any,
    scan_projection: Any,
    scan_counts_of: Any,
) -> None:
    await consume(scan_projection(fail_on_device="broken-phone"))
    bad = scanned(spot="s", device="broken-phone")
    await publish(producer, topics["events"], bad)
    await publish(producer, topics["events"], scanned(spot="s", device="fine-phone"))
    sentinel = await poison_after(producer, topics["events"], bad.subject)

    await eventually(lambda: _counts_has(scan_counts_of, engine, "s"))
    dead = before_sentinel(
        await read_topic_until(kafka_bootstrap, topics["dlq"], has_event(sentinel)), sentinel
    )
    assert len(dead) == 1
    headers = dict(dead[0].headers)
    assert headers["ce_id"].decode() == bad.id
    assert "RuntimeError: cannot handle device broken-phone" in headers[H_DLQ_ERROR].decode()
    assert await scan_counts_of(engine) == {"s": 1}
    async with engine.connect() as conn:
        outcome = await conn.scalar(
            sa.select(processed_events.c.outcome).where(processed_events.c.event_id == bad.id)
        )
    assert outcome == "dead_lettered"


async def test_a_projection_rebuilt_from_the_topic_equals_the_live_one(
    consume: Any,
    producer: AIOKafkaProducer,
    topics: dict[str, str],
    engine: AsyncEngine,
    kafka_bootstrap: str,
    namespace: str,
    scanned: Any,
    scan_projection: Any,
    scan_counts_of: Any,
) -> None:
    projection = scan_projection()
    await consume(projection)
    spots = [f"spot-{i % 7}" for i in range(60)]
    for spot in spots[:40]:
        await publish(producer, topics["events"], scanned(spot=spot))
    # About time itself: "as of" cuts the topic at a timestamp, which needs a clear second
    # between the records before it and those after it.
    await asyncio.sleep(1.1)
    between = datetime.now(UTC)
    await asyncio.sleep(1.1)
    for spot in spots[40:]:
        await publish(producer, topics["events"], scanned(spot=spot))

    async def all_counted() -> dict[str, int] | None:
        counts: dict[str, int] = await scan_counts_of(engine)
        return counts if sum(counts.values()) == 60 else None

    live = await eventually(all_counted)

    read = await rebuild(engine, projection, kafka_bootstrap, namespace=namespace)
    assert read == 60
    assert await scan_counts_of(engine) == live

    await rebuild(engine, projection, kafka_bootstrap, namespace=namespace, as_of=between)
    as_of = await scan_counts_of(engine)
    expected: dict[str, int] = {}
    for spot in spots[:40]:
        expected[spot] = expected.get(spot, 0) + 1
    assert as_of == expected


async def test_a_batch_whose_database_work_fails_is_redelivered_and_applied_once(
    consume: Any,
    producer: AIOKafkaProducer,
    topics: dict[str, str],
    engine: AsyncEngine,
    kafka_bootstrap: str,
    scanned: Any,
    scan_projection: Any,
    scan_counts_of: Any,
) -> None:
    """An infrastructure failure (the database connection lost mid-batch) is not the record's
    fault: the batch is rolled back, sought back, delivered again and applied once; nothing goes
    to the dead-letter topic."""
    projection = scan_projection()
    apply_scan = projection.handlers["TableScanned"]
    failures = {"left": 2}

    async def flaky(conn: Any, event: Any, envelope: EventEnvelope) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("select 1", {}, ConnectionResetError("connection lost"))
        await apply_scan(conn, event, envelope)

    projection.handlers["TableScanned"] = flaky
    await consume(projection)
    await publish(producer, topics["events"], scanned(spot="flaky"))

    # Behind it on its partition: a scan (counted once everything before it was handled) and a
    # record that cannot be decoded (dead-lettered, so the first dead letter would come before
    # it on the dead-letter topic's partition of the same key).
    sentinel = sentinel_after("flaky")
    await publish(producer, topics["events"], sentinel)
    poison = await poison_after(producer, topics["events"], "flaky")

    await eventually(lambda: _counts_has(scan_counts_of, engine, "flaky", "sentinel"))
    assert failures["left"] == 0
    counts = await scan_counts_of(engine)
    assert counts.pop("sentinel") == 1
    assert counts == {"flaky": 1}
    dead = await read_topic_until(kafka_bootstrap, topics["dlq"], has_event(poison))
    assert before_sentinel(dead, poison) == []
