"""POS devices end to end, with every service as its own process on real Kafka and PostgreSQL:
two devices validate the same order at once (one wins, the other hears who); a device that
was offline while three orders came catches up on the notifier's venue stream with its
Last-Event-ID, missing nothing and getting nothing twice (compared with the venue's feed as
published and with the services' topics); a revoked device loses its open stream and every
call; a bill split in two closes the order and frees the table only once the second part is
paid (the closing events name the second payment as their cause)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from convive.contracts import EventEnvelope, events_topic
from convive.runtime.testkit import DEADLINE, eventually, read_topic_until

pytestmark = pytest.mark.infra

CARD_REF = "tok_visa_4242"  # the payment provider's token of a card, never a card number


def ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), (
        f"{response.request.method} {response.request.url} -> {response.status_code}: "
        f"{response.text}"
    )
    return response.json()


@dataclass
class VenueStream:
    """A device's open SSE stream of its venue's live events, read in the background."""

    url: str
    headers: dict[str, str]
    messages: list[dict[str, Any]] = field(default_factory=list)
    status: int | None = None
    task: asyncio.Task[None] | None = None

    async def open(self) -> VenueStream:
        self.task = asyncio.create_task(self._read())
        await eventually(lambda: self._connected())
        return self

    async def _connected(self) -> bool:
        if self.task is not None and self.task.done():
            self.task.result()  # re-raise what ended it
        return self.status is not None

    async def _read(self) -> None:
        timeout = httpx.Timeout(None, connect=DEADLINE)  # open as long as the test wants
        async with (
            httpx.AsyncClient(timeout=timeout) as client,
            client.stream("GET", self.url, headers=self.headers) as response,
        ):
            self.status = response.status_code
            assert response.status_code == 200, await response.aread()
            current: dict[str, Any] = {}
            async for line in response.aiter_lines():
                if line.startswith("id:"):
                    current["id"] = int(line[3:].strip())
                elif line.startswith("event:"):
                    current["event"] = line[6:].strip()
                elif line.startswith("data:"):
                    current["data"] = json.loads(line[5:].strip())
                elif line == "" and current:
                    if "id" in current:  # comments (connected, keep-alive) carry no id
                        self.messages.append(current)
                    current = {}

    async def close(self) -> None:
        """Go offline: drop the connection."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    @property
    def last_id(self) -> int:
        return int(self.messages[-1]["id"])


