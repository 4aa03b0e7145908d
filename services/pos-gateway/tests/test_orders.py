"""Orders at the POS, over HTTP on real Kafka and PostgreSQL: ordering's rounds reach the POS
through its topic; devices validate them (one of two concurrent validations wins) and settle
the bill for the exact amount; every refusal appends nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from convive.contracts import EventEnvelope, events_topic
from convive.contracts.pos_gateway import OrderValidated, PaymentSettled
from convive.runtime.eventstore import EventStore
from convive.runtime.testkit import eventually, read_topic

pytestmark = pytest.mark.infra

PROVIDER_CARD_REF = "tok_visa_4242"

Pair = Callable[[str, str], Awaitable[dict[str, Any]]]
Publish = Callable[[EventEnvelope], Awaitable[object]]


async def _orders(pos: AsyncTestClient[Any], device: dict[str, Any], status: str) -> Any:
    response = await pos.get(
        f"/venues/{device['venue_id']}/orders?status={status}", headers=device["headers"]
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_pos_lists_validates_and_settles_an_order_placed_by_guests(
    pos: AsyncTestClient[Any],
    pair: Pair,
    publish: Publish,
    guest_order: Any,
    store: EventStore,
    event_count: Callable[[], Awaitable[int]],
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    till, bar = await pair("venue-1", "Till"), await pair("venue-1", "Bar")
    elsewhere = await pair("venue-2", "Other till")
    order = guest_order("venue-1")
    first_round = order.next_round(1450, 350)
    await publish(first_round)
    await publish(order.next_round(900))
    older = guest_order("venue-1")
    await publish(older.next_round(500))  # placed after, so newest
    await publish(guest_order("venue-2").next_round(700))

    async def both_rounds_pending() -> Any:
        listed = await _orders(pos, till, "pending")
        mine = [o for o in listed if o["order_id"] == order.order_id]
        return listed if len(listed) == 2 and mine and len(mine[0]["rounds"]) == 2 else None

    pending = await eventually(both_rounds_pending)
    assert [o["order_id"] for o in pending] == [older.order_id, order.order_id]
    view = pending[1]
    assert view["session_id"] == order.session_id
    assert view["spot_id"] == order.spot_id
    assert view["order_total"] == {"amount_minor": 2700, "currency": "EUR"}
    assert view["paid"] == {"amount_minor": 0, "currency": "EUR"}
    assert view["status"] == "pending"
    assert [(r["round_number"], r["round_total"]["amount_minor"]) for r in view["rounds"]] == [
        (1, 1800),
        (2, 900),
    ]
    assert [line["unit_price"]["amount_minor"] for line in view["rounds"][0]["lines"]] == [
        1450,
        350,
    ]
    assert not any(r["validated"] for r in view["rounds"])
    shown = await pos.get(f"/orders/{order.order_id}", headers=bar["headers"])
    assert shown.status_code == 200
    assert shown.json() == view
    # a device sees only its own venue's orders
    assert (
        await pos.get(f"/orders/{order.order_id}", headers=elsewhere["headers"])
    ).status_code == 403

    async def other_venue_listed() -> Any:
        listed = await _orders(pos, elsewhere, "all")
        return listed or None

    assert [o["venue_id"] for o in await eventually(other_venue_listed)] == ["venue-2"]

    before = await event_count()
    pay_path = f"/orders/{order.order_id}/payments"
    full = {
        "amount": {"amount_minor": 2700, "currency": "EUR"},
        "method": "card",
        "payment_card_token": PROVIDER_CARD_REF,
    }

    # refusals before any validation
    early = await pos.post(pay_path, json=full, headers=till["headers"])
    assert early.status_code == 409, early.text
    assert "round 1, 2" in early.json()["error"]
    unknown_round = await pos.post(
        f"/orders/{order.order_id}/rounds/3/validate",
        json={"staff": "Alice"},
        headers=till["headers"],
    )
    assert unknown_round.status_code == 404
    assert unknown_round.json()["field"] == "round_number"
    assert "round 3" in unknown_round.json()["error"]
    unknown_order = await pos.post(
        "/orders/order-nope/rounds/1/validate", json={"staff": "Alice"}, headers=till["headers"]
    )
    assert unknown_order.status_code == 404
    assert unknown_order.json()["field"] == "order_id"
    foreign = await pos.post(
        f"/orders/{order.order_id}/rounds/1/validate",
        json={"staff": "Mallory"},
        headers=elsewhere["headers"],
    )
    assert foreign.status_code == 403
    no_staff = await pos.post(
        f"/orders/{order.order_id}/rounds/1/validate", json={}, headers=till["headers"]
    )
    assert no_staff.status_code == 400
    assert no_staff.json()["field"] == "staff"
    round_zero = await pos.post(
        f"/orders/{order.order_id}/rounds/0/validate", json={"staff": "A"}, headers=till["headers"]
    )
    assert round_zero.status_code == 400
    malformed = await pos.post(
        f"/orders/{order.order_id}/rounds/1/validate",
        content=b'{"staff": ',
        headers={**till["headers"], "content-type": "application/json"},
    )
    assert malformed.status_code == 400
    assert await event_count() == before

    # two devices validate round 1 at once: exactly one wins
    validate_1 = f"/orders/{order.order_id}/rounds/1/validate"
    answers = await asyncio.gather(
        pos.post(validate_1, json={"staff": "Alice"}, headers=till["headers"]),
        pos.post(validate_1, json={"staff": "Bruno"}, headers=bar["headers"]),
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    won = next(a.json() for a in answers if a.status_code == 200)
    lost = next(a.json() for a in answers if a.status_code == 409)
    assert won["round_number"] == 1
    assert lost["error"] == (
        f"round 1 was already validated by {won['validated_by']} on {won['device_id']}"
    )
    assert (lost["validated_by"], lost["device_id"]) == (won["validated_by"], won["device_id"])
    winner = till if won["device_id"] == till["device_id"] else bar
    assert won["validated_by"] == ("Alice" if winner is till else "Bruno")
    assert won["status"] == "pending"
    again = await pos.post(validate_1, json={"staff": "Chloé"}, headers=till["headers"])
    assert again.status_code == 409

    second = await pos.post(
        f"/orders/{order.order_id}/rounds/2/validate",
        json={"staff": "Chloé"},
        headers=bar["headers"],
    )
    assert second.status_code == 200, second.text
    assert second.json()["status"] == "validated"
    assert await _orders(pos, till, "pending") == [
        o for o in await _orders(pos, till, "all") if o["order_id"] == older.order_id
    ]
    validated = await _orders(pos, till, "validated")
    assert [o["order_id"] for o in validated] == [order.order_id]
    rounds = validated[0]["rounds"]
    assert [(r["validated"], r["validated_by"], r["device_id"]) for r in rounds] == [
        (True, won["validated_by"], won["device_id"]),
        (True, "Chloé", bar["device_id"]),
    ]

    # refusals of a payment
    before = await event_count()
    wrong_amount = await pos.post(
        pay_path,
        json={**full, "amount": {"amount_minor": 2800, "currency": "EUR"}},
        headers=till["headers"],
    )
    assert wrong_amount.status_code == 422
    assert wrong_amount.json()["field"] == "amount"
    assert "at most 2700 EUR, given 2800 EUR" in wrong_amount.json()["error"]
    no_token = await pos.post(
        pay_path, json={**full, "payment_card_token": None}, headers=till["headers"]
    )
    assert no_token.status_code == 422
    assert no_token.json()["field"] == "payment_card_token"
    online = await pos.post(pay_path, json={**full, "method": "online"}, headers=till["headers"])
    assert online.status_code == 400
    assert online.json()["field"] == "method"
    wrong_currency = await pos.post(
        pay_path,
        json={**full, "amount": {"amount_minor": 2700, "currency": "USD"}},
        headers=till["headers"],
    )
    assert wrong_currency.status_code == 422
    assert wrong_currency.json()["field"] == "amount.currency"
    card_number = await pos.post(
        pay_path,
        json={**full, "payment_card_token": "4111 1111 1111 1111"},
        headers=till["headers"],
    )
    assert card_number.status_code == 422
    assert card_number.json()["field"] == "payment_card_token"
    bad_method = await pos.post(pay_path, json={**full, "method": "iou"}, headers=till["headers"])
    assert bad_method.status_code == 400
    assert bad_method.json()["field"] == "method"
    negative = await pos.post(
        pay_path,
        json={**full, "amount": {"amount_minor": -5, "currency": "EUR"}},
        headers=till["headers"],
    )
    assert negative.status_code == 400
    foreign_pay = await pos.post(pay_path, json=full, headers=elsewhere["headers"])
    assert foreign_pay.status_code == 403
    assert await event_count() == before

    # the right payment
    paid = await pos.post(pay_path, json=full, headers=till["headers"])
    assert paid.status_code == 201, paid.text
    assert paid.json()["paid"] == {"amount_minor": 2700, "currency": "EUR"}
    assert paid.json()["status"] == "paid"
    assert paid.json()["fully_paid"] is True
    twice = await pos.post(pay_path, json=full, headers=bar["headers"])
    assert twice.status_code == 409
    assert "already paid" in twice.json()["error"]
    assert [o["order_id"] for o in await _orders(pos, till, "paid")] == [order.order_id]

    # what was decided, in the event store and on the topic
    history = await store.read_stream(f"pos-{order.order_id}")
    decided = [e.event() for e in history]
    assert [type(e) for e in decided] == [OrderValidated, OrderValidated, PaymentSettled]
    assert [e.round_number for e in decided[:2]] == [1, 2]  # type: ignore[attr-defined]
    assert all(e.session_id == order.session_id for e in decided)  # type: ignore[attr-defined]
    settled = decided[2]
    assert isinstance(settled, PaymentSettled)
    assert settled.amount.amount_minor == 2700
    assert settled.payment_card_token == PROVIDER_CARD_REF
    assert settled.venue_id == "venue-1"
    assert [e.id for e in history[2:]] == paid.json()["event_ids"]

    records = await read_topic(kafka_bootstrap, events_topic("pos-gateway", namespace), expect=6)
    published = [EventEnvelope.from_kafka(r.headers, r.value) for r in records]
    about_order = [e for e in published if e.subject == f"pos-{order.order_id}"]
    assert [e.type for e in about_order] == ["OrderValidated", "OrderValidated", "PaymentSettled"]
    assert [e.id for e in about_order] == [e.id for e in history]
    assert [e.type for e in published].count("DevicePaired") == 3
    payment = about_order[2]
    headers = {
        k: v.decode() for k, v in records[[e.id for e in published].index(payment.id)].headers
    }
    assert headers["ce_type"] == "PaymentSettled"
    assert headers["ce_source"] == "/convive/pos-gateway"
    assert headers["ce_subject"] == f"pos-{order.order_id}"
    assert headers["ce_specversion"] == "1.0"
    assert headers["content-type"] == "application/json"
    # the POS's decisions continue the story the guest started
    assert payment.correlation_id == first_round.correlation_id
    assert payment.causation_id == first_round.id
    assert PaymentSettled.model_validate(payment.data) == settled


async def test_a_round_added_after_validation_makes_the_order_pending_again(
    pos: AsyncTestClient[Any],
    pair: Pair,
    publish: Publish,
    guest_order: Any,
) -> None:
    till = await pair("venue-1", "Till")
    order = guest_order("venue-1")
    await publish(order.next_round(1000))

    async def listed(status: str, rounds: int) -> Any:
        found = [o for o in await _orders(pos, till, status) if o["order_id"] == order.order_id]
        return found if found and len(found[0]["rounds"]) == rounds else None

    await eventually(lambda: listed("pending", 1))
    ok = await pos.post(
        f"/orders/{order.order_id}/rounds/1/validate",
        json={"staff": "Alice"},
        headers=till["headers"],
    )
    assert ok.status_code == 200
    assert ok.json()["status"] == "validated"

    await publish(order.next_round(250))
    [view] = await eventually(lambda: listed("pending", 2))
    assert view["order_total"]["amount_minor"] == 1250
    refused = await pos.post(
        f"/orders/{order.order_id}/payments",
        json={"amount": {"amount_minor": 1250, "currency": "EUR"}, "method": "cash"},
        headers=till["headers"],
    )
    assert refused.status_code == 409
    assert "round 2" in refused.json()["error"]
