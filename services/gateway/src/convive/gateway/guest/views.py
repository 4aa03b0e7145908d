"""What the guest pages show, built from the services' answers (pure functions, no I/O): the
menu in one language with its allergens and options, the shared cart with who added what, the
rounds sent and what this phone may do in the spot's journey mode.

Every service field is read defensively: a service that does not send a field yet (options,
validated rounds…) leaves that part out of the page rather than breaking it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from convive.gateway.web.i18n import ALLERGENS, Translator, allergen_code

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

    def can_pay(self, order: Mapping[str, Any] | None) -> bool:
        return self.seated and self.mode in PAY_MODES and _payable(order)

    def can_charge_room(self, order: Mapping[str, Any] | None) -> bool:
        return self.seated and self.kind == "room" and self.mode != "menu" and _payable(order)


def _payable(order: Mapping[str, Any] | None) -> bool:
    return bool(order) and order.get("status") != "closed" and bool(order.get("rounds"))  # type: ignore[union-attr]


def guest_labels(
    session: Mapping[str, Any] | None, me: str | None, t: Translator
) -> dict[str, str]:
    """`guest_id → "you" | "guest n"`, n by order of joining (the host is guest 1)."""
    labels: dict[str, str] = {}
    guests = (session or {}).get("guests") or []
    for n, guest in enumerate(guests, start=1):
        gid = str(guest.get("guest_id"))
        labels[gid] = t("you") if gid == me else t("guest_n", n=n)
    if me and me not in labels:
        labels[me] = t("you")
    return labels


def guest_numbers(session: Mapping[str, Any] | None) -> dict[str, int]:
    guests = (session or {}).get("guests") or []
    return {str(g.get("guest_id")): n for n, g in enumerate(guests, start=1)}


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


def menu_view(
    menu: Mapping[str, Any] | None, t: Translator, avoid: Collection[str]
) -> list[Category]:
    if not menu:
        return []
    categories = sorted(
        menu.get("categories") or [], key=lambda c: (c.get("position", 0), c.get("category_id"))
    )
    by_id = {
        str(c["category_id"]): Category(str(c["category_id"]), t.text(c.get("name")))
        for c in categories
    }
    for p in menu.get("products") or []:
        category = by_id.get(str(p.get("category_id")))
        if category is None:
            continue
        codes = [allergen_code(a) for a in p.get("allergens") or []]
        groups = []
        for g in p.get("options") or []:
            lo, hi = int(g.get("min_choices", 0)), int(g.get("max_choices", 1))
            single = hi == 1
            if lo and lo == hi:
                hint = t("options_required", n=lo)
            else:
                hint = t("options_up_to", n=hi) if not single else ""
            groups.append(
                Group(
                    group_id=str(g["group_id"]),
                    name=t.text(g.get("name")),
                    input_type="radio" if single else "checkbox",
                    min_choices=lo,
                    max_choices=hi,
                    hint=hint,
                    choices=[
                        Choice(
                            choice_id=str(c["choice_id"]),
                            name=t.text(c.get("name")),
                            delta=(
                                "+" + t.money(c["price_delta"])
                                if (c.get("price_delta") or {}).get("amount_minor")
                                else ""
                            ),
                        )
                        for c in g.get("choices") or []
                    ],
                )
            )
        category.products.append(
            Product(
                product_id=str(p["product_id"]),
                name=t.text(p.get("name")),
                description=t.text(p.get("description")),
                price=t.money(p.get("price")),
                allergens=[(c, _allergen(c, t)) for c in codes],
                allergen_codes=codes,
                available=bool(p.get("available", True)),
                photo_url=p.get("photo_url") or None,
                groups=groups,
                hidden=any(c in avoid for c in codes),
            )
        )
    return [c for c in by_id.values() if c.products]


def _allergen(code: str, t: Translator) -> str:
    names = ALLERGENS.get(code)
    return names[t.lang] if names else code


def allergen_filter(t: Translator, avoid: Collection[str]) -> list[tuple[str, str, bool]]:
    return [(code, names[t.lang], code in avoid) for code, names in ALLERGENS.items()]


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


def _options_text(options: Any, t: Translator) -> str:
    return ", ".join(t.text(o.get("name")) for o in options or [] if isinstance(o, Mapping))


def _line(raw: Mapping[str, Any], labels: Mapping[str, str], me: str | None, t: Translator) -> Line:
    unit = raw.get("unit_price") or {}
    qty = int(raw.get("quantity", 1))
    total = raw.get("line_total") or (
        {"amount_minor": int(unit.get("amount_minor", 0)) * qty, "currency": unit.get("currency")}
        if unit
        else None
    )
    gid = str(raw.get("guest_id"))
    return Line(
        line_id=str(raw.get("line_id")),
        name=t.text(raw.get("name") or raw.get("product_name")),
        quantity=qty,
        unit_price=t.money(unit),
        line_total=t.money(total),
        who=labels.get(gid, t("guest_n", n="?")),
        mine=gid == me,
        options=_options_text(raw.get("options"), t),
        note=str(raw.get("note") or ""),
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


def round_status(raw: Mapping[str, Any]) -> str:
    if raw.get("status") == "rejected":
        return "rejected"
    if raw.get("sent_to_production"):
        return "in_production"
    if raw.get("validated") or raw.get("status") == "validated":
        return "validated"
    return "sent"


def live_view(
    cart: Mapping[str, Any] | None,
    order: Mapping[str, Any] | None,
    labels: Mapping[str, str],
    me: str | None,
    t: Translator,
) -> Live:
    lines = [_line(raw, labels, me, t) for raw in (cart or {}).get("lines") or []]
    rounds = []
    for r in (order or {}).get("rounds") or []:
        status = round_status(r)
        rounds.append(
            Round(
                number=int(r.get("round_number", len(rounds) + 1)),
                lines=[_line(raw, labels, me, t) for raw in r.get("lines") or []],
                total=t.money(r.get("round_total")),
                status=status,
                status_text=t(f"status_{status}"),
                amended=bool(r.get("amended")),
                amendment_note=str(r.get("amendment_note") or ""),
                rejected_reason=str(r.get("rejected_reason") or ""),
            )
        )
    return Live(
        lines=lines,
        count=sum(line.quantity for line in lines),
        cart_total=t.money((cart or {}).get("total")),
        rounds=rounds,
        order_total=t.money((order or {}).get("order_total")),
        order_closed=(order or {}).get("status") == "closed",
        has_order=bool(order and order.get("rounds")),
    )
