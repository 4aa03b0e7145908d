"""The back office: what each role may open, what the pages send to the services (and what
they refuse to send), the Orders list with its PMS column, and the form rules."""

from __future__ import annotations

import html
from typing import Any

import pytest

from convive.gateway.admin.forms import apply_product_edits, offer_body, parse_price
from convive.gateway.admin.orders import OrderFilters, order_rows
from convive.gateway.upstream.ordering import Menu, OfferOrder
from convive.gateway.upstream.pos_gateway import FolioPosting
from convive.gateway.web.forms import FormError
from convive.gateway.web.language import Language


def orders_of(gateway: Any) -> str:
    return f"/admin/venues/{gateway.venue}/offer-orders"


def an_order(gateway: Any, offer_order_id: str, status: str, ordered_at: str, **extra: Any) -> Any:
    order = {
        "offer_order_id": offer_order_id,
        "venue_id": gateway.venue,
        "session_id": "ses-x",
        "guest_id": "g",
        "ordered_at": ordered_at,
        "guest_name": extra.pop("guest_name", "Ada Lovelace"),
        "guest_email": "ada@example.com",
        "offer_id": "spa",
        "offer_name": {"fr": "Accès spa", "en": "Spa access"},
        "offer_type": extra.pop("offer_type", "offer"),
        "revenue": {"amount_minor": 3500, "currency": "EUR"},
        "status": status,
        "automatic": False,
        "spot_name": "Room 112",
        "note": None,
        **extra,
    }
    gateway.services.offer_orders.append(order)
    return order


# --- roles and venues --------------------------------------------------------------------------


async def test_a_cashier_sees_orders_but_not_settings_and_cannot_act(gateway: Any) -> None:
    an_order(gateway, "oo-1", "pending", "2026-11-20T10:00:00+00:00")
    await gateway.sign_in("cashier@hotel.test")
    settings = await gateway.client.get(f"/admin/venues/{gateway.venue}/settings")
    assert settings.status_code == 403
    assert 'data-testid="forbidden-page"' in settings.text
    venue = await gateway.client.get(f"/admin/venues/{gateway.venue}")
    assert venue.url.path == orders_of(gateway)  # a cashier's venue page is the Orders list
    assert 'data-testid="offer-order"' in venue.text
    assert 'data-testid="confirm"' not in venue.text
    assert 'data-testid="nav-settings"' not in venue.text
    refused = await gateway.post_from(
        venue.text,
        f"{orders_of(gateway)}/oo-1/confirm",
    )
    assert refused.status_code == 403
    assert gateway.services.sent("POST", r"/offer-orders/.*") == []


async def test_another_venue_is_refused_on_every_route(gateway: Any) -> None:
    await gateway.sign_in("manager@hotel.test")
    for path in ("", "/settings", "/offers", "/offer-orders", "/menu", "/devices", "/spots"):
        page = await gateway.client.get(f"/admin/venues/{gateway.other_venue}{path}")
        assert page.status_code == 403, path
    home = await gateway.client.get("/admin")
    assert html.escape("Hôtel du Port") in home.text
    assert gateway.other_venue not in home.text
    as_script = await gateway.client.get(
        f"/admin/venues/{gateway.other_venue}/offers", headers={"accept": "application/json"}
    )
    assert as_script.status_code == 403
    assert as_script.json()["field"] == "venue_id"


async def test_only_the_owner_manages_staff_accounts(gateway: Any) -> None:
    await gateway.sign_in("manager@hotel.test")
    assert (await gateway.client.get(f"/admin/venues/{gateway.venue}/staff")).status_code == 403
    await gateway.sign_in("owner@hotel.test")
    page = await gateway.client.get(f"/admin/venues/{gateway.venue}/staff")
    assert page.status_code == 200
    assert "cashier@hotel.test" in page.text
    answer = await gateway.post_from(
        page.text,
        f"/admin/venues/{gateway.venue}/staff",
        {
            "name": "Nina",
            "email": "nina@hotel.test",
            "role": "cashier",
            "password": "long enough pass",
            "venue_ids": [gateway.venue],
        },
    )
    assert answer.status_code == 200, answer.text
    assert "Account of Nina opened." in answer.text
    [opened] = gateway.services.sent("POST", "/staff")
    assert opened.staff == gateway.services.accounts["owner@hotel.test"]["staff_id"]
    assert opened.body["venue_ids"] == [gateway.venue]
    # A venue the owner does not have is never asked for.
    refused = await gateway.post_from(
        answer.text,
        f"/admin/venues/{gateway.venue}/staff",
        {
            "name": "Eve",
            "email": "eve@hotel.test",
            "role": "owner",
            "password": "long enough pass",
            "venue_ids": ["someone-elses"],
        },
    )
    assert refused.status_code == 400
    assert len(gateway.services.sent("POST", "/staff")) == 1


