"""What the POS decides shows in the guests' order, over HTTP on real Kafka and PostgreSQL:
pos-gateway's amendment of a round changes its lines and total, its rejection shows the reason
and leaves the round out of the totals (also of the next round's `order_total`); a validated
round goes to production as amended, one ticket per station with the table's name; a part
payment leaves the order open, the payment in full closes it."""

from __future__ import annotations

from typing import Any

import pytest

from convive.contracts.base import LocalizedText, Money
from convive.contracts.ordering import OrderLine
from convive.contracts.pos_gateway import (
    OrderAmended,
    OrderRejected,
    OrderValidated,
    PaymentMethod,
    PaymentSettled,
)
from convive.runtime.testkit import eventually

pytestmark = pytest.mark.infra

VENUE = "venue-bistro"
ALICE, BOB = "guest-alice", "guest-bob"


def eur(cents: int) -> dict[str, Any]:
    return {"amount_minor": cents, "currency": "EUR"}


def with_stations(menu_body: dict[str, Any]) -> dict[str, Any]:
    """The test menu with the drinks made at the bar and the rest left to the kitchen."""
    stations = {"water": "bar", "mousse": "pastry"}
    return {
        **menu_body,
        "products": [
            {**p, "station": stations[p["product_id"]]} if p["product_id"] in stations else p
            for p in menu_body["products"]
        ],
    }


