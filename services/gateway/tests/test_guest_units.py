"""The guest app's pure parts: language negotiation, money, signed cookies, and what the page
shows from the services' answers."""

from __future__ import annotations

from convive.contracts import Money
from convive.gateway.guest.views import Access, guest_labels, live_view, menu_view
from convive.gateway.upstream.ordering import Cart, Menu, Order
from convive.gateway.upstream.table_session import Session
from convive.gateway.web.allergens import allergen_name
from convive.gateway.web.cookies import GuestCookies, Seat
from convive.gateway.web.language import Language, negotiate


def test_the_language_is_the_choice_then_the_cookie_then_the_browsers() -> None:
    assert negotiate(None, None, "fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert negotiate(None, None, "de-DE,en-GB;q=0.8,fr;q=0.5") == "en"
    assert negotiate(None, None, "de-DE") == "en"
    assert negotiate(None, None, "en;q=0.3,fr;q=0.7") == "fr"
    assert negotiate(None, "fr", "en-GB") == "fr"
    assert negotiate("en", "fr", "fr-FR") == "en"
    assert negotiate("xx", None, "fr") == "fr"


def test_money_and_allergens_per_language() -> None:
    fr, en = Language("fr"), Language("en")
    assert fr.money(Money(amount_minor=123450, currency="EUR")) == "1\u202f234,50\u00a0€"
    assert en.money(Money(amount_minor=1250, currency="EUR")) == "€12.50"
    assert allergen_name("soya", en) == "Soybeans"
    assert allergen_name("sulfites", fr) == "Anhydride sulfureux et sulfites"
    assert allergen_name("unknown-thing", fr) == "unknown-thing"


def test_a_seat_cookie_tampered_with_or_moved_is_not_read() -> None:
    cookies = GuestCookies("key", secure=False)
    seat = Seat("tok", "s1", "g1", "guest", "v", "spot", "order", "table")
    value = cookies.seat_cookie(seat).value
    assert value is not None
    assert cookies.seat(value) == seat
    payload, _, mac = value.partition(".")
    assert cookies.seat(payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + mac) is None
    assert GuestCookies("other key", secure=False).seat(value) is None
    assert cookies.device(value) is None  # a seat value is not a device value
    assert cookies.seat("garbage") is None
    assert cookies.seat(None) is None


MENU = {
    "currency": "EUR",
    "categories": [{"category_id": "c", "name": {"fr": "Plats", "en": "Mains"}}],
    "products": [
        {
            "product_id": "croque",
            "category_id": "c",
            "name": {"fr": "Croque", "en": "Croque"},
            "price": {"amount_minor": 1250, "currency": "EUR"},
            "allergens": ["gluten", "milk"],
        },
        {
            "product_id": "steak",
            "category_id": "c",
            "name": {"fr": "Steak", "en": "Steak"},
            "price": {"amount_minor": 2000, "currency": "EUR"},
            "available": False,
            "options": [
                {
                    "group_id": "cooking",
                    "name": {"fr": "Cuisson", "en": "Cooking"},
                    "min_choices": 1,
                    "max_choices": 1,
                    "choices": [
                        {
                            "choice_id": "rare",
                            "name": {"fr": "Saignant", "en": "Rare"},
                            "price_delta": {"amount_minor": 0, "currency": "EUR"},
                        }
                    ],
                },
                {
                    "group_id": "extras",
                    "name": {"fr": "Suppléments", "en": "Extras"},
                    "max_choices": 2,
                    "choices": [
                        {
                            "choice_id": "egg",
                            "name": {"fr": "Œuf", "en": "Egg"},
                            "price_delta": {"amount_minor": 150, "currency": "EUR"},
                        }
                    ],
                },
            ],
        },
    ],
}


def test_the_menu_filters_allergens_and_shows_options_and_sold_out() -> None:
    [mains] = menu_view(Menu.model_validate(MENU), Language("en"), avoid={"milk"})
    croque, steak = mains.products
    assert croque.hidden
    assert croque.allergens == [("gluten", "Cereals containing gluten"), ("milk", "Milk")]
    assert not steak.hidden
    assert not steak.available
    assert [(g.group_id, g.input_type) for g in steak.groups] == [
        ("cooking", "radio"),
        ("extras", "checkbox"),
    ]
    assert steak.groups[1].choices[0].delta == "+€1.50"


def test_lines_say_who_added_them_and_rounds_their_status() -> None:
    t = Language("en")
    session = Session.model_validate(
        {
            "session_id": "s1",
            "status": "open",
            "pin": "123456",
            "guests": [{"guest_id": "g1"}, {"guest_id": "g2"}, {"guest_id": "g3"}],
        }
    )
    labels = guest_labels(session, "g2", t)
    assert labels == {"g1": "guest 1", "g2": "you", "g3": "guest 3"}
    line = {
        "line_id": "l1",
        "product_id": "croque",
        "name": {"fr": "Croque", "en": "Croque"},
        "quantity": 2,
        "unit_price": {"amount_minor": 1250, "currency": "EUR"},
        "line_total": {"amount_minor": 2500, "currency": "EUR"},
        "guest_id": "g3",
    }
    eur = {"amount_minor": 2500, "currency": "EUR"}
    live = live_view(
        Cart.model_validate({"session_id": "s1", "lines": [line], "total": eur}),
        Order.model_validate(
            {
                "order_id": "o1",
                "session_id": "s1",
                "status": "open",
                "order_total": eur,
                "rounds": [
                    {
                        "round_number": 1,
                        "status": "validated",
                        "lines": [line],
                        "round_total": eur,
                        "sent_to_production": True,
                    },
                    {
                        "round_number": 2,
                        "status": "pending",
                        "lines": [line],
                        "round_total": eur,
                        "sent_to_production": False,
                    },
                ],
            }
        ),
        labels,
        "g2",
        t,
    )
    assert (live.lines[0].who, live.lines[0].line_total, live.count) == ("guest 3", "€25.00", 2)
    assert [r.status for r in live.rounds] == ["in_production", "sent"]


def order_of(status: str) -> Order:
    eur = {"amount_minor": 100, "currency": "EUR"}
    one_round = {"round_number": 1, "status": "pending", "lines": [], "round_total": eur}
    return Order.model_validate(
        {
            "order_id": "o1",
            "session_id": "s1",
            "status": status,
            "order_total": eur,
            "rounds": [one_round],
        }
    )


def test_what_a_phone_may_do_follows_the_mode_and_the_spot() -> None:
    order = order_of("open")
    assert Access("guest", "order").can_order
    assert not Access("guest", "menu").can_order
    assert not Access("viewer", "order").can_order
    assert not Access("guest", "order").can_pay(order)
    assert Access("guest", "order_and_pay").can_pay(order)
    assert Access("guest", "pay").can_pay(order)
    assert not Access("guest", "pay").can_pay(order_of("closed"))
    assert Access("guest", "order", kind="room").can_charge_room(order)
    assert not Access("guest", "order", kind="table").can_charge_room(order)
