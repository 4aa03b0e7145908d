"""Pairing POS devices and authenticating them by their credential, over HTTP on real Kafka
and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from convive.contracts import EventEnvelope, events_topic
from convive.contracts.pos_gateway import DevicePaired
from convive.runtime.eventstore import EventStore
from convive.runtime.testkit import read_topic

pytestmark = pytest.mark.infra


async def test_a_paired_device_gets_a_credential_once_and_only_its_digest_is_recorded(
    pos: AsyncTestClient[Any],
    store: EventStore,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    response = await pos.post("/venues/venue-1/devices", json={"name": "Till 1"})
    assert response.status_code == 201, response.text
    body = response.json()
    credential, device_id = body["credential"], body["device_id"]
    assert len(credential) >= 40
    assert body["venue_id"] == "venue-1"

    history = await store.read_stream(f"device-{device_id}")
    assert [e.id for e in history] == body["event_ids"]
    paired = history[0].event()
    assert isinstance(paired, DevicePaired)
    assert paired.credential_sha256 == hashlib.sha256(credential.encode()).hexdigest()
    assert credential not in str(history[0].data)

    # the credential works at once, before the event even went through Kafka
    orders = await pos.get(
        "/venues/venue-1/orders", headers={"Authorization": f"Bearer {credential}"}
    )
    assert orders.status_code == 200, orders.text
    assert orders.json() == []

    records = await read_topic(kafka_bootstrap, events_topic("pos-gateway", namespace), expect=1)
    published = [EventEnvelope.from_kafka(r.headers, r.value) for r in records]
    assert [(e.type, e.subject, e.id) for e in published] == [
        ("DevicePaired", f"device-{device_id}", body["event_ids"][0])
    ]
    assert credential not in records[0].value.decode()


async def test_calls_without_a_valid_credential_or_for_another_venue_are_refused(
    pos: AsyncTestClient[Any],
    pair: Callable[[str, str], Awaitable[dict[str, Any]]],
    event_count: Callable[[], Awaitable[int]],
) -> None:
    till = await pair("venue-1", "Till 1")
    await pair("venue-2", "Bar till")
    paired_events = await event_count()

    missing = await pos.get("/venues/venue-1/orders")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "Bearer" in missing.json()["error"]

    for header in ("Bearer not-a-credential", f"Basic {till['credential']}", "Bearer "):
        wrong = await pos.get("/venues/venue-1/orders", headers={"Authorization": header})
        assert wrong.status_code == 401, header
        assert 'error="invalid_token"' in wrong.headers["www-authenticate"]

    other_venue = await pos.get("/venues/venue-2/orders", headers=till["headers"])
    assert other_venue.status_code == 403
    assert "another venue" in other_venue.json()["error"]

    for path, body in [
        ("/orders/any/rounds/1/validate", {"staff": "Alice"}),
        (
            "/orders/any/payments",
            {"amount": {"amount_minor": 1, "currency": "EUR"}, "method": "cash"},
        ),
    ]:
        refused = await pos.post(path, json=body)
        assert refused.status_code == 401, path

    bad_status = await pos.get("/venues/venue-1/orders?status=eaten", headers=till["headers"])
    assert bad_status.status_code == 400
    assert (await pos.get("/orders/unknown", headers=till["headers"])).status_code == 404

    assert await event_count() == paired_events


async def test_pairing_refuses_bad_input_and_appends_nothing(
    pos: AsyncTestClient[Any], event_count: Callable[[], Awaitable[int]]
) -> None:
    no_name = await pos.post("/venues/venue-1/devices", json={})
    assert no_name.status_code == 400
    assert no_name.json()["field"] == "name"

    blank = await pos.post("/venues/venue-1/devices", json={"name": "   "})
    assert blank.status_code == 400
    assert blank.json()["field"] == "name"

    malformed = await pos.post(
        "/venues/venue-1/devices", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400, malformed.text
    assert malformed.json()["status"] == 400

    assert await event_count() == 0
