"""Helpers that tests call directly (the fixtures are in `convive.runtime.pytest_plugin`): wait for
an eventually consistent condition with the one deadline every test shares, read a topic back
with a plain consumer (up to a sentinel record, to prove that something was NOT published),
serve an app for real, check that a service boots, and check that its projections equal a
rebuild from the topics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer

DEADLINE = 60.0
"""Seconds a test waits for an eventually consistent outcome (an event crossing services, a
projection catching up, a page updated live) before it fails: the one live deadline of every
end-to-end test, and `eventually`'s default. Generous for a loaded two-core machine: it costs
nothing when things work (the wait ends as soon as the outcome is there) and only delays the
report of a real failure. Never a sleep: to prove that something did NOT happen, make a later
thing happen on the same path (a sentinel) and wait for that instead."""


@contextlib.asynccontextmanager
async def _reading(bootstrap: str, topics: Sequence[str]) -> AsyncIterator[AIOKafkaConsumer]:
    """A plain consumer (no group) of the topics, from their beginning."""
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def _read_more(consumer: AIOKafkaConsumer, records: list[Any]) -> None:
    batch = await consumer.getmany(timeout_ms=200)
    for rs in batch.values():
        records.extend(rs)


async def read_topic(bootstrap: str, topic: str, *, expect: int, within: float = 20.0) -> list[Any]:
    """Read a topic from the beginning with a plain consumer until `expect` records came,
    then a little longer to catch any extra (duplicate) record. (To prove that no extra record
    comes, `read_topic_until` a sentinel is the sure way.)"""
    records: list[Any] = []
    async with _reading(bootstrap, [topic]) as consumer:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline and len(records) < expect:
            await _read_more(consumer, records)
        settle = loop.time() + 1.0
        while loop.time() < settle:
            await _read_more(consumer, records)
    return records


async def eventually(check: Callable[[], Any], *, within: float = DEADLINE) -> Any:
    """Poll an async check until it returns a truthy value or the deadline passes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    last: Any = None
    while loop.time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"condition not met within {within}s (last: {last!r})")


async def read_topic_until(
    bootstrap: str,
    topic: str | Sequence[str],
    until: Callable[[list[Any]], bool],
    *,
    within: float = DEADLINE,
) -> list[Any]:
    """Read a topic (or several) from the beginning with a plain consumer until `until(records)`
    holds (for example: a sentinel record arrived), and no longer. With `before_sentinel` this
    proves an absence without waiting on a clock: a record published before the sentinel on the
    same partition is read before it."""
    topics = [topic] if isinstance(topic, str) else list(topic)
    records: list[Any] = []
    async with _reading(bootstrap, topics) as consumer:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not until(records):
            if loop.time() > deadline:
                raise AssertionError(
                    f"{topics}: the awaited record did not come within {within}s "
                    f"({len(records)} records read)"
                )
            await _read_more(consumer, records)
    return records


def event_id_of(record: Any) -> str:
    """The event id (CloudEvents `ce_id` header) of a Kafka record; "" when it has none."""
    for key, value in record.headers or ():
        if key == "ce_id":
            return bytes(value).decode()
    return ""


def has_event(event_id: str) -> Callable[[list[Any]], bool]:
    """For `read_topic_until`: true once the record of that event id was read."""
    return lambda records: any(event_id_of(r) == event_id for r in records)


def before_sentinel(records: Sequence[Any], sentinel_id: str) -> list[Any]:
    """The records published before the sentinel event on its partition, in offset order: what
    a consumer of that partition had to handle before it handled the sentinel."""
    sentinel = next(r for r in records if event_id_of(r) == sentinel_id)
    return sorted(
        (r for r in records if r.partition == sentinel.partition and r.offset < sentinel.offset),
        key=lambda r: r.offset,
    )


async def check_service_boots(app: Any) -> None:
    """Start a service app with its lifespan and check what every service must answer:
    live, ready (database, migrations and broker all "ok"), metrics and its OpenAPI schema."""
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app) as client:
        live = await client.get("/health/live")
        assert live.status_code == 200, live.text
        ready = await client.get("/health/ready")
        assert ready.status_code == 200, ready.text
        checks = ready.json()["checks"]
        assert all(value == "ok" for value in checks.values()), checks
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert "text/plain" in metrics.headers["content-type"]
        schema = await client.get("/schema/openapi.json")
        assert schema.status_code == 200, schema.text
        assert schema.json()["info"]["title"].startswith("Convive ")


@contextlib.asynccontextmanager
async def served(app: Any, *, start_within: float = 60.0) -> AsyncIterator[str]:
    """Serve an ASGI app for real with uvicorn on a free loopback port of this event loop;
    yields its base URL. For what Litestar's AsyncTestClient cannot show: requests that truly
    run at once, streaming responses, a third party calling back over HTTP."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + start_within
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the server stopped before it started")
        if loop.time() > deadline:
            raise TimeoutError("the server did not start")
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


async def assert_projections_rebuild(
    definition: Any,
    settings: Any,
    *,
    only: Sequence[str] = (),
    ignore: Mapping[str, Iterable[str]] | None = None,
    may_be_empty: Sequence[str] = (),
    within: float = 60.0,
) -> None:
    """Check that every projection of a service (its `ServiceDefinition`, own read models
    included, subscriptions without tables left out; or those named in `only`) equals a rebuild
    of it from the topics: once the service
    has published what it appended and its projections caught up, each is replayed into a shadow
    schema and its tables compared row by row with the live ones. A projection whose tables are
    all empty proves nothing and fails, unless it is named in `may_be_empty`. `ignore` leaves
    columns out of the comparison, by table name (say why where you use it)."""
    from convive.runtime import db
    from convive.runtime.rebuild import rebuild_in_shadow, rows_of, wait_until_settled

    projections = list(definition.projections)
    own = definition.own_read_models
    if own is not None and own not in projections:
        projections.append(own)
    # A subscription with no tables only issues commands: it is no read model, and replaying it
    # into a shadow schema would run its commands there.
    projections = [p for p in projections if p.tables]
    if only:
        projections = [p for p in projections if p.name in only]
        assert {p.name for p in projections} == set(only), f"unknown projections in {only}"
    namespace = settings.topic_namespace
    live = db.create_engine(settings.database_url, settings.db_schema, pool_size=2)
    shadow_schema = f"{settings.db_schema}_rebuilt"[:63]
    shadow = db.create_engine(settings.database_url, shadow_schema, pool_size=2)
    try:
        await wait_until_settled(
            live, projections, settings.kafka_bootstrap, namespace=namespace, within=within
        )
        for projection in projections:
            if projection.name in may_be_empty:
                continue
            counts = [len(await rows_of(live, t)) for t in projection.tables]
            assert any(counts), f"{projection.name}: every table is empty, nothing to compare"
        compared = await rebuild_in_shadow(
            live,
            shadow,
            projections,
            settings.kafka_bootstrap,
            migrations_path=definition.migrations,
            namespace=namespace,
            ignore=ignore,
        )
    finally:
        async with shadow.begin() as conn:
            await conn.exec_driver_sql(f'drop schema if exists "{shadow_schema}" cascade')
        await shadow.dispose()
        await live.dispose()
    failed = {c.projection: c.differences for c in compared if not c.equal}
    assert not failed, f"projections that differ from their rebuild: {failed}"