async def test_a_post_without_the_csrf_token_reaches_no_service(gateway: Any) -> None:
    await gateway.sign_in("owner@hotel.test")
    answer = await gateway.client.post(
        f"/admin/venues/{gateway.venue}/settings",
        data={"name": "Pirate", "language": "fr", "pms_integration": "none"},
    )
    assert answer.status_code == 403
    assert "This form has expired" in answer.text
    assert gateway.services.sent("PUT", r"/venues/.*/settings") == []


# --- settings, offers, menu, devices -----------------------------------------------------------


async def test_settings_are_saved_and_a_bad_address_is_shown_at_its_field(gateway: Any) -> None:
    await gateway.sign_in("manager@hotel.test")
    path = f"/admin/venues/{gateway.venue}/settings"
    page = await gateway.client.get(path)
    assert 'value="desk@hotel.test"' in page.text
    bad = await gateway.post_from(
        page.text,
        path,
        {
            "name": "Hôtel du Port",
            "language": "en",
            "notification_email": "not an address",
            "pms_integration": "two_way",
        },
    )
    assert bad.status_code == 400
    assert 'data-field="notification_email"' in bad.text
    assert 'value="not an address"' in bad.text  # what was typed is kept
    assert gateway.services.sent("PUT", r"/venues/.*/settings") == []
    good = await gateway.post_from(
        page.text,
        path,
        {
            "name": "Hôtel du Port & Spa",
            "language": "en",
            "notification_email": "",
            "pms_integration": "two_way",
        },
    )
    assert good.status_code == 200
    assert "Settings saved." in good.text
    [put] = gateway.services.sent("PUT", f"/venues/{gateway.venue}/settings")
    assert put.body == {
        "name": "Hôtel du Port & Spa",
        "language": "en",
        "notification_email": None,
        "pms_integration": "two_way",
    }


async def test_offers_are_created_and_edited(gateway: Any) -> None:
    await gateway.sign_in("manager@hotel.test")
    new = await gateway.client.get(f"/admin/venues/{gateway.venue}/offers/new")
    created = await gateway.post_from(
        new.text,
        f"/admin/venues/{gateway.venue}/offers",
        {
            "name_fr": "Petit-déjeuner en chambre",
            "name_en": "Breakfast in the room",
            "offer_type": "offer",
            "price": "24,50",
            "description_fr": "",
            "description_en": "",
            "auto_confirm": "on",
            "available": "on",
        },
    )
    assert created.status_code == 200
    assert created.url.path == f"/admin/venues/{gateway.venue}/offers"
    [put] = gateway.services.sent("PUT", rf"/venues/{gateway.venue}/offers/offer-breakfast.*")
    assert put.body == {
        "name": {"fr": "Petit-déjeuner en chambre", "en": "Breakfast in the room"},
        "offer_type": "offer",
        "price": {"amount_minor": 2450, "currency": "EUR"},
        "description": None,
        "auto_confirm": True,
        "available": True,
    }
    assert "€24.50" in created.text
    offer_id = put.path.rsplit("/", 1)[1]
    edit = await gateway.client.get(f"/admin/venues/{gateway.venue}/offers/{offer_id}")
    assert 'value="24.50"' in edit.text
    saved = await gateway.post_from(
        edit.text,
        f"/admin/venues/{gateway.venue}/offers/{offer_id}",
        {
            "name_fr": "Petit-déjeuner en chambre",
            "name_en": "Breakfast in the room",
            "offer_type": "upgrade",
            "price": "abc",
        },
    )
    assert saved.status_code == 400
    assert 'data-field="price"' in saved.text
    unknown = await gateway.client.get(f"/admin/venues/{gateway.venue}/offers/nope")
    assert unknown.status_code == 404


