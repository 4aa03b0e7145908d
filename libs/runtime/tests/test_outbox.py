"""The outbox relay against real PostgreSQL and Kafka: what reaches the topic, and what a crash
between commit and publish does."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import EventEnvelope
from convive.contracts.envelope import REQUIRED_HEADERS
from convive.contracts.schemas import SCHEMA_DIR
from convive.contracts.table_session import TableScanned
from convive.runtime.eventstore import NO_STREAM, EventStore, outbox, outbox_channel
from convive.runtime.outbox import OutboxRelay
from convive.runtime.testkit import (
    DEADLINE,
    before_sentinel,
    eventually,
    has_event,
    read_topic_until,
)

pytestmark = pytest.mark.infra


async def published_before_sentinel(
    producer: AIOKafkaProducer, bootstrap: str, topic: str, key: str
) -> list[Any]:
    """Every record on the partition of `key` up to now (earlier sentinels left out): a sentinel
    event published with that key lands behind them, so once it is read nothing published
    before it is still missing (this proves "published once" or "not published", without
    waiting on a clock)."""
    sentinel = EventEnvelope.wrap(
        TableScanned(venue_id="v", spot_id=SENTINEL, device_id=SENTINEL), subject=key
    )
    await producer.send_and_wait(
        topic, value=sentinel.body(), key=sentinel.key(), headers=sentinel.headers()
    )
    records = await read_topic_until(bootstrap, topic, has_event(sentinel.id))
    return [
        r
        for r in before_sentinel(records, sentinel.id)
        if EventEnvelope.from_kafka(r.headers, r.value).data.get("device_id") != SENTINEL
    ]


SENTINEL = "sentinel"


async def test_an_appended_event_reaches_its_topic_with_cloudevents_headers(
    store: EventStore,
    engine: AsyncEngine,
    producer: AIOKafkaProducer,
    topics: dict[str, str],
    kafka_bootstrap: str,
    scanned: Any,
) -> None:
    relay = OutboxRelay(engine, producer, topics["events"], poll_interval=0.5)
    store.on_commit(relay.wake)
    relay.start()
    try:
        first = scanned(device="a")
        second = scanned(device="b").__class__(**{**scanned(device="b").__dict__, **first.caused()})
        await store.append("spot-1", [first, second], expected_version=NO_STREAM)
        await read_topic_until(kafka_bootstrap, topics["events"], has_event(second.id))

        async def outbox_emptied() -> bool:
            # Kafka may show a record before the relay has its acknowledgement and clears
            # the row: the relay is stopped only once it has.
            async with engine.connect() as conn:
                return await conn.scalar(sa.select(sa.func.count()).select_from(outbox)) == 0

        await eventually(outbox_emptied)
    finally:
        await relay.stop()
    records = await published_before_sentinel(producer, kafka_bootstrap, topics["events"], "spot-1")

    assert len(records) == 2
    schema = json.loads((SCHEMA_DIR / "table-session" / "TableScanned.v1.json").read_text())
    for record, sent, version in zip(records, [first, second], [1, 2], strict=True):
        headers = {k: v.decode() for k, v in record.headers}
        for name in REQUIRED_HEADERS:
            assert headers.get(name), f"missing {name}"
        assert headers["ce_specversion"] == "1.0"
        assert headers["ce_id"] == sent.id
        assert headers["ce_type"] == "TableScanned"
        assert headers["ce_source"] == "/convive/table-session"
        assert headers["ce_subject"] == "spot-1"
        assert headers["content-type"] == "application/json"
        assert headers["convive_schema_version"] == "1"
        assert headers["convive_stream_version"] == str(version)
        assert record.key == b"spot-1"
        body = json.loads(record.value)
        jsonschema.Draft202012Validator(schema).validate(body)
        assert EventEnvelope.from_kafka(record.headers, record.value) == sent.with_stream_version(
            version
        )
    # the second event was caused by the first, in the same conversation
    h2 = {k: v.decode() for k, v in records[1].headers}
    assert h2["causation_id"] == first.id
    assert h2["correlation_id"] == first.correlation_id
    async with engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(outbox)) == 0


async def test_notify_wakes_the_relay_for_appends_in_another_process(
    store: EventStore,
    engine: AsyncEngine,
    producer: AIOKafkaProducer,
    topics: dict[str, str],
    kafka_bootstrap: str,
    database_url: str,
    scanned: Any,
) -> None:
    """A relay that is not told in-process (and polls only once a minute) still publishes at
    once, woken by PostgreSQL NOTIFY from the committing transaction."""
    from convive.runtime.db import plain_dsn

    # Its poll is far beyond the deadline: only NOTIFY can make it publish in time.
    relay = OutboxRelay(engine, producer, topics["events"], poll_interval=10 * DEADLINE)
    relay.start(listen_dsn=plain_dsn(database_url))
    try:
        await eventually(lambda: _listening(engine, outbox_channel(relay.schema)))
        other_writer = EventStore(engine)  # no on_commit hook: like another process
        appended = scanned(spot="spot-9")
        await other_writer.append("spot-9", [appended], expected_version=NO_STREAM)
        await read_topic_until(kafka_bootstrap, topics["events"], has_event(appended.id))
    finally:
        await relay.stop()
    records = await published_before_sentinel(producer, kafka_bootstrap, topics["events"], "spot-9")
    assert [r.key for r in records] == [b"spot-9"]


async def _listening(engine: AsyncEngine, channel: str) -> bool:
    """True once a PostgreSQL session LISTENs on the channel (its last statement says so)."""
    async with engine.connect() as conn:
        found = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(sa.text("pg_stat_activity"))
            .where(sa.text("query ilike :listen").bindparams(listen=f'LISTEN "{channel}"%'))
        )
    return bool(found)


async def test_sigkill_after_commit_before_publish_publishes_once_after_restart(
    engine: AsyncEngine,
    producer: AIOKafkaProducer,
    topics: dict[str, str],
    kafka_bootstrap: str,
    database_url: str,
    db_schema: str,
) -> None:
    script = Path(__file__).with_name("kill_after_commit.py")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        database_url,
        db_schema,
        kafka_bootstrap,
        topics["events"],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == -9, err.decode()
    event_id = out.decode().strip()
    assert event_id, err.decode()

    # committed, not published
    async with engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(outbox)) == 1
    assert (
        await published_before_sentinel(producer, kafka_bootstrap, topics["events"], "spot-k") == []
    )

    # "restart": a new relay publishes it, once
    relay = OutboxRelay(engine, producer, topics["events"])
    assert await relay.drain() == 1
    assert await relay.drain() == 0
    records = await published_before_sentinel(producer, kafka_bootstrap, topics["events"], "spot-k")
    assert [dict(r.headers)["ce_id"].decode() for r in records] == [event_id]


async def test_relay_keeps_events_while_kafka_refuses_and_publishes_them_later(
    store: EventStore,
    engine: AsyncEngine,
    producer: AIOKafkaProducer,
    topics: dict[str, str],
    kafka_bootstrap: str,
    namespace: str,
    create_topics: Any,
    scanned: Any,
) -> None:
    """Publishing to a topic that does not exist yet fails; nothing leaves the outbox until the
    topic exists, then everything is published once."""
    missing_topic = f"{namespace}late.events"
    relay = OutboxRelay(engine, producer, missing_topic, poll_interval=0.2)
    await store.append("spot-1", [scanned()], expected_version=NO_STREAM)
    with pytest.raises(Exception):  # noqa: B017, PT011 (aiokafka raises its own timeout types)
        await asyncio.wait_for(relay.drain(), timeout=3)
    async with engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(outbox)) == 1

    await create_topics([missing_topic])
    relay.start()
    try:

        async def outbox_empty() -> bool:
            async with engine.connect() as conn:
                return await conn.scalar(sa.select(sa.func.count()).select_from(outbox)) == 0

        await eventually(outbox_empty, within=30)
    finally:
        await relay.stop()
    records = await published_before_sentinel(producer, kafka_bootstrap, missing_topic, "spot-1")
    assert len(records) == 1
