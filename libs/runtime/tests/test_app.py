"""A sample service built with the runtime's wiring, driven over HTTP: a command appends an
event, the relay publishes it, the service's own subscriber projects it; health and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from litestar.testing import AsyncTestClient
from pydantic import BaseModel, Field

from convive.contracts import EventEnvelope
from convive.contracts.table_session import TableScanned
from convive.runtime.app import ServiceDefinition, create_service_app
from convive.runtime.domain import DomainError, TooManyAttempts
from convive.runtime.eventstore import EventStore, decide_and_append
from convive.runtime.settings import ServiceSettings
from convive.runtime.testkit import assert_projections_rebuild, check_service_boots, eventually

pytestmark = pytest.mark.infra

MIGRATIONS = Path(__file__).with_name("sample_migrations")


class SampleSettings(ServiceSettings):
    service = "table-session"


class Scan(BaseModel):
    spot_id: str = Field(min_length=1)
    device_id: str = Field(min_length=1)


@post("/scans")
async def scan(data: JSONBody[Scan], store: NamedDependency[EventStore]) -> dict[str, Any]:
    if data.spot_id == "closed":
        raise DomainError("spot 'closed' takes no scans", field="spot_id")
    if data.spot_id == "busy":
        raise TooManyAttempts("too many scans: wait a minute", retry_after=60, field="spot_id")

    def decide(history: list[EventEnvelope]) -> list[EventEnvelope]:
        event = TableScanned(venue_id="v1", spot_id=data.spot_id, device_id=data.device_id)
        return [EventEnvelope.wrap(event, subject=data.spot_id)]

    result = await decide_and_append(store, data.spot_id, decide)
    assert result is not None
    return {"version": result.version, "event_ids": list(result.event_ids)}


@get("/scans")
async def list_scans(spot_id: FromQuery[str], store: NamedDependency[EventStore]) -> list[str]:
    return [e.id for e in await store.read_stream(spot_id)]


def sample_app(settings: dict[str, Any], scan_projection: Any, **overrides: Any) -> Any:
    definition = ServiceDefinition(
        name="table-session",
        route_handlers=[scan, list_scans],
        projections=[scan_projection()],
        migrations=MIGRATIONS,
    )
    return create_service_app(definition, SampleSettings(**{**settings, **overrides}))


async def test_a_command_travels_through_kafka_into_the_services_projection(
    service_settings: dict[str, Any], scan_projection: Any, scan_counts_of: Any, reader: Any
) -> None:
    app = sample_app(service_settings, scan_projection)
    async with AsyncTestClient(app=app) as client:
        for device in ("a", "b"):
            response = await client.post("/scans", json={"spot_id": "t7", "device_id": device})
            assert response.status_code == 201, response.text
        assert response.json()["version"] == 2

        counts = await eventually(lambda: _when(scan_counts_of(reader), lambda c: c.get("t7") == 2))
        assert counts == {"t7": 2}
        metrics = (await client.get("/metrics")).text
        assert "convive_events_appended_total" in metrics
        assert 'convive_consumer_events_total{consumer="tests.scan_counts",outcome="applied"}' in (
            metrics
        )


async def test_bad_input_gets_a_4xx_naming_the_field_and_appends_nothing(
    service_settings: dict[str, Any], scan_projection: Any, reader: Any
) -> None:
    app = sample_app(service_settings, scan_projection)
    async with AsyncTestClient(app=app) as client:
        missing = await client.post("/scans", json={"spot_id": "t1"})
        assert missing.status_code == 400
        assert missing.json()["field"] == "device_id"
        assert "device_id" in missing.json()["error"]

        malformed = await client.post(
            "/scans", content=b"{nope", headers={"content-type": "application/json"}
        )
        assert malformed.status_code == 400, malformed.text

        no_query = await client.get("/scans")
        assert no_query.status_code == 400
        assert no_query.json()["field"] == "spot_id"

        refused = await client.post("/scans", json={"spot_id": "closed", "device_id": "d"})
        assert refused.status_code == 422
        assert refused.json() == {
            "status": 422,
            "error": "spot 'closed' takes no scans",
            "field": "spot_id",
        }

        throttled = await client.post("/scans", json={"spot_id": "busy", "device_id": "d"})
        assert throttled.status_code == 429
        assert throttled.headers["retry-after"] == "60"
        assert throttled.json()["field"] == "spot_id"

        store = EventStore(reader)
        for stream in ("t1", "closed", "busy"):
            assert await store.read_stream(stream) == []


async def test_a_service_is_not_ready_until_its_migrations_are_applied(
    service_settings: dict[str, Any], scan_projection: Any
) -> None:
    app = sample_app(service_settings, scan_projection, migrate_on_start=False)
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/health/live")).status_code == 200
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["migrations"] == "not applied"
        assert ready.json()["checks"]["database"] == "ok"


async def test_the_sample_service_boots_ready(
    service_settings: dict[str, Any], scan_projection: Any
) -> None:
    await check_service_boots(sample_app(service_settings, scan_projection))


async def _when(awaitable: Any, predicate: Any) -> Any:
    value = await awaitable
    return value if predicate(value) else None


async def test_a_services_own_lifespan_runs_inside_the_runtimes(
    service_settings: dict[str, Any], scan_projection: Any
) -> None:
    seen: list[str] = []

    @asynccontextmanager
    async def background(app: Any) -> AsyncIterator[None]:
        # the runtime is started before: its store can already append
        runtime = app.state.runtime
        assert runtime.producer is not None
        seen.append("started")
        yield
        seen.append("stopped")

    definition = ServiceDefinition(
        name="table-session",
        projections=[scan_projection()],
        migrations=MIGRATIONS,
        lifespans=[background],
    )
    app = create_service_app(definition, SampleSettings(**service_settings))
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/health/ready")).status_code == 200
        assert seen == ["started"]
    assert seen == ["started", "stopped"]


async def test_the_services_projections_equal_a_rebuild_from_its_topics(
    service_settings: dict[str, Any], scan_projection: Any, scan_counts_of: Any, reader: Any
) -> None:
    app = sample_app(service_settings, scan_projection)
    settings = SampleSettings(**service_settings)
    async with AsyncTestClient(app=app) as client:
        for spot, device in (("t1", "a"), ("t1", "b"), ("t2", "a")):
            answer = await client.post("/scans", json={"spot_id": spot, "device_id": device})
            assert answer.status_code == 201, answer.text
        await eventually(lambda: _when(scan_counts_of(reader), lambda c: c == {"t1": 2, "t2": 1}))
        definition = app.state.runtime.definition
        await assert_projections_rebuild(definition, settings)

        async with reader.begin() as conn:  # a live table that drifted from its events
            schema = settings.db_schema
            await conn.execute(
                sa.text(f"update {schema}.scan_counts set scans = 5 where spot_id = 't2'")
            )
        with pytest.raises(AssertionError, match=r"scan_counts.*live only: \('t2', 5\)"):
            await assert_projections_rebuild(definition, settings)
