"""The wiring every service process is built from: a Litestar app whose lifespan opens the
database, applies migrations, creates the topics, starts the outbox relay and the FastStream
broker with the service's projection subscribers, and serves `/health/*` and `/metrics`.

A service declares what it has in a `ServiceDefinition`; `create_service_app(definition,
settings)` gives the ASGI app, and `serve()` runs it with uvicorn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import uvicorn
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from litestar import Litestar, Response, get
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import dlq_topic, events_topic
from convive.runtime import db, kafka, migrations, telemetry
from convive.runtime.consumers import subscribe_projection
from convive.runtime.eventstore import EventStore
from convive.runtime.http_errors import EXCEPTION_HANDLERS
from convive.runtime.outbox import OutboxRelay
from convive.runtime.projections import Projection
from convive.runtime.settings import ServiceSettings

log = logging.getLogger(__name__)


@dataclass
class ServiceDefinition:
    """What a service is made of."""

    name: str
    route_handlers: Sequence[Any] = ()
    projections: Sequence[Projection] = ()
    """Every projection the service subscribes to (its `subscriptions.PROJECTIONS`)."""
    own_read_models: Projection | None = None
    """The projection of the service's own events (`projections/own.py`): the event store
    writes it in every append's transaction, and it is subscribed to the service's own topic
    like any other projection, so that its tables can be rebuilt from Kafka alone."""
    migrations: Path | None = None
    description: str = ""
    dependencies: dict[str, Callable[..., Any]] = field(default_factory=dict)
    stores_events: bool = True
    """False for a service with no event store of its own (the gateway): no database, no
    outbox, no broker."""
    lifespans: Sequence[Callable[[Litestar], AbstractAsyncContextManager[None]]] = ()
    """The service's own background work, entered after the runtime started (so
    `app.state.runtime` is ready) and left before it stops."""


class ServiceRuntime:
    """The running parts of one service process; started and stopped by the app's lifespan."""

    def __init__(self, definition: ServiceDefinition, settings: ServiceSettings) -> None:
        self.definition = definition
        self.settings = settings
        self.engine: AsyncEngine = db.create_engine(
            settings.database_url, settings.db_schema, pool_size=settings.db_pool_size
        )
        own = definition.own_read_models
        self.store = EventStore(self.engine, own_read_models=own.apply if own else None)
        self.topic = events_topic(definition.name, settings.topic_namespace)
        # Kafka clients bind to the running event loop: they are made in start().
        self.producer: AIOKafkaProducer | None = None
        self.relay: OutboxRelay | None = None
        self.broker: KafkaBroker | None = None

    def projections(self) -> list[Projection]:
        """What the service subscribes to, its own read models included (once)."""
        listed = list(self.definition.projections)
        own = self.definition.own_read_models
        if own is not None and own not in listed:
            listed.append(own)
        return listed

    def topics(self) -> list[str]:
        ns = self.settings.topic_namespace
        own = [self.topic, dlq_topic(self.definition.name, ns)]
        subscribed = [t for p in self.projections() for t in p.topics(ns)]
        return list(dict.fromkeys(own + subscribed))

    async def start(self) -> None:
        settings, definition = self.settings, self.definition
        if settings.migrate_on_start and definition.migrations is not None:
            await migrations.upgrade(self.engine, definition.migrations)
        if settings.create_topics:
            await kafka.ensure_topics(
                settings.kafka_bootstrap, self.topics(), partitions=settings.topic_partitions
            )
        client_id = f"convive-{definition.name}"
        self.producer = kafka.make_producer(settings.kafka_bootstrap, client_id)
        await self.producer.start()
        self.relay = OutboxRelay(
            self.engine, self.producer, self.topic, poll_interval=settings.outbox_poll_interval
        )
        self.store.on_commit(self.relay.wake)
        self.relay.start(listen_dsn=db.plain_dsn(settings.database_url))
        self.broker = KafkaBroker(
            settings.kafka_bootstrap,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            logger=logging.getLogger(f"convive.{definition.name}.broker"),
        )
        for projection in self.projections():
            subscribe_projection(
                self.broker,
                self.engine,
                projection,
                self.producer,
                service=definition.name,
                namespace=settings.topic_namespace,
                max_records=settings.consumer_max_records,
                batch_timeout_ms=settings.consumer_batch_timeout_ms,
                attempts=settings.consumer_attempts,
            )
        await self.broker.start()
        log.info("service started", extra={"topic": self.topic})

    async def stop(self) -> None:
        if self.broker is not None:
            await self.broker.stop()
        if self.relay is not None:
            await self.relay.stop()
        if self.producer is not None:
            await self.producer.stop()
        await self.engine.dispose()

    async def readiness(self) -> dict[str, str]:
        """Each dependency with "ok" or what is wrong."""
        checks: dict[str, str] = {}
        try:
            async with asyncio.timeout(3):
                async with self.engine.connect() as conn:
                    await conn.execute(sa.text("select 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {exc.__class__.__name__}"
        if self.definition.migrations is not None and checks["database"] == "ok":
            try:
                at_head = await migrations.is_at_head(self.engine, self.definition.migrations)
                checks["migrations"] = "ok" if at_head else "not applied"
            except Exception as exc:
                checks["migrations"] = f"unknown: {exc.__class__.__name__}"
        try:
            reachable = self.broker is not None and await self.broker.ping(timeout=3)
            checks["broker"] = "ok" if reachable else "unreachable"
        except Exception as exc:
            checks["broker"] = f"unreachable: {exc.__class__.__name__}"
        return checks


def create_service_app(definition: ServiceDefinition, settings: ServiceSettings) -> Litestar:
    """The Litestar app of one service, with its runtime in the lifespan."""
    runtime = ServiceRuntime(definition, settings) if definition.stores_events else None

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if runtime is None:
            yield
            return
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    @get("/health/live", include_in_schema=False, sync_to_thread=False)
    def live() -> dict[str, str]:
        return {"status": "ok"}

    @get("/health/ready", include_in_schema=False)
    async def ready() -> Response[dict[str, Any]]:
        checks = await runtime.readiness() if runtime is not None else {}
        ok = all(v == "ok" for v in checks.values())
        return Response(
            {"status": "ok" if ok else "unavailable", "checks": checks},
            status_code=HTTP_200_OK if ok else HTTP_503_SERVICE_UNAVAILABLE,
        )

    @get("/metrics", include_in_schema=False, sync_to_thread=False)
    def metrics() -> Response[bytes]:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    dependencies: dict[str, Provide] = {
        "settings": Provide(lambda: settings, sync_to_thread=False),
    }
    if runtime is not None:
        dependencies["store"] = Provide(lambda: runtime.store, sync_to_thread=False)
        dependencies["engine"] = Provide(lambda: runtime.engine, sync_to_thread=False)
        dependencies["runtime"] = Provide(lambda: runtime, sync_to_thread=False)
    for name, factory in definition.dependencies.items():
        dependencies[name] = Provide(factory, sync_to_thread=False)

    app = Litestar(
        route_handlers=[live, ready, metrics, *definition.route_handlers],
        lifespan=[lifespan, *definition.lifespans],
        dependencies=dependencies,
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        logging_config=None,  # serve() sets JSON logs for the whole process
        openapi_config=OpenAPIConfig(
            title=f"Convive {definition.name}",
            version="0.1.0",
            description=definition.description,
            path="/schema",
        ),
    )
    app.state.runtime = runtime
    return app


def serve(app_factory: Callable[[], Litestar], settings: ServiceSettings) -> None:
    """Run a service with uvicorn, JSON logs, on the configured host and port."""
    telemetry.configure_logging(settings.log_level, service=settings.service)
    uvicorn.run(
        app_factory(),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace)),
    )
