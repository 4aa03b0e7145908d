"""The ordering service over HTTP on real Kafka and PostgreSQL: a venue's menu; two guests of a
session that table-session opened fill one cart and confirm it in rounds; the POS's validations
send rounds to production and its payment closes the order; every refusal names the problem
and appends nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from convive.contracts import EventEnvelope, events_topic
from convive.contracts.base import Money
from convive.contracts.envelope import REQUIRED_HEADERS
from convive.contracts.pos_gateway import OrderValidated, PaymentMethod, PaymentSettled
from convive.contracts.table_session import SessionClosed
from convive.ordering.projections import table_session
from convive.runtime.testkit import eventually, read_topic

pytestmark = pytest.mark.infra

VENUE = "venue-bistro"
ALICE, BOB, MALLORY = "guest-alice", "guest-bob", "guest-mallory"


def refusal(response: Any, status: int, *words: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    for word in words:
        assert word in body["error"], body
    if field is not None:
        assert body.get("field") == field, body


async def test_a_menu_is_published_read_back_and_inconsistent_ones_are_refused(
    client: Any, menu_body: dict[str, Any], stream_of: Any
) -> None:
    missing = await client.get(f"/venues/{VENUE}/menu")
    refusal(missing, 404, "no menu", field="venue_id")

    published = await client.put(f"/venues/{VENUE}/menu", json=menu_body)
    assert published.status_code == 200, published.text
    assert published.json()["venue_id"] == VENUE
    assert len(published.json()["event_ids"]) == 1

    menu = (await client.get(f"/venues/{VENUE}/menu")).json()
    assert menu["currency"] == "EUR"
    assert [c["category_id"] for c in menu["categories"]] == ["mains", "drinks"]
    croque = next(p for p in menu["products"] if p["product_id"] == "croque")
    assert croque["price"] == {"amount_minor": 1250, "currency": "EUR"}
    assert croque["name"]["fr"] == "Croque-monsieur"
    assert croque["allergens"] == ["gluten", "milk"]

    products = menu_body["products"]
    bad_menus = {
        "unknown category": (
            {**menu_body, "categories": menu_body["categories"][:1]},
            422,
            "products[2].category_id",
        ),
        "currency": ({**menu_body, "currency": "CHF"}, 422, "products[0].price.currency"),
        "duplicate": ({**menu_body, "products": [*products, products[0]]}, 422, None),
        "negative price": (
            {
                **menu_body,
                "products": [{**products[0], "price": {"amount_minor": -5, "currency": "EUR"}}],
            },
            400,
            None,
        ),
        "no name": ({**menu_body, "products": [{**products[0], "name": {"fr": "x"}}]}, 400, None),
    }
    for name, (body, status, field) in bad_menus.items():
        answer = await client.put(f"/venues/{VENUE}/menu", json=body)
        assert answer.status_code == status, (name, answer.text)
        if field is not None:
            assert answer.json()["field"] == field, (name, answer.json())
    malformed = await client.put(
        f"/venues/{VENUE}/menu", content=b"{nope", headers={"content-type": "application/json"}
    )
    refusal(malformed, 400)

    assert len(await stream_of(f"menu-{VENUE}")) == 1, "a refused menu appended an event"
    assert (await client.get(f"/venues/{VENUE}/menu")).json() == menu


async def test_two_guests_fill_one_cart_confirm_rounds_the_pos_validates_and_settles(
    client: Any,
    menu_body: dict[str, Any],
    open_session: Any,
    publish: Any,
    stream_of: Any,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    session = "ses-happy"
    assert (await client.put(f"/venues/{VENUE}/menu", json=menu_body)).status_code == 200
    await open_session(session, ALICE, BOB)

    async def add(guest: str, product: str, quantity: int) -> dict[str, Any]:
        answer = await client.post(
            f"/sessions/{session}/cart/items",
            json={"guest_id": guest, "product_id": product, "quantity": quantity},
        )
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        assert len(body["event_ids"]) == 1
        return body

    # Both guests add at once: one stream, optimistic concurrency, both lines kept.
    alice_line, _ = await asyncio.gather(add(ALICE, "croque", 2), add(BOB, "mousse", 1))
    water = await add(BOB, "water", 1)
    assert water["line_id"] in {line["line_id"] for line in water["cart"]["lines"]}

    changed = await client.patch(
        f"/sessions/{session}/cart/items/{alice_line['line_id']}",
        json={"guest_id": BOB, "quantity": 3},
    )
    assert changed.status_code == 200, changed.text
    removed = await client.delete(
        f"/sessions/{session}/cart/items/{water['line_id']}", params={"guest_id": BOB}
    )
    assert removed.status_code == 200, removed.text
    assert len(removed.json()["event_ids"]) == 1
    assert removed.json()["cart"] == (await client.get(f"/sessions/{session}/cart")).json()

    cart = (await client.get(f"/sessions/{session}/cart")).json()
    assert {(x["product_id"], x["guest_id"], x["quantity"]) for x in cart["lines"]} == {
        ("croque", ALICE, 3),
        ("mousse", BOB, 1),
    }
    croque = next(x for x in cart["lines"] if x["product_id"] == "croque")
    assert croque["name"] == {"fr": "Croque-monsieur", "en": "Croque-monsieur"}
    assert croque["unit_price"] == {"amount_minor": 1250, "currency": "EUR"}
    assert croque["line_id"] == alice_line["line_id"]
    assert cart["total"] == {"amount_minor": 4500, "currency": "EUR"}

    placed = await client.post(f"/sessions/{session}/cart/confirm", json={"guest_id": ALICE})
    assert placed.status_code == 201, placed.text
    first = placed.json()
    assert first["order_id"].startswith("ord_")
    assert first["round_number"] == 1
    assert first["round_total"] == first["order_total"] == {"amount_minor": 4500, "currency": "EUR"}
    empty = (await client.get(f"/sessions/{session}/cart")).json()
    assert empty["lines"] == []
    assert empty["total"] == {"amount_minor": 0, "currency": "EUR"}

    await add(ALICE, "water", 2)
    second = (await client.post(f"/sessions/{session}/cart/confirm", json={"guest_id": BOB})).json()
    assert second["order_id"] == first["order_id"]
    assert second["round_number"] == 2
    assert second["round_total"] == {"amount_minor": 800, "currency": "EUR"}
    assert second["order_total"] == {"amount_minor": 5300, "currency": "EUR"}

    order = (await client.get(f"/sessions/{session}/order")).json()
    assert order["status"] == "open"
    assert [r["sent_to_production"] for r in order["rounds"]] == [False, False]
    assert [len(r["lines"]) for r in order["rounds"]] == [2, 1]
    assert order["rounds"][0]["lines"][0]["name"]["en"]

    # The POS validates round 1 (naming the session) and round 2 (not naming it), and its
    # validation of round 1 arrives twice: each round goes to production once.
    order_id = first["order_id"]
    validated = await publish(
        OrderValidated(
            venue_id=VENUE,
            order_id=order_id,
            round_number=1,
            device_id="till-1",
            validated_by="Camille",
            session_id=session,
        ),
        subject=f"pos-{order_id}",
    )
    await publish(
        OrderValidated(
            venue_id=VENUE,
            order_id=order_id,
            round_number=1,
            device_id="till-2",
            validated_by="Sam",
        ),
        subject=f"pos-{order_id}",
    )
    await publish(
        OrderValidated(
            venue_id=VENUE, order_id=order_id, round_number=2, device_id="till-1", validated_by="C"
        ),
        subject=f"pos-{order_id}",
    )

    async def both_rounds_sent() -> bool:
        body = (await client.get(f"/sessions/{session}/order")).json()
        return all(r["sent_to_production"] for r in body["rounds"])

    await eventually(both_rounds_sent)

    payment = await publish(
        PaymentSettled(
            venue_id=VENUE,
            order_id=order_id,
            session_id=session,
            amount=Money(amount_minor=5300, currency="EUR"),
            method=PaymentMethod.CARD,
        ),
        subject=f"pos-{order_id}",
    )

    async def closed() -> bool:
        return (await client.get(f"/sessions/{session}/order")).json()["status"] == "closed"

    await eventually(closed)
    before = len(await stream_of(session))
    late = await client.post(
        f"/sessions/{session}/cart/items",
        json={"guest_id": ALICE, "product_id": "water", "quantity": 1},
    )
    refusal(late, 409, "closed", field="session_id")
    refusal(
        await client.post(f"/sessions/{session}/cart/confirm", json={"guest_id": ALICE}),
        409,
        "closed",
    )
    assert len(await stream_of(session)) == before

    types = [e.type for e in await stream_of(session)]
    assert types == [
        *["CartItemAdded"] * 3,
        "CartItemChanged",
        "CartItemRemoved",
        "OrderPlaced",
        "CartItemAdded",
        "RoundAdded",
        "SentToProduction",
        "SentToProduction",
        "OrderClosed",
    ]

    # What the relay published: every event once, with CloudEvents headers, keyed by stream.
    records = await read_topic(kafka_bootstrap, events_topic("ordering", namespace), expect=12)
    published = []
    for r in records:
        headers = dict(r.headers)
        assert all(headers.get(h) for h in REQUIRED_HEADERS), headers
        envelope = EventEnvelope.from_kafka(r.headers, r.value)
        assert envelope.source == "/convive/ordering"
        assert r.key == envelope.subject.encode()
        envelope.event()  # the body validates against the contract
        published.append(envelope)
    assert len({e.id for e in published}) == 12
    assert sorted(e.type for e in published) == sorted([*types, "MenuPublished"])
    sent = [e for e in published if e.type == "SentToProduction"]
    assert sorted(e.data["round_number"] for e in sent) == [1, 2]
    assert all(e.subject == session for e in sent)
    first_sent = next(e for e in sent if e.data["round_number"] == 1)
    assert first_sent.causation_id == validated.id
    assert first_sent.correlation_id == validated.correlation_id
    order_closed = next(e for e in published if e.type == "OrderClosed")
    assert order_closed.causation_id == payment.id
    assert order_closed.data == {"order_id": order_id, "session_id": session, "venue_id": VENUE}


async def test_every_refusal_names_the_problem_and_appends_nothing(
    client: Any,
    menu_body: dict[str, Any],
    open_session: Any,
    publish: Any,
    event_count: Any,
    reader: Any,
) -> None:
    session = "ses-refusals"
    assert (await client.put(f"/venues/{VENUE}/menu", json=menu_body)).status_code == 200
    items = f"/sessions/{session}/cart/items"

    # A guest may call right after the scan, before ordering learnt of the session.
    too_early = await client.post(
        items, json={"guest_id": ALICE, "product_id": "croque", "quantity": 1}
    )
    refusal(too_early, 404, "not known yet", field="session_id")
    refusal(await client.get(f"/sessions/{session}/cart"), 404, "not known yet")
    refusal(await client.get(f"/sessions/{session}/order"), 404, "no order")

    await open_session(session, ALICE, BOB)
    line = await client.post(items, json={"guest_id": ALICE, "product_id": "croque", "quantity": 1})
    assert line.status_code == 201, line.text
    line_url = f"{items}/{line.json()['line_id']}"
    appended = await event_count()

    def add(**body: Any) -> Any:
        return client.post(items, json={"guest_id": ALICE, "product_id": "croque", **body})

    refusals = [
        ("stranger", add(guest_id=MALLORY, quantity=1), 403, "not a guest", "guest_id"),
        ("unknown product", add(product_id="caviar", quantity=1), 422, "caviar", "product_id"),
        (
            "sold out",
            add(product_id="oysters", quantity=1),
            409,
            "Oysters is sold out",
            "product_id",
        ),
        ("zero", add(quantity=0), 400, "quantity", "quantity"),
        ("negative", add(quantity=-3), 400, "quantity", "quantity"),
        ("too many", add(quantity=1000), 400, "quantity", "quantity"),
        ("not a number", add(quantity="2 please"), 400, "quantity", "quantity"),
        (
            "missing guest",
            client.post(items, json={"product_id": "croque", "quantity": 1}),
            400,
            "guest_id",
            "guest_id",
        ),
        (
            "malformed JSON",
            client.post(
                items, content=b'{"guest_id": ', headers={"content-type": "application/json"}
            ),
            400,
            "",
            None,
        ),
        (
            "unknown line (change)",
            client.patch(f"{items}/nope", json={"guest_id": ALICE, "quantity": 2}),
            404,
            "nope",
            "line_id",
        ),
        (
            "unknown line (remove)",
            client.delete(f"{items}/nope", params={"guest_id": ALICE}),
            404,
            "nope",
            "line_id",
        ),
        (
            "stranger removes",
            client.delete(line_url, params={"guest_id": MALLORY}),
            403,
            "not a guest",
            "guest_id",
        ),
        ("remove without guest", client.delete(line_url), 400, "guest_id", None),
        (
            "change to zero",
            client.patch(line_url, json={"guest_id": ALICE, "quantity": 0}),
            400,
            "quantity",
            "quantity",
        ),
        (
            "stranger confirms",
            client.post(f"/sessions/{session}/cart/confirm", json={"guest_id": MALLORY}),
            403,
            "not a guest",
            "guest_id",
        ),
    ]
    for name, request, status, words, field in refusals:
        answer = await request
        assert answer.status_code == status, (name, answer.text)
        body = answer.json()
        assert words in body["error"], (name, body)
        if field is not None:
            assert body.get("field") == field, (name, body)
    assert await event_count() == appended, "a refused command appended an event"

    # Emptied, the cart cannot be confirmed.
    assert (await client.delete(line_url, params={"guest_id": BOB})).status_code == 200
    appended = await event_count()
    empty = await client.post(f"/sessions/{session}/cart/confirm", json={"guest_id": ALICE})
    refusal(empty, 409, "cart is empty")
    assert await event_count() == appended

    # Once table-session closed the session, its cart takes nothing more.
    await publish(
        SessionClosed(venue_id=VENUE, spot_id="spot-4", session_id=session, reason="settled"),
        subject="spot-4",
    )

    async def known_closed() -> bool:
        async with reader.connect() as conn:
            facts = await table_session.session_facts(conn, session)
        return facts is not None and not facts.open

    await eventually(known_closed)
    appended = await event_count()
    refusal(await add(quantity=1), 409, "closed", field="session_id")
    assert await event_count() == appended
