"""Profit centres, spots and scans over HTTP against real PostgreSQL and Kafka: a scan opens a
session or joins it, a phone is recognised, concurrent scans open exactly one session, and the
read models are current when a command's answer returns."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from convive.contracts.table_session import GuestJoined

pytestmark = pytest.mark.infra


async def test_profit_centres_are_configured_and_reconfigured(
    client: Any, stream_types: Any
) -> None:
    first = await client.post(
        "/venues/v1/profit-centres",
        json={"profit_centre_id": "terrace", "name": "Terrace", "mode": "order"},
    )
    assert first.status_code == 201, first.text
    assert first.json()["profit_centre_id"] == "terrace"
    assert len(first.json()["event_ids"]) == 1

    changed = await client.post(
        "/venues/v1/profit-centres",
        json={"profit_centre_id": "terrace", "name": "Terrasse", "mode": "order_and_pay"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["mode"] == "order_and_pay"
    assert len(changed.json()["event_ids"]) == 1

    same = await client.post(
        "/venues/v1/profit-centres",
        json={"profit_centre_id": "terrace", "name": "Terrasse", "mode": "order_and_pay"},
    )
    assert same.status_code == 200
    assert same.json()["event_ids"] == []
    assert await stream_types("profit-centre-terrace") == ["ProfitCentreConfigured"] * 2

    drawn = await client.post("/venues/v1/profit-centres", json={"name": "Bar", "mode": "menu"})
    assert drawn.status_code == 201
    assert drawn.json()["profit_centre_id"].startswith("pc-")


async def test_a_scan_opens_a_session_the_next_phone_joins_and_a_phone_is_recognised(
    client: Any, setup_venue: Any, stream_types: Any
) -> None:
    venue = await setup_venue(client, "v1", "Table 4", "Table 5", mode="order")
    table4, table5 = venue["spots"]
    assert table4["guest_url"] == f"http://127.0.0.1:8000/t/{table4['token']}"
    assert len(table4["token"]) >= 32
    assert table4["token"] != table5["token"]
    assert await stream_types(table4["spot_id"]) == ["SpotCreated", "QrTokenIssued"]

    host = await client.post("/scan", json={"token": table4["token"], "device_id": "phone-a"})
    assert host.status_code == 201, host.text
    opened = host.json()
    assert opened["role"] == "host"
    assert re.fullmatch(r"[0-9]{6}", opened["pin"])
    assert opened["spot_id"] == table4["spot_id"]
    assert opened["spot_name"] == "Table 4"
    assert opened["venue_id"] == "v1"
    assert opened["profit_centre_id"] == venue["profit_centre_id"]
    assert opened["mode"] == "order"
    assert re.fullmatch(r"[0-9a-f]{32}", opened["guest_id"])
    assert len(opened["event_ids"]) == 2

    guest = await client.post("/scan", json={"token": table4["token"], "device_id": "phone-b"})
    assert guest.status_code == 200, guest.text
    joined = guest.json()
    assert joined["role"] == "guest"
    assert "pin" not in joined
    assert joined["session_id"] == opened["session_id"]
    assert joined["guest_id"] != opened["guest_id"]

    again_b = await client.post("/scan", json={"token": table4["token"], "device_id": "phone-b"})
    again_a = await client.post("/scan", json={"token": table4["token"], "device_id": "phone-a"})
    assert again_b.status_code == again_a.status_code == 200
    assert again_b.json()["guest_id"] == joined["guest_id"]
    assert again_a.json()["guest_id"] == opened["guest_id"]
    assert again_a.json()["role"] == "host"
    assert again_a.json()["pin"] == opened["pin"]
    assert len(again_b.json()["event_ids"]) == 1

    assert await stream_types(table4["spot_id"]) == [
        "SpotCreated",
        "QrTokenIssued",
        "TableScanned",
        "SessionOpened",
        "TableScanned",
        "GuestJoined",
        "TableScanned",
        "TableScanned",
    ]

    session = (await client.get(f"/sessions/{opened['session_id']}")).json()
    assert session["status"] == "open"
    assert session["spot_id"] == table4["spot_id"]
    assert session["venue_id"] == "v1"
    assert session["pin"] == opened["pin"]
    assert [(g["guest_id"], g["role"]) for g in session["guests"]] == [
        (opened["guest_id"], "host"),
        (joined["guest_id"], "guest"),
    ]

    listed = (await client.get("/venues/v1/spots")).json()
    assert [(s["name"], s["status"], s["session_id"]) for s in listed] == [
        ("Table 4", "occupied", opened["session_id"]),
        ("Table 5", "free", None),
    ]
    assert listed[0]["token"] == table4["token"]
    assert listed[0]["guest_url"] == table4["guest_url"]
    assert listed[0]["kind"] == "table"
    assert listed[0]["profit_centre_id"] == venue["profit_centre_id"]


async def test_a_token_opens_only_its_own_spot_of_its_own_venue(
    client: Any, setup_venue: Any
) -> None:
    one = await setup_venue(client, "venue-one", "Table 1")
    two = await setup_venue(client, "venue-two", "Table 1")
    scan_two = await client.post(
        "/scan", json={"token": two["spots"][0]["token"], "device_id": "phone"}
    )
    assert scan_two.status_code == 201
    assert scan_two.json()["venue_id"] == "venue-two"
    assert scan_two.json()["spot_id"] == two["spots"][0]["spot_id"]
    assert (await client.get("/venues/venue-one/spots")).json()[0]["status"] == "free"
    assert [s["spot_id"] for s in (await client.get("/venues/venue-two/spots")).json()] == [
        two["spots"][0]["spot_id"]
    ]
    assert one["spots"][0]["token"] != two["spots"][0]["token"]


async def test_concurrent_scans_of_a_free_spot_open_exactly_one_session(
    live_client: Any, setup_venue: Any, stream_of: Any
) -> None:
    venue = await setup_venue(live_client, "v1", "Table 9")
    table = venue["spots"][0]
    devices = [f"phone-{i}" for i in range(6)]
    answers = await asyncio.gather(
        *(
            live_client.post("/scan", json={"token": table["token"], "device_id": d})
            for d in devices
        )
    )
    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
    hosts = [a.json() for a in answers if a.status_code == 201]
    guests = [a.json() for a in answers if a.status_code == 200]
    assert len(hosts) == 1
    assert hosts[0]["role"] == "host"
    assert {g["role"] for g in guests} == {"guest"}
    assert {a.json()["session_id"] for a in answers} == {hosts[0]["session_id"]}
    assert len({a.json()["guest_id"] for a in answers}) == len(devices)

    history = [e.event() for e in await stream_of(table["spot_id"])]
    types = [e.event_type for e in history]
    assert types.count("SessionOpened") == 1
    assert types.count("GuestJoined") == len(devices) - 1
    assert types.count("TableScanned") == len(devices)
    host_device = devices[next(i for i, a in enumerate(answers) if a.status_code == 201)]
    joined_devices = {e.device_id for e in history if isinstance(e, GuestJoined)}
    assert joined_devices == set(devices) - {host_device}

    session = (await live_client.get(f"/sessions/{hosts[0]['session_id']}")).json()
    assert len(session["guests"]) == len(devices)
