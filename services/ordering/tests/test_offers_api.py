"""Concierge offers over HTTP on real Kafka and PostgreSQL: a hotel publishes offers and
upgrades; a seated guest of a room (as table-session's events told ordering) orders them, an
auto-confirming offer is confirmed in the same append; the back office lists the orders newest
first with its filters and confirms or cancels them. Every refusal names the field at fault and
appends nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from convive.ordering.projections import own
from convive.runtime.eventstore import EventStore, processed_events
from convive.runtime.projections import ProjectionApplier
from convive.runtime.testkit import eventually

pytestmark = pytest.mark.infra

VENUE = "venue-bistro"
ADA, BOB, CARL, EVE = "guest-ada", "guest-bob", "guest-carl", "guest-eve"


def eur(cents: int) -> dict[str, Any]:
    return {"amount_minor": cents, "currency": "EUR"}


def text(en: str, fr: str | None = None) -> dict[str, str]:
    return {"fr": fr or en, "en": en}


SPA: dict[str, Any] = {
    "name": text("Spa access", "Accès spa"),
    "offer_type": "offer",
    "price": eur(3500),
    "description": text("Two hours of pool and sauna", "Deux heures de piscine et sauna"),
}
LATE_CHECKOUT: dict[str, Any] = {
    "name": text("Late check-out", "Départ tardif"),
    "offer_type": "upgrade",
    "price": eur(2000),
    "auto_confirm": True,
}
CHAMPAGNE: dict[str, Any] = {
    "name": text("Champagne in the room", "Champagne en chambre"),
    "offer_type": "offer",
    "price": eur(9000),
    "available": False,
}


def refusal(response: Any, status: int, field: str, *words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    assert body.get("field") == field, body
    for word in words:
        assert word in body["error"], body


async def publish_offers(client: Any) -> None:
    for offer_id, body in (
        ("spa", SPA),
        ("late-checkout", LATE_CHECKOUT),
        ("champagne", CHAMPAGNE),
    ):
        answer = await client.put(f"/venues/{VENUE}/offers/{offer_id}", json=body)
        assert answer.status_code == 200, answer.text


async def test_offers_are_published_listed_and_bad_ones_refused(
    client: Any, stream_of: Any, event_count: Any
) -> None:
    spa = await client.put(f"/venues/{VENUE}/offers/spa", json=SPA)
    assert spa.status_code == 200, spa.text
    body = spa.json()
    assert len(body["event_ids"]) == 1
    assert {k: body[k] for k in ("offer_id", "venue_id", "offer_type", "price", "name")} == {
        "offer_id": "spa",
        "venue_id": VENUE,
        "offer_type": "offer",
        "price": eur(3500),
        "name": SPA["name"],
    }
    assert (body["auto_confirm"], body["available"]) == (False, True)
    again = await client.put(f"/venues/{VENUE}/offers/spa", json=SPA)
    assert again.status_code == 200
    assert again.json()["event_ids"] == [], "an unchanged offer was published again"
    await publish_offers(client)
    assert [e.type for e in await stream_of("offer-spa")] == ["OfferPublished"]

    listed = (await client.get(f"/venues/{VENUE}/offers")).json()
    assert [o["offer_id"] for o in listed] == ["spa", "late-checkout", "champagne"]
    on_sale = (await client.get(f"/venues/{VENUE}/offers", params={"available": "true"})).json()
    assert [o["offer_id"] for o in on_sale] == ["spa", "late-checkout"]
    assert (await client.get(f"/venues/{VENUE}/offers/late-checkout")).json()["auto_confirm"]
    refusal(await client.get(f"/venues/{VENUE}/offers/caviar"), 404, "offer_id", "caviar")
    assert (await client.get("/venues/elsewhere/offers")).json() == []

    appended = await event_count()
    put = f"/venues/{VENUE}/offers/spa"
    bad = [
        ("type", client.put(put, json={**SPA, "offer_type": "gift"}), 400, "offer_type"),
        ("negative", client.put(put, json={**SPA, "price": eur(-1)}), 400, "price.amount_minor"),
        (
            "currency",
            client.put(put, json={**SPA, "price": {"amount_minor": 1, "currency": "euro"}}),
            400,
            "price.currency",
        ),
        (
            "no name",
            client.put(put, json={k: v for k, v in SPA.items() if k != "name"}),
            400,
            "name",
        ),
        ("unknown field", client.put(put, json={**SPA, "colour": "red"}), 400, "colour"),
        ("bad id", client.put(f"/venues/{VENUE}/offers/spa%20deluxe!", json=SPA), 400, "offer_id"),
        (
            "other venue's id",
            client.put("/venues/other-hotel/offers/spa", json=SPA),
            409,
            "offer_id",
        ),
    ]
    for name, request, status, field in bad:
        answer = await request
        assert answer.status_code == status, (name, answer.text)
        assert answer.json().get("field") == field, (name, answer.json())
    assert await event_count() == appended, "a refused offer appended an event"


async def test_guests_of_a_room_order_offers_and_staff_confirm_or_cancel_them(
    client: Any,
    create_spot: Any,
    open_session: Any,
    stream_of: Any,
    event_count: Any,
) -> None:
    await publish_offers(client)
    await create_spot("spot-112", "Room 112", "room")
    await create_spot("spot-4", "Table 4", "table")
    await open_session("ses-112", ADA, BOB, spot="spot-112")
    await open_session("ses-t4", CARL, spot="spot-4")
    orders = "/sessions/ses-112/offer-orders"

    def ask(**overrides: Any) -> dict[str, Any]:
        return {
            "guest_id": ADA,
            "offer_id": "spa",
            "guest_name": "  Ada Lovelace ",
            "guest_email": "ada@example.org",
            "language": "en",
            "note": "after 6 pm please",
            **overrides,
        }

    spa = await client.post(orders, json=ask())
    assert spa.status_code == 201, spa.text
    spa_order = spa.json()
    assert spa_order["offer_order_id"].startswith("oo_")
    assert len(spa_order["event_ids"]) == 1
    assert {
        k: spa_order[k]
        for k in ("status", "automatic", "guest_name", "guest_email", "offer_id", "offer_type")
    } == {
        "status": "pending",
        "automatic": False,
        "guest_name": "Ada Lovelace",
        "guest_email": "ada@example.org",
        "offer_id": "spa",
        "offer_type": "offer",
    }
    assert spa_order["offer_name"] == SPA["name"]
    assert spa_order["revenue"] == eur(3500)
    assert (spa_order["spot_name"], spa_order["note"]) == ("Room 112", "after 6 pm please")
    assert spa_order["ordered_at"]

    late = await client.post(orders, json=ask(offer_id="late-checkout", note=None))
    assert late.status_code == 201, late.text
    late_order = late.json()
    assert (late_order["status"], late_order["automatic"]) == ("confirmed", True)
    assert len(late_order["event_ids"]) == 2
    stream = await stream_of(f"offer-order-{late_order['offer_order_id']}")
    assert [e.type for e in stream] == ["OfferOrdered", "OfferConfirmed"]
    assert stream[0].data["auto_confirm"] is True
    assert stream[1].data["automatic"] is True
    assert [e.id for e in stream] == late_order["event_ids"]

    mine = (await client.get(orders, params={"guest_id": ADA})).json()
    assert [o["offer_order_id"] for o in mine] == [
        late_order["offer_order_id"],
        spa_order["offer_order_id"],
    ]
    assert (await client.get(orders, params={"guest_id": BOB})).json() == []
    refusal(await client.get(orders), 400, "guest_id")

    # The back office's list: newest first, filtered.
    async def listed(**params: str) -> list[str]:
        answer = await client.get(f"/venues/{VENUE}/offer-orders", params=params)
        assert answer.status_code == 200, answer.text
        return [o["offer_order_id"] for o in answer.json()]

    both = [late_order["offer_order_id"], spa_order["offer_order_id"]]
    today = datetime.now(UTC).date()
    assert await listed() == both
    assert await listed(status="pending") == both[1:]
    assert await listed(status="confirmed") == both[:1]
    assert await listed(offer_type="upgrade") == both[:1]
    assert await listed(q="lovelace") == both
    assert await listed(q="ADA@EXAMPLE") == both
    assert await listed(q="accès spa") == both[1:]
    assert await listed(q="100%") == []
    assert await listed(since=today.isoformat(), until=today.isoformat()) == both
    assert await listed(since=(today + timedelta(days=1)).isoformat()) == []
    assert await listed(until=(today - timedelta(days=1)).isoformat()) == []
    assert await listed(since=spa_order["ordered_at"], until=spa_order["ordered_at"]) == both[1:]
    assert (await client.get("/venues/elsewhere/offer-orders")).json() == []
    offer_orders = f"/venues/{VENUE}/offer-orders"
    refusal(await client.get(offer_orders, params={"status": "lost"}), 400, "status")
    refusal(await client.get(offer_orders, params={"offer_type": "gift"}), 400, "offer_type")
    refusal(await client.get(offer_orders, params={"since": "yesterday"}), 400, "since")
    refusal(await client.get(offer_orders, params={"until": "2025-13-01"}), 400, "until")

    # Staff confirm the spa order, and cancel the auto-confirmed one.
    spa_url = f"/offer-orders/{spa_order['offer_order_id']}"
    late_url = f"/offer-orders/{late_order['offer_order_id']}"
    confirmed = await client.post(f"{spa_url}/confirm", json={"staff": "Inès"})
    assert confirmed.status_code == 200, confirmed.text
    assert (confirmed.json()["status"], confirmed.json()["confirmed_by"]) == ("confirmed", "Inès")
    assert confirmed.json()["automatic"] is False
    cancelled = await client.post(f"{late_url}/cancel", json={"staff": "Inès", "reason": "full"})
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert (body["status"], body["cancelled_by"], body["cancel_reason"]) == (
        "cancelled",
        "Inès",
        "full",
    )
    assert (await client.get(late_url)).json()["status"] == "cancelled"
    assert await listed(status="cancelled") == both[:1]

    appended = await event_count()
    refusals = [
        (
            "confirm twice",
            client.post(f"{spa_url}/confirm", json={"staff": "I"}),
            409,
            "offer_order_id",
        ),
        (
            "confirm cancelled",
            client.post(f"{late_url}/confirm", json={"staff": "I"}),
            409,
            "offer_order_id",
        ),
        (
            "cancel twice",
            client.post(f"{late_url}/cancel", json={"staff": "I"}),
            409,
            "offer_order_id",
        ),
        (
            "unknown order",
            client.post("/offer-orders/oo_nope/confirm", json={"staff": "I"}),
            404,
            "offer_order_id",
        ),
        ("no staff", client.post(f"{spa_url}/cancel", json={}), 400, "staff"),
        ("blank staff", client.post(f"{spa_url}/cancel", json={"staff": "  "}), 400, "staff"),
        ("bad e-mail", client.post(orders, json=ask(guest_email="ada@")), 400, "guest_email"),
        ("not an e-mail", client.post(orders, json=ask(guest_email="ada")), 400, "guest_email"),
        ("no name", client.post(orders, json=ask(guest_name=" ")), 400, "guest_name"),
        ("language", client.post(orders, json=ask(language="de")), 400, "language"),
        ("unknown offer", client.post(orders, json=ask(offer_id="caviar")), 422, "offer_id"),
        ("not on sale", client.post(orders, json=ask(offer_id="champagne")), 409, "offer_id"),
        ("stranger", client.post(orders, json=ask(guest_id=EVE)), 403, "guest_id"),
        (
            "at a table",
            client.post("/sessions/ses-t4/offer-orders", json=ask(guest_id=CARL)),
            409,
            "session_id",
        ),
        (
            "unknown session",
            client.post("/sessions/ses-x/offer-orders", json=ask()),
            404,
            "session_id",
        ),
        ("unknown field", client.post(orders, json=ask(room="112")), 400, "room"),
    ]
    for name, request, status, field in refusals:
        answer = await request
        assert answer.status_code == status, (name, answer.text)
        assert answer.json().get("field") == field, (name, answer.json())
    assert await event_count() == appended, "a refused command appended an event"
    table = await client.post("/sessions/ses-t4/offer-orders", json=ask(guest_id=CARL))
    assert "Table 4 is a table" in table.json()["error"]
    assert (
        "cancelled"
        in (await client.post(f"{late_url}/confirm", json={"staff": "I"})).json()["error"]
    )


async def test_the_offer_read_models_are_rebuilt_from_orderings_events_alone(
    client: Any, create_spot: Any, open_session: Any, reader: Any
) -> None:
    await publish_offers(client)
    changed = await client.put(f"/venues/{VENUE}/offers/spa", json={**SPA, "price": eur(3900)})
    assert changed.status_code == 200, changed.text
    await create_spot("spot-112", "Room 112", "room")
    await open_session("ses-112", ADA, spot="spot-112")
    orders = "/sessions/ses-112/offer-orders"
    ask = {"guest_id": ADA, "guest_name": "Ada", "guest_email": "ada@example.org", "language": "fr"}
    spa = (await client.post(orders, json={**ask, "offer_id": "spa"})).json()
    late = (await client.post(orders, json={**ask, "offer_id": "late-checkout"})).json()
    for offer_order, action in ((spa, "confirm"), (late, "cancel")):
        url = f"/offer-orders/{offer_order['offer_order_id']}/{action}"
        assert (await client.post(url, json={"staff": "Inès"})).status_code == 200

    async def rows() -> dict[str, list[Any]]:
        async with reader.connect() as conn:
            return {
                table.name: sorted(tuple(r) for r in await conn.execute(sa.select(table)))
                for table in own.projection.tables
            }

    async def replay_every_event() -> None:
        history = [envelope async for _, envelope in EventStore(reader).read_all()]
        async with reader.begin() as conn:
            await own.projection.apply(conn, history)

    async def live_consumer_caught_up() -> bool:
        # So that it does not write into the tables while they are rebuilt below.
        handled = [e async for _, e in EventStore(reader).read_all() if e.type in views.handlers]
        async with reader.connect() as conn:
            done = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(processed_events)
                .where(processed_events.c.consumer == views.name)
            )
        return done == len(handled)

    views = own.projection
    await eventually(live_consumer_caught_up)
    before = await rows()
    assert [(r[0], r[4]) for r in before["offers"]] == [
        ("champagne", 9000),
        ("late-checkout", 2000),
        ("spa", 3900),
    ]
    assert len(before["offer_orders"]) == 2
    # Replayed over the live rows, the events change nothing (the handlers are idempotent)...
    await replay_every_event()
    assert await rows() == before
    # ...and into empty tables they rebuild exactly the same rows.
    await ProjectionApplier(reader, own.projection, dead_letter=_ignore).reset()
    assert all(not found for found in (await rows()).values())
    await replay_every_event()
    assert await rows() == before
    statuses = [
        (await client.get(f"/offer-orders/{o['offer_order_id']}")).json()["status"]
        for o in (spa, late)
    ]
    assert statuses == ["confirmed", "cancelled"]


async def _ignore(record: Any, error: str) -> None:
    raise AssertionError(f"nothing is dead-lettered here: {error}")
