"""The guests' shared cart: adding a product (with its options, at its menu price), changing a
line's quantity, removing a line; and the rule every guest command of a session obeys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from convive.contracts import Event, Money
from convive.contracts.ordering import (
    CartItemAdded,
    CartItemChanged,
    CartItemRemoved,
    ChosenOption,
    MenuProduct,
)
from convive.contracts.table_session import JourneyMode
from convive.ordering.domain.facts import SessionFacts, seated_guest
from convive.ordering.domain.table_order.state import CartLine, TableOrder
from convive.runtime.domain import Conflict, DomainError, NotFound

MAX_LINE_QUANTITY = 99
"""A sanity cap per cart line; the business limits staff can raise come later (SPEC §1.10)."""
MAX_CART_LINES = 100

ORDERING_MODES = frozenset({JourneyMode.ORDER, JourneyMode.ORDER_AND_PAY})
"""The journey modes in which guests fill a cart and confirm it from their phone."""


@dataclass(frozen=True)
class OptionPick:
    """A choice the guest asks for: the group and the choice within it, by id."""

    group_id: str
    choice_id: str


@dataclass(frozen=True)
class AddCartItem:
    session_id: str
    session: SessionFacts | None
    guest_id: str
    product_id: str
    product: MenuProduct | None
    """The product as the venue's current menu has it; None when the menu has no such product."""
    quantity: int
    line_id: str
    """Minted by the caller, so that deciding stays pure."""
    note: str | None = None
    options: Sequence[OptionPick] = field(default_factory=tuple)


@dataclass(frozen=True)
class ChangeCartItem:
    session_id: str
    session: SessionFacts | None
    guest_id: str
    line_id: str
    quantity: int


@dataclass(frozen=True)
class RemoveCartItem:
    session_id: str
    session: SessionFacts | None
    guest_id: str
    line_id: str


class GuestAsks(Protocol):
    """What every guest command of a session carries."""

    @property
    def session_id(self) -> str: ...
    @property
    def session(self) -> SessionFacts | None: ...
    @property
    def guest_id(self) -> str: ...


def session_of_guest(state: TableOrder, command: GuestAsks) -> SessionFacts:
    """The session, if this guest may change its cart now; otherwise the refusal."""
    session = seated_guest(command.session, command.session_id, command.guest_id)
    if state.closed:
        raise Conflict(
            f"the order {state.order_id} of session {command.session_id} is closed (settled)",
            field="session_id",
        )
    mode = session.effective_mode
    if mode not in ORDERING_MODES:
        raise Conflict(f"ordering is not offered here (mode {mode.value})", field="session_id")
    return session


def _check_quantity(quantity: int) -> None:
    if quantity <= 0:
        raise DomainError("quantity must be at least 1", field="quantity")
    if quantity > MAX_LINE_QUANTITY:
        raise DomainError(
            f"quantity must be at most {MAX_LINE_QUANTITY} per line", field="quantity"
        )


def _existing_line(state: TableOrder, line_id: str) -> CartLine:
    line = state.line(line_id)
    if line is None:
        raise NotFound(f"cart line {line_id} is not in the cart", field="line_id")
    return line


def add(state: TableOrder, command: AddCartItem) -> list[Event]:
    session = session_of_guest(state, command)
    product = command.product
    if product is None:
        raise DomainError(
            f"product {command.product_id} is not on the menu of venue {session.venue_id}",
            field="product_id",
        )
    if not product.available:
        raise Conflict(f"{product.name.en} is sold out", field="product_id")
    _check_quantity(command.quantity)
    options = _chosen_options(product, command.options)
    unit_price = Money(
        amount_minor=product.price.amount_minor + sum(o.price_delta.amount_minor for o in options),
        currency=product.price.currency,
    )
    if len(state.cart) >= MAX_CART_LINES:
        raise Conflict(f"the cart already has {MAX_CART_LINES} lines: confirm it first")
    if state.currency is not None and product.price.currency != state.currency:
        raise Conflict(
            f"product {command.product_id} is priced in {product.price.currency}, "
            f"this session in {state.currency}",
            field="product_id",
        )
    if state.line(command.line_id) is not None:
        raise Conflict(f"cart line {command.line_id} already exists", field="line_id")
    return [
        CartItemAdded(
            session_id=command.session_id,
            venue_id=session.venue_id,
            line_id=command.line_id,
            guest_id=command.guest_id,
            product_id=product.product_id,
            quantity=command.quantity,
            unit_price=unit_price,
            product_name=product.name,
            note=command.note,
            options=list(options),
        )
    ]


def _chosen_options(product: MenuProduct, picks: Sequence[OptionPick]) -> tuple[ChosenOption, ...]:
    """The guest's picks as priced on the menu, in the menu's order (so that two lines with the
    same picks read the same), or the refusal naming `options`."""
    groups = {g.group_id: g for g in product.options}
    picked: set[tuple[str, str]] = set()
    for pick in picks:
        group = groups.get(pick.group_id)
        if group is None:
            raise DomainError(
                f"{product.name.en} has no option group {pick.group_id!r}", field="options"
            )
        if not any(c.choice_id == pick.choice_id for c in group.choices):
            raise DomainError(
                f"option group {pick.group_id!r} of {product.name.en} has no choice "
                f"{pick.choice_id!r}",
                field="options",
            )
        if (pick.group_id, pick.choice_id) in picked:
            raise DomainError(
                f"choice {pick.choice_id!r} of option group {pick.group_id!r} is given twice",
                field="options",
            )
        picked.add((pick.group_id, pick.choice_id))
    chosen: list[ChosenOption] = []
    for group in product.options:
        count = sum(1 for g, _ in picked if g == group.group_id)
        if count < group.min_choices:
            raise DomainError(
                f"{product.name.en}: choose at least {group.min_choices} of "
                f"{group.name.en!r} ({group.group_id})",
                field="options",
            )
        if count > group.max_choices:
            raise DomainError(
                f"{product.name.en}: choose at most {group.max_choices} of "
                f"{group.name.en!r} ({group.group_id})",
                field="options",
            )
        chosen.extend(
            ChosenOption(
                group_id=group.group_id,
                choice_id=c.choice_id,
                name=c.name,
                price_delta=c.price_delta,
            )
            for c in group.choices
            if (group.group_id, c.choice_id) in picked
        )
    return tuple(chosen)


def change(state: TableOrder, command: ChangeCartItem) -> list[Event]:
    session = session_of_guest(state, command)
    _check_quantity(command.quantity)
    line = _existing_line(state, command.line_id)
    if line.quantity == command.quantity:
        return []
    return [
        CartItemChanged(
            session_id=command.session_id,
            venue_id=session.venue_id,
            line_id=command.line_id,
            guest_id=command.guest_id,
            quantity=command.quantity,
        )
    ]


def remove(state: TableOrder, command: RemoveCartItem) -> list[Event]:
    session = session_of_guest(state, command)
    _existing_line(state, command.line_id)
    return [
        CartItemRemoved(
            session_id=command.session_id,
            venue_id=session.venue_id,
            line_id=command.line_id,
            guest_id=command.guest_id,
        )
    ]
