"""Amending and rejecting rounds before validation, over HTTP on real Kafka and PostgreSQL:
products added are priced from the menu the POS learnt from ordering's MenuPublished; once a
round is validated (or rejected) it stays as it is, and the refusal says who decided."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import EventEnvelope, events_topic
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import MenuCategory, MenuProduct, MenuPublished
from convive.contracts.pos_gateway import OrderAmended, OrderRejected, OrderValidated
from convive.pos_gateway.tables import menu_products
from convive.runtime.eventstore import EventStore
from convive.runtime.testkit import eventually, read_topic

pytestmark = pytest.mark.infra

Pair = Callable[[str, str], Awaitable[dict[str, Any]]]
Count = Callable[[], Awaitable[int]]


def _product(product_id: str, name: str, cents: int, available: bool = True) -> MenuProduct:
    return MenuProduct(
        product_id=product_id,
        category_id="drinks",
        name=LocalizedText(fr=name, en=name),
        price={"amount_minor": cents, "currency": "EUR"},  # type: ignore[arg-type]
        available=available,
    )


MENU = MenuPublished(
    venue_id="venue-1",
    currency="EUR",
    categories=[MenuCategory(category_id="drinks", name=LocalizedText(fr="Boissons", en="Drinks"))],
    products=[
        _product("wine", "Wine", 600),
        _product("oysters", "Oysters", 1600, available=False),
    ],
)


async def _known(
    pos: AsyncTestClient[Any], device: dict[str, Any], order_id: str, rounds: int
) -> dict[str, Any]:
    async def seen() -> Any:
        answer = await pos.get(f"/orders/{order_id}", headers=device["headers"])
        return (
            answer.json()
            if answer.status_code == 200 and len(answer.json()["rounds"]) == rounds
            else None
        )

    view: dict[str, Any] = await eventually(seen)
    return view


async def _menu_known(reader: AsyncEngine) -> None:
    async def known() -> bool:
        async with reader.connect() as conn:
            return bool(await conn.scalar(sa.select(sa.func.count()).select_from(menu_products)))

    await eventually(known)


async def test_staff_amend_and_reject_pending_rounds_and_not_once_validated(
    pos: AsyncTestClient[Any],
    pair: Pair,
    publish: Callable[..., Awaitable[EventEnvelope]],
    guest_order: Any,
    reader: AsyncEngine,
    store: EventStore,
    event_count: Count,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    till, bar = await pair("venue-1", "Till"), await pair("venue-1", "Bar")
    await publish(MENU, "menu-venue-1")
    order = guest_order("venue-1")
    await publish(order.next_round(1450, 350))
    await publish(order.next_round(900))
    view = await _known(pos, till, order.order_id, 2)
    await _menu_known(reader)
    steak, tea = view["rounds"][0]["lines"]
    amend_1 = f"/orders/{order.order_id}/rounds/1/amend"

    before = await event_count()
    for body, status, field in [
        (
            {"staff": "Bob", "lines": [{"product_id": "caviar", "quantity": 1}]},
            400,
            "lines[0].product_id",
        ),
        (
            {"staff": "Bob", "lines": [{"product_id": "oysters", "quantity": 1}]},
            409,
            "lines[0].product_id",
        ),
        ({"staff": "Bob", "lines": [{"line_id": "nope", "quantity": 1}]}, 400, "lines[0].line_id"),
        ({"staff": "Bob", "lines": [{"line_id": steak["line_id"], "quantity": 0}]}, 400, "lines"),
        ({"staff": "Bob", "lines": []}, 400, "lines"),
        ({"staff": "Bob", "lines": [{"line_id": steak["line_id"], "quantity": -1}]}, 400, None),
        ({"lines": [{"line_id": steak["line_id"], "quantity": 2}]}, 400, "staff"),
        (
            {"staff": "Bob", "lines": [{"line_id": steak["line_id"], "quantity": 2, "price": 1}]},
            400,
            None,
        ),
    ]:
        refused = await pos.post(amend_1, json=body, headers=till["headers"])
        assert refused.status_code == status, (body, refused.text)
        if field is not None:
            assert refused.json()["field"] == field, (body, refused.text)
    oysters = await pos.post(
        amend_1,
        json={"staff": "Bob", "lines": [{"product_id": "oysters", "quantity": 1}]},
        headers=till["headers"],
    )
    assert "Oysters (oysters) is not available" in oysters.json()["error"]
    assert await event_count() == before

    # two steaks, no tea, a glass of wine from the menu
    amended = await pos.post(
        amend_1,
        json={
            "staff": "Bob",
            "note": "no more tea, sorry",
            "lines": [
                {"line_id": steak["line_id"], "quantity": 2},
                {"product_id": "wine", "quantity": 1, "note": "chilled"},
            ],
        },
        headers=till["headers"],
    )
    assert amended.status_code == 200, amended.text
    assert amended.json()["round_total"] == {"amount_minor": 3500, "currency": "EUR"}
    first = amended.json()["order"]["rounds"][0]
    assert first["amended"] is True
    assert first["status"] == "pending"
    assert [
        (x["product_id"], x["quantity"], x["unit_price"]["amount_minor"], x["note"])
        for x in first["lines"]
    ] == [("product-0", 2, 1450, None), ("wine", 1, 600, "chilled")]
    assert tea["line_id"] not in str(first["lines"])
    assert amended.json()["order"]["total"]["amount_minor"] == 3500 + 900

    rejected = await pos.post(
        f"/orders/{order.order_id}/rounds/2/reject",
        json={"staff": "Bob", "reason": "the bar is closed"},
        headers=bar["headers"],
    )
    assert rejected.status_code == 200, rejected.text
    second = rejected.json()["order"]["rounds"][1]
    assert (second["status"], second["rejected_reason"], second["rejected_by"]) == (
        "rejected",
        "the bar is closed",
        "Bob",
    )
    assert rejected.json()["order"]["total"]["amount_minor"] == 3500
    no_reason = await pos.post(
        f"/orders/{order.order_id}/rounds/1/reject", json={"staff": "Bob"}, headers=till["headers"]
    )
    assert no_reason.status_code == 400
    assert no_reason.json()["field"] == "reason"
    for action, body in [
        ("validate", {"staff": "Ana"}),
        ("amend", {"staff": "Ana", "lines": [{"product_id": "wine", "quantity": 1}]}),
        ("reject", {"staff": "Ana", "reason": "x"}),
    ]:
        refused = await pos.post(
            f"/orders/{order.order_id}/rounds/2/{action}", json=body, headers=till["headers"]
        )
        assert refused.status_code == 409, refused.text
        assert "rejected by Bob (the bar is closed)" in refused.json()["error"]

    validated = await pos.post(
        f"/orders/{order.order_id}/rounds/1/validate", json={"staff": "Ana"}, headers=bar["headers"]
    )
    assert validated.status_code == 200
    assert validated.json()["status"] == "validated"
    for action, body in [
        ("amend", {"staff": "Bob", "lines": [{"product_id": "wine", "quantity": 3}]}),
        ("reject", {"staff": "Bob", "reason": "too late"}),
    ]:
        late = await pos.post(
            f"/orders/{order.order_id}/rounds/1/{action}", json=body, headers=till["headers"]
        )
        assert late.status_code == 409, late.text
        assert late.json()["error"].startswith(
            f"round 1 was already validated by Ana on {bar['device_id']}"
        )
        assert (late.json()["validated_by"], late.json()["device_id"]) == ("Ana", bar["device_id"])

    paid = await pos.post(
        f"/orders/{order.order_id}/payments",
        json={
            "amount": {"amount_minor": 3500, "currency": "EUR"},
            "method": "cash",
            "staff": "Ana",
        },
        headers=till["headers"],
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "paid"

    history = [e.event() for e in await store.read_stream(f"pos-{order.order_id}")]
    assert [type(e).__name__ for e in history] == [
        "OrderAmended",
        "OrderRejected",
        "OrderValidated",
        "PaymentSettled",
    ]
    change = history[0]
    assert isinstance(change, OrderAmended)
    assert (change.round_number, change.amended_by, change.device_id, change.note) == (
        1,
        "Bob",
        till["device_id"],
        "no more tea, sorry",
    )
    assert isinstance(history[1], OrderRejected)
    assert isinstance(history[2], OrderValidated)
    records = await read_topic(kafka_bootstrap, events_topic("pos-gateway", namespace), expect=6)
    published = [EventEnvelope.from_kafka(r.headers, r.value) for r in records]
    assert [e.type for e in published if e.subject == f"pos-{order.order_id}"] == [
        type(e).__name__ for e in history
    ]

    # the read model rebuilt from the topic alone says the same as the write-through
    listed = await pos.get("/venues/venue-1/orders?status=paid", headers=till["headers"])
    assert [o["rounds"][0]["amended"] for o in listed.json()] == [True]


async def test_an_amendment_and_a_validation_at_once_never_validate_what_was_not_seen(
    pos: AsyncTestClient[Any],
    pair: Pair,
    publish: Callable[..., Awaitable[EventEnvelope]],
    guest_order: Any,
    store: EventStore,
) -> None:
    till, bar = await pair("venue-1", "Till"), await pair("venue-1", "Bar")
    order = guest_order("venue-1")
    await publish(order.next_round(1000, 500))
    view = await _known(pos, till, order.order_id, 1)
    first_line = view["rounds"][0]["lines"][0]["line_id"]
    amend, validate = await asyncio.gather(
        pos.post(
            f"/orders/{order.order_id}/rounds/1/amend",
            json={"staff": "Bob", "lines": [{"line_id": first_line, "quantity": 1}]},
            headers=till["headers"],
        ),
        pos.post(
            f"/orders/{order.order_id}/rounds/1/validate",
            json={"staff": "Ana"},
            headers=bar["headers"],
        ),
    )
    assert validate.status_code == 200, validate.text
    history = [type(e.event()).__name__ for e in await store.read_stream(f"pos-{order.order_id}")]
    if amend.status_code == 200:  # the amendment came first: Ana validated the amended round
        assert history == ["OrderAmended", "OrderValidated"]
    else:
        assert amend.status_code == 409
        assert amend.json()["validated_by"] == "Ana"
        assert history == ["OrderValidated"]


async def test_the_staff_account_named_by_a_pos_action_must_be_of_the_venue(
    pos: AsyncTestClient[Any],
    team: Any,
    pair: Pair,
    publish: Callable[..., Awaitable[EventEnvelope]],
    guest_order: Any,
    store: EventStore,
) -> None:
    till = await pair("venue-1", "Till")
    order = guest_order("venue-1")
    await publish(order.next_round(1000))
    await _known(pos, till, order.order_id, 1)
    outsider = await pos.post(
        "/staff",
        json={
            "email": "ulla@example.com",
            "name": "Ulla",
            "role": "cashier",
            "venue_ids": ["venue-2"],
            "password": "correct horse battery",
        },
        headers=team.headers(team.owner),
    )
    assert outsider.status_code == 201
    validate = f"/orders/{order.order_id}/rounds/1/validate"
    for staff_id, status in [(outsider.json()["staff_id"], 403), ("nobody", 422)]:
        refused = await pos.post(
            validate, json={"staff": "X", "staff_id": staff_id}, headers=till["headers"]
        )
        assert refused.status_code == status, refused.text
        assert refused.json()["field"] == "staff_id"
    ok = await pos.post(
        validate,
        json={"staff": "Cyril", "staff_id": team.cashier["staff_id"]},
        headers=till["headers"],
    )
    assert ok.status_code == 200, ok.text
    [event] = [e.event() for e in await store.read_stream(f"pos-{order.order_id}")]
    assert isinstance(event, OrderValidated)
    assert (event.validated_by, event.staff_id) == ("Cyril", team.cashier["staff_id"])
