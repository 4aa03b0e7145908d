"""The pytest plugin every test run loads (`-p convive.runtime.pytest_plugin`): fixtures with a
real PostgreSQL and a real Kafka (one of each per run), a schema and topic namespace per test,
and what every service's tests share (an engine on the service's schema, its event store, a
producer that publishes other services' events as their relays would). It also fails a run in
CI where a test skipped: a skip there hides a missing feature or a missing tool.

Helpers that tests call directly (wait for a condition, read a topic, serve an app) are in
`convive.runtime.testkit`. Every fixture is lazy: a test that asks for none of them starts
nothing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest
import pytest_asyncio

from convive import localinfra
from convive.contracts import Event, EventEnvelope, events_topic

CI_ENV = "CI"


# ============================================================================================
# In CI, a skipped test is a failed one
# ============================================================================================


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """With `CI` set, a test that skips (at set-up, in its body, or by a marker) fails instead,
    naming why it skipped: nothing passes in CI by not running."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get(CI_ENV) and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {reason}"


# ============================================================================================
# Real infrastructure: PostgreSQL and Kafka, one of each per test session
#
# Preference: the address in CONVIVE_DATABASE_URL / CONVIVE_KAFKA_BOOTSTRAP (nothing started),
# then testcontainers when a Docker daemon answers a ping, then local processes
# (convive.localinfra).
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


@contextlib.asynccontextmanager
async def temporary_schema(database_url: str, name: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL schema, dropped (CASCADE) on leaving: what `db_schema` is made of."""
    import asyncpg

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


@pytest_asyncio.fixture
async def db_schema(database_url: str, namespace: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL schema named after the namespace; dropped (CASCADE) after the test."""
    async with temporary_schema(database_url, namespace.rstrip("_")) as name:
        yield name


CreateTopics = Callable[..., Awaitable[list[str]]]


@pytest_asyncio.fixture
async def create_topics(kafka_bootstrap: str) -> AsyncIterator[CreateTopics]:
    """Factory: `await create_topics(["a", "b"], partitions=3)` creates topics kept forever
    (retention.ms=-1), waits until their metadata is visible, and deletes them after the test."""
    async with temporary_topics(kafka_bootstrap) as create:
        yield create


@contextlib.asynccontextmanager
async def temporary_topics(kafka_bootstrap: str) -> AsyncIterator[CreateTopics]:
    """A topic factory whose topics are deleted on leaving: what `create_topics` is made of."""
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


# ============================================================================================
# What every service's tests share: its schema through an engine of the test's own, its event
# store, and other services' events published as their relays would
# ============================================================================================


@pytest_asyncio.fixture
async def reader(database_url: str, db_schema: str) -> AsyncIterator[Any]:
    """An engine of the test's own on the service's schema, to look at what the service wrote
    (the app under test runs its own engine, possibly in another event loop)."""
    from convive.runtime import db

    engine = db.create_engine(database_url, db_schema, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
def store(reader: Any) -> Any:
    """The service's event store, for reading what it appended (it writes no read models)."""
    from convive.runtime.eventstore import EventStore

    return EventStore(reader)


@pytest.fixture
def stream_of(store: Any) -> Callable[[str], Awaitable[list[EventEnvelope]]]:
    """`await stream_of(stream_id)`: the events the service appended to one stream."""
    read: Callable[[str], Awaitable[list[EventEnvelope]]] = store.read_stream
    return read


@pytest.fixture
def event_count(reader: Any) -> Callable[[], Awaitable[int]]:
    """`await event_count()`: how many events the service's event store holds, all streams."""
    import sqlalchemy as sa

    from convive.runtime.eventstore import events

    async def count() -> int:
        async with reader.connect() as conn:
            return int(await conn.scalar(sa.select(sa.func.count()).select_from(events)) or 0)

    return count


@pytest_asyncio.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[Any]:
    """A Kafka producer configured as the services' relays are (acks=all, idempotent)."""
    from convive.runtime import kafka

    made = kafka.make_producer(kafka_bootstrap, "convive-tests")
    await made.start()
    try:
        yield made
    finally:
        await made.stop()


Publish = Callable[..., Awaitable[EventEnvelope]]


@pytest.fixture
def publish(producer: Any, namespace: str) -> Publish:
    """`await publish(event, subject=stream_id)` puts an event on its owner's topic in this
    test's namespace, exactly as that service's relay would (envelope keyword arguments, such as
    `correlation_id`, pass through); `await publish(envelope)` sends an envelope as it is.
    Answers the envelope sent."""

    async def send(
        event: Event | EventEnvelope, subject: str = "", **envelope: Any
    ) -> EventEnvelope:
        sent = (
            event
            if isinstance(event, EventEnvelope)
            else EventEnvelope.wrap(event, subject=subject, **envelope)
        )
        owner = sent.source.rsplit("/", 1)[-1]
        await producer.send_and_wait(
            events_topic(owner, namespace),
            value=sent.body(),
            key=sent.key(),
            headers=sent.headers(),
        )
        return sent

    return send
