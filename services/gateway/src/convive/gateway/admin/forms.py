"""What the back office reads from its forms (pure functions, no I/O): venue settings, staff
accounts, offers and menu products from plain form fields, and the menu as its edit page shows
it. Form problems raise `web.forms.FormError` naming the field and the message, so the page can
be shown again with the entered values and the error next to its field."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from convive.contracts.base import LocalizedText, Money
from convive.contracts.ordering import MenuCategory, MenuProduct
from convive.gateway.upstream.ordering import Menu, MenuIn, Offer, OfferIn
from convive.gateway.upstream.pos_gateway import NewAccount
from convive.gateway.upstream.table_session import VenueSettingsIn
from convive.gateway.web.allergens import ALLERGENS, allergen_code
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
from convive.gateway.web.language import N_, Language

LANGUAGES = ("fr", "en")
PMS_MODES = ("none", "one_way", "two_way")
JOURNEY_MODES = ("menu", "order", "order_and_pay", "pay")
SPOT_KINDS = ("table", "room")
OFFER_TYPES = ("offer", "upgrade")
STAFF_ROLES = ("owner", "manager", "cashier")
MAX_PRICE_MINOR = 100_000_000
DEFAULT_CURRENCY = "EUR"


def parse_price(value: Any, name: str = "price", currency: str = DEFAULT_CURRENCY) -> int:
    """Minor units of a price as people type it (`12`, `12,50`, `1 234,50 €`; never negative)."""
    message = N_("Type a price such as 12 or 12.50.")
    return parse_money(
        value, field=name, message=message, currency=currency, maximum=MAX_PRICE_MINOR
    )


def price_input(money: Money) -> str:
    """A price as the form shows it for editing: `12.50`."""
    return money_input(money.amount_minor, money.currency)


def new_id(name: str, prefix: str = "") -> str:
    """A readable, unique id from a name: `spa-access-3f9a`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40] or "item"
    return f"{prefix}{slug}-{secrets.token_hex(2)}"


def localized(form: Form, name: str, *, required: bool = True, max_length: int = 200) -> Any:
    """`<name>_fr` and `<name>_en`: both (or, when not `required`, neither: None)."""
    fr = text(form, f"{name}_fr", required=required, max_length=max_length)
    en = text(form, f"{name}_en", required=required, max_length=max_length)
    if not required and bool(fr) != bool(en):
        raise FormError(
            f"{name}_en" if fr else f"{name}_fr",
            N_("Give the description in both languages, or in neither."),
        )
    return LocalizedText(fr=fr, en=en) if fr else None


# --- venue settings and staff accounts ---------------------------------------------------------


def settings_body(form: Form, time_zone: str | None = None) -> VenueSettingsIn:
    """The venue's settings as the form has them; the time zone (not on the form) as it was."""
    email = text(form, "notification_email", max_length=254) or None
    if email is not None and not EMAIL.match(email):
        raise FormError(
            "notification_email", N_("Type an e-mail address such as desk@hotel.example.")
        )
    return VenueSettingsIn(
        name=text(form, "name", required=True, max_length=100),
        language=choice(form, "language", LANGUAGES),
        notification_email=email,
        pms_integration=choice(form, "pms_integration", PMS_MODES),
        **({"time_zone": time_zone} if time_zone else {}),
    )


def account_body(form: Form, venues: list[str], my_venues: Iterable[str]) -> NewAccount:
    """A staff account an owner opens: only for venues the owner has."""
    email = text(form, "email", required=True, max_length=254)
    if not EMAIL.match(email):
        raise FormError("email", N_("Type an e-mail address such as desk@hotel.example."))
    password = str(form.get("password") or "")
    if len(password) < 10:
        raise FormError("password", N_("The password needs 10 characters or more."))
    if not venues or not set(venues) <= set(my_venues):
        raise FormError("venue_ids", N_("Choose at least one of your venues."))
    return NewAccount(
        email=email,
        name=text(form, "name", required=True, max_length=100),
        role=choice(form, "role", STAFF_ROLES),
        venue_ids=venues,
        password=password,
    )


# --- offers ------------------------------------------------------------------------------------


def offer_body(form: Form, currency: str = DEFAULT_CURRENCY) -> OfferIn:
    description = localized(form, "description", required=False, max_length=2000)
    return OfferIn(
        name=localized(form, "name"),
        offer_type=choice(form, "offer_type", OFFER_TYPES),
        price=Money(amount_minor=parse_price(form.get("price")), currency=currency),
        description=description,
        auto_confirm=checked(form, "auto_confirm"),
        available=checked(form, "available"),
    )


