"""A room's guest page lists the available concierge offers, orders one for the phone's seated
guest (never a guest the form names) and shows that guest's requests with their status."""

from __future__ import annotations

import html
from typing import Any


def offers(gateway: Any) -> None:
    gateway.services.offers[gateway.venue] = {
        "spa": {
            "offer_id": "spa",
            "name": {"fr": "Accès spa", "en": "Spa access"},
            "offer_type": "offer",
            "price": {"amount_minor": 3500, "currency": "EUR"},
            "description": {"fr": "Deux heures", "en": "Two hours"},
            "auto_confirm": True,
            "available": True,
        },
        "suite": {
            "offer_id": "suite",
            "name": {"fr": "Surclassement suite", "en": "Suite upgrade"},
            "offer_type": "upgrade",
            "price": {"amount_minor": 12000, "currency": "EUR"},
            "auto_confirm": False,
            "available": True,
        },
        "gone": {
            "offer_id": "gone",
            "name": {"fr": "Ancienne offre", "en": "Old offer"},
            "offer_type": "offer",
            "price": {"amount_minor": 100, "currency": "EUR"},
            "auto_confirm": False,
            "available": False,
        },
    }


async def test_a_room_guest_orders_offers_and_sees_their_status(gateway: Any) -> None:
    offers(gateway)
    gateway.services.room(gateway.venue, "room112")
    page = await gateway.client.get("/t/room112?lang=en")
    assert page.status_code == 200
    assert page.text.count('data-testid="room-offer"') == 2  # the one not on sale is not shown
    assert "Spa access" in page.text
    assert "Old offer" not in page.text
    assert gateway.services.sent("GET", f"/venues/{gateway.venue}/offers")[0].query == {
        "available": "true"
    }

    auto = await gateway.client.post(
        "/t/room112/offers",
        data={
            "offer_id": "spa",
            "guest_name": "Ada Lovelace",
            "guest_email": "ada@example.com",
            "note": "after 6 pm",
            "guest_id": "someone-else",  # ignored: the seat cookie says who orders
        },
    )
    assert auto.status_code == 200
    assert "Confirmed! A confirmation is on its way to your e-mail." in auto.text
    [sent] = gateway.services.sent("POST", "/sessions/ses-room112/offer-orders")
    assert sent.body == {
        "guest_id": sent.body["guest_id"],
        "offer_id": "spa",
        "guest_name": "Ada Lovelace",
        "guest_email": "ada@example.com",
        "language": "en",
        "note": "after 6 pm",
    }
    assert sent.body["guest_id"].startswith("guest-")

    manual = await gateway.client.post(
        "/t/room112/offers",
        data={"offer_id": "suite", "guest_name": "Ada Lovelace", "guest_email": "ada@example.com"},
    )
    assert "Request sent. The concierge will confirm it by e-mail." in manual.text
    statuses = [
        line.split('data-status="')[1].split('"')[0]
        for line in manual.text.splitlines()
        if 'data-testid="my-offer-order"' in line
    ]
    assert statuses == ["pending", "confirmed"]  # newest first
    assert 'value="ada@example.com"' in manual.text  # the next request is quicker


async def test_bad_requests_are_refused_before_ordering(gateway: Any) -> None:
    offers(gateway)
    gateway.services.room(gateway.venue, "room7")
    await gateway.client.get("/t/room7?lang=fr")
    bad = await gateway.client.post(
        "/t/room7/offers",
        data={"offer_id": "spa", "guest_name": "Ada", "guest_email": "pas une adresse"},
    )
    assert "Indiquez une adresse e-mail" in html.unescape(bad.text)
    as_json = await gateway.client.post(
        "/t/room7/offers",
        json={"offer_id": "spa", "guest_name": "", "guest_email": "ada@example.com"},
    )
    assert as_json.status_code == 400
    assert as_json.json()["field"] == "guest_name"
    assert gateway.services.sent("POST", r"/sessions/.*/offer-orders") == []


async def test_a_phone_not_seated_at_the_room_cannot_order(gateway: Any) -> None:
    offers(gateway)
    gateway.services.room(gateway.venue, "room9")
    answer = await gateway.client.post(
        "/t/room9/offers",
        json={"offer_id": "spa", "guest_name": "Ada", "guest_email": "ada@example.com"},
    )
    assert answer.status_code == 403
    assert answer.json()["field"] == "seat"
    cross_site = await gateway.client.post(
        "/t/room9/offers",
        json={"offer_id": "spa", "guest_name": "Ada", "guest_email": "ada@example.com"},
        headers={"origin": "https://evil.test"},
    )
    assert cross_site.status_code == 403
    assert gateway.services.sent("POST", r"/sessions/.*/offer-orders") == []