async def test_amendments_rejections_tickets_and_payments_follow_the_pos(
    client: Any,
    menu_body: dict[str, Any],
    create_spot: Any,
    open_session: Any,
    publish: Any,
    stream_of: Any,
) -> None:
    session = "ses-pos"
    menu = with_stations(menu_body)
    assert (await client.put(f"/venues/{VENUE}/menu", json=menu)).status_code == 200
    shown = (await client.get(f"/venues/{VENUE}/menu")).json()
    assert {p["product_id"]: p["station"] for p in shown["products"]} == {
        "croque": None,
        "mousse": "pastry",
        "water": "bar",
        "oysters": None,
    }
    await create_spot("spot-4", "Table 4")
    await open_session(session, ALICE, BOB, spot="spot-4")

    async def add(guest: str, product: str, quantity: int) -> str:
        answer = await client.post(
            f"/sessions/{session}/cart/items",
            json={"guest_id": guest, "product_id": product, "quantity": quantity},
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["line_id"])

    async def confirm(guest: str) -> dict[str, Any]:
        answer = await client.post(f"/sessions/{session}/cart/confirm", json={"guest_id": guest})
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def order() -> dict[str, Any]:
        answer = await client.get(f"/sessions/{session}/order")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    croque = await add(ALICE, "croque", 2)
    water = await add(BOB, "water", 2)
    first = await confirm(ALICE)
    order_id = first["order_id"]
    await add(BOB, "mousse", 1)
    second = await confirm(BOB)
    assert second["order_total"] == eur(2500 + 800 + 750)
    before = await order()
    assert [r["status"] for r in before["rounds"]] == ["pending", "pending"]
    assert [r["amended"] for r in before["rounds"]] == [False, False]
    assert before["rounds"][0]["rejected_reason"] is None

    # Staff amend round 1 at the POS: one croque (well done), the water as it was.
    def order_line(
        line_id: str, product: str, name: str, quantity: int, cents: int, **kw: Any
    ) -> OrderLine:
        return OrderLine(
            line_id=line_id,
            product_id=product,
            name=LocalizedText(fr=name, en=name),
            quantity=quantity,
            unit_price=Money(amount_minor=cents, currency="EUR"),
            guest_id=kw.pop("guest", ALICE),
            **kw,
        )

    pos = f"pos-{order_id}"
    await publish(
        OrderAmended(
            venue_id=VENUE,
            order_id=order_id,
            session_id=session,
            round_number=1,
            lines=[
                order_line(croque, "croque", "Croque-monsieur", 1, 1250, note="well done"),
                order_line(water, "water", "Sparkling water", 2, 400, guest=BOB),
            ],
            round_total=Money(amount_minor=2050, currency="EUR"),
            device_id="till-1",
            amended_by="Camille",
            note="only one croque left",
        ),
        subject=pos,
    )

    async def amended() -> dict[str, Any] | None:
        body = await order()
        return body if body["rounds"][0]["amended"] else None

    view = await eventually(amended)
    first_round = view["rounds"][0]
    assert first_round["status"] == "pending"
    assert first_round["amendment_note"] == "only one croque left"
    assert [(x["product_id"], x["quantity"], x["note"]) for x in first_round["lines"]] == [
        ("croque", 1, "well done"),
        ("water", 2, None),
    ]
    assert first_round["round_total"] == eur(2050)
    assert view["order_total"] == eur(2050 + 750)

    # ...and reject round 2: the guests see why, and it no longer counts.
    await publish(
        OrderRejected(
            venue_id=VENUE,
            order_id=order_id,
            session_id=session,
            round_number=2,
            reason="No more chocolate mousse tonight",
            device_id="till-1",
            rejected_by="Camille",
        ),
        subject=pos,
    )

    async def rejected() -> dict[str, Any] | None:
        body = await order()
        return body if body["rounds"][1]["status"] == "rejected" else None

    view = await eventually(rejected)
    assert view["rounds"][1]["rejected_reason"] == "No more chocolate mousse tonight"
    assert view["rounds"][1]["round_total"] == eur(750), "what was asked for, shown as refused"
    assert view["order_total"] == eur(2050)

    # The next round's order total counts the amendment and leaves the rejection out.
    await add(ALICE, "water", 1)
    third = await confirm(ALICE)
    assert third["round_number"] == 3
    assert third["order_total"] == eur(2050 + 400)
    round_added = (await stream_of(session))[-1]
    assert round_added.type == "RoundAdded"
    assert round_added.data["order_total"] == eur(2450)
    assert (await order())["order_total"] == eur(2450)

    # Round 1 is validated (the POS does not name the session): it goes to production as
    # amended, one ticket per station, with the table's name.
    await publish(
        OrderValidated(
            venue_id=VENUE, order_id=order_id, round_number=1, device_id="till-1", validated_by="C"
        ),
        subject=pos,
    )

    async def tickets(station: str | None = None) -> list[dict[str, Any]]:
        params = {"station": station} if station else {}
        answer = await client.get(f"/venues/{VENUE}/tickets", params=params)
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()
        return found

    made = await eventually(tickets)
    assert [(t["round_number"], t["station"]) for t in made] == [(1, "kitchen"), (1, "bar")]
    kitchen, bar = made
    assert kitchen["order_id"] == order_id
    assert kitchen["spot_name"] == "Table 4"
    assert [(x["line_id"], x["quantity"], x["note"]) for x in kitchen["lines"]] == [
        (croque, 1, "well done")
    ]
    assert kitchen["lines"][0]["name"]["en"] == "Croque-monsieur"
    assert [(x["line_id"], x["quantity"]) for x in bar["lines"]] == [(water, 2)]
    assert kitchen["sent_at"]
    assert (await order())["rounds"][0]["status"] == "validated"
    sent = next(e for e in await stream_of(session) if e.type == "SentToProduction")
    assert sent.data["spot_name"] == "Table 4"
    assert [t["station"] for t in sent.data["tickets"]] == ["kitchen", "bar"]

    # A part payment, then round 3's validation: the order stays open.
    await publish(
        PaymentSettled(
            venue_id=VENUE,
            order_id=order_id,
            session_id=session,
            amount=Money(amount_minor=1000, currency="EUR"),
            method=PaymentMethod.CASH,
            fully_paid=False,
            balance_due=Money(amount_minor=1450, currency="EUR"),
        ),
        subject=pos,
    )
    await publish(
        OrderValidated(
            venue_id=VENUE, order_id=order_id, round_number=3, device_id="till-2", validated_by="S"
        ),
        subject=pos,
    )

    async def bar_tickets() -> list[dict[str, Any]] | None:
        found = await tickets("bar")
        return found if len(found) == 2 else None

    newest_first = await eventually(bar_tickets)
    assert [t["round_number"] for t in newest_first] == [3, 1]
    assert [t["station"] for t in await tickets("pastry")] == []
    assert (await client.get("/venues/elsewhere/tickets")).json() == []
    assert (await order())["status"] == "open", "a part payment closed the order"
    assert "OrderClosed" not in [e.type for e in await stream_of(session)]

    # The payment in full closes it.
    await publish(
        PaymentSettled(
            venue_id=VENUE,
            order_id=order_id,
            session_id=session,
            amount=Money(amount_minor=1450, currency="EUR"),
            method=PaymentMethod.ROOM_CHARGE,
        ),
        subject=pos,
    )

    async def closed() -> bool:
        return (await order())["status"] == "closed"

    await eventually(closed)


async def test_a_menu_with_a_malformed_station_is_refused_naming_it(
    client: Any, menu_body: dict[str, Any], stream_of: Any
) -> None:
    products = menu_body["products"]
    for station in ("", "bar!", "x" * 41, 7):
        body = {**menu_body, "products": [{**products[0], "station": station}, *products[1:]]}
        answer = await client.put(f"/venues/{VENUE}/menu", json=body)
        assert answer.status_code == 400, (station, answer.text)
        assert answer.json()["field"] == "products.0.station", answer.json()
    assert await stream_of(f"menu-{VENUE}") == []
