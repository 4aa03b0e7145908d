"""Pytest plugin with real PostgreSQL and Kafka for integration tests (loaded with -p).

Every fixture is lazy: a test that asks for none of them starts nothing.
"""

from __future__ import annotations

import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest
import pytest_asyncio

from convive.runtime import localinfra

# ============================================================================================
# Real infrastructure: PostgreSQL and Kafka, one of each per test session
#
# Preference: the address in CONVIVE_DATABASE_URL / CONVIVE_KAFKA_BOOTSTRAP (nothing started),
# then testcontainers when a Docker daemon answers a ping, then local processes
# (convive.runtime.localinfra).
# ============================================================================================

POSTGRES_IMAGE_ENV = "CONVIVE_TEST_POSTGRES_IMAGE"
KAFKA_IMAGE_ENV = "CONVIVE_TEST_KAFKA_IMAGE"
_DEFAULT_POSTGRES_IMAGE = "postgres:15-alpine"
_DEFAULT_KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0"

_docker_answer: bool | None = None


def docker_available() -> bool:
    """True when a Docker daemon answers a ping (the client alone is not enough)."""
    global _docker_answer
    if _docker_answer is None:
        try:
            import docker  # type: ignore[import-untyped]

            client = docker.from_env(timeout=3)
            try:
                _docker_answer = bool(client.ping())
            finally:
                client.close()
        except Exception:
            _docker_answer = False
    return _docker_answer


def _postgres_container() -> Iterator[str]:
    from testcontainers.community.postgres import PostgresContainer

    image = os.environ.get(POSTGRES_IMAGE_ENV, _DEFAULT_POSTGRES_IMAGE)
    container = PostgresContainer(
        image,
        username="convive",
        password=secrets.token_hex(12),
        dbname="convive",
        driver="asyncpg",
    )
    container.with_command("postgres -c max_connections=200 -c fsync=off")
    with container:
        yield container.get_connection_url()


def _kafka_container() -> Iterator[str]:
    from testcontainers.community.kafka import KafkaContainer

    image = os.environ.get(KAFKA_IMAGE_ENV, _DEFAULT_KAFKA_IMAGE)
    container = KafkaContainer(image).with_kraft()
    for key, value in {
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
        "KAFKA_NUM_PARTITIONS": "3",
    }.items():
        container.with_env(key, value)
    with container:
        yield container.get_bootstrap_server()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """SQLAlchemy async URL (postgresql+asyncpg://…) of a real PostgreSQL for the session."""
    configured = os.environ.get(localinfra.DATABASE_URL_ENV)
    if configured:
        yield localinfra.url_from_dsn(configured)
    elif docker_available():
        yield from _postgres_container()
    else:
        with localinfra.start_postgres() as server:
            yield server.url


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap address (host:port) of a real Kafka broker for the session."""
    configured = os.environ.get(localinfra.KAFKA_BOOTSTRAP_ENV)
    if configured:
        yield configured
    elif docker_available():
        yield from _kafka_container()
    else:
        with localinfra.start_kafka() as server:
            yield server.bootstrap


# ============================================================================================
# Per-test isolation: a namespace, a PostgreSQL schema, Kafka topics
# ============================================================================================


@pytest.fixture
def namespace() -> str:
    """A short unique prefix such as 't3f9a1c_' for this test's topics, schemas and ids."""
    return f"t{uuid.uuid4().hex[:6]}_"


@pytest_asyncio.fixture
async def db_schema(database_url: str, namespace: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL schema named after the namespace; dropped (CASCADE) after the test."""
    import asyncpg

    name = namespace.rstrip("_")
    dsn = localinfra.dsn_from_url(database_url)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'create schema "{name}"')
    finally:
        await conn.close()
    try:
        yield name
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'drop schema if exists "{name}" cascade')
        finally:
            await conn.close()


CreateTopics = Callable[..., Awaitable[list[str]]]


@pytest_asyncio.fixture
async def create_topics(kafka_bootstrap: str) -> AsyncIterator[CreateTopics]:
    """Factory: `await create_topics(["a", "b"], partitions=3)` creates topics kept forever
    (retention.ms=-1), waits until their metadata is visible, and deletes them after the test."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap, request_timeout_ms=30000)
    await admin.start()
    created: list[str] = []

    async def create(
        names: Sequence[str],
        partitions: int = 3,
        *,
        config: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
    ) -> list[str]:
        topic_config = {"retention.ms": "-1", **(config or {})}
        topics = [
            NewTopic(
                name=name,
                num_partitions=partitions,
                replication_factor=1,
                topic_configs=topic_config,
            )
            for name in names
        ]
        response = await admin.create_topics(topics, timeout_ms=int(timeout_s * 1000))
        errors = [
            (topic, code, message)
            for topic, code, message, *_ in _topic_errors(response)
            if code != 0
        ]
        if errors:
            raise RuntimeError(f"creating topics failed: {errors}")
        created.extend(names)
        deadline = time.monotonic() + timeout_s
        await _wait_for_topics(admin, list(names), partitions, deadline=deadline)
        return list(names)

    try:
        yield create
    finally:
        try:
            if created:
                await admin.delete_topics(created, timeout_ms=30000)
        finally:
            await admin.close()


def _topic_errors(response: Any) -> list[tuple[Any, ...]]:
    """(name, error_code, error_message, …) rows of a CreateTopics response (any version)."""
    return [tuple(row) for row in response.topic_errors]


async def _wait_for_topics(
    admin: Any, names: list[str], partitions: int, *, deadline: float
) -> None:
    import asyncio

    while True:
        described = await admin.describe_topics(names)
        ready = [
            topic
            for topic in described
            if topic.get("error_code", 0) == 0
            and len(topic.get("partitions", [])) == partitions
            and all(p.get("leader", -1) >= 0 for p in topic["partitions"])
        ]
        if len(ready) == len(names):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics not visible in time: {described}")
        await asyncio.sleep(0.05)


# ============================================================================================
# A service under test: its own schema and topic namespace
# ============================================================================================


@pytest_asyncio.fixture
async def service_settings(
    database_url: str, kafka_bootstrap: str, db_schema: str, namespace: str
) -> AsyncIterator[dict[str, Any]]:
    """Keyword arguments for a service's Settings: the real servers, a fresh schema and a topic
    namespace of this test's own. The topics the service created are deleted afterwards."""
    from aiokafka.admin import AIOKafkaAdminClient

    yield {
        "database_url": database_url,
        "kafka_bootstrap": kafka_bootstrap,
        "db_schema": db_schema,
        "topic_namespace": namespace,
        "outbox_poll_interval": 1.0,
    }
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(namespace)]
        if mine:
            await admin.delete_topics(mine, timeout_ms=30000)
    finally:
        await admin.close()
