"""The complete journey's rules in ordering over HTTP on real Kafka and PostgreSQL: the journey
mode of the session's profit centre (learnt from table-session's events) decides whether the
cart and confirmation are offered, and a change applies to the next command; products carry
options priced into the line; sold-out products are refused by name; a round the POS validates
after the bill was paid online still goes to production. Every refusal appends nothing."""

from __future__ import annotations

from typing import Any

import pytest

from convive.contracts.base import Money
from convive.contracts.pos_gateway import OrderValidated, PaymentMethod, PaymentSettled
from convive.contracts.table_session import JourneyMode, ProfitCentreConfigured
from convive.runtime.testkit import eventually

pytestmark = pytest.mark.infra

VENUE = "venue-bistro"
ALICE, BOB = "guest-alice", "guest-bob"


def refusal(response: Any, status: int, *words: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    for word in words:
        assert word in body["error"], body
    if field is not None:
        assert body.get("field") == field, body


def eur(cents: int) -> dict[str, Any]:
    return {"amount_minor": cents, "currency": "EUR"}


def text(en: str, fr: str | None = None) -> dict[str, str]:
    return {"fr": fr or en, "en": en}


BURGER: dict[str, Any] = {
    "product_id": "burger",
    "category_id": "mains",
    "name": text("Burger"),
    "price": eur(1600),
    "options": [
        {
            "group_id": "cooking",
            "name": text("Cooking", "Cuisson"),
            "min_choices": 1,
            "max_choices": 1,
            "choices": [
                {"choice_id": "rare", "name": text("Rare", "Saignant"), "price_delta": eur(0)},
                {"choice_id": "medium", "name": text("Medium", "À point"), "price_delta": eur(0)},
            ],
        },
        {
            "group_id": "extras",
            "name": text("Extras", "Suppléments"),
            "max_choices": 2,
            "choices": [
                {"choice_id": "cheese", "name": text("Cheese", "Fromage"), "price_delta": eur(150)},
                {"choice_id": "bacon", "name": text("Bacon"), "price_delta": eur(200)},
                {"choice_id": "egg", "name": text("Egg", "Œuf"), "price_delta": eur(100)},
            ],
        },
    ],
}


def with_burger(menu_body: dict[str, Any], burger: dict[str, Any] = BURGER) -> dict[str, Any]:
    return {**menu_body, "products": [*menu_body["products"], burger]}


async def test_the_profit_centres_mode_decides_whether_guests_may_order(
    client: Any,
    menu_body: dict[str, Any],
    open_session: Any,
    configure_mode: Any,
    event_count: Any,
) -> None:
    session = "ses-modes"
    items = f"/sessions/{session}/cart/items"
    assert (await client.put(f"/venues/{VENUE}/menu", json=menu_body)).status_code == 200
    await open_session(session, ALICE, BOB, profit_centre="terrace")

    # Before ordering learns the terrace's mode, the session behaves as in `order`.
    known = await client.get(f"/sessions/{session}")
    assert known.status_code == 200, known.text
    assert known.json() == {
        "session_id": session,
        "venue_id": VENUE,
        "spot_id": "spot-4",
        "profit_centre_id": "terrace",
        "mode": "order",
        "status": "open",
        "host_guest_id": ALICE,
        "guests": sorted([ALICE, BOB]),
    }
    first = await client.post(
        items, json={"guest_id": ALICE, "product_id": "croque", "quantity": 1}
    )
    assert first.status_code == 201, first.text
    assert first.json()["cart"]["mode"] == "order"

    async def refused_everywhere(mode: str, line_id: str) -> None:
        line_url = f"{items}/{line_id}"
        appended = await event_count()
        attempts = {
            "add": client.post(items, json={"guest_id": BOB, "product_id": "water", "quantity": 1}),
            "change": client.patch(line_url, json={"guest_id": BOB, "quantity": 2}),
            "remove": client.delete(line_url, params={"guest_id": BOB}),
            "confirm": client.post(f"/sessions/{session}/cart/confirm", json={"guest_id": BOB}),
        }
        for name, attempt in attempts.items():
            answer = await attempt
            assert answer.status_code == 409, (mode, name, answer.text)
            assert answer.json()["error"] == f"ordering is not offered here (mode {mode})"
            assert answer.json()["field"] == "session_id"
        assert await event_count() == appended, f"a refusal in mode {mode} appended an event"
        cart = (await client.get(f"/sessions/{session}/cart")).json()
        assert cart["mode"] == mode
        assert [x["line_id"] for x in cart["lines"]] == [line_id]
        assert (await client.get(f"/sessions/{session}")).json()["mode"] == mode

    await configure_mode("terrace", "menu", session=session)
    await refused_everywhere("menu", first.json()["line_id"])

    # The venue switches the terrace to order-and-pay: the next commands are accepted.
    await configure_mode("terrace", "order_and_pay", session=session)
    more = await client.post(items, json={"guest_id": BOB, "product_id": "water", "quantity": 2})
    assert more.status_code == 201, more.text
    assert more.json()["cart"]["mode"] == "order_and_pay"
    placed = await client.post(f"/sessions/{session}/cart/confirm", json={"guest_id": BOB})
    assert placed.status_code == 201, placed.text
    order = (await client.get(f"/sessions/{session}/order")).json()
    assert order["mode"] == "order_and_pay"
    assert order["order_total"] == eur(1250 + 800)

    second = await client.post(
        items, json={"guest_id": ALICE, "product_id": "mousse", "quantity": 1}
    )
    assert second.status_code == 201, second.text
    await configure_mode("terrace", "pay", session=session)
    await refused_everywhere("pay", second.json()["line_id"])
    assert (await client.get(f"/sessions/{session}/order")).json()["mode"] == "pay"

    await configure_mode("terrace", "order", session=session)
    again = await client.post(f"/sessions/{session}/cart/confirm", json={"guest_id": ALICE})
    assert again.status_code == 201, again.text
    assert again.json()["round_number"] == 2

    refusal(await client.get("/sessions/ses-nobody"), 404, "not known yet", field="session_id")


async def test_a_mode_learnt_before_the_session_applies_to_it(
    client: Any, menu_body: dict[str, Any], publish: Any, open_session: Any, event_count: Any
) -> None:
    assert (await client.put(f"/venues/{VENUE}/menu", json=menu_body)).status_code == 200
    await publish(
        ProfitCentreConfigured(
            venue_id=VENUE, profit_centre_id="lobby", name="Lobby", mode=JourneyMode.MENU
        ),
        subject="pc-lobby",
    )
    session = "ses-lobby"
    await open_session(session, ALICE, profit_centre="lobby")

    async def menu_mode() -> bool:
        return (await client.get(f"/sessions/{session}")).json()["mode"] == "menu"

    await eventually(menu_mode)
    appended = await event_count()
    refusal(
        await client.post(
            f"/sessions/{session}/cart/items",
            json={"guest_id": ALICE, "product_id": "croque", "quantity": 1},
        ),
        409,
        "ordering is not offered here (mode menu)",
        field="session_id",
    )
    assert await event_count() == appended


async def test_options_are_validated_on_the_menu_and_priced_into_the_lines(
    client: Any, menu_body: dict[str, Any], open_session: Any, event_count: Any, stream_of: Any
) -> None:
    session = "ses-options"
    items = f"/sessions/{session}/cart/items"

    def burger_with(**group_changes: Any) -> dict[str, Any]:
        cooking = {**BURGER["options"][0], **group_changes}
        return with_burger(menu_body, {**BURGER, "options": [cooking, BURGER["options"][1]]})

    # Inconsistent option groups are refused, naming the field path; nothing is published.
    bad_menus = {
        "min above max": (burger_with(min_choices=2, max_choices=1), 422, "options[0].min_choices"),
        "max above choices": (burger_with(max_choices=3), 422, "options[0].max_choices"),
        "duplicate group": (
            with_burger(menu_body, {**BURGER, "options": [BURGER["options"][0]] * 2}),
            422,
            "options[1].group_id",
        ),
        "duplicate choice": (
            burger_with(choices=[BURGER["options"][0]["choices"][0]] * 2),
            422,
            "options[0].choices[1].choice_id",
        ),
        "delta currency": (
            burger_with(
                choices=[
                    {
                        "choice_id": "rare",
                        "name": text("Rare"),
                        "price_delta": {"amount_minor": 0, "currency": "CHF"},
                    }
                ]
            ),
            422,
            "options[0].choices[0].price_delta.currency",
        ),
        "max zero": (burger_with(max_choices=0), 400, None),
        "negative min": (burger_with(min_choices=-1), 400, None),
        "choice without name": (
            burger_with(choices=[{"choice_id": "rare", "price_delta": eur(0)}]),
            400,
            None,
        ),
    }
    for name, (body, status, field) in bad_menus.items():
        answer = await client.put(f"/venues/{VENUE}/menu", json=body)
        assert answer.status_code == status, (name, answer.text)
        if field is not None:
            assert answer.json()["field"] == f"products[4].{field}", (name, answer.json())
    assert await stream_of(f"menu-{VENUE}") == [], "a refused menu was published"

    published = await client.put(f"/venues/{VENUE}/menu", json=with_burger(menu_body))
    assert published.status_code == 200, published.text
    menu = (await client.get(f"/venues/{VENUE}/menu")).json()
    burger = next(p for p in menu["products"] if p["product_id"] == "burger")
    assert [g["group_id"] for g in burger["options"]] == ["cooking", "extras"]
    assert burger["options"][1]["choices"][0] == {
        "choice_id": "cheese",
        "name": {"fr": "Fromage", "en": "Cheese"},
        "price_delta": eur(150),
    }
    assert next(p for p in menu["products"] if p["product_id"] == "croque")["options"] == []

    await open_session(session, ALICE, BOB)

    def add(*options: str, guest: str = ALICE, quantity: int = 1) -> Any:
        return client.post(
            items,
            json={
                "guest_id": guest,
                "product_id": "burger",
                "quantity": quantity,
                "options": [
                    {"group_id": o.split("/")[0], "choice_id": o.split("/")[1]} for o in options
                ],
            },
        )

    appended = await event_count()
    refusals = {
        "below min": (add(), 422, "at least 1 of 'Cooking'", "options"),
        "above max": (add("cooking/rare", "cooking/medium"), 422, "at most 1", "options"),
        "above max (extras)": (
            add("cooking/rare", "extras/cheese", "extras/bacon", "extras/egg"),
            422,
            "at most 2",
            "options",
        ),
        "unknown group": (add("cooking/rare", "sauce/pepper"), 422, "sauce", "options"),
        "unknown choice": (add("cooking/blue"), 422, "blue", "options"),
        "twice": (add("cooking/rare", "extras/egg", "extras/egg"), 422, "twice", "options"),
        "malformed option": (
            client.post(
                items,
                json={
                    "guest_id": ALICE,
                    "product_id": "burger",
                    "quantity": 1,
                    "options": [{"group_id": "cooking"}],
                },
            ),
            400,
            "choice_id",
            None,
        ),
    }
    for name, (request, status, words, field) in refusals.items():
        answer = await request
        assert answer.status_code == status, (name, answer.text)
        assert words in answer.json()["error"], (name, answer.json())
        if field is not None:
            assert answer.json()["field"] == field, (name, answer.json())
    assert await event_count() == appended, "a refused option appended an event"

    # The same product with other options is another line, at its own price.
    rare = await add("extras/egg", "cooking/rare", "extras/cheese", quantity=2)
    assert rare.status_code == 201, rare.text
    medium = await add("cooking/medium", guest=BOB)
    assert medium.status_code == 201, medium.text
    cart = medium.json()["cart"]
    assert cart == (await client.get(f"/sessions/{session}/cart")).json()
    lines = {x["line_id"]: x for x in cart["lines"]}
    rare_line, medium_line = lines[rare.json()["line_id"]], lines[medium.json()["line_id"]]
    assert rare_line["unit_price"] == eur(1600 + 100 + 150)
    assert rare_line["line_total"] == eur(2 * 1850)
    assert [(o["group_id"], o["choice_id"]) for o in rare_line["options"]] == [
        ("cooking", "rare"),
        ("extras", "cheese"),
        ("extras", "egg"),
    ]
    assert rare_line["options"][2] == {
        "group_id": "extras",
        "choice_id": "egg",
        "name": {"fr": "Œuf", "en": "Egg"},
        "price_delta": eur(100),
    }
    assert medium_line["unit_price"] == eur(1600)
    assert [o["choice_id"] for o in medium_line["options"]] == ["medium"]
    assert cart["total"] == eur(2 * 1850 + 1600)

    added = [e for e in await stream_of(session) if e.type == "CartItemAdded"]
    assert [o["choice_id"] for o in added[0].data["options"]] == ["rare", "cheese", "egg"]
    assert added[0].data["options"][1]["name"] == {"fr": "Fromage", "en": "Cheese"}

    placed = await client.post(f"/sessions/{session}/cart/confirm", json={"guest_id": BOB})
    assert placed.status_code == 201, placed.text
    assert placed.json()["round_total"] == eur(2 * 1850 + 1600)
    order = (await client.get(f"/sessions/{session}/order")).json()
    order_lines = {x["line_id"]: x for x in order["rounds"][0]["lines"]}
    assert order_lines[rare_line["line_id"]]["options"] == rare_line["options"]
    assert order_lines[medium_line["line_id"]]["options"] == medium_line["options"]
    confirmed = next(e for e in await stream_of(session) if e.type == "OrderPlaced")
    assert [len(x["options"]) for x in confirmed.data["lines"]] == [3, 1]


async def test_a_sold_out_product_is_refused_by_name(
    client: Any, menu_body: dict[str, Any], open_session: Any, event_count: Any
) -> None:
    session = "ses-sold-out"
    assert (await client.put(f"/venues/{VENUE}/menu", json=menu_body)).status_code == 200
    await open_session(session, ALICE)
    appended = await event_count()
    answer = await client.post(
        f"/sessions/{session}/cart/items",
        json={"guest_id": ALICE, "product_id": "oysters", "quantity": 1},
    )
    refusal(answer, 409, field="product_id")
    assert answer.json()["error"] == "Oysters is sold out"
    assert await event_count() == appended


async def test_a_round_validated_after_an_online_payment_still_goes_to_production(
    client: Any,
    menu_body: dict[str, Any],
    open_session: Any,
    publish: Any,
    stream_of: Any,
    event_count: Any,
) -> None:
    session = "ses-paid-first"
    assert (await client.put(f"/venues/{VENUE}/menu", json=menu_body)).status_code == 200
    await open_session(session, ALICE)
    added = await client.post(
        f"/sessions/{session}/cart/items",
        json={"guest_id": ALICE, "product_id": "croque", "quantity": 1},
    )
    assert added.status_code == 201, added.text
    placed = await client.post(f"/sessions/{session}/cart/confirm", json={"guest_id": ALICE})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]

    # The guest pays online before the POS validated the round.
    await publish(
        PaymentSettled(
            venue_id=VENUE,
            order_id=order_id,
            session_id=session,
            amount=Money(amount_minor=1250, currency="EUR"),
            method=PaymentMethod.ONLINE,
            payment_id="pay-1",
            paid_by_guest=ALICE,
        ),
        subject=f"pos-{order_id}",
    )

    async def closed() -> bool:
        return (await client.get(f"/sessions/{session}/order")).json()["status"] == "closed"

    await eventually(closed)
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

    async def sent() -> bool:
        body = (await client.get(f"/sessions/{session}/order")).json()
        return bool(body["rounds"][0]["sent_to_production"])

    await eventually(sent)
    history = await stream_of(session)
    assert [e.type for e in history][-2:] == ["OrderClosed", "SentToProduction"]
    assert history[-1].causation_id == validated.id

    appended = await event_count()
    refusal(
        await client.post(
            f"/sessions/{session}/cart/items",
            json={"guest_id": ALICE, "product_id": "water", "quantity": 1},
        ),
        409,
        "closed",
        field="session_id",
    )
    refusal(
        await client.post(f"/sessions/{session}/cart/confirm", json={"guest_id": ALICE}),
        409,
        "closed",
    )
    assert await event_count() == appended
