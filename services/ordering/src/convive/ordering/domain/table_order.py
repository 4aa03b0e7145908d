"""A table session's shared cart and the order its confirmations build, as one stream keyed by
the session id: a confirmation and the cart it empties are decided together, and the rounds,
their production and the closing of the order follow in the same story.

What the session stream cannot know (whether table-session opened the session, who joined it,
the journey mode of its profit centre, what the menu offers) the caller reads from projections
and hands over in the command.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from convive.contracts import Event, EventEnvelope, Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import (
    CartItemAdded,
    CartItemChanged,
    CartItemRemoved,
    ChosenOption,
    MenuProduct,
    OrderClosed,
    OrderLine,
    OrderPlaced,
    RoundAdded,
    SentToProduction,
)
from convive.contracts.table_session import JourneyMode
from convive.runtime.errors import Conflict, DomainError, NotFound

MAX_LINE_QUANTITY = 99
"""A sanity cap per cart line; the business limits staff can raise come later (SPEC §1.10)."""
MAX_CART_LINES = 100

ORDERING_MODES = frozenset({JourneyMode.ORDER, JourneyMode.ORDER_AND_PAY})
"""The journey modes in which guests fill a cart and confirm it from their phone."""


class Forbidden(DomainError):
    """The caller is known but may not act on this session."""

    status = 403


# --- state -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionFacts:
    """What table-session's events told us about a session (from the sessions projection)."""

    session_id: str
    venue_id: str
    spot_id: str
    open: bool
    guests: frozenset[str]
    profit_centre_id: str | None = None
    mode: JourneyMode | None = None
    """The mode of the session's profit centre as last configured; None while unknown."""
    host_guest_id: str | None = None

    @property
    def effective_mode(self) -> JourneyMode:
        """A profit centre whose mode we have not learnt yet behaves as `order` (as every
        profit centre did before modes existed)."""
        return self.mode or JourneyMode.ORDER


@dataclass(frozen=True)
class CartLine:
    line_id: str
    product_id: str
    name: LocalizedText
    quantity: int
    unit_price: Money
    guest_id: str
    note: str | None = None
    options: tuple[ChosenOption, ...] = ()

    @property
    def total(self) -> Money:
        return Money(
            amount_minor=self.unit_price.amount_minor * self.quantity,
            currency=self.unit_price.currency,
        )

    def as_order_line(self) -> OrderLine:
        return OrderLine(
            line_id=self.line_id,
            product_id=self.product_id,
            name=self.name,
            quantity=self.quantity,
            unit_price=self.unit_price,
            note=self.note,
            guest_id=self.guest_id,
            options=list(self.options),
        )


@dataclass(frozen=True)
class Round:
    round_number: int
    lines: tuple[OrderLine, ...]
    round_total: Money
    placed_by: str
    sent_to_production: bool = False


@dataclass(frozen=True)
class TableOrder:
    """The state of a session stream: the shared cart and the order (once confirmed)."""

    cart: tuple[CartLine, ...] = ()
    order_id: str | None = None
    venue_id: str | None = None
    spot_id: str | None = None
    rounds: tuple[Round, ...] = ()
    order_total: Money | None = None
    closed: bool = False
    currency: str | None = None
    """The currency of everything in this session so far (None before the first line)."""

    def line(self, line_id: str) -> CartLine | None:
        return next((line for line in self.cart if line.line_id == line_id), None)

    def round(self, round_number: int) -> Round | None:
        return next((r for r in self.rounds if r.round_number == round_number), None)

    def cart_total(self, currency: str) -> Money:
        return _sum((line.total for line in self.cart), currency)


def _sum(amounts: Iterable[Money], currency: str) -> Money:
    return Money(amount_minor=sum(a.amount_minor for a in amounts), currency=currency)


def evolve(state: TableOrder, event: Event | EventEnvelope) -> TableOrder:
    if isinstance(event, EventEnvelope):
        event = event.event()
    match event:
        case CartItemAdded():
            name = event.product_name or LocalizedText(fr=event.product_id, en=event.product_id)
            line = CartLine(
                line_id=event.line_id,
                product_id=event.product_id,
                name=name,
                quantity=event.quantity,
                unit_price=event.unit_price,
                guest_id=event.guest_id,
                note=event.note,
                options=tuple(event.options),
            )
            return replace(
                state,
                cart=(*state.cart, line),
                venue_id=event.venue_id,
                currency=state.currency or event.unit_price.currency,
            )
        case CartItemChanged():
            cart = tuple(
                replace(line, quantity=event.quantity) if line.line_id == event.line_id else line
                for line in state.cart
            )
            return replace(state, cart=cart)
        case CartItemRemoved():
            return replace(state, cart=tuple(x for x in state.cart if x.line_id != event.line_id))
        case OrderPlaced() | RoundAdded():
            confirmed = {line.line_id for line in event.lines}
            new_round = Round(
                round_number=event.round_number,
                lines=tuple(event.lines),
                round_total=event.round_total,
                placed_by=event.placed_by,
            )
            return replace(
                state,
                cart=tuple(x for x in state.cart if x.line_id not in confirmed),
                order_id=event.order_id,
                venue_id=event.venue_id,
                spot_id=event.spot_id,
                rounds=(*state.rounds, new_round),
                order_total=event.order_total,
                currency=state.currency or event.order_total.currency,
            )
        case SentToProduction():
            rounds = tuple(
                replace(r, sent_to_production=True) if r.round_number == event.round_number else r
                for r in state.rounds
            )
            return replace(state, rounds=rounds)
        case OrderClosed():
            return replace(state, closed=True)
    return state


