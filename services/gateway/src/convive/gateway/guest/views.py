"""What the guest pages show, built from the services' answers (pure functions, no I/O): the
menu in one language with its allergens and options, the shared cart with who added what, the
rounds sent and what this phone may do in the spot's journey mode."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from convive.contracts import Money
from convive.contracts.ordering import ChosenOption, OrderLine
from convive.gateway.upstream.ordering import Cart, CartLine, Menu, Order, OrderRound
from convive.gateway.upstream.table_session import Session
from convive.gateway.web.allergens import allergen_code, allergen_name, allergen_names
from convive.gateway.web.language import Language

ORDER_MODES = frozenset({"order", "order_and_pay"})
PAY_MODES = frozenset({"order_and_pay", "pay"})
VIEWER_REASONS = frozenset(
    {"pin_required", "locked_out", "menu_only", "previous_bill_open", "nothing_to_pay"}
)


@dataclass(frozen=True)
class Access:
    """What the scan told the gateway about this phone at this spot."""

    role: str  # host | guest | viewer
    mode: str
    kind: str = "table"
    reason: str | None = None
    pin: str | None = None

    @property
    def seated(self) -> bool:
        return self.role in ("host", "guest")

    @property
    def can_order(self) -> bool:
        return self.seated and self.mode in ORDER_MODES

    def can_pay(self, order: Order | None) -> bool:
        return self.seated and self.mode in PAY_MODES and _payable(order)

    def can_charge_room(self, order: Order | None) -> bool:
        return self.seated and self.kind == "room" and self.mode != "menu" and _payable(order)


def _payable(order: Order | None) -> bool:
    return order is not None and not order.closed and bool(order.rounds)


def guest_numbers(session: Session | None) -> dict[str, int]:
    """`guest_id → n`, by order of joining (the host is guest 1)."""
    guests = session.guests if session is not None else []
    return {guest.guest_id: n for n, guest in enumerate(guests, start=1)}


def guest_labels(session: Session | None, me: str | None, t: Language) -> dict[str, str]:
    """`guest_id → "you" | "guest n"`."""
    labels = {
        gid: t.gettext("you") if gid == me else t.gettext("guest %(n)s", n=n)
        for gid, n in guest_numbers(session).items()
    }
    if me and me not in labels:
        labels[me] = t.gettext("you")
    return labels


@dataclass
class Choice:
    choice_id: str
    name: str
    delta: str


@dataclass
class Group:
    group_id: str
    name: str
    input_type: str  # radio | checkbox
    min_choices: int
    max_choices: int
    hint: str
    choices: list[Choice]


@dataclass
class Product:
    product_id: str
    name: str
    description: str
    price: str
    allergens: list[tuple[str, str]]
    allergen_codes: list[str]
    available: bool
    photo_url: str | None
    groups: list[Group]
    hidden: bool


@dataclass
class Category:
    category_id: str
    name: str
    products: list[Product] = field(default_factory=list)


def menu_view(menu: Menu | None, t: Language, avoid: Collection[str]) -> list[Category]:
    if menu is None:
        return []
    categories = sorted(menu.categories, key=lambda c: (c.position, c.category_id))
    by_id = {c.category_id: Category(c.category_id, t.text(c.name)) for c in categories}
    for p in menu.products:
        category = by_id.get(p.category_id)
        if category is None:
            continue
        codes = [allergen_code(a) for a in p.allergens]
        groups = []
        for g in p.options:
            lo, hi = g.min_choices, g.max_choices
            single = hi == 1
            if lo and lo == hi:
                hint = t.gettext("choose %(n)s", n=lo)
            else:
                hint = t.gettext("up to %(n)s", n=hi) if not single else ""
            groups.append(
                Group(
                    group_id=g.group_id,
                    name=t.text(g.name),
                    input_type="radio" if single else "checkbox",
                    min_choices=lo,
                    max_choices=hi,
                    hint=hint,
                    choices=[
                        Choice(
                            choice_id=c.choice_id,
                            name=t.text(c.name),
                            delta="+" + t.money(c.price_delta)
                            if c.price_delta.amount_minor
                            else "",
                        )
                        for c in g.choices
                    ],
                )
            )
        category.products.append(
            Product(
                product_id=p.product_id,
                name=t.text(p.name),
                description=t.text(p.description),
                price=t.money(p.price),
                allergens=[(c, allergen_name(c, t)) for c in codes],
                allergen_codes=codes,
                available=p.available,
                photo_url=p.photo_url or None,
                groups=groups,
                hidden=any(c in avoid for c in codes),
            )
        )
    return [c for c in by_id.values() if c.products]


def allergen_filter(t: Language, avoid: Collection[str]) -> list[tuple[str, str, bool]]:
    return [(code, name, code in avoid) for code, name in allergen_names(t)]


@dataclass
class Line:
    line_id: str
    name: str
    quantity: int
    unit_price: str
    line_total: str
    who: str
    mine: bool
    options: str
    note: str


def options_text(options: Sequence[ChosenOption], t: Language) -> str:
    return ", ".join(t.text(o.name) for o in options)


def line_total(line: CartLine | OrderLine) -> Money:
    if isinstance(line, CartLine):
        return line.line_total
    unit = line.unit_price
    return Money(amount_minor=unit.amount_minor * line.quantity, currency=unit.currency)


def _line(
    raw: CartLine | OrderLine, labels: Mapping[str, str], me: str | None, t: Language
) -> Line:
    return Line(
        line_id=raw.line_id,
        name=t.text(raw.name),
        quantity=raw.quantity,
        unit_price=t.money(raw.unit_price),
        line_total=t.money(line_total(raw)),
        who=labels.get(raw.guest_id, t.gettext("guest %(n)s", n="?")),
        mine=raw.guest_id == me,
        options=options_text(raw.options, t),
        note=raw.note or "",
    )


@dataclass
class Round:
    number: int
    lines: list[Line]
    total: str
    status: str  # sent | validated | in_production | rejected
    status_text: str
    # Before validating, staff may change a round (the lines are then as they amended them,
    # with what they told the guests) or refuse it, saying why.
    amended: bool = False
    amendment_note: str = ""
    rejected_reason: str = ""


@dataclass
class Live:
    """The part of the page that changes while guests are at the table."""

    lines: list[Line]
    count: int
    cart_total: str
    rounds: list[Round]
    order_total: str
    order_closed: bool
    has_order: bool


def round_status_text(status: str, t: Language) -> str:
    return {
        "sent": t.gettext("Sent, awaiting the staff"),
        "validated": t.gettext("Validated"),
        "in_production": t.gettext("Validated · in production"),
        "rejected": t.gettext("Refused by the staff"),
    }[status]


def round_status(raw: OrderRound) -> str:
    if raw.status == "rejected":
        return "rejected"
    if raw.sent_to_production:
        return "in_production"
    if raw.status == "validated":
        return "validated"
    return "sent"


def live_view(
    cart: Cart | None,
    order: Order | None,
    labels: Mapping[str, str],
    me: str | None,
    t: Language,
) -> Live:
    lines = [_line(raw, labels, me, t) for raw in (cart.lines if cart is not None else [])]
    rounds = []
    for r in order.rounds if order is not None else []:
        status = round_status(r)
        rounds.append(
            Round(
                number=r.round_number,
                lines=[_line(raw, labels, me, t) for raw in r.lines],
                total=t.money(r.round_total),
                status=status,
                status_text=round_status_text(status, t),
                amended=r.amended,
                amendment_note=r.amendment_note or "",
                rejected_reason=r.rejected_reason or "",
            )
        )
    return Live(
        lines=lines,
        count=sum(line.quantity for line in lines),
        cart_total=t.money(cart.total if cart is not None else None),
        rounds=rounds,
        order_total=t.money(order.order_total if order is not None else None),
        order_closed=order is not None and order.closed,
        has_order=order is not None and bool(order.rounds),
    )
