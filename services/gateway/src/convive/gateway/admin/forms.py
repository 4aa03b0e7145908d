"""What the back office reads from its forms (pure functions, no I/O): venue settings, staff
accounts, offers and menu products from plain form fields, and the menu as its edit page shows
it. Form problems raise `web.forms.FormError` naming the field and the message, so the page can
be shown again with the entered values and the error next to its field."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from convive.gateway.web.forms import (
    EMAIL,
    Form,
    FormError,
    checked,
    choice,
    money_input,
    parse_money,
    text,
)
from convive.gateway.web.i18n import ALLERGENS, Translator, allergen_code

LANGUAGES = ("fr", "en")
PMS_MODES = ("none", "one_way", "two_way")
JOURNEY_MODES = ("menu", "order", "order_and_pay", "pay")
SPOT_KINDS = ("table", "room")
OFFER_TYPES = ("offer", "upgrade")
STAFF_ROLES = ("owner", "manager", "cashier")
MAX_PRICE_MINOR = 100_000_000
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")


def parse_price(value: Any, name: str = "price", currency: str = "EUR") -> int:
    """Minor units of a price as people type it (`12`, `12,50`, `1 234,50 €`; never negative)."""
    return parse_money(
        value, field=name, message="error_price", currency=currency, maximum=MAX_PRICE_MINOR
    )


def price_input(money: Mapping[str, Any] | None) -> str:
    """A price as the form shows it for editing: `12.50`."""
    if not money:
        return ""
    return money_input(int(money.get("amount_minor", 0)), str(money.get("currency") or "EUR"))


def new_id(name: str, prefix: str = "") -> str:
    """A readable, unique id from a name: `spa-access-3f9a`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40] or "item"
    return f"{prefix}{slug}-{secrets.token_hex(2)}"


# --- venue settings ----------------------------------------------------------------------------


def settings_body(form: Form) -> dict[str, Any]:
    email = text(form, "notification_email", max_length=254) or None
    if email is not None and not EMAIL.match(email):
        raise FormError("notification_email", "error_email")
    return {
        "name": text(form, "name", required=True, max_length=100),
        "language": choice(form, "language", LANGUAGES),
        "notification_email": email,
        "pms_integration": choice(form, "pms_integration", PMS_MODES),
    }


def account_body(form: Form, venues: list[str], my_venues: Iterable[str]) -> dict[str, Any]:
    """A staff account an owner opens: only for venues the owner has."""
    email = text(form, "email", required=True, max_length=254)
    if not EMAIL.match(email):
        raise FormError("email", "error_email")
    password = str(form.get("password") or "")
    if len(password) < 10:
        raise FormError("password", "error_password")
    if not venues or not set(venues) <= set(my_venues):
        raise FormError("venue_ids", "error_venues")
    return {
        "email": email,
        "name": text(form, "name", required=True, max_length=100),
        "role": choice(form, "role", STAFF_ROLES),
        "venue_ids": venues,
        "password": password,
    }


# --- offers ------------------------------------------------------------------------------------


def offer_body(form: Form, currency: str = "EUR") -> dict[str, Any]:
    description_fr = text(form, "description_fr", max_length=2000)
    description_en = text(form, "description_en", max_length=2000)
    if bool(description_fr) != bool(description_en):
        missing = "description_en" if description_fr else "description_fr"
        raise FormError(missing, "error_both_languages")
    return {
        "name": {
            "fr": text(form, "name_fr", required=True, max_length=200),
            "en": text(form, "name_en", required=True, max_length=200),
        },
        "offer_type": choice(form, "offer_type", OFFER_TYPES),
        "price": {"amount_minor": parse_price(form.get("price")), "currency": currency},
        "description": {"fr": description_fr, "en": description_en} if description_fr else None,
        "auto_confirm": checked(form, "auto_confirm"),
        "available": checked(form, "available"),
    }


def offer_form_values(offer: Mapping[str, Any] | None) -> dict[str, Any]:
    """An offer as the edit form's fields."""
    if not offer:
        return {
            "name_fr": "",
            "name_en": "",
            "offer_type": "offer",
            "price": "",
            "description_fr": "",
            "description_en": "",
            "auto_confirm": False,
            "available": True,
        }
    name = offer.get("name") or {}
    description = offer.get("description") or {}
    return {
        "name_fr": name.get("fr", ""),
        "name_en": name.get("en", ""),
        "offer_type": offer.get("offer_type", "offer"),
        "price": price_input(offer.get("price")),
        "description_fr": description.get("fr", ""),
        "description_en": description.get("en", ""),
        "auto_confirm": bool(offer.get("auto_confirm")),
        "available": bool(offer.get("available", True)),
    }