def offer_form_values(offer: Offer | None) -> dict[str, Any]:
    """An offer as the edit form's fields."""
    if offer is None:
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
    return {
        "name_fr": offer.name.fr,
        "name_en": offer.name.en,
        "offer_type": offer.offer_type,
        "price": price_input(offer.price),
        "description_fr": offer.description.fr if offer.description else "",
        "description_en": offer.description.en if offer.description else "",
        "auto_confirm": offer.auto_confirm,
        "available": offer.available,
    }


# --- the menu ----------------------------------------------------------------------------------


def menu_body(menu: Menu) -> MenuIn:
    """The menu ordering answered, as the body that publishes it again."""
    return MenuIn(currency=menu.currency, categories=menu.categories, products=menu.products)


def _station(form: Form, name: str) -> str | None:
    return text(form, name, max_length=40).lower() or None


def apply_product_edits(menu: Menu, form: Form) -> MenuIn:
    """The menu body with each product's editable fields (`<field>:<product_id>`) as the form
    has them; products the form does not list are kept as they were."""
    products = []
    for product in menu.products:
        pid = product.product_id
        if f"name_fr:{pid}" in form:
            name = LocalizedText(
                fr=text(form, f"name_fr:{pid}", required=True, max_length=200),
                en=text(form, f"name_en:{pid}", required=True, max_length=200),
            )
            minor = parse_price(form.get(f"price:{pid}"), f"price:{pid}", menu.currency)
            product = product.model_copy(
                update={
                    "name": name,
                    "price": Money(amount_minor=minor, currency=menu.currency),
                    "available": checked(form, f"available:{pid}"),
                    "station": _station(form, f"station:{pid}"),
                    "allergens": allergens_of(form, f"allergens:{pid}"),
                }
            )
        products.append(product)
    return menu_body(menu).model_copy(update={"products": products})


def allergens_of(form: Any, name: str) -> list[str]:
    values = form.getall(name, []) if hasattr(form, "getall") else form.get(name) or []
    if isinstance(values, str):
        values = [values]
    codes = [allergen_code(str(v)) for v in values if v]
    return [c for c in ALLERGENS if c in codes]


FIRST_CATEGORY = MenuCategory(
    category_id="menu", name=LocalizedText(fr="Carte", en="Menu"), position=0
)
"""The category a venue's first product goes in, when its menu has none."""


def add_product(menu: Menu | None, form: Form) -> MenuIn:
    """The menu body with one product more (a first category is made for a venue with none)."""
    currency = menu.currency if menu is not None else DEFAULT_CURRENCY
    body = (
        menu_body(menu)
        if menu is not None
        else MenuIn(currency=currency, categories=[], products=[])
    )
    name = LocalizedText(
        fr=text(form, "name_fr", required=True, max_length=200),
        en=text(form, "name_en", required=True, max_length=200),
    )
    categories = list(body.categories)
    category_id = str(form.get("category_id") or "")
    if not categories:
        categories.append(FIRST_CATEGORY)
        category_id = FIRST_CATEGORY.category_id
    elif category_id not in {c.category_id for c in categories}:
        raise FormError("category_id", N_("Choose one of the options."))
    product = MenuProduct(
        product_id=new_id(name.en),
        category_id=category_id,
        name=name,
        price=Money(
            amount_minor=parse_price(form.get("price"), currency=currency), currency=currency
        ),
        available=True,
        allergens=allergens_of(form, "allergens"),
        station=_station(form, "station"),
    )
    return body.model_copy(update={"categories": categories, "products": [*body.products, product]})


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


def product_rows(menu: Menu | None, t: Language) -> list[ProductRow]:
    """The menu's products in the order of their categories."""
    if menu is None:
        return []
    names = {c.category_id: t.text(c.name) for c in menu.categories}
    order = {c.category_id: (c.position, i) for i, c in enumerate(menu.categories)}
    products = sorted(menu.products, key=lambda p: order.get(p.category_id, (0, 0)))
    return [
        ProductRow(
            product_id=p.product_id,
            category=names.get(p.category_id, ""),
            name_fr=p.name.fr,
            name_en=p.name.en,
            price=price_input(p.price),
            available=p.available,
            station=p.station or "",
            allergens=[allergen_code(a) for a in p.allergens],
        )
        for p in products
    ]
