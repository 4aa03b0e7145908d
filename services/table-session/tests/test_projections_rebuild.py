"""Every projection of table-session equals a rebuild of it from the topics: a scenario writes to
each of them (a venue's settings, a profit centre, spots, a token rotation, scans that open and
join sessions, a staff PIN rotation, a confirmed order from ordering's OrderPlaced, a settlement
from pos-gateway's PaymentSettled), then each projection is replayed into a shadow schema and
compared row by row with the live tables."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from convive.runtime.testkit import assert_projections_rebuild
from convive.table_session.app import definition
from convive.table_session.settings import Settings
from convive.table_session.tables import (
    confirmed_orders,
    profit_centres,
    retired_tokens,
    session_guests,
    sessions,
    spots,
    venues,
)

pytestmark = pytest.mark.infra


async def scan(client: Any, token: str, device: str) -> dict[str, Any]:
    answer = await client.post("/scan", json={"token": token, "device_id": device})
    assert answer.status_code in (200, 201), answer.text
    return dict(answer.json())


async def test_every_projection_equals_its_rebuild_from_the_topics(
    client: Any,
    setup_venue: Any,
    confirm_order: Any,
    settle: Any,
    reader: Any,
    service_settings: dict[str, Any],
) -> None:
    settings = {"name": "Le Port", "language": "en", "time_zone": "America/Martinique"}
    configured = await client.put("/venues/v1/settings", json=settings)
    assert configured.status_code == 200, configured.text
    venue = await setup_venue(client, "v1", "Table 1", "Table 2", profit_centre_id="terrace")
    renamed = await client.post(
        "/venues/v1/profit-centres",
        json={"profit_centre_id": "terrace", "name": "Terrasse", "mode": "order"},
    )
    assert renamed.status_code == 200, renamed.text
    one, two = venue["spots"]
    rotated = await client.post(f"/spots/{one['spot_id']}/token/rotate")
    assert rotated.status_code == 200, rotated.text
    token = rotated.json()["token"]

    # Table 1: opened, joined, its order confirmed, its PIN rotated by staff, then settled.
    host = await scan(client, token, "phone-a")
    await scan(client, token, "phone-b")
    await confirm_order(client, host["session_id"])
    assert (await client.post(f"/sessions/{host['session_id']}/pin/rotate")).status_code == 200
    await settle(client, host["session_id"])
    # Table 2: a session still open, with two guests.
    second = await scan(client, two["token"], "phone-c")
    await scan(client, two["token"], "phone-d")

    async with reader.connect() as conn:
        for table in (venues, profit_centres, spots, retired_tokens, sessions, session_guests):
            assert await conn.scalar(sa.select(sa.func.count()).select_from(table)), table.name
        assert await conn.scalar(sa.select(sa.func.count()).select_from(confirmed_orders)) == 1
        found = await conn.execute(sa.select(sessions.c.session_id, sessions.c.status))
        statuses = {row.session_id: row.status for row in found}
    assert statuses == {host["session_id"]: "closed", second["session_id"]: "open"}

    await assert_projections_rebuild(
        definition(),
        Settings(**service_settings),
        # The settlements subscription keeps no table: it closes sessions with a command, whose
        # events the own read models keep (and are compared).
        may_be_empty=["table_session.settlements"],
    )
