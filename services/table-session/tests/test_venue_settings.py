"""A venue's settings over HTTP: set as a whole, read back, unchanged settings record nothing,
bad input is refused naming the field; its time zone (Europe/Paris unless named); and its
profit centres are listed with their modes."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.infra

SETTINGS = {
    "name": "Hôtel du Port",
    "language": "en",
    "notification_email": "concierge@hotel.example",
    "pms_integration": "two_way",
}


async def test_settings_are_set_read_back_and_recorded_once(client: Any, stream_of: Any) -> None:
    assert (await client.get("/venues/h1/settings")).status_code == 404

    answer = await client.put("/venues/h1/settings", json=SETTINGS)
    assert answer.status_code == 200, answer.text
    assert {k: answer.json()[k] for k in SETTINGS} == SETTINGS
    assert len(answer.json()["event_ids"]) == 1

    again = await client.put("/venues/h1/settings", json=SETTINGS)
    assert again.json()["event_ids"] == []

    changed = await client.put(
        "/venues/h1/settings", json={**SETTINGS, "pms_integration": "one_way"}
    )
    assert changed.json()["pms_integration"] == "one_way"
    read = (await client.get("/venues/h1/settings")).json()
    assert read["pms_integration"] == "one_way"
    assert read["notification_email"] == "concierge@hotel.example"

    history = await stream_of("venue-h1")
    assert [e.type for e in history] == ["VenueConfigured", "VenueConfigured"]
    assert history[-1].data["pms_integration"] == "one_way"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"notification_email": "not an address"}, "notification_email"),
        ({"pms_integration": "carrier_pigeon"}, "pms_integration"),
        ({"language": "de"}, "language"),
        ({"name": ""}, "name"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "localtime"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
    ],
)
async def test_bad_settings_are_refused_naming_the_field(
    client: Any, change: dict[str, Any], field: str
) -> None:
    answer = await client.put("/venues/h1/settings", json={**SETTINGS, **change})
    assert answer.status_code == 400, answer.text
    assert field in answer.text
    assert (await client.get("/venues/h1/settings")).status_code == 404


async def test_a_venue_keeps_the_time_zone_it_is_given_and_europe_paris_otherwise(
    client: Any, stream_of: Any
) -> None:
    answer = await client.put(
        "/venues/h1/settings", json={**SETTINGS, "time_zone": "America/Martinique"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["time_zone"] == "America/Martinique"
    assert (await client.get("/venues/h1/settings")).json()["time_zone"] == "America/Martinique"
    history = await stream_of("venue-h1")
    assert history[-1].data["time_zone"] == "America/Martinique"

    # The whole set each time: settings that name no time zone are in Europe/Paris.
    unnamed = await client.put("/venues/h1/settings", json=SETTINGS)
    assert unnamed.json()["time_zone"] == "Europe/Paris"
    assert len(unnamed.json()["event_ids"]) == 1
    assert (await client.get("/venues/h1/settings")).json()["time_zone"] == "Europe/Paris"
    assert (await stream_of("venue-h1"))[-1].data["time_zone"] == "Europe/Paris"


async def test_an_unknown_time_zone_is_refused_naming_the_field(
    client: Any, event_count: Any
) -> None:
    before = await event_count()
    answer = await client.put(
        "/venues/h1/settings", json={**SETTINGS, "time_zone": "Europe/Atlantis"}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == "time_zone"
    assert "Europe/Atlantis" in answer.json()["error"]
    assert await event_count() == before
    assert (await client.get("/venues/h1/settings")).status_code == 404


async def test_profit_centres_are_listed_with_their_modes(client: Any, setup_venue: Any) -> None:
    await setup_venue(client, "v2", "Table 1", mode="order_and_pay", profit_centre_id="terrace")
    listed = (await client.get("/venues/v2/profit-centres")).json()
    assert listed == [
        {"profit_centre_id": "terrace", "name": "Dining room", "mode": "order_and_pay"}
    ]
    assert (await client.get("/venues/other/profit-centres")).json() == []