# --- the menu ----------------------------------------------------------------------------------

MENU_PRODUCT_FIELDS = (
    "product_id",
    "category_id",
    "name",
    "description",
    "price",
    "available",
    "allergens",
    "photo_url",
    "options",
    "station",
)


def menu_body(menu: Mapping[str, Any]) -> dict[str, Any]:
    """The menu ordering answered, as the body that publishes it again (only the fields the
    publish API takes; empty optional ones left out)."""
    products = []
    for p in menu.get("products") or []:
        product = {k: p[k] for k in MENU_PRODUCT_FIELDS if p.get(k) is not None}
        products.append(product)
    categories = [
        {k: c[k] for k in ("category_id", "name", "position") if k in c}
        for c in menu.get("categories") or []
    ]
    return {
        "currency": menu.get("currency") or "EUR",
        "categories": categories,
        "products": products,
    }


def apply_product_edits(menu: Mapping[str, Any], form: Form) -> dict[str, Any]:
    """The menu body with each product's editable fields (`<field>:<product_id>`) as the form
    has them; products the form does not list are kept as they were."""
    body = menu_body(menu)
    currency = body["currency"]
    for product in body["products"]:
        pid = product["product_id"]
        if f"name_fr:{pid}" not in form:
            continue
        product["name"] = {
            "fr": text(form, f"name_fr:{pid}", required=True, max_length=200),
            "en": text(form, f"name_en:{pid}", required=True, max_length=200),
        }
        product["price"] = {
            "amount_minor": parse_price(form.get(f"price:{pid}"), f"price:{pid}"),
            "currency": currency,
        }
        product["available"] = checked(form, f"available:{pid}")
        station = text(form, f"station:{pid}", max_length=40).lower()
        if station:
            product["station"] = station
        else:
            product.pop("station", None)
        product["allergens"] = allergens_of(form, f"allergens:{pid}")
    return body


def allergens_of(form: Any, name: str) -> list[str]:
    values = form.getall(name, []) if hasattr(form, "getall") else form.get(name) or []
    if isinstance(values, str):
        values = [values]
    codes = [allergen_code(str(v)) for v in values if v]
    return [c for c in ALLERGENS if c in codes]


def add_product(menu: Mapping[str, Any] | None, form: Form) -> dict[str, Any]:
    """The menu body with one product more (a first category is made for a venue with none)."""
    body = menu_body(menu or {"currency": "EUR", "categories": [], "products": []})
    name_fr = text(form, "name_fr", required=True, max_length=200)
    name_en = text(form, "name_en", required=True, max_length=200)
    categories = {c["category_id"] for c in body["categories"]}
    category_id = str(form.get("category_id") or "")
    if not categories:
        category_id = "menu"
        body["categories"].append(
            {"category_id": "menu", "name": {"fr": "Carte", "en": "Menu"}, "position": 0}
        )
    elif category_id not in categories:
        raise FormError("category_id", "error_choice")
    product: dict[str, Any] = {
        "product_id": new_id(name_en),
        "category_id": category_id,
        "name": {"fr": name_fr, "en": name_en},
        "price": {"amount_minor": parse_price(form.get("price")), "currency": body["currency"]},
        "available": True,
        "allergens": allergens_of(form, "allergens"),
    }
    station = text(form, "station", max_length=40).lower()
    if station:
        product["station"] = station
    body["products"].append(product)
    return body


@dataclass
class ProductRow:
    product_id: str
    category: str
    name_fr: str
    name_en: str
    price: str
    available: bool
    station: str
    allergens: list[str]


def product_rows(menu: Mapping[str, Any] | None, t: Translator) -> list[ProductRow]:
    if not menu:
        return []
    names = {str(c["category_id"]): t.text(c.get("name")) for c in menu.get("categories") or []}
    order = {
        str(c["category_id"]): (c.get("position", 0), i)
        for i, c in enumerate(menu.get("categories") or [])
    }
    rows = [
        ProductRow(
            product_id=str(p["product_id"]),
            category=names.get(str(p.get("category_id")), ""),
            name_fr=(p.get("name") or {}).get("fr", ""),
            name_en=(p.get("name") or {}).get("en", ""),
            price=price_input(p.get("price")),
            available=bool(p.get("available", True)),
            station=str(p.get("station") or ""),
            allergens=[allergen_code(a) for a in p.get("allergens") or []],
        )
        for p in menu.get("products") or []
    ]
    position = {
        str(p["product_id"]): order.get(str(p.get("category_id")), (0, 0))
        for p in menu.get("products") or []
    }
    return sorted(rows, key=lambda r: position[r.product_id])
