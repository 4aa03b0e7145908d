"""Every refusal of the table-session API is a 4xx whose JSON names the problem (and the field
at fault), and appends no event."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.infra

JSON = {"content-type": "application/json"}


async def test_refusals_name_the_problem_and_append_nothing(
    client: Any, setup_venue: Any, event_count: Any
) -> None:
    venue = await setup_venue(client, "v1", "Table 1")
    pc_id = venue["profit_centre_id"]
    token = venue["spots"][0]["token"]
    before = await event_count()

    async def refused(method: str, path: str, status: int, field: str | None, **kw: Any) -> Any:
        answer = await client.request(method, path, **kw)
        assert answer.status_code == status, f"{method} {path}: {answer.text}"
        body = answer.json()
        assert body["status"] == status
        assert body["error"]
        if field is not None:
            assert body.get("field") == field, body
        return body

    unknown = await refused(
        "POST", "/scan", 404, "token", json={"token": "not-a-token", "device_id": "phone"}
    )
    assert unknown["error"] == "unknown or expired QR code"
    await refused("POST", "/scan", 400, "device_id", json={"token": token})
    await refused("POST", "/scan", 400, "device_id", json={"token": token, "device_id": "  "})
    await refused("POST", "/scan", 400, "token", json={"token": "", "device_id": "phone"})
    for pin in ("12345", "1234567", "12a456", ""):
        await refused(
            "POST", "/scan", 400, "pin", json={"token": token, "device_id": "phone", "pin": pin}
        )
    await refused("POST", "/sessions/session-nope/pin/rotate", 404, "session_id")
    await refused("POST", "/spots/spot-nope/token/rotate", 404, "spot_id")
    await refused("GET", "/venues/nobody/qr-sheet.pdf", 404, "venue_id")

    missing_pc = await refused(
        "POST",
        "/venues/v1/spots",
        404,
        "profit_centre_id",
        json={"profit_centre_id": "pc-nope", "name": "Table 2", "kind": "table"},
    )
    assert "pc-nope" in missing_pc["error"]
    other_venue = await refused(
        "POST",
        "/venues/v2/spots",
        404,
        "profit_centre_id",
        json={"profit_centre_id": pc_id, "name": "Table 2", "kind": "table"},
    )
    assert "v2" in other_venue["error"]
    await refused(
        "POST",
        "/venues/v1/spots",
        400,
        "kind",
        json={"profit_centre_id": pc_id, "name": "Table 2", "kind": "sofa"},
    )
    await refused(
        "POST",
        "/venues/v1/spots",
        400,
        "name",
        json={"profit_centre_id": pc_id, "name": "   ", "kind": "table"},
    )
    await refused(
        "POST",
        "/venues/v1/profit-centres",
        400,
        "mode",
        json={"name": "Bar", "mode": "takeaway"},
    )
    await refused("POST", "/venues/v1/profit-centres", 400, "name", json={"mode": "menu"})
    await refused(
        "POST", "/venues/v1/profit-centres", 400, "name", json={"name": "", "mode": "menu"}
    )
    await refused(
        "POST",
        "/venues/v1/profit-centres",
        400,
        "profit_centre_id",
        json={"profit_centre_id": "no spaces", "name": "Bar", "mode": "menu"},
    )
    taken = await refused(
        "POST",
        "/venues/v2/profit-centres",
        409,
        "profit_centre_id",
        json={"profit_centre_id": pc_id, "name": "Bar", "mode": "menu"},
    )
    assert "another venue" in taken["error"]
    await refused(
        "POST",
        "/venues/bad%20venue/profit-centres",
        400,
        "venue_id",
        json={"name": "Bar", "mode": "menu"},
    )

    for path in ("/scan", "/venues/v1/spots", "/venues/v1/profit-centres"):
        await refused("POST", path, 400, None, content=b'{"token": ', headers=JSON)
        await refused("POST", path, 400, None, content=b"[1, 2]", headers=JSON)

    await refused("GET", "/sessions/session-nope", 404, "session_id")
    await refused("GET", "/spots/spot-nope/qr.svg", 404, "spot_id")
    assert (await client.get("/venues/nobody/spots")).json() == []

    assert await event_count() == before
