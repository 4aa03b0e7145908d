"""The join rules over HTTP against real PostgreSQL and Kafka: late joiners and the PIN, lock-out
per phone, PIN rotation after too many wrong tries, recall, the new party, the journey modes,
and the staff's PIN rotation. Refusals append only what the rules say (JoinRefused, PinRotated)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

pytestmark = pytest.mark.infra

SPOT_FIELDS = {"spot_id", "spot_name", "spot_kind", "venue_id", "profit_centre_id", "mode"}


async def scan(http: Any, token: str, device: str, pin: str | None = None) -> Any:
    body = {"token": token, "device_id": device}
    if pin is not None:
        body["pin"] = pin
    return await http.post("/scan", json=body)


def wrong(pin: str) -> str:
    return f"{(int(pin) + 1) % 1_000_000:06d}"


async def test_a_late_joiner_needs_the_pin_once_an_order_is_confirmed(
    client: Any, setup_venue: Any, confirm_order: Any, stream_types: Any
) -> None:
    venue = await setup_venue(client, "v1", "Table 4")
    table = venue["spots"][0]
    host = (await scan(client, table["token"], "phone-a")).json()
    assert host["seated"] is True
    assert host["spot_kind"] == "table"
    friend = await scan(client, table["token"], "phone-b")
    assert (friend.status_code, friend.json()["role"]) == (200, "guest")
    await confirm_order(client, host["session_id"])
    before = await stream_types(table["spot_id"])

    # Without the PIN: the menu only, the refusal recorded once.
    late = await scan(client, table["token"], "phone-c")
    assert late.status_code == 200, late.text
    assert late.json() == {
        "spot_id": table["spot_id"],
        "spot_name": "Table 4",
        "spot_kind": "table",
        "venue_id": "v1",
        "profit_centre_id": venue["profit_centre_id"],
        "mode": "order",
        "role": "viewer",
        "seated": False,
        "reason": "pin_required",
        "session_id": None,
        "guest_id": None,
        "tries_left": 5,
        "event_ids": late.json()["event_ids"],
    }
    assert len(late.json()["event_ids"]) == 2
    assert await stream_types(table["spot_id"]) == [*before, "TableScanned", "JoinRefused"]
    reload = await scan(client, table["token"], "phone-c")
    assert (reload.status_code, reload.json()["reason"], reload.json()["event_ids"]) == (
        200,
        "pin_required",
        [],
    )

    # A wrong PIN: 403, one try fewer.
    bad = await scan(client, table["token"], "phone-c", pin=wrong(host["pin"]))
    assert bad.status_code == 403, bad.text
    refusal = bad.json()
    assert refusal["error"] == "wrong PIN"
    assert refusal["field"] == "pin"
    assert refusal["status"] == 403
    assert refusal["reason"] == "wrong_pin"
    assert refusal["tries_left"] == 4
    assert refusal["session_id"] is None
    assert refusal["role"] == "viewer"
    assert refusal.keys() >= SPOT_FIELDS
    assert "pin" not in refusal

    # The right PIN: seated.
    seated = await scan(client, table["token"], "phone-c", pin=host["pin"])
    assert seated.status_code == 200, seated.text
    assert seated.json()["role"] == "guest"
    assert seated.json()["seated"] is True
    assert seated.json()["session_id"] == host["session_id"]

    # Recall after the confirmation, no PIN needed: same guests.
    for device, answer in (("phone-a", host), ("phone-b", friend.json())):
        again = await scan(client, table["token"], device)
        assert again.status_code == 200
        assert again.json()["guest_id"] == answer["guest_id"]
    assert (await scan(client, table["token"], "phone-a")).json()["pin"] == host["pin"]

    assert await stream_types(table["spot_id"]) == [
        *before,
        "TableScanned",
        "JoinRefused",
        "TableScanned",
        "JoinRefused",
        "TableScanned",
        "GuestJoined",
        "TableScanned",
        "TableScanned",
        "TableScanned",
    ]
    session = (await client.get(f"/sessions/{host['session_id']}")).json()
    assert len(session["guests"]) == 3
    assert session["order_confirmed"] is True


async def test_five_wrong_pins_lock_a_phone_out_of_its_table_only(
    client: Any, setup_venue: Any, confirm_order: Any, stream_of: Any
) -> None:
    venue = await setup_venue(client, "v1", "Table 1", "Table 2")
    one, two = venue["spots"]
    host1 = (await scan(client, one["token"], "host-1")).json()
    host2 = (await scan(client, two["token"], "host-2")).json()
    await confirm_order(client, host1["session_id"])
    await confirm_order(client, host2["session_id"])

    tries = []
    for _ in range(5):
        answer = await scan(client, one["token"], "thief", pin=wrong(host1["pin"]))
        assert answer.status_code == 403
        tries.append(answer.json()["tries_left"])
    assert tries == [4, 3, 2, 1, 0]

    locked = await scan(client, one["token"], "thief", pin=host1["pin"])
    assert locked.status_code == 403, locked.text
    assert locked.json()["reason"] == "locked_out"
    assert locked.json()["field"] == "pin"
    assert locked.json()["tries_left"] == 0
    assert "wrong PINs" in locked.json()["error"]
    assert len(locked.json()["event_ids"]) == 2  # TableScanned, JoinRefused(locked_out)
    count = len(await stream_of(one["spot_id"]))
    again = await scan(client, one["token"], "thief", pin=host1["pin"])
    assert (again.status_code, again.json()["event_ids"]) == (403, [])
    menu = await scan(client, one["token"], "thief")
    assert menu.status_code == 200
    assert (menu.json()["role"], menu.json()["reason"]) == ("viewer", "locked_out")
    assert len(await stream_of(one["spot_id"])) == count

    refusals = [
        e.data["reason"] for e in await stream_of(one["spot_id"]) if e.type == "JoinRefused"
    ]
    assert refusals == ["wrong_pin"] * 5 + ["locked_out"]

    # Another phone at the same table still joins with the right PIN; the other table and its
    # PIN are untouched, for another phone and for the locked-out phone alike.
    friend = await scan(client, one["token"], "friend", pin=host1["pin"])
    assert (friend.status_code, friend.json()["role"]) == (200, "guest")
    other = await scan(client, two["token"], "other", pin=host2["pin"])
    assert (other.status_code, other.json()["session_id"]) == (200, host2["session_id"])
    thief_elsewhere = await scan(client, two["token"], "thief", pin=wrong(host2["pin"]))
    assert thief_elsewhere.json()["tries_left"] == 4
    assert (await client.get(f"/sessions/{host2['session_id']}")).json()["pin"] == host2["pin"]
    assert not [e for e in await stream_of(two["spot_id"]) if e.type == "PinRotated"]


async def test_ten_wrong_pins_rotate_the_pin(
    client: Any, setup_venue: Any, confirm_order: Any, stream_of: Any
) -> None:
    venue = await setup_venue(client, "v1", "Table 7")
    table = venue["spots"][0]
    host = (await scan(client, table["token"], "host")).json()
    old_pin = host["pin"]
    await confirm_order(client, host["session_id"])

    answers = [
        await scan(client, table["token"], f"guesser-{i // 2}", pin=wrong(old_pin))
        for i in range(10)
    ]
    assert [a.status_code for a in answers] == [403] * 10
    assert [a.json()["tries_left"] for a in answers] == [4, 3] * 5
    assert len(answers[-1].json()["event_ids"]) == 3

    history = await stream_of(table["spot_id"])
    rotations = [e for e in history if e.type == "PinRotated"]
    assert len(rotations) == 1
    assert rotations[0].data["reason"] == "too_many_wrong_pins"
    assert rotations[0].data["session_id"] == host["session_id"]
    new_pin = rotations[0].data["pin"]
    assert re.fullmatch(r"[0-9]{6}", new_pin)
    assert new_pin != old_pin
    assert history[-1].type == "PinRotated"

    session = (await client.get(f"/sessions/{host['session_id']}")).json()
    assert session["pin"] == new_pin
    assert (await scan(client, table["token"], "host")).json()["pin"] == new_pin

    stale = await scan(client, table["token"], "late", pin=old_pin)
    assert (stale.status_code, stale.json()["tries_left"]) == (403, 4)
    joined = await scan(client, table["token"], "late", pin=new_pin)
    assert (joined.status_code, joined.json()["role"]) == (200, "guest")
    # The count started again: one wrong PIN since the rotation, no second rotation.
    assert len([e for e in await stream_of(table["spot_id"]) if e.type == "PinRotated"]) == 1


async def test_a_new_party_reads_the_menu_until_the_bill_is_settled(
    client: Any, setup_venue: Any, confirm_order: Any, settle: Any, stream_types: Any
) -> None:
    venue = await setup_venue(client, "v1", "Table 3")
    table = venue["spots"][0]
    first = (await scan(client, table["token"], "party-a")).json()
    await confirm_order(client, first["session_id"])

    newcomer = await scan(client, table["token"], "party-b")
    assert newcomer.status_code == 200
    assert (newcomer.json()["role"], newcomer.json()["reason"]) == ("viewer", "pin_required")
    assert newcomer.json()["session_id"] is None

    await settle(client, first["session_id"])
    reopened = await scan(client, table["token"], "party-b")
    assert reopened.status_code == 201, reopened.text
    assert reopened.json()["role"] == "host"
    assert reopened.json()["session_id"] != first["session_id"]
    # The new session has no confirmed order: friends join without the PIN; the old party's
    # phone is a stranger to it.
    for device in ("party-b-friend", "party-a"):
        friend = await scan(client, table["token"], device)
        assert (friend.status_code, friend.json()["role"]) == (200, "guest")
        assert friend.json()["session_id"] == reopened.json()["session_id"]

    # The closed session's PIN can no longer be rotated; the open one's can.
    closed = await client.post(f"/sessions/{first['session_id']}/pin/rotate")
    assert closed.status_code == 409, closed.text
    assert closed.json()["field"] == "session_id"
    types = await stream_types(table["spot_id"])
    rotated = await client.post(f"/sessions/{reopened.json()['session_id']}/pin/rotate")
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["reason"] == "staff"
    assert rotated.json()["pin"] != reopened.json()["pin"]
    assert len(rotated.json()["event_ids"]) == 1
    assert await stream_types(table["spot_id"]) == [*types, "PinRotated"]
    session = (await client.get(f"/sessions/{reopened.json()['session_id']}")).json()
    assert session["pin"] == rotated.json()["pin"]


async def test_menu_mode_opens_nothing(client: Any, setup_venue: Any, stream_types: Any) -> None:
    venue = await setup_venue(client, "v1", "Bar 1", mode="menu")
    spot = venue["spots"][0]
    answer = await scan(client, spot["token"], "phone")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["role"], body["seated"], body["reason"], body["mode"]) == (
        "viewer",
        False,
        "menu_only",
        "menu",
    )
    assert body["session_id"] is None
    assert await stream_types(spot["spot_id"]) == ["SpotCreated", "QrTokenIssued", "TableScanned"]
    assert (await client.get("/venues/v1/spots")).json()[0]["status"] == "free"


async def test_pay_mode_joins_an_open_bill_or_has_nothing_to_pay(
    client: Any, setup_venue: Any, confirm_order: Any, stream_types: Any
) -> None:
    venue = await setup_venue(client, "v1", "Table 8", mode="pay", profit_centre_id="terrace")
    spot = venue["spots"][0]
    nothing = await scan(client, spot["token"], "phone-a")
    assert nothing.status_code == 200
    assert (nothing.json()["role"], nothing.json()["reason"]) == ("viewer", "nothing_to_pay")
    assert await stream_types(spot["spot_id"]) == ["SpotCreated", "QrTokenIssued", "TableScanned"]

    async def set_mode(mode: str) -> None:
        changed = await client.post(
            "/venues/v1/profit-centres",
            json={"profit_centre_id": "terrace", "name": "Terrace", "mode": mode},
        )
        assert changed.status_code == 200, changed.text

    # A bill left open from when the terrace took orders: a phone joins it to pay.
    await set_mode("order")
    host = (await scan(client, spot["token"], "phone-a")).json()
    await confirm_order(client, host["session_id"])
    await set_mode("pay")
    payer = await scan(client, spot["token"], "phone-b")
    assert payer.status_code == 200, payer.text
    assert (payer.json()["role"], payer.json()["mode"]) == ("guest", "pay")
    assert payer.json()["session_id"] == host["session_id"]
    again = await scan(client, spot["token"], "phone-a")
    assert (again.json()["role"], again.json()["guest_id"]) == ("host", host["guest_id"])


async def test_concurrent_wrong_pins_are_all_counted_and_rotate_the_pin_once(
    live_client: Any, setup_venue: Any, confirm_order: Any, stream_of: Any
) -> None:
    venue = await setup_venue(live_client, "v1", "Table 5")
    table = venue["spots"][0]
    host = (await scan(live_client, table["token"], "host")).json()
    await confirm_order(live_client, host["session_id"])
    answers = await asyncio.gather(
        *(scan(live_client, table["token"], f"bot-{i}", pin=wrong(host["pin"])) for i in range(10))
    )
    assert [a.status_code for a in answers] == [403] * 10, [a.text for a in answers]
    history = await stream_of(table["spot_id"])
    refusals = [e for e in history if e.type == "JoinRefused"]
    assert sorted(e.data["device_id"] for e in refusals) == sorted(f"bot-{i}" for i in range(10))
    assert [e.type for e in history].count("PinRotated") == 1
    assert history[-1].type == "PinRotated"