async def test_the_menu_is_edited_and_published_whole(gateway: Any) -> None:
    options = [
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
        }
    ]
    gateway.services.menus[gateway.venue] = {
        "event_id": "e1",
        "venue_id": gateway.venue,
        "currency": "EUR",
        "categories": [{"category_id": "mains", "name": {"fr": "Plats", "en": "Mains"}}],
        "products": [
            {
                "product_id": "steak",
                "category_id": "mains",
                "name": {"fr": "Steak", "en": "Steak"},
                "description": None,
                "price": {"amount_minor": 2000, "currency": "EUR"},
                "available": True,
                "allergens": [],
                "photo_url": None,
                "options": options,
                "station": None,
            }
        ],
    }
    await gateway.sign_in("manager@hotel.test")
    page = await gateway.client.get(f"/admin/venues/{gateway.venue}/menu")
    saved = await gateway.post_from(
        page.text,
        f"/admin/venues/{gateway.venue}/menu",
        {
            "name_fr:steak": "Entrecôte",
            "name_en:steak": "Rib steak",
            "price:steak": "22",
            "station:steak": "Grill",
            "allergens:steak": ["mustard", "sulfites"],
        },
    )
    assert saved.status_code == 200, saved.text
    [put] = gateway.services.sent("PUT", f"/venues/{gateway.venue}/menu")
    assert put.body == {
        "currency": "EUR",
        "categories": [{"category_id": "mains", "name": {"fr": "Plats", "en": "Mains"}}],
        "products": [
            {
                "product_id": "steak",
                "category_id": "mains",
                "name": {"fr": "Entrecôte", "en": "Rib steak"},
                "price": {"amount_minor": 2200, "currency": "EUR"},
                "available": False,  # the box was not ticked
                "allergens": ["mustard", "sulphites"],
                "options": options,  # kept as they were
                "station": "grill",
            }
        ],
    }


async def test_a_first_product_makes_the_menu(gateway: Any) -> None:
    await gateway.sign_in("manager@hotel.test")
    page = await gateway.client.get(f"/admin/venues/{gateway.venue}/menu")
    assert "no menu yet" in page.text
    added = await gateway.post_from(
        page.text,
        f"/admin/venues/{gateway.venue}/menu/products",
        {
            "name_fr": "Club sandwich",
            "name_en": "Club sandwich",
            "price": "18,50",
        },
    )
    assert added.status_code == 200, added.text
    assert "Product added; menu published." in added.text
    [put] = gateway.services.sent("PUT", f"/venues/{gateway.venue}/menu")
    [product] = put.body["products"]
    assert product["price"] == {"amount_minor": 1850, "currency": "EUR"}
    assert product["allergens"] == []
    assert put.body["categories"] == [
        {"category_id": "menu", "name": {"fr": "Carte", "en": "Menu"}, "position": 0}
    ]


async def test_a_pairing_code_is_shown_big_and_devices_are_revoked(gateway: Any) -> None:
    gateway.services.device(gateway.venue, "d1", "Bar till")
    gateway.services.device(gateway.other_venue, "d9", "Not yours")
    await gateway.sign_in("manager@hotel.test")
    page = await gateway.client.get(f"/admin/venues/{gateway.venue}/devices")
    code = await gateway.post_from(
        page.text,
        f"/admin/venues/{gateway.venue}/pairing-codes",
    )
    assert code.status_code == 201
    assert 'data-testid="pairing-code"' in code.text
    assert "K7QM-4RTX" in code.text
    manager_id = gateway.services.accounts["manager@hotel.test"]["staff_id"]
    assert gateway.services.sent("POST", f"/venues/{gateway.venue}/pairing-codes")[0].staff == (
        manager_id
    )
    revoked = await gateway.post_from(
        page.text,
        f"/admin/venues/{gateway.venue}/devices/d1/revoke",
    )
    assert "Bar till revoked." in revoked.text
    assert gateway.services.sent("POST", "/devices/d1/revoke")[0].staff == manager_id
    # Another venue's device is not revoked through this venue's page.
    other = await gateway.post_from(
        page.text,
        f"/admin/venues/{gateway.venue}/devices/d9/revoke",
    )
    assert other.status_code == 404
    assert gateway.services.sent("POST", "/devices/d9/revoke") == []


# --- guest activity: orders --------------------------------------------------------------------


async def test_orders_are_listed_newest_first_with_the_pms_column(gateway: Any) -> None:
    an_order(gateway, "oo-old", "confirmed", "2026-11-20T08:00:00+00:00", guest_name="Old Guest")
    an_order(gateway, "oo-new", "pending", "2026-11-21T20:30:00+00:00", guest_name="New Guest")
    an_order(gateway, "oo-mid", "confirmed", "2026-11-21T09:00:00+00:00", guest_name="Mid Guest")
    gateway.services.posting("oo-old", "to_post_by_hand")
    gateway.services.posting("oo-mid", "failing", attempts=3, last_error="PMS answered 502")
    await gateway.sign_in("manager@hotel.test")
    page = await gateway.client.get(orders_of(gateway))
    text = page.text
    assert text.index("New Guest") < text.index("Mid Guest") < text.index("Old Guest")
    assert "Post to PMS by hand" in text
    assert "PMS answered 502" in text
    mark = await gateway.post_from(
        text,
        f"{orders_of(gateway)}/oo-old/mark-posted",
        {
            "back": orders_of(gateway) + "?status=confirmed",
        },
    )
    assert mark.url.query == b"status=confirmed"  # back to the list as it was filtered
    [posted] = gateway.services.sent("POST", "/folio-postings/oo-old/mark-posted")
    assert posted.body == {"staff": "Marc"}
    assert posted.staff == gateway.services.accounts["manager@hotel.test"]["staff_id"]
    await gateway.post_from(text, f"{orders_of(gateway)}/oo-mid/retry")
    assert gateway.services.sent("POST", "/folio-postings/oo-mid/retry")


