"""A settled bill closes the session and releases the spot: pos-gateway's PaymentSettled,
published on its topic as its relay would, becomes SessionClosed + SpotReleased on the spot's
stream (carrying the payment's correlation), and the next scan opens a new session. Stray and
repeated settlements change nothing."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from convive.contracts import EventEnvelope, Money, events_topic
from convive.contracts.pos_gateway import PaymentMethod, PaymentSettled
from convive.runtime.eventstore import processed_events
from convive.runtime.testkit import eventually, read_topic

pytestmark = pytest.mark.infra


def settled(session_id: str, order_id: str = "order-1") -> EventEnvelope:
    event = PaymentSettled(
        venue_id="v1",
        order_id=order_id,
        session_id=session_id,
        amount=Money(amount_minor=4250, currency="EUR"),
        method=PaymentMethod.CARD,
    )
    return EventEnvelope.wrap(event, subject=f"pos-{order_id}")


async def test_a_settled_payment_closes_the_session_and_the_next_scan_opens_a_new_one(
    client: Any,
    setup_venue: Any,
    publish: Any,
    namespace: str,
    kafka_bootstrap: str,
    stream_of: Any,
    reader: Any,
) -> None:
    venue = await setup_venue(client, "v1", "Table 4")
    table = venue["spots"][0]
    host = (await client.post("/scan", json={"token": table["token"], "device_id": "a"})).json()
    await client.post("/scan", json={"token": table["token"], "device_id": "b"})
    session_id = host["session_id"]

    payment = settled(session_id)
    await publish(payment)

    async def closed() -> dict[str, Any] | None:
        session = (await client.get(f"/sessions/{session_id}")).json()
        return session if session["status"] == "closed" else None

    session = await eventually(closed)
    assert session["close_reason"] == "settled"
    spots = (await client.get("/venues/v1/spots")).json()
    assert [(s["status"], s["session_id"]) for s in spots] == [("free", None)]

    history = await stream_of(table["spot_id"])
    closing = history[-2:]
    assert [e.type for e in closing] == ["SessionClosed", "SpotReleased"]
    assert closing[0].data["reason"] == "settled"
    assert {e.data["session_id"] for e in closing} == {session_id}
    assert {e.correlation_id for e in closing} == {payment.correlation_id}
    assert {e.causation_id for e in closing} == {payment.id}

    # The same payment again (a new envelope), and one of a session nobody knows: nothing.
    again, stray = settled(session_id, "order-2"), settled("session-unknown", "order-3")
    await publish(again)
    await publish(stray)

    async def both_handled() -> bool:
        async with reader.connect() as conn:
            handled = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(processed_events)
                .where(processed_events.c.event_id.in_([again.id, stray.id]))
            )
        return handled == 2

    await eventually(both_handled)
    assert len(await stream_of(table["spot_id"])) == len(history)

    reopened = await client.post("/scan", json={"token": table["token"], "device_id": "b"})
    assert reopened.status_code == 201, reopened.text
    assert reopened.json()["role"] == "host"
    assert reopened.json()["session_id"] != session_id
    assert reopened.json()["pin"] != host["pin"]
    assert (await client.get(f"/sessions/{session_id}")).json()["status"] == "closed"

    # Everything the spot's stream holds reached the service's topic, in order.
    expected = [e.type for e in await stream_of(table["spot_id"])]
    records = await read_topic(
        kafka_bootstrap, events_topic("table-session", namespace), expect=len(expected) + 1
    )
    published = [EventEnvelope.from_kafka(r.headers, r.value) for r in records]
    assert [e.type for e in published if e.subject == table["spot_id"]] == expected
    assert [e.type for e in published if e.subject != table["spot_id"]] == [
        "ProfitCentreConfigured"
    ]


async def test_a_part_payment_leaves_the_session_open_until_the_bill_is_paid_in_full(
    client: Any, setup_venue: Any, publish: Any, reader: Any
) -> None:
    venue = await setup_venue(client, "v1", "Table 5")
    table = venue["spots"][0]
    host = (await client.post("/scan", json={"token": table["token"], "device_id": "a"})).json()
    session_id = host["session_id"]

    def payment(amount: int, *, fully_paid: bool) -> PaymentSettled:
        return PaymentSettled(
            venue_id="v1",
            order_id="order-9",
            session_id=session_id,
            amount=Money(amount_minor=amount, currency="EUR"),
            method=PaymentMethod.CASH,
            fully_paid=fully_paid,
            balance_due=Money(amount_minor=0 if fully_paid else 2000, currency="EUR"),
        )

    first = await publish(payment(2000, fully_paid=False), "pos-order-9")

    async def handled(event_id: str) -> bool:
        async with reader.connect() as conn:
            return bool(
                await conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(processed_events)
                    .where(processed_events.c.event_id == event_id)
                )
            )

    await eventually(lambda: handled(first.id))
    assert (await client.get(f"/sessions/{session_id}")).json()["status"] == "open"

    await publish(payment(2000, fully_paid=True), "pos-order-9")

    async def closed() -> bool:
        return (await client.get(f"/sessions/{session_id}")).json()["status"] == "closed"

    await eventually(closed)