def replay(history: Iterable[Event | EventEnvelope]) -> TableOrder:
    state = TableOrder()
    for event in history:
        state = evolve(state, event)
    return state


# --- commands --------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class ConfirmCart:
    session_id: str
    session: SessionFacts | None
    guest_id: str
    new_order_id: str
    """Used only when this confirmation places the session's first order."""


@dataclass(frozen=True)
class SendToProduction:
    """The POS validated a round: it goes to the kitchen and bar (once)."""

    session_id: str
    order_id: str
    round_number: int


@dataclass(frozen=True)
class CloseOrder:
    """The bill was settled: the order takes no more rounds (closed once)."""

    session_id: str
    order_id: str


GuestCommand = AddCartItem | ChangeCartItem | RemoveCartItem | ConfirmCart
Command = GuestCommand | SendToProduction | CloseOrder


def decide(state: TableOrder, command: Command) -> list[Event]:
    match command:
        case AddCartItem():
            return _add(state, command)
        case ChangeCartItem():
            return _change(state, command)
        case RemoveCartItem():
            return _remove(state, command)
        case ConfirmCart():
            return _confirm(state, command)
        case SendToProduction():
            return _send_to_production(state, command)
        case CloseOrder():
            return _close(state, command)
    raise TypeError(f"unknown command {command!r}")


def _session_of_guest(state: TableOrder, command: GuestCommand) -> SessionFacts:
    """The session, if this guest may change its cart now; otherwise the refusal."""
    session = command.session
    if session is None:
        raise NotFound(
            f"session {command.session_id} not known yet: if it was just opened, "
            "try again in a moment",
            field="session_id",
        )
    if command.guest_id not in session.guests:
        raise Forbidden(
            f"guest {command.guest_id} is not a guest of session {command.session_id}",
            field="guest_id",
        )
    if not session.open:
        raise Conflict(f"session {command.session_id} is closed", field="session_id")
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


def _add(state: TableOrder, command: AddCartItem) -> list[Event]:
    session = _session_of_guest(state, command)
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


def _change(state: TableOrder, command: ChangeCartItem) -> list[Event]:
    session = _session_of_guest(state, command)
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


def _remove(state: TableOrder, command: RemoveCartItem) -> list[Event]:
    session = _session_of_guest(state, command)
    _existing_line(state, command.line_id)
    return [
        CartItemRemoved(
            session_id=command.session_id,
            venue_id=session.venue_id,
            line_id=command.line_id,
            guest_id=command.guest_id,
        )
    ]


def _confirm(state: TableOrder, command: ConfirmCart) -> list[Event]:
    session = _session_of_guest(state, command)
    if not state.cart:
        raise Conflict("the cart is empty: nothing to confirm")
    currency = state.currency or state.cart[0].unit_price.currency
    round_total = state.cart_total(currency)
    previous = state.order_total.amount_minor if state.order_total else 0
    order_total = Money(amount_minor=previous + round_total.amount_minor, currency=currency)
    event_class = OrderPlaced if state.order_id is None else RoundAdded
    return [
        event_class(
            order_id=state.order_id or command.new_order_id,
            session_id=command.session_id,
            venue_id=session.venue_id,
            spot_id=session.spot_id,
            placed_by=command.guest_id,
            round_number=len(state.rounds) + 1,
            lines=[line.as_order_line() for line in state.cart],
            round_total=round_total,
            order_total=order_total,
        )
    ]


def _send_to_production(state: TableOrder, command: SendToProduction) -> list[Event]:
    sent = state.round(command.round_number)
    # A validation of another order, of a round we do not have, or one already sent changes
    # nothing: the POS may tell us twice, and it is not ours to refuse its facts.
    if state.order_id != command.order_id or sent is None or sent.sent_to_production:
        return []
    return [
        SentToProduction(
            order_id=command.order_id,
            session_id=command.session_id,
            venue_id=state.venue_id or "",
            round_number=command.round_number,
        )
    ]


def _close(state: TableOrder, command: CloseOrder) -> list[Event]:
    if state.order_id != command.order_id or state.closed:
        return []
    return [
        OrderClosed(
            order_id=command.order_id,
            session_id=command.session_id,
            venue_id=state.venue_id or "",
        )
    ]