async def test_staff_confirm_and_cancel_with_their_name(gateway: Any) -> None:
    an_order(gateway, "oo-1", "pending", "2026-11-21T10:00:00+00:00")
    await gateway.sign_in("manager@hotel.test")
    page = await gateway.client.get(orders_of(gateway))
    confirmed = await gateway.post_from(page.text, f"{orders_of(gateway)}/oo-1/confirm")
    assert "Order of Ada Lovelace confirmed." in confirmed.text
    assert gateway.services.sent("POST", "/offer-orders/oo-1/confirm")[0].body == {"staff": "Marc"}
    again = await gateway.post_from(page.text, f"{orders_of(gateway)}/oo-1/confirm")
    assert "Refused: this offer order is not pending" in again.text  # ordering's 409, said
    await gateway.post_from(
        page.text,
        f"{orders_of(gateway)}/oo-1/cancel",
        {"reason": "spa closed"},
    )
    assert gateway.services.sent("POST", "/offer-orders/oo-1/cancel")[0].body == {
        "staff": "Marc",
        "reason": "spa closed",
    }


async def test_an_offer_order_of_another_venue_is_never_acted_on(gateway: Any) -> None:
    an_order(gateway, "oo-theirs", "pending", "2026-11-21T10:00:00+00:00", venue_id="bistro-2")
    await gateway.sign_in("manager@hotel.test")
    page = await gateway.client.get(orders_of(gateway))
    answer = await gateway.post_from(page.text, f"{orders_of(gateway)}/oo-theirs/confirm")
    assert answer.status_code == 404
    assert gateway.services.sent("POST", r"/offer-orders/.*") == []


async def test_filters_reach_ordering_and_apply_here_too(gateway: Any) -> None:
    an_order(gateway, "oo-1", "pending", "2026-11-21T10:00:00+00:00", offer_type="upgrade")
    an_order(gateway, "oo-2", "pending", "2026-11-19T10:00:00+00:00", offer_type="upgrade")
    await gateway.sign_in("manager@hotel.test")
    page = await gateway.client.get(
        orders_of(gateway),
        params={"status": "pending", "offer_type": "upgrade", "since": "2026-11-21", "q": "ada"},
    )
    assert page.text.count('data-testid="offer-order"') == 1
    call = gateway.services.sent("GET", f"/venues/{gateway.venue}/offer-orders")[-1]
    assert call.query == {
        "status": "pending",
        "offer_type": "upgrade",
        "since": "2026-11-21",
        "q": "ada",
    }


# --- pure parts --------------------------------------------------------------------------------


def offer_order(offer_order_id: str, status: str, ordered_at: str) -> OfferOrder:
    """An offer order as ordering lists it."""
    return OfferOrder.model_validate(
        {
            "offer_order_id": offer_order_id,
            "venue_id": "hotel-1",
            "ordered_at": ordered_at,
            "guest_name": "Ada Lovelace",
            "guest_email": "ada@example.com",
            "offer_name": {"fr": "Accès spa", "en": "Spa access"},
            "offer_type": "offer",
            "revenue": {"amount_minor": 3500, "currency": "EUR"},
            "status": status,
            "automatic": False,
        }
    )


def test_prices_are_read_as_people_type_them() -> None:
    assert parse_price("12") == 1200
    assert parse_price("12,5") == 1250
    assert parse_price("1 234,56 €") == 123456
    assert parse_price("0.99") == 99
    for bad in ("", "-3", "12.345", "abc", "1e3", "99999999"):
        with pytest.raises(FormError):
            parse_price(bad)


def test_an_offer_needs_both_names_and_both_descriptions_or_none() -> None:
    form = {"name_fr": "Spa", "name_en": "Spa", "offer_type": "offer", "price": "35"}
    assert offer_body(form).auto_confirm is False
    with pytest.raises(FormError) as missing:
        offer_body({**form, "name_en": " "})
    assert missing.value.field == "name_en"
    with pytest.raises(FormError) as half:
        offer_body({**form, "description_fr": "Accès libre"})
    assert half.value.field == "description_en"
    with pytest.raises(FormError) as kind:
        offer_body({**form, "offer_type": "gift"})
    assert kind.value.field == "offer_type"


