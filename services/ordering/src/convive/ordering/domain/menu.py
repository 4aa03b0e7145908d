"""A venue's menu: one stream per venue (`menu-<venue_id>`) whose every `MenuPublished` carries
the whole menu, so the current menu is simply the last one published. Products may carry option
groups (cooking, side, size…) whose choices add a price delta."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from convive.contracts import Event, EventEnvelope
from convive.contracts.ordering import MenuCategory, MenuProduct, MenuPublished, OptionGroup
from convive.runtime import domain
from convive.runtime.domain import DomainError

Menu = MenuPublished
"""The state of a menu stream: the menu as guests now see it."""


def menu_stream(venue_id: str) -> str:
    return f"menu-{venue_id}"


def evolve(state: Menu | None, event: Event) -> Menu | None:
    return event if isinstance(event, MenuPublished) else state


def fold(history: Iterable[Event | EventEnvelope]) -> Menu | None:
    """The menu after these events of its stream (None before the first publication)."""
    return domain.fold(evolve, None, history)


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
        _check_options(product, f"products[{i}]", command.currency)
    return [
        MenuPublished(
            venue_id=command.venue_id,
            currency=command.currency,
            categories=list(command.categories),
            products=list(command.products),
        )
    ]


def _check_options(product: MenuProduct, path: str, currency: str) -> None:
    """A product's option groups must each be satisfiable, priced in the menu's currency, and
    never bring the product's price below zero."""
    group_ids: set[str] = set()
    for j, group in enumerate(product.options):
        at = f"{path}.options[{j}]"
        if group.group_id in group_ids:
            raise DomainError(
                f"option group id {group.group_id!r} appears twice in product "
                f"{product.product_id!r}",
                field=f"{at}.group_id",
            )
        group_ids.add(group.group_id)
        if group.min_choices > group.max_choices:
            raise DomainError(
                f"option group {group.group_id!r} of product {product.product_id!r} asks for at "
                f"least {group.min_choices} choices but allows at most {group.max_choices}",
                field=f"{at}.min_choices",
            )
        if group.max_choices > len(group.choices):
            raise DomainError(
                f"option group {group.group_id!r} of product {product.product_id!r} allows "
                f"{group.max_choices} choices but offers {len(group.choices)}",
                field=f"{at}.max_choices",
            )
        choice_ids: set[str] = set()
        for k, choice in enumerate(group.choices):
            if choice.choice_id in choice_ids:
                raise DomainError(
                    f"choice id {choice.choice_id!r} appears twice in option group "
                    f"{group.group_id!r} of product {product.product_id!r}",
                    field=f"{at}.choices[{k}].choice_id",
                )
            choice_ids.add(choice.choice_id)
            if choice.price_delta.currency != currency:
                raise DomainError(
                    f"choice {choice.choice_id!r} of product {product.product_id!r} is priced in "
                    f"{choice.price_delta.currency}, the menu in {currency}",
                    field=f"{at}.choices[{k}].price_delta.currency",
                )
    cheapest = product.price.amount_minor + sum(_largest_discount(g) for g in product.options)
    if cheapest < 0:
        raise DomainError(
            f"product {product.product_id!r} would cost less than nothing with some choices",
            field=f"{path}.options",
        )


def _largest_discount(group: OptionGroup) -> int:
    """The most a group's negative deltas can take off the price (zero or negative)."""
    negatives = sorted(
        c.price_delta.amount_minor for c in group.choices if c.price_delta.amount_minor < 0
    )
    return sum(negatives[: group.max_choices])
