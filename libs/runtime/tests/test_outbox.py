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
from convive.runtime.eventstore import NO_STREAM, EventStore, outbox
from convive.runtime.outbox import OutboxRelay
from convive.runtime.testkit import eventually, read_topic

pytestmark = pytest.mark.infra


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
        records = await read_topic(kafka_bootstrap, topics["events"], expect=2)
    finally:
        await relay.stop()

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

    relay = OutboxRelay(engine, producer, topics["events"], poll_interval=60)
    relay.start(listen_dsn=plain_dsn(database_url))
    try:
        await asyncio.sleep(0.5)  # first drain done, now waiting on NOTIFY
        other_writer = EventStore(engine)  # no on_commit hook: like another process
        await other_writer.append("spot-9", [scanned(spot="spot-9")], expected_version=NO_STREAM)
        records = await read_topic(kafka_bootstrap, topics["events"], expect=1, within=10)
    finally:
        await relay.stop()
    assert [r.key for r in records] == [b"spot-9"]


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
    assert await read_topic(kafka_bootstrap, topics["events"], expect=1, within=1) == []

    # "restart": a new relay publishes it, once
    relay = OutboxRelay(engine, producer, topics["events"])
    assert await relay.drain() == 1
    assert await relay.drain() == 0
    records = await read_topic(kafka_bootstrap, topics["events"], expect=2, within=3)
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
    records = await read_topic(kafka_bootstrap, missing_topic, expect=2, within=3)
    assert len(records) == 1
