"""What the guest page shows of a round the staff amended or refused (ordering's order view)."""

from __future__ import annotations

from convive.gateway.guest.views import live_view
from convive.gateway.upstream.ordering import Order
from convive.gateway.web.language import Language


def test_an_amended_round_and_a_refused_one_say_so_with_the_staffs_words() -> None:
    line = {
        "line_id": "l1",
        "product_id": "croque",
        "name": {"fr": "Croque", "en": "Croque"},
        "quantity": 2,
        "unit_price": {"amount_minor": 1250, "currency": "EUR"},
        "guest_id": "g1",
    }
    round_total = {"amount_minor": 2500, "currency": "EUR"}
    order = {
        "order_id": "o1",
        "session_id": "s1",
        "status": "open",
        "rounds": [
            {
                "round_number": 1,
                "status": "pending",
                "lines": [line],
                "round_total": round_total,
                "amended": True,
                "amendment_note": "Two croques, as asked",
                "sent_to_production": False,
            },
            {
                "round_number": 2,
                "status": "rejected",
                "lines": [line],
                "round_total": round_total,
                "rejected_reason": "No more croques tonight",
                "sent_to_production": False,
            },
            {
                "round_number": 3,
                "status": "validated",
                "lines": [line],
                "round_total": round_total,
            },
        ],
        "order_total": {"amount_minor": 5000, "currency": "EUR"},
    }
    live = live_view(None, Order.model_validate(order), {"g1": "you"}, "g1", Language("en"))
    amended, rejected, validated = live.rounds
    assert (amended.status, amended.amended, amended.amendment_note) == (
        "sent",
        True,
        "Two croques, as asked",
    )
    assert (rejected.status, rejected.status_text) == ("rejected", "Refused by the staff")
    assert rejected.rejected_reason == "No more croques tonight"
    assert validated.status == "validated"
    assert live.order_total == "€50.00"
