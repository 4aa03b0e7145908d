"""Tests of the real local PostgreSQL and Kafka servers and of the pytest fixtures around them."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from convive import localinfra
from convive.runtime.pytest_plugin import CreateTopics, temporary_schema, temporary_topics

# --------------------------------------------------------------------------------------------
# Pure helpers (no server)
# --------------------------------------------------------------------------------------------


def test_url_and_dsn_conversions() -> None:
    url = "postgresql+asyncpg://u:p@127.0.0.1:5432/convive"
    assert localinfra.dsn_from_url(url) == "postgresql://u:p@127.0.0.1:5432/convive"
    assert localinfra.url_from_dsn("postgres://u:p@h:1/d") == "postgresql+asyncpg://u:p@h:1/d"
    assert localinfra.url_from_dsn(url) == url


def test_env_addresses_start_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(localinfra.DATABASE_URL_ENV, "postgresql://u:p@db.example:5432/x")
    monkeypatch.setenv(localinfra.KAFKA_BOOTSTRAP_ENV, "broker.example:9092")
    with localinfra.postgres_from_env_or_start() as pg:
        assert pg.url == "postgresql+asyncpg://u:p@db.example:5432/x"
        assert pg.dsn == "postgresql://u:p@db.example:5432/x"
    with localinfra.kafka_from_env_or_start() as kafka:
        assert kafka.bootstrap == "broker.example:9092"


def test_repo_root_and_free_port() -> None:
    root = localinfra.repo_root()
    assert (root / "deploy" / "local" / "pom.xml").is_file()
    assert 0 < localinfra.free_port() < 65536


def test_namespace_is_short_and_unique(namespace: str) -> None:
    assert namespace.startswith("t")
    assert namespace.endswith("_")
    assert len(namespace) == 8


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


@pytest.mark.infra
async def test_postgres_answers(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("select 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
    conn2 = await asyncpg.connect(localinfra.dsn_from_url(database_url))
    try:
        assert await conn2.fetchval("select current_database()") == "convive"
    finally:
        await conn2.close()


async def _schema_exists(database_url: str, name: str) -> bool:
    conn = await asyncpg.connect(localinfra.dsn_from_url(database_url))
    try:
        found = await conn.fetchval(
            "select count(*) from information_schema.schemata where schema_name = $1", name
        )
    finally:
        await conn.close()
    return bool(found)


@pytest.mark.infra
async def test_db_schema_is_created(database_url: str, db_schema: str, namespace: str) -> None:
    assert db_schema == namespace.rstrip("_")
    assert await _schema_exists(database_url, db_schema)


@pytest.mark.infra
async def test_a_temporary_schema_is_dropped_on_leaving(database_url: str, namespace: str) -> None:
    async with temporary_schema(database_url, f"{namespace}gone") as name:
        assert await _schema_exists(database_url, name)
    assert not await _schema_exists(database_url, name)


# --------------------------------------------------------------------------------------------
# Kafka
# --------------------------------------------------------------------------------------------


@pytest.mark.infra
async def test_create_topics_keeps_records_forever_and_round_trips(
    kafka_bootstrap: str, create_topics: CreateTopics, namespace: str
) -> None:
    topic = f"{namespace}roundtrip"
    assert await create_topics([topic], partitions=3) == [topic]

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, configs=None)]
        )
        configs = {entry[0]: entry[1] for resource in response.resources for entry in resource[4]}
        assert configs["retention.ms"] == "-1"
        [described] = await admin.describe_topics([topic])
        assert len(described["partitions"]) == 3
    finally:
        await admin.close()

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"hello", key=b"stream-1")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"{namespace}group",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()
    assert (record.key, record.value) == (b"stream-1", b"hello")


@pytest.mark.infra
async def test_temporary_topics_are_deleted_on_leaving(
    kafka_bootstrap: str, namespace: str
) -> None:
    topic = f"{namespace}gone"
    async with temporary_topics(kafka_bootstrap) as create:
        await create([topic], partitions=1)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        for _ in range(100):
            if topic not in await admin.list_topics():
                return
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
    pytest.fail(f"topic {topic} still exists")


# --------------------------------------------------------------------------------------------
# start/stop leave nothing behind
# --------------------------------------------------------------------------------------------


def _processes_using(path: Path) -> list[int]:
    """Pids whose command line mentions path (our servers carry their data dir in it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if str(path).encode() in cmdline:
            found.append(int(entry.name))
    return found


def _children(pid: int) -> list[int]:
    """Live (not zombie) processes whose parent is pid."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.infra
def test_start_postgres_then_stop_leaves_no_process() -> None:
    server = localinfra.start_postgres()
    pid, root = server.pid, server.root
    assert server.running()
    assert _processes_using(root)
    children = _children(pid)  # the postmaster's background processes
    assert children
    server.stop()
    assert _gone(pid)
    assert all(_gone(child) for child in children)
    assert not _processes_using(root)
    assert not root.exists()


@pytest.mark.infra
def test_start_kafka_then_stop_leaves_no_process() -> None:
    server = localinfra.start_kafka()
    pid, root = server.pid, server.root
    assert server.running()
    assert (root / "logs" / "server.log").stat().st_size > 0
    server.stop()
    assert _gone(pid)
    assert not _processes_using(root)
    assert not root.exists()
