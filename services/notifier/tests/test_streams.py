"""The live relay against real Kafka and PostgreSQL, read over HTTP as a browser or a POS
device reads it: events published on the other services' topics reach the right streams, in
order, once, resumable with Last-Event-ID; streams of another session or venue are refused."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import EventEnvelope
from convive.contracts.ordering import CartItemRemoved
from convive.notifier.tables import feed_entries

pytestmark = pytest.mark.infra

SESSION_EVENTS = ["SessionOpened", "GuestJoined", "CartItemAdded", "OrderPlaced"]


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


@pytest.mark.parametrize("heartbeat_interval", [1.0])
async def test_a_guest_receives_their_session_in_order_then_live(
    sse: Any, publish: Any, publish_in_order: Any, make_table: Any, feed_has: Any
) -> None:
    a = make_table("a")
    sent = await publish_in_order(a.events())
    await feed_has("session", a.session_id, len(sent))

    async with sse(f"/events/sessions/{a.session_id}", params={"guest": a.guest}) as stream:
        assert stream.response.status_code == 200
        assert stream.response.headers["content-type"].startswith("text/event-stream")
        history = await stream.take(4)
        assert [m.id for m in history] == ["1", "2", "3", "4"]
        assert [m.event for m in history] == SESSION_EVENTS
        bodies = [m.json() for m in history]
        assert [b["id"] for b in bodies] == [e.id for e in sent]
        assert [b["type"] for b in bodies] == SESSION_EVENTS
        assert bodies[0]["subject"] == a.spot_id
        assert bodies[0]["time"].endswith("Z")
        assert bodies[0]["data"]["pin"] == a.pin
        assert bodies[1]["data"]["guest_id"] == a.guest
        assert "device_id" not in bodies[1]["data"]  # another guest's phone id stays hidden
        assert bodies[3]["data"]["order_total"] == {"amount_minor": 2500, "currency": "EUR"}
        assert stream.retry == "2000"

        live = await publish(a.cart_item("l2"), a.session_id)
        message = await stream.next()
        assert (message.id, message.event, message.json()["id"]) == ("5", "CartItemAdded", live.id)
        await stream.wait_for_comment("keep-alive")  # an idle stream is kept alive

    # the host, the other guest of the table, follows the same feed
    async with sse(f"/events/sessions/{a.session_id}", params={"guest": a.host}) as stream:
        assert [m.event for m in await stream.take(5)] == [*SESSION_EVENTS, "CartItemAdded"]


async def test_a_session_stream_is_refused_to_anyone_but_its_guests(
    sse: Any, publish: Any, publish_in_order: Any, make_table: Any, feed_has: Any, feed_of: Any
) -> None:
    a, b = make_table("a"), make_table("b")
    await publish_in_order(a.events())
    b_opened, _ = b.events()[0]
    b_first = await publish(b_opened, b.spot_id)
    await feed_has("session", a.session_id, 4)
    await feed_has("session", b.session_id, 1)

    refusals = {
        "another table's guest": (a.session_id, {"guest": b.host}, 403, "guest"),
        "an unknown guest": (a.session_id, {"guest": "nobody"}, 403, "guest"),
        "an unknown session": ("session-zzz", {"guest": a.host}, 404, "session_id"),
        "no guest at all": (a.session_id, {}, 400, "guest"),
        "a bad resume position": (
            a.session_id,
            {"guest": a.host, "last_event_id": "x"},
            400,
            "last_event_id",
        ),
    }
    for case, (session_id, params, status, field) in refusals.items():
        async with sse(f"/events/sessions/{session_id}", params=params) as stream:
            assert stream.response.status_code == status, case
            body = stream.response.json()
            assert body["status"] == status, case
            assert body["field"] == field, case
            assert body["error"], case
    async with sse("/events/sessions/session-zzz", params={"guest": "g"}) as stream:
        assert "not known (yet)" in stream.response.json()["error"]

    # b's guest sees b's session only: its next message after a's live event is b's own
    async with sse(f"/events/sessions/{b.session_id}", params={"guest": b.host}) as stream:
        first = await stream.next()
        assert (first.id, first.json()["id"]) == ("1", b_first.id)
        await publish(a.cart_item("l9"), a.session_id)
        await feed_has("session", a.session_id, 5)
        b_next = await publish(b.cart_item("l1"), b.session_id)
        second = await stream.next()
        assert (second.id, second.json()["id"]) == ("2", b_next.id)
    assert {e[1] for e in await feed_of("session", b.session_id)} == {
        "SessionOpened",
        "CartItemAdded",
    }
    assert all(e[3]["session_id"] == b.session_id for e in await feed_of("session", b.session_id))


async def test_a_pos_device_follows_its_venue_and_no_other(
    sse: Any,
    publish: Any,
    publish_in_order: Any,
    make_table: Any,
    device_paired: Any,
    feed_has: Any,
    reader: AsyncEngine,
) -> None:
    a, elsewhere = make_table("a", venue="venue-1"), make_table("x", venue="venue-2")
    mine = device_paired("venue-1", "till-1", "credential-of-till-1")
    theirs = device_paired("venue-2", "till-2", "credential-of-till-2")
    await publish(mine, "till-1")
    await publish(theirs, "till-2")
    sent = await publish_in_order(a.events())
    await publish_in_order(elsewhere.events())
    await feed_has("venue", "venue-1", 4)
    await feed_has("venue", "venue-2", 4)

    async with sse("/events/venues/venue-1", headers=bearer("credential-of-till-1")) as stream:
        assert stream.response.status_code == 200
        history = await stream.take(4)
        assert [m.event for m in history] == SESSION_EVENTS
        assert [m.json()["id"] for m in history] == [e.id for e in sent]
        assert history[0].json()["data"]["pin"] == a.pin  # the POS shows the session's PIN
        assert history[1].json()["data"]["device_id"] == f"phone-of-{a.guest}"
        removed = await publish(
            CartItemRemoved(
                session_id=a.session_id, venue_id="venue-1", line_id="l1", guest_id=a.guest
            ),
            a.session_id,
        )
        live = await stream.next()
        assert (live.id, live.event, live.json()["id"]) == ("5", "CartItemRemoved", removed.id)

    refusals = {
        "a wrong credential": (bearer("guessed"), 401),
        "no credential": ({}, 401),
        "not a bearer credential": ({"Authorization": "Basic Zm9vOmJhcg=="}, 401),
        "another venue's device": (bearer("credential-of-till-2"), 403),
    }
    for case, (headers, status) in refusals.items():
        async with sse("/events/venues/venue-1", headers=headers) as stream:
            assert stream.response.status_code == status, case
            assert stream.response.json()["status"] == status, case

    # no feed holds a pairing, nor a credential digest anywhere
    async with reader.connect() as conn:
        rows = (await conn.execute(sa.select(feed_entries.c.type, feed_entries.c.data))).all()
    assert rows
    assert "DevicePaired" not in {r.type for r in rows}
    everything = " ".join(str(r.data) for r in rows)
    assert mine.credential_sha256 not in everything
    assert theirs.credential_sha256 not in everything


async def test_a_client_resuming_gets_exactly_what_followed_its_last_event_id(
    sse: Any,
    publish: Any,
    publish_in_order: Any,
    make_table: Any,
    device_paired: Any,
    feed_has: Any,
) -> None:
    a = make_table("a")
    await publish(device_paired(a.venue_id, "till-1", "c1"), "till-1")
    await publish_in_order(a.events())
    await feed_has("session", a.session_id, 4)
    path, guest = f"/events/sessions/{a.session_id}", {"guest": a.guest}

    async with sse(path, params=guest, headers={"Last-Event-ID": "2"}) as stream:
        assert [(m.id, m.event) for m in await stream.take(2)] == [
            ("3", "CartItemAdded"),
            ("4", "OrderPlaced"),
        ]
        live = await publish(a.cart_item("l2"), a.session_id)
        # the next message is the new one: nothing sent twice in between
        assert [(m.id, m.json()["id"]) for m in [await stream.next()]] == [("5", live.id)]

    async with sse(path, params={**guest, "last_event_id": "3"}) as stream:
        assert [m.id for m in await stream.take(2)] == ["4", "5"]

    # the header (what EventSource sends on reconnecting) wins over the query of the first URL
    async with sse(
        path, params={**guest, "last_event_id": "1"}, headers={"Last-Event-ID": "4"}
    ) as stream:
        assert (await stream.next()).id == "5"

    async with sse(
        f"/events/venues/{a.venue_id}", headers={**bearer("c1"), "Last-Event-ID": "4"}
    ) as stream:
        only = await stream.next()
        assert (only.id, only.json()["id"]) == ("5", live.id)


async def test_the_same_event_delivered_twice_is_relayed_once(
    sse: Any, publish: Any, publish_in_order: Any, make_table: Any, feed_has: Any, feed_of: Any
) -> None:
    a = make_table("a")
    opened, spot = a.events()[0]
    envelope = EventEnvelope.wrap(opened, subject=spot)
    await publish(envelope)
    await publish(envelope)  # a relay that crashed before its acknowledgement sends it again
    await feed_has("session", a.session_id, 1)
    (added,) = await publish_in_order([(a.cart_item("l1"), a.session_id)])
    entries = await feed_has("session", a.session_id, 2)
    assert [(e[0], e[2]) for e in entries] == [(1, envelope.id), (2, added.id)]
    assert [(e[0], e[2]) for e in await feed_of("venue", a.venue_id)] == [
        (1, envelope.id),
        (2, added.id),
    ]

    async with sse(f"/events/sessions/{a.session_id}", params={"guest": a.host}) as stream:
        assert [m.json()["id"] for m in await stream.take(2)] == [envelope.id, added.id]
        marker = await publish(a.cart_item("l2"), a.session_id)
        assert (await stream.next()).json()["id"] == marker.id
    assert [e[2] for e in await feed_of("session", a.session_id)] == [
        envelope.id,
        added.id,
        marker.id,
    ]
