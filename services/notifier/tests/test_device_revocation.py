"""A revoked POS device, against real Kafka and PostgreSQL: pos-gateway's DeviceRevoked ends
the device's open venue stream at once and its credential is refused afterwards, while the
venue's other devices go on (and see the revocation in their feed)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from convive.contracts.pos_gateway import DeviceRevoked

pytestmark = pytest.mark.infra


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


async def until_the_stream_ends(stream: Any, within: float = 10.0) -> list[str]:
    """The events the stream still sends, until it ends (TimeoutError if it does not)."""
    seen: list[str] = []

    async def read() -> None:
        while True:
            try:
                message = await stream.next(within)
            except EOFError:
                return
            seen.append(message.event)

    await asyncio.wait_for(read(), timeout=within)
    return seen


async def test_a_revoked_device_loses_its_stream_at_once_and_is_refused_after(
    sse: Any, publish: Any, publish_in_order: Any, make_table: Any, device_paired: Any
) -> None:
    a = make_table("a", venue="venue-1")
    await publish(device_paired("venue-1", "till-1", "credential-1"), "device-till-1")
    await publish(device_paired("venue-1", "till-2", "credential-2"), "device-till-2")
    opened = a.events()[:1]
    await publish_in_order(opened)

    async with (
        sse("/events/venues/venue-1", headers=bearer("credential-1")) as revoked_one,
        sse("/events/venues/venue-1", headers=bearer("credential-2")) as other_one,
    ):
        assert revoked_one.response.status_code == 200, revoked_one.response.text
        assert other_one.response.status_code == 200
        assert (await revoked_one.next()).event == "SessionOpened"
        assert (await other_one.next()).event == "SessionOpened"

        await publish(
            DeviceRevoked(venue_id="venue-1", device_id="till-1", revoked_by="Ana"),
            "device-till-1",
        )
        # the revoked device's stream ends (whether or not the revocation itself reached it)
        assert set(await until_the_stream_ends(revoked_one)) <= {"DeviceRevoked"}
        # the other device stays connected and is told
        told = await other_one.next()
        assert told.event == "DeviceRevoked"
        assert told.json()["data"] == {
            "venue_id": "venue-1",
            "device_id": "till-1",
            "revoked_by": "Ana",
        }
        later = await publish(a.cart_item("l9"), a.session_id)
        assert (await other_one.next()).json()["id"] == later.id

    async with sse("/events/venues/venue-1", headers=bearer("credential-1")) as again:
        assert again.response.status_code == 401
        assert again.response.json()["field"] == "Authorization"
        assert "revoked" in again.response.json()["error"]

    # paired anew (a new credential), the device follows its venue again
    await publish(device_paired("venue-1", "till-1", "credential-1b"), "device-till-1")
    async with sse(
        "/events/venues/venue-1", headers={**bearer("credential-1b"), "Last-Event-ID": "1"}
    ) as repaired:
        assert repaired.response.status_code == 200
        assert (await repaired.next()).event == "DeviceRevoked"