class Floor:
    """A venue on the platform: its spots, guests ordering at them, and its POS devices."""

    def __init__(self, venue: Any, bootstrap: str, namespace: str) -> None:
        self.venue = venue
        self.notifier = venue.platform.url("notifier")
        self.bootstrap, self.namespace = bootstrap, namespace
        self.http = httpx.AsyncClient(timeout=DEADLINE)

    async def spot(self, name: str) -> dict[str, Any]:
        return ok(
            await self.http.post(
                f"{self.venue.sessions}/venues/{self.venue.venue_id}/spots",
                json={"profit_centre_id": self.venue.profit_centre, "name": name, "kind": "table"},
            ),
            201,
        )

    async def device(self, name: str) -> dict[str, Any]:
        paired = ok(
            await self.http.post(
                f"{self.venue.pos}/venues/{self.venue.venue_id}/devices", json={"name": name}
            ),
            201,
        )
        paired["headers"] = {"Authorization": f"Bearer {paired['credential']}"}
        return paired

    def stream(self, device: dict[str, Any], last_event_id: int | None = None) -> VenueStream:
        headers = dict(device["headers"])
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        return VenueStream(f"{self.notifier}/events/venues/{self.venue.venue_id}", headers)

    async def order(
        self, spot: dict[str, Any], *products: str, guest: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A guest scans the spot (or, already seated, orders again), fills the cart and
        confirms: the order's first round (or its next one)."""
        if guest is None:
            guest = ok(
                await self.http.post(
                    f"{self.venue.sessions}/scan",
                    json={"token": spot["token"], "device_id": f"phone-{uuid.uuid4().hex[:6]}"},
                )
            )
        session = guest["session_id"]
        for product in products:

            async def add(product: str = product) -> Any:
                answer = await self.http.post(
                    f"{self.venue.ordering}/sessions/{session}/cart/items",
                    json={"guest_id": guest["guest_id"], "product_id": product, "quantity": 1},
                )
                return None if answer.status_code in (403, 404) else ok(answer, 201)

            await eventually(add)
        placed = ok(
            await self.http.post(
                f"{self.venue.ordering}/sessions/{session}/cart/confirm",
                json={"guest_id": guest["guest_id"]},
            ),
            201,
        )
        return {**placed, "session_id": session, "guest": guest, "spot": spot}

    async def at_pos(self, device: dict[str, Any], order_id: str) -> dict[str, Any]:
        async def known() -> Any:
            answer = await self.http.get(
                f"{self.venue.pos}/orders/{order_id}", headers=device["headers"]
            )
            return answer.json() if answer.status_code == 200 else None

        view: dict[str, Any] = await eventually(known)
        return view

    async def ordering_status(self, session_id: str) -> str:
        body = ok(await self.http.get(f"{self.venue.ordering}/sessions/{session_id}/order"))
        return str(body["status"])

    async def published(
        self, services: list[str], until: Callable[[dict[str, EventEnvelope]], bool]
    ) -> dict[str, EventEnvelope]:
        """What these services published on their topics, read from the beginning until
        `until(envelopes)` holds: the envelopes by event id (a record the relay sent twice
        counts once, as its consumers count it)."""
        found: dict[str, EventEnvelope] = {}
        seen = 0

        def enough(records: list[Any]) -> bool:
            nonlocal seen
            for record in records[seen:]:
                envelope = EventEnvelope.from_kafka(record.headers, record.value)
                found[envelope.id] = envelope
            seen = len(records)
            return until(found)

        topics = [events_topic(service, self.namespace) for service in services]
        await read_topic_until(self.bootstrap, topics, enough)
        return found

    async def spot_status(self, spot_id: str) -> str:
        spots = ok(await self.http.get(f"{self.venue.sessions}/venues/{self.venue.venue_id}/spots"))
        return str(next(s for s in spots if s["spot_id"] == spot_id)["status"])


@pytest.fixture
async def floor(guest_venue: Any, kafka_bootstrap: str, namespace_of: Any) -> Any:
    await guest_venue.set_up(mode="order")
    floor = Floor(guest_venue, kafka_bootstrap, namespace_of(guest_venue.platform))
    try:
        yield floor
    finally:
        await floor.http.aclose()


@pytest.fixture
async def staffed_floor(
    venue_named: Any, staff_root: Any, kafka_bootstrap: str, namespace_of: Any
) -> Any:
    """A floor whose venue can have staff (its id from `staff_root`'s pool)."""
    venue = venue_named(staff_root.venue_id())
    await venue.set_up(mode="order")
    floor = Floor(venue, kafka_bootstrap, namespace_of(venue.platform))
    try:
        yield floor
    finally:
        await floor.http.aclose()


async def test_two_devices_validate_the_same_order_at_once_one_wins_the_other_hears_who(
    floor: Floor,
) -> None:
    till, bar = await floor.device("Till"), await floor.device("Bar")
    placed = await floor.order(floor.venue.spot, "croque", "mousse")
    await floor.at_pos(till, placed["order_id"])

    validate = f"{floor.venue.pos}/orders/{placed['order_id']}/rounds/1/validate"
    answers = await asyncio.gather(
        floor.http.post(validate, json={"staff": "Camille"}, headers=till["headers"]),
        floor.http.post(validate, json={"staff": "Sam"}, headers=bar["headers"]),
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    won = next(a.json() for a in answers if a.status_code == 200)
    lost = next(a.json() for a in answers if a.status_code == 409)
    assert (lost["validated_by"], lost["device_id"]) == (won["validated_by"], won["device_id"])
    assert f"already validated by {won['validated_by']} on {won['device_id']}" in lost["error"]
    assert won["device_id"] in (till["device_id"], bar["device_id"])
    assert won["validated_by"] == ("Camille" if won["device_id"] == till["device_id"] else "Sam")

    view = await floor.at_pos(bar, placed["order_id"])
    assert view["rounds"][0]["validated_by"] == won["validated_by"]


async def test_a_device_back_online_gets_exactly_what_it_missed_in_order(floor: Floor) -> None:
    till, bar = await floor.device("Till"), await floor.device("Bar")
    spots = [floor.venue.spot, await floor.spot("Table 8"), await floor.spot("Table 9")]
    always_on = await floor.stream(bar).open()
    roaming = await floor.stream(till).open()

    first = await floor.order(spots[0], "croque")
    await eventually(lambda: _placed(roaming, {first["order_id"]}))
    await roaming.close()  # the till goes offline
    last_seen = roaming.last_id

    missed = [await floor.order(spot, "mousse") for spot in spots[1:]]
    # a second round at the first table
    missed.append(await floor.order(spots[0], "salade", guest=first["guest"]))
    missed_orders = {m["order_id"] for m in missed}

    await eventually(lambda: _placed(always_on, missed_orders, rounds=3))

    back = await floor.stream(till, last_event_id=last_seen).open()
    # A sentinel: one more order, placed once the missed rounds are on the feed. The feed
    # numbers its entries once for every reader, so up to the sentinel the till that caught up
    # and the bar that never left must hold exactly the same entries: nothing is "still on its
    # way" there, and no fixed wait decides what counts.
    sentinel = await floor.order(await floor.spot("Table 10"), "croque")
    for stream in (back, always_on):
        await eventually(lambda stream=stream: _placed(stream, {sentinel["order_id"]}))
    await back.close()
    await always_on.close()
    caught_up = _before_order(back.messages, sentinel["order_id"])
    reference = _before_order(always_on.messages, sentinel["order_id"])
    expected = [m for m in reference if m["id"] > last_seen]

    ids = [m["id"] for m in caught_up]
    assert ids == sorted(set(ids)), "in order, no duplicates"
    assert ids[0] > last_seen
    assert [(m["id"], m["event"], m["data"]["id"]) for m in caught_up] == [
        (m["id"], m["event"], m["data"]["id"]) for m in expected
    ]
    event_ids = [m["data"]["id"] for m in caught_up]
    assert len(event_ids) == len(set(event_ids))
    seen_before = {m["data"]["id"] for m in roaming.messages}
    assert not seen_before & set(event_ids)
    rounds = [
        (m["data"]["data"]["order_id"], m["data"]["data"]["round_number"])
        for m in caught_up
        if m["event"] in ("OrderPlaced", "RoundAdded")
    ]
    assert rounds == [(m["order_id"], m["round_number"]) for m in missed]

    # And what the services actually published: every entry the till got is an event of theirs,
    # and every round of the missed orders that ordering published is among them.
    published = await floor.published(
        ["table-session", "ordering", "pos-gateway"], lambda found: set(event_ids) <= set(found)
    )
    assert [published[i].type for i in event_ids] == [m["event"] for m in caught_up]
    missed_rounds = {(m["order_id"], m["round_number"]) for m in missed}
    placed_rounds = {
        e.id
        for e in published.values()
        if e.type in ("OrderPlaced", "RoundAdded")
        and (e.data.get("order_id"), e.data.get("round_number")) in missed_rounds
    }
    assert len(placed_rounds) == len(missed)
    assert placed_rounds <= set(event_ids)


def _before_order(messages: list[dict[str, Any]], order_id: str) -> list[dict[str, Any]]:
    """The messages of a stream before the one that placed `order_id` (the sentinel)."""
    placed = next(
        i
        for i, m in enumerate(messages)
        if m["event"] == "OrderPlaced" and m["data"]["data"]["order_id"] == order_id
    )
    return messages[:placed]


async def _placed(stream: VenueStream, order_ids: set[str], rounds: int = 1) -> bool:
    got = [
        m["data"]["data"]["order_id"]
        for m in stream.messages
        if m["event"] in ("OrderPlaced", "RoundAdded")
    ]
    return order_ids <= set(got) and len([o for o in got if o in order_ids]) >= rounds


async def test_a_revoked_device_loses_its_open_stream_and_every_call(
    staffed_floor: Floor, staff_root: Any
) -> None:
    floor = staffed_floor
    venue, pos = floor.venue.venue_id, floor.venue.pos
    owner = await staff_root.open_account("owner", [venue], name="Odile")
    owner_headers = owner["header"]
    code = ok(await floor.http.post(f"{pos}/venues/{venue}/pairing-codes", headers=owner_headers))
    device = ok(
        await floor.http.post(
            f"{pos}/devices/pair", json={"code": code["code"], "name": "Terrace till"}
        ),
        201,
    )
    device["headers"] = {"Authorization": f"Bearer {device['credential']}"}
    assert device["venue_id"] == venue
    stream = await floor.stream(device).open()
    ok(await floor.http.get(f"{pos}/venues/{venue}/orders", headers=device["headers"]))

    ok(await floor.http.post(f"{pos}/devices/{device['device_id']}/revoke", headers=owner_headers))

    refused = await floor.http.get(f"{pos}/venues/{venue}/orders", headers=device["headers"])
    assert refused.status_code == 401, "refused from the revocation's commit on"
    listed = ok(await floor.http.get(f"{pos}/venues/{venue}/devices", headers=owner_headers))
    assert [(d["name"], d["revoked"]) for d in listed if d["device_id"] == device["device_id"]] == [
        ("Terrace till", True)
    ]

    # the notifier ends the open stream, and refuses the device a new one
    assert stream.task is not None
    await asyncio.wait_for(asyncio.shield(stream.task), timeout=DEADLINE)

    async def refused_by_notifier() -> bool:
        answer = await floor.http.get(
            f"{floor.notifier}/events/venues/{venue}", headers=device["headers"]
        )
        return answer.status_code == 401

    await eventually(refused_by_notifier)


async def test_a_bill_split_in_two_closes_the_order_only_once_the_second_part_is_paid(
    floor: Floor,
) -> None:
    till = await floor.device("Till")
    placed = await floor.order(floor.venue.spot, "croque", "mousse")
    order_id, session = placed["order_id"], placed["session_id"]
    await floor.at_pos(till, order_id)
    ok(
        await floor.http.post(
            f"{floor.venue.pos}/orders/{order_id}/rounds/1/validate",
            json={"staff": "Camille"},
            headers=till["headers"],
        )
    )
    shares = ok(
        await floor.http.get(
            f"{floor.venue.pos}/orders/{order_id}/split",
            params={"parts": 2},
            headers=till["headers"],
        )
    )["shares"]
    assert shares == [{"amount_minor": 1000, "currency": "EUR"}] * 2
    pay = f"{floor.venue.pos}/orders/{order_id}/payments"

    first = ok(
        await floor.http.post(
            pay,
            json={"amount": shares[0], "method": "cash", "staff": "Camille"},
            headers=till["headers"],
        ),
        201,
    )
    assert first["fully_paid"] is False
    assert await floor.ordering_status(session) != "closed"
    assert await floor.spot_status(floor.venue.spot["spot_id"]) == "occupied"

    second = ok(
        await floor.http.post(
            pay,
            json={"amount": shares[1], "method": "card", "payment_card_token": CARD_REF},
            headers=till["headers"],
        ),
        201,
    )
    assert second["fully_paid"] is True
    assert second["status"] == "paid"

    async def closed() -> bool:
        return await floor.ordering_status(session) == "closed"

    async def free() -> bool:
        return await floor.spot_status(floor.venue.spot["spot_id"]) == "free"

    await eventually(closed)
    await eventually(free)

    # Neither closed on the part payment: the second payment, a later event on the same stream
    # of pos-gateway's topic, is the cause of both closings (and there is one of each).
    def closings(found: dict[str, EventEnvelope]) -> list[EventEnvelope]:
        return [
            e
            for e in found.values()
            if (e.type, e.data.get("order_id")) == ("OrderClosed", order_id)
            or (e.type, e.data.get("session_id")) == ("SessionClosed", session)
        ]

    published = await floor.published(
        ["ordering", "table-session"], lambda found: len(closings(found)) >= 2
    )
    causes = {e.type: e.causation_id for e in closings(published)}
    assert len(closings(published)) == 2
    assert sorted(causes) == ["OrderClosed", "SessionClosed"]
    assert set(causes.values()) <= set(second["event_ids"])
    assert not set(first["event_ids"]) & {e.causation_id for e in published.values()}
