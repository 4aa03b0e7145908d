"""Every read model of the ordering service equals a rebuild of it from the topics alone: after an
evening that feeds each of them (table-session's spots, profit centres, sessions and guests;
a menu, a cart and its rounds; the POS's amendment, rejection, validation and payment; a
concierge offer ordered, confirmed and cancelled), each projection, ordering's own included, is
replayed into a shadow schema and compared row by row with the live one."""

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
from convive.contracts.table_session import SessionClosed
from convive.ordering.app import definition
from convive.ordering.settings import Settings
from convive.runtime.testkit import assert_projections_rebuild, eventually

pytestmark = pytest.mark.infra

VENUE = "venue-bistro"
ALICE, BOB, ADA = "guest-alice", "guest-bob", "guest-ada"


def eur(cents: int) -> dict[str, Any]:
    return {"amount_minor": cents, "currency": "EUR"}


def text(en: str) -> dict[str, str]:
    return {"fr": en, "en": en}


async def test_every_projection_equals_its_rebuild_from_the_topics(
    client: Any,
    service_settings: dict[str, Any],
    menu_body: dict[str, Any],
    create_spot: Any,
    open_session: Any,
    configure_mode: Any,
    publish: Any,
) -> None:
    # table-session's facts: a table and a room, their profit centres' modes, two sessions.
    await create_spot("spot-4", "Table 4", "table", profit_centre="room")
    await create_spot("spot-112", "Room 112", "room", profit_centre="hotel")
    await open_session("ses-table", ALICE, BOB, spot="spot-4", profit_centre="room")
    await open_session("ses-room", ADA, spot="spot-112", profit_centre="hotel")
    await configure_mode("room", "order", session="ses-table")
    await configure_mode("hotel", "menu", session="ses-room")

    # A menu, a cart of two guests, two rounds.
    assert (await client.put(f"/venues/{VENUE}/menu", json=menu_body)).status_code == 200
    items = "/sessions/ses-table/cart/items"
    croque = await client.post(
        items, json={"guest_id": ALICE, "product_id": "croque", "quantity": 2}
    )
    assert croque.status_code == 201, croque.text
    water = await client.post(items, json={"guest_id": BOB, "product_id": "water", "quantity": 1})
    assert water.status_code == 201, water.text
    first = await client.post("/sessions/ses-table/cart/confirm", json={"guest_id": ALICE})
    assert first.status_code == 201, first.text
    order_id = first.json()["order_id"]
    mousse = await client.post(items, json={"guest_id": BOB, "product_id": "mousse", "quantity": 1})
    assert mousse.status_code == 201, mousse.text
    second = await client.post("/sessions/ses-table/cart/confirm", json={"guest_id": BOB})
    assert second.status_code == 201, second.text

    # The POS amends round 1, rejects round 2, validates round 1 (naming only the order, so
    # ordering finds the session in its own `order_sessions`) and takes the payment in full.
    pos = f"pos-{order_id}"
    await publish(
        OrderAmended(
            venue_id=VENUE,
            order_id=order_id,
            session_id="ses-table",
            round_number=1,
            lines=[
                OrderLine(
                    line_id=croque.json()["line_id"],
                    product_id="croque",
                    name=LocalizedText(fr="Croque-monsieur", en="Croque-monsieur"),
                    quantity=1,
                    unit_price=Money(amount_minor=1250, currency="EUR"),
                    guest_id=ALICE,
                )
            ],
            round_total=Money(amount_minor=1250, currency="EUR"),
            device_id="till-1",
            amended_by="Camille",
            note="one croque left",
        ),
        subject=pos,
    )
    await publish(
        OrderRejected(
            venue_id=VENUE,
            order_id=order_id,
            session_id="ses-table",
            round_number=2,
            reason="No more mousse",
            device_id="till-1",
            rejected_by="Camille",
        ),
        subject=pos,
    )
    await publish(
        OrderValidated(
            venue_id=VENUE, order_id=order_id, round_number=1, device_id="till-1", validated_by="C"
        ),
        subject=pos,
    )
    await publish(
        PaymentSettled(
            venue_id=VENUE,
            order_id=order_id,
            session_id="ses-table",
            amount=Money(amount_minor=1250, currency="EUR"),
            method=PaymentMethod.CARD,
        ),
        subject=pos,
    )

    async def closed_with_its_ticket() -> bool:
        order = (await client.get("/sessions/ses-table/order")).json()
        tickets = (await client.get(f"/venues/{VENUE}/tickets")).json()
        return order["status"] == "closed" and len(tickets) == 1

    await eventually(closed_with_its_ticket)
    await publish(
        SessionClosed(venue_id=VENUE, spot_id="spot-4", session_id="ses-table", reason="settled"),
        subject="spot-4",
    )

    # A concierge offer: published, changed, ordered from the room twice, confirmed, cancelled.
    spa = {"name": text("Spa access"), "offer_type": "offer", "price": eur(3500)}
    for price in (3500, 3900):
        answer = await client.put(f"/venues/{VENUE}/offers/spa", json={**spa, "price": eur(price)})
        assert answer.status_code == 200, answer.text
    ask = {
        "guest_id": ADA,
        "offer_id": "spa",
        "guest_name": "Ada",
        "guest_email": "ada@example.org",
        "language": "en",
    }
    for action in ("confirm", "cancel"):
        ordered = await client.post("/sessions/ses-room/offer-orders", json=ask)
        assert ordered.status_code == 201, ordered.text
        url = f"/offer-orders/{ordered.json()['offer_order_id']}/{action}"
        assert (await client.post(url, json={"staff": "Inès"})).status_code == 200

    async def session_known_closed() -> bool:
        return (await client.get("/sessions/ses-table")).json()["status"] == "closed"

    await eventually(session_known_closed)
    await assert_projections_rebuild(definition(), Settings(**service_settings))
