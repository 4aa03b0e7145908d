"""Helpers for tests that drive the platform through Kafka: read a topic back with a plain
consumer, and wait for an eventually consistent condition with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer


async def read_topic(bootstrap: str, topic: str, *, expect: int, within: float = 20.0) -> list[Any]:
    """Read a topic from the beginning with a plain consumer until `expect` records came,
    then a little longer to catch any extra (duplicate) record."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    records: list[Any] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline and len(records) < expect:
            batch = await consumer.getmany(timeout_ms=200)
            for rs in batch.values():
                records.extend(rs)
        settle = loop.time() + 1.0
        while loop.time() < settle:
            batch = await consumer.getmany(timeout_ms=200)
            for rs in batch.values():
                records.extend(rs)
    finally:
        await consumer.stop()
    return records


async def eventually(check: Callable[[], Any], *, within: float = 20.0) -> Any:
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
