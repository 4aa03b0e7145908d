"""Pairing POS devices with a code and revoking them, over HTTP on real Kafka and PostgreSQL:
a manager issues a single-use code (kept as a digest, valid 10 minutes), a device pairs with
it and gets its credential once; staff list the venue's devices; a revoked device's
credential is refused on its very next call."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import EventEnvelope, events_topic
from convive.contracts.pos_gateway import DevicePaired, DeviceRevoked
from convive.pos_gateway.tables import pairing_codes
from convive.runtime.eventstore import EventStore
from convive.runtime.testkit import read_topic

pytestmark = pytest.mark.infra

Count = Callable[[], Awaitable[int]]
CODE = re.compile(r"^[A-HJ-KMNP-Z2-9]{4}-[A-HJ-KMNP-Z2-9]{4}$")


async def _code(pos: AsyncTestClient[Any], team: Any, venue: str = "venue-1") -> str:
    issued = await pos.post(f"/venues/{venue}/pairing-codes", headers=team.headers(team.manager))
    assert issued.status_code == 201, issued.text
    code: str = issued.json()["code"]
    return code


async def test_a_manager_issues_a_code_that_pairs_one_device_once(
    pos: AsyncTestClient[Any], team: Any, store: EventStore, reader: AsyncEngine, event_count: Count
) -> None:
    issued = await pos.post("/venues/venue-1/pairing-codes", headers=team.headers(team.manager))
    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]
    assert CODE.match(code), code
    expires_at = datetime.fromisoformat(issued.json()["expires_at"])
    assert timedelta(minutes=9) < expires_at - datetime.now(UTC) <= timedelta(minutes=10)
    async with reader.connect() as conn:
        [row] = (await conn.execute(sa.select(pairing_codes))).all()
    assert row.code_sha256 == hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    assert code.replace("-", "") not in str(tuple(row))

    before = await event_count()
    for headers, venue, status in [
        (team.headers(team.cashier), "venue-1", 403),  # a cashier does not pair devices
        (team.headers(team.manager), "venue-2", 403),  # not the manager's venue
        ({}, "venue-1", 401),
        ({"X-Convive-Staff": "nobody"}, "venue-1", 401),
    ]:
        refused = await pos.post(f"/venues/{venue}/pairing-codes", headers=headers)
        assert refused.status_code == status, (venue, refused.text)

    # typed in lower case, without the dash
    paired = await pos.post(
        "/devices/pair", json={"code": code.replace("-", "").lower(), "name": "Terrace till"}
    )
    assert paired.status_code == 201, paired.text
    device = paired.json()
    assert device["venue_id"] == "venue-1"
    assert device["name"] == "Terrace till"
    [event] = [e.event() for e in await store.read_stream(f"device-{device['device_id']}")]
    assert isinstance(event, DevicePaired)
    assert event.paired_by == team.manager["staff_id"]
    assert event.credential_sha256 == hashlib.sha256(device["credential"].encode()).hexdigest()
    auth = {"Authorization": f"Bearer {device['credential']}"}
    assert (await pos.get("/venues/venue-1/orders", headers=auth)).status_code == 200
    assert await event_count() == before + 1

    for body, field in [
        ({"code": code, "name": "Second till"}, "code"),  # used already
        ({"code": "ABCD-EFGH", "name": "Second till"}, "code"),  # never issued
        ({"code": "not a code", "name": "Second till"}, "code"),
        ({"code": await _code(pos, team)}, "name"),
        ({"code": code, "name": "Till", "venue_id": "venue-2"}, "venue_id"),
    ]:
        refused = await pos.post("/devices/pair", json=body)
        assert refused.status_code == 400, (body, refused.text)
        assert refused.json()["field"] == field, (body, refused.text)

    expired = await _code(pos, team)
    async with reader.begin() as conn:
        await conn.execute(
            pairing_codes.update()
            .where(pairing_codes.c.used_at.is_(None))
            .values(expires_at=sa.func.now() - timedelta(seconds=1))
        )
    late = await pos.post("/devices/pair", json={"code": expired, "name": "Late till"})
    assert late.status_code == 400
    assert "expired" in late.json()["error"]
    assert await event_count() == before + 1


async def test_of_two_devices_typing_the_same_code_at_once_one_is_paired(
    pos: AsyncTestClient[Any], team: Any
) -> None:
    code = await _code(pos, team)
    answers = await asyncio.gather(
        *(pos.post("/devices/pair", json={"code": code, "name": f"Till {i}"}) for i in range(3))
    )
    assert sorted(a.status_code for a in answers) == [201, 400, 400]


async def test_guessing_codes_is_locked_out_after_ten_failures(
    pos: AsyncTestClient[Any], team: Any
) -> None:
    for i in range(10):
        wrong = await pos.post("/devices/pair", json={"code": f"ABCD-EF{i + 2}H", "name": "T"})
        assert wrong.status_code == 400
    code = await _code(pos, team)
    locked = await pos.post("/devices/pair", json={"code": code, "name": "Till"})
    assert locked.status_code == 429, locked.text
    assert int(locked.headers["retry-after"]) > 0


async def test_a_revoked_device_is_refused_at_once_and_listed_as_revoked(
    pos: AsyncTestClient[Any],
    team: Any,
    pair: Callable[[str, str], Awaitable[dict[str, Any]]],
    store: EventStore,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    till, bar = await pair("venue-1", "Till"), await pair("venue-1", "Bar")
    await pair("venue-2", "Elsewhere")
    listed = await pos.get("/venues/venue-1/devices", headers=team.headers(team.cashier))
    assert listed.status_code == 200, listed.text
    assert [(d["name"], d["revoked"]) for d in listed.json()] == [("Till", False), ("Bar", False)]
    assert "credential" not in str(listed.json())
    assert (
        await pos.get("/venues/venue-2/devices", headers=team.headers(team.cashier))
    ).status_code == 403
    assert (await pos.get("/venues/venue-1/devices")).status_code == 401

    revoke = f"/devices/{bar['device_id']}/revoke"
    assert (await pos.post(revoke, headers=team.headers(team.cashier))).status_code == 403
    assert (await pos.post(revoke)).status_code == 401
    assert (
        await pos.post("/devices/nope/revoke", headers=team.headers(team.manager))
    ).status_code == 404
    assert (await pos.get("/venues/venue-1/orders", headers=bar["headers"])).status_code == 200

    revoked = await pos.post(revoke, headers=team.headers(team.manager))
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_by"] == team.manager["staff_id"]
    refused = await pos.get("/venues/venue-1/orders", headers=bar["headers"])
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    assert (await pos.get("/venues/venue-1/orders", headers=till["headers"])).status_code == 200
    again = await pos.post(revoke, headers=team.headers(team.owner))
    assert again.status_code == 409

    listed = await pos.get("/venues/venue-1/devices", headers=team.headers(team.manager))
    assert [(d["name"], d["revoked"]) for d in listed.json()] == [("Till", False), ("Bar", True)]
    history = [e.event() for e in await store.read_stream(f"device-{bar['device_id']}")]
    assert [type(e) for e in history] == [DevicePaired, DeviceRevoked]
    assert history[1] == DeviceRevoked(
        venue_id="venue-1", device_id=bar["device_id"], revoked_by=team.manager["staff_id"]
    )
    records = await read_topic(kafka_bootstrap, events_topic("pos-gateway", namespace), expect=7)
    published = [EventEnvelope.from_kafka(r.headers, r.value) for r in records]
    assert [e.type for e in published if e.subject == f"device-{bar['device_id']}"] == [
        "DevicePaired",
        "DeviceRevoked",
    ]
