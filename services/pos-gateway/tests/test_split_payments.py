"""Splitting the bill at the till, over HTTP on real Kafka and PostgreSQL: equal shares paid
as part payments, the lines of each guest, and a guest putting the rest on the room; only
the payment that leaves nothing due is `fully_paid`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from convive.contracts import EventEnvelope, events_topic
from convive.contracts.pos_gateway import PaymentSettled
from convive.contracts.table_session import JourneyMode, SpotKind
from convive.runtime.eventstore import EventStore
from convive.runtime.testkit import eventually, read_topic

pytestmark = pytest.mark.infra

Pair = Callable[[str, str], Awaitable[dict[str, Any]]]
Count = Callable[[], Awaitable[int]]
CARD_REF = "tok_visa_4242"  # the provider's token of a card


def eur(cents: int) -> dict[str, Any]:
    return {"amount_minor": cents, "currency": "EUR"}


async def _validated_order(
    pos: AsyncTestClient[Any], device: dict[str, Any], publish: Any, order: Any, *prices: int
) -> dict[str, Any]:
    await publish(order.next_round(*prices))

    async def seen() -> Any:
        answer = await pos.get(f"/orders/{order.order_id}", headers=device["headers"])
        return answer.status_code == 200

    await eventually(seen)
    validated = await pos.post(
        f"/orders/{order.order_id}/rounds/1/validate",
        json={"staff": "Ana"},
        headers=device["headers"],
    )
    assert validated.status_code == 200, validated.text
    view: dict[str, Any] = validated.json()["order"]
    return view


async def test_a_bill_split_in_two_is_paid_in_full_only_by_the_second_part(
    pos: AsyncTestClient[Any],
    pair: Pair,
    publish: Callable[..., Awaitable[EventEnvelope]],
    guest_order: Any,
    store: EventStore,
    event_count: Count,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    till = await pair("venue-1", "Till")
    elsewhere = await pair("venue-2", "Other")
    order = guest_order("venue-1")
    await _validated_order(pos, till, publish, order, 1450, 351)
    split = f"/orders/{order.order_id}/split"

    halves = await pos.get(f"{split}?parts=2", headers=till["headers"])
    assert halves.status_code == 200, halves.text
    assert halves.json() == {"order_id": order.order_id, "parts": 2, "shares": [eur(901), eur(900)]}
    for query, status, field in [
        ("?parts=0", 400, "parts"),
        ("?parts=101", 400, "parts"),
        ("", 400, "parts"),
        ("?parts=two", 400, "parts"),
    ]:
        refused = await pos.get(f"{split}{query}", headers=till["headers"])
        assert refused.status_code == status, (query, refused.text)
        assert refused.json()["field"] == field, (query, refused.text)
    assert (await pos.get(f"{split}?parts=2", headers=elsewhere["headers"])).status_code == 403
    assert (await pos.get("/orders/nope/split?parts=2", headers=till["headers"])).status_code == 404

    pay = f"/orders/{order.order_id}/payments"
    before = await event_count()
    for body, status, field in [
        ({"amount": eur(0), "method": "cash"}, 422, "amount"),
        ({"amount": eur(1802), "method": "cash"}, 422, "amount"),
        ({"amount": eur(900), "method": "card"}, 422, "payment_card_token"),
        (
            {"amount": eur(900), "method": "card", "payment_card_token": "4111111111111111"},
            422,
            "payment_card_token",
        ),
        (
            {"amount": eur(900), "method": "cash", "card_number": "4111111111111111"},
            400,
            "card_number",
        ),
        ({"amount": eur(900), "method": "cash", "line_ids": []}, 400, "line_ids"),
    ]:
        refused = await pos.post(pay, json=body, headers=till["headers"])
        assert refused.status_code == status, (body, refused.text)
        assert refused.json()["field"] == field, (body, refused.text)
    assert await event_count() == before

    first = await pos.post(
        pay, json={"amount": eur(901), "method": "cash", "staff": "Ana"}, headers=till["headers"]
    )
    assert first.status_code == 201, first.text
    assert first.json()["fully_paid"] is False
    assert first.json()["payment"]["balance_due"] == eur(900)
    assert first.json()["status"] == "validated"
    assert first.json()["due"] == eur(900)
    # what is left splits again
    assert (await pos.get(f"{split}?parts=2", headers=till["headers"])).json()["shares"] == [
        eur(450),
        eur(450),
    ]

    second = await pos.post(
        pay,
        json={"amount": eur(900), "method": "card", "payment_card_token": CARD_REF},
        headers=till["headers"],
    )
    assert second.status_code == 201, second.text
    assert second.json()["fully_paid"] is True
    assert second.json()["status"] == "paid"
    view = second.json()["order"]
    assert (view["total"], view["paid"], view["due"]) == (eur(1801), eur(1801), eur(0))
    assert [
        (p["amount"], p["method"], p["fully_paid"], p["received_by"]) for p in view["payments"]
    ] == [
        (eur(901), "cash", False, "Ana"),
        (eur(900), "card", True, None),
    ]
    assert all(line["paid"] for line in view["rounds"][0]["lines"])
    assert (
        await pos.post(pay, json={"amount": eur(1), "method": "cash"}, headers=till["headers"])
    ).status_code == 409

    settled = [e.event() for e in await store.read_stream(f"pos-{order.order_id}")][1:]
    assert all(isinstance(e, PaymentSettled) for e in settled)
    assert [(e.fully_paid, e.balance_due.amount_minor, e.device_id) for e in settled] == [  # type: ignore[union-attr, attr-defined]
        (False, 900, till["device_id"]),
        (True, 0, till["device_id"]),
    ]
    records = await read_topic(kafka_bootstrap, events_topic("pos-gateway", namespace), expect=5)
    published = [EventEnvelope.from_kafka(r.headers, r.value) for r in records]
    payments = [e.event() for e in published if e.type == "PaymentSettled"]
    assert [p.fully_paid for p in payments] == [False, True]  # type: ignore[attr-defined]


async def test_each_guest_pays_their_own_lines(
    pos: AsyncTestClient[Any],
    pair: Pair,
    publish: Callable[..., Awaitable[EventEnvelope]],
    guest_order: Any,
) -> None:
    till = await pair("venue-1", "Till")
    order = guest_order("venue-1")
    view = await _validated_order(pos, till, publish, order, 1450, 350, 900)
    steak, tea, cake = (line["line_id"] for line in view["rounds"][0]["lines"])
    pay = f"/orders/{order.order_id}/payments"

    alice = await pos.post(
        pay,
        json={"amount": eur(1800), "method": "cash", "line_ids": [steak, tea]},
        headers=till["headers"],
    )
    assert alice.status_code == 201, alice.text
    assert alice.json()["fully_paid"] is False
    lines = alice.json()["order"]["rounds"][0]["lines"]
    assert [line["line_total"] for line in lines] == [eur(1450), eur(350), eur(900)]
    assert [(line["line_id"], line["paid"]) for line in lines] == [
        (steak, True),
        (tea, True),
        (cake, False),
    ]
    for body, status, text in [
        ({"amount": eur(1450), "line_ids": [steak]}, 409, "already paid"),
        ({"amount": eur(800), "line_ids": [cake]}, 422, "expected 900 EUR, given 800 EUR"),
        ({"amount": eur(900), "line_ids": ["nope"]}, 422, "line nope"),
    ]:
        refused = await pos.post(pay, json={**body, "method": "cash"}, headers=till["headers"])
        assert refused.status_code == status, refused.text
        assert text in refused.json()["error"]
    bob = await pos.post(
        pay,
        json={
            "amount": eur(900),
            "method": "card",
            "payment_card_token": CARD_REF,
            "line_ids": [cake],
        },
        headers=till["headers"],
    )
    assert bob.status_code == 201, bob.text
    assert bob.json()["fully_paid"] is True
    assert [p["line_ids"] for p in bob.json()["order"]["payments"]] == [[steak, tea], [cake]]


async def test_a_guest_puts_what_is_left_after_a_part_payment_on_the_room(
    pos: AsyncTestClient[Any], pair: Pair, seated_order: Any
) -> None:
    till = await pair("venue-1", "Till")
    seated = await seated_order(kind=SpotKind.ROOM, mode=JourneyMode.ORDER, prices=(1450, 350))
    validated = await pos.post(
        f"/orders/{seated.order_id}/rounds/1/validate",
        json={"staff": "Ana"},
        headers=till["headers"],
    )
    assert validated.status_code == 200
    part = await pos.post(
        f"/orders/{seated.order_id}/payments",
        json={"amount": eur(500), "method": "cash"},
        headers=till["headers"],
    )
    assert part.json()["fully_paid"] is False
    charged = await pos.post(
        f"/orders/{seated.order_id}/room-charge", json={"guest_id": seated.guest}
    )
    assert charged.status_code == 201, charged.text
    assert charged.json()["payment"]["amount"] == eur(1300)
    assert charged.json()["status"] == "paid"
    view = (await pos.get(f"/orders/{seated.order_id}", headers=till["headers"])).json()
    assert [(p["method"], p["fully_paid"]) for p in view["payments"]] == [
        ("cash", False),
        ("room_charge", True),
    ]
