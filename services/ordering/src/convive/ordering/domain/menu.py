"""A venue's menu: one stream per venue (`menu-<venue_id>`) whose every `MenuPublished` carries
the whole menu, so the current menu is simply the last one published."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from convive.contracts import Event, EventEnvelope
from convive.contracts.ordering import MenuCategory, MenuProduct, MenuPublished
from convive.runtime.errors import DomainError

Menu = MenuPublished
"""The state of a menu stream: the menu as guests now see it."""


def menu_stream(venue_id: str) -> str:
    return f"menu-{venue_id}"


def evolve(state: Menu | None, event: Event | EventEnvelope) -> Menu | None:
    if isinstance(event, EventEnvelope):
        event = event.event()
    return event if isinstance(event, MenuPublished) else state


def replay(history: Iterable[Event | EventEnvelope]) -> Menu | None:
    state: Menu | None = None
    for event in history:
        state = evolve(state, event)
    return state


def find_product(menu: Menu | None, product_id: str) -> MenuProduct | None:
    if menu is None:
        return None
    return next((p for p in menu.products if p.product_id == product_id), None)


@dataclass(frozen=True)
class PublishMenu:
    """Replace the venue's menu with this one."""

    venue_id: str
    currency: str
    categories: Sequence[MenuCategory]
    products: Sequence[MenuProduct]


def decide(state: Menu | None, command: PublishMenu) -> list[Event]:
    """A menu is published whole; it must hold together on its own (the previous one does not
    matter: products that disappear are simply no longer orderable)."""
    category_ids: set[str] = set()
    for i, category in enumerate(command.categories):
        if category.category_id in category_ids:
            raise DomainError(
                f"category id {category.category_id!r} appears twice",
                field=f"categories[{i}].category_id",
            )
        category_ids.add(category.category_id)
    product_ids: set[str] = set()
    for i, product in enumerate(command.products):
        if product.product_id in product_ids:
            raise DomainError(
                f"product id {product.product_id!r} appears twice",
                field=f"products[{i}].product_id",
            )
        product_ids.add(product.product_id)
        if product.category_id not in category_ids:
            raise DomainError(
                f"product {product.product_id!r} is in category {product.category_id!r}, "
                "which the menu does not define",
                field=f"products[{i}].category_id",
            )
        if product.price.currency != command.currency:
            raise DomainError(
                f"product {product.product_id!r} is priced in {product.price.currency}, "
                f"the menu in {command.currency}",
                field=f"products[{i}].price.currency",
            )
        if product.price.amount_minor < 0:
            raise DomainError(
                f"product {product.product_id!r} has a negative price",
                field=f"products[{i}].price.amount_minor",
            )
    return [
        MenuPublished(
            venue_id=command.venue_id,
            currency=command.currency,
            categories=list(command.categories),
            products=list(command.products),
        )
    ]