def test_the_until_date_takes_its_whole_day() -> None:
    filters = OrderFilters.parse({"until": "2026-11-21", "status": "bogus", "since": "nope"})
    assert filters.status == ""
    assert filters.since is None
    assert filters.params() == {"until": "2026-11-21"}
    assert filters.keeps(offer_order("a", "pending", "2026-11-21T23:59:00+00:00"))
    assert not filters.keeps(offer_order("a", "pending", "2026-11-22T00:00:00+00:00"))


def test_the_pms_column_follows_the_integration_and_the_posting() -> None:
    t = Language("en")
    orders = [
        offer_order("a", "confirmed", "2026-11-21T10:00:00Z"),
        offer_order("b", "pending", "2026-11-21T09:00:00Z"),
    ]
    none = order_rows(orders, [], [], "none", OrderFilters(), t)
    assert [r.pms.status for r in none] == ["none", "none"]
    waiting = order_rows(orders, [], [], "two_way", OrderFilters(), t)
    assert [r.pms.status for r in waiting] == ["waiting", "none"]
    posted = order_rows(
        orders,
        [
            FolioPosting.model_validate(
                {
                    "offer_order_id": "a",
                    "status": "posted",
                    "attempts": 1,
                    "last_error": None,
                    "next_attempt_at": None,
                    "pms_reference": None,
                    "method": "manual",
                }
            )
        ],
        [],
        "one_way",
        OrderFilters(),
        t,
    )
    assert posted[0].pms.manual
    assert not posted[0].pms.can_mark_posted


def test_editing_a_product_keeps_what_the_form_does_not_show() -> None:
    menu = {
        "currency": "EUR",
        "categories": [],
        "products": [
            {
                "product_id": "p",
                "category_id": "c",
                "name": {"fr": "A", "en": "A"},
                "price": {"amount_minor": 100, "currency": "EUR"},
                "photo_url": "https://img.example/p.jpg",
                "description": {"fr": "d", "en": "d"},
            }
        ],
    }
    body = apply_product_edits(
        Menu.model_validate(menu),
        {"name_fr:p": "B", "name_en:p": "B", "price:p": "2", "available:p": "on"},
    ).to_json()
    [product] = body["products"]
    assert product["photo_url"] == "https://img.example/p.jpg"
    assert product["description"] == {"fr": "d", "en": "d"}
    assert product["price"]["amount_minor"] == 200
    assert product["available"] is True


# --- a spot's QR code replaced -----------------------------------------------------------------


async def test_a_manager_replaces_a_spots_qr_code_and_sees_the_new_one(gateway: Any) -> None:
    room = gateway.services.room(gateway.venue, "old-token", "Room 112")
    theirs = gateway.services.room(gateway.other_venue, "their-token", "Room 7")
    await gateway.sign_in("cashier@hotel.test")
    spots = f"/admin/venues/{gateway.venue}/spots"
    assert (await gateway.client.get(spots)).status_code == 403  # managers only
    await gateway.sign_in("manager@hotel.test")
    page = await gateway.client.get(spots)
    assert 'data-testid="rotate-qr"' in page.text
    assert "data-confirm=" in page.text  # asked first, as every destructive post
    rotate = f"{spots}/{room['spot_id']}/token/rotate"

    forged = await gateway.client.post(rotate, data={"csrf_token": "forged" * 4})
    assert forged.status_code == 403
    not_ours = await gateway.post_from(page.text, f"{spots}/{theirs['spot_id']}/token/rotate")
    assert not_ours.status_code == 404
    assert gateway.services.sent("POST", r"/spots/.*/token/rotate") == []

    rotated = await gateway.post_from(page.text, rotate)
    assert rotated.status_code == 200
    assert gateway.path_of(str(rotated.url)) == f"{spots}?rotated={room['spot_id']}"
    [sent] = gateway.services.sent("POST", r"/spots/.*/token/rotate")
    assert sent.path == f"/spots/{room['spot_id']}/token/rotate"
    assert "Room 112 has a new QR code: the old one no longer opens its page." in rotated.text
    assert 'data-testid="rotated-qr-image"' in rotated.text
    assert f"/spots/{room['spot_id']}/qr.svg" in rotated.text
    assert room["token"] != "old-token"  # noqa: S105 (a QR token, not a secret)
    assert room["guest_url"] in rotated.text
