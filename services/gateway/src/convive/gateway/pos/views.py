"""What the POS console shows, built from the services' answers (pure functions, no I/O): the
venue's orders with their rounds, lines and payments, what a cashier may do with each, the
production tickets per station, the open tables with their PINs; and the reading of the
console's forms (amounts, amended rounds)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from convive.contracts import Money
from convive.contracts.ordering import ChosenOption
from convive.gateway.upstream import pos_gateway as pos
from convive.gateway.upstream.ordering import Menu
from convive.gateway.upstream.ordering import Ticket as TicketAnswer
from convive.gateway.upstream.table_session import Session, Spot
from convive.gateway.web.forms import FormError, money_input, parse_money
from convive.gateway.web.language import N_, Language

MAX_QUANTITY = 99
MAX_PARTS = 20
PAYMENT_METHODS = ("cash", "card", "room_charge")
UNKNOWN_SPOT = N_("Table ?")
BAD_QUANTITY = N_("A quantity is a whole number from 0 to 99.")
BAD_PARTS = N_("The number of shares is between 2 and 20.")


STATIONS = {"kitchen": N_("Kitchen"), "bar": N_("Bar")}


def station_name(station: str, t: Language) -> str:
    """A production station's name: the kitchen and the bar by theirs, others as written."""
    name = STATIONS.get(station)
    return t.gettext(name) if name else station.replace("_", " ").capitalize()


def round_status_text(status: str, t: Language) -> str:
    return {
        "pending": t.gettext("To validate"),
        "validated": t.gettext("Validated"),
        "rejected": t.pgettext("round", "Rejected"),
    }[status]


def order_status_text(status: str, t: Language) -> str:
    return {
        "pending": t.gettext("To validate"),
        "validated": t.gettext("To settle"),
        "part_paid": t.gettext("Part paid"),
        "paid": t.gettext("Paid · closed"),
        "rejected": t.pgettext("order", "Rejected"),
    }[status]


def payment_methods(t: Language) -> dict[str, str]:
    return {
        "cash": t.gettext("Cash"),
        "card": t.gettext("Card"),
        "room_charge": t.gettext("Room charge"),
        "online": t.gettext("Online"),
    }


def tabs(t: Language) -> dict[str, str]:
    return {
        "orders": t.gettext("Orders"),
        "tickets": t.gettext("Tickets"),
        "tables": t.gettext("Tables & PINs"),
    }


@dataclass
class ConsoleLine:
    line_id: str
    product_id: str
    name: str
    quantity: int
    unit_price: str
    total: str
    total_minor: int
    note: str
    options: str
    paid: bool


@dataclass
class ConsoleRound:
    number: int
    status: str  # pending | validated | rejected
    status_text: str
    lines: list[ConsoleLine]
    total: str
    validated_by: str
    rejected_reason: str
    amended: bool

    @property
    def pending(self) -> bool:
        return self.status == "pending"


@dataclass
class ConsolePayment:
    amount: str
    method: str
    method_text: str
    received_by: str
    at: str
    at_iso: str
    part: bool
    lines: int


@dataclass
class ConsoleOrder:
    order_id: str
    session_id: str
    spot_name: str
    status: str  # pending | validated | part_paid | paid | rejected
    status_text: str
    rounds: list[ConsoleRound]
    total: str
    paid: str
    due: str
    due_minor: int
    currency: str
    payments: list[ConsolePayment]
    placed_at: str
    placed_at_iso: str
    pin: str | None = None

    @property
    def pending_rounds(self) -> int:
        return sum(1 for r in self.rounds if r.pending)

    @property
    def closed(self) -> bool:
        return self.status in ("paid", "rejected")

    @property
    def can_settle(self) -> bool:
        return not self.closed and self.due_minor > 0 and self.pending_rounds == 0

    @property
    def due_input(self) -> str:
        """What is due as the amount field shows it (`12.50`)."""
        return money_input(self.due_minor, self.currency)

    @property
    def unpaid_lines(self) -> list[ConsoleLine]:
        return [
            line
            for r in self.rounds
            if r.status == "validated"
            for line in r.lines
            if not line.paid
        ]


def options_text(options: Sequence[ChosenOption], t: Language) -> str:
    return ", ".join(t.text(o.name) for o in options)


def console_line(raw: pos.PosLine, t: Language) -> ConsoleLine:
    return ConsoleLine(
        line_id=raw.line_id,
        product_id=raw.product_id,
        name=t.text(raw.name),
        quantity=raw.quantity,
        unit_price=t.money(raw.unit_price),
        total=t.money(raw.line_total),
        total_minor=raw.line_total.amount_minor,
        note=raw.note or "",
        options=options_text(raw.options, t),
        paid=raw.paid,
    )


def _payment(raw: pos.PosPayment, t: Language) -> ConsolePayment:
    return ConsolePayment(
        amount=t.money(raw.amount),
        method=raw.method,
        method_text=payment_methods(t).get(raw.method, raw.method),
        received_by=raw.received_by or "",
        at=t.time(raw.settled_at),
        at_iso=raw.settled_at.isoformat(),
        part=not raw.fully_paid,
        lines=len(raw.line_ids or []),
    )


def order_status(rounds: list[ConsoleRound], service_status: str, paid: int, due: int) -> str:
    live = [r for r in rounds if r.status != "rejected"]
    if rounds and not live:
        return "rejected"
    if service_status in ("paid", "closed") or (paid > 0 and due <= 0):
        return "paid"
    if any(r.pending for r in rounds):
        return "pending"
    return "part_paid" if paid > 0 else "validated"


def pos_order(
    raw: pos.PosOrder,
    t: Language,
    spot_names: Mapping[str, str] | None = None,
    pin: str | None = None,
) -> ConsoleOrder:
    rounds = [
        ConsoleRound(
            number=r.round_number,
            status=r.status,
            status_text=round_status_text(r.status, t),
            lines=[console_line(line, t) for line in r.lines],
            total=t.money(r.round_total),
            validated_by=r.validated_by or "",
            rejected_reason=r.rejected_reason or "",
            amended=r.amended,
        )
        for r in raw.rounds
    ]
    paid, due = raw.paid.amount_minor, raw.due.amount_minor
    status = order_status(rounds, raw.status, paid, due)
    spot_name = raw.spot_name or (spot_names or {}).get(raw.spot_id) or t.gettext(UNKNOWN_SPOT)
    return ConsoleOrder(
        order_id=raw.order_id,
        session_id=raw.session_id,
        spot_name=spot_name,
        status=status,
        status_text=order_status_text(status, t),
        rounds=rounds,
        total=t.money(raw.total),
        paid=t.money(raw.paid) if paid else "",
        due=t.money(raw.due),
        due_minor=due,
        currency=raw.due.currency,
        payments=[_payment(p, t) for p in raw.payments],
        placed_at=t.time(raw.placed_at),
        placed_at_iso=raw.placed_at.isoformat(),
        pin=pin,
    )


def order_list(
    raw: Iterable[pos.PosOrder],
    t: Language,
    spot_names: Mapping[str, str],
    *,
    open_only: bool,
) -> list[ConsoleOrder]:
    """The venue's orders newest first; the open ones only (not paid, not all rejected) unless
    asked for all."""
    views = [pos_order(o, t, spot_names) for o in raw]
    return [o for o in views if not (open_only and o.closed)]


# --- the menu (to add a product to a round), split shares, tickets, tables ------------------


@dataclass
class MenuChoice:
    product_id: str
    label: str


def menu_choices(menu: Menu | None, t: Language) -> list[MenuChoice]:
    if menu is None:
        return []
    order = {c.category_id: (c.position, i) for i, c in enumerate(menu.categories)}
    products = sorted(
        (p for p in menu.products if p.available),
        key=lambda p: (order.get(p.category_id, (999, 999)), t.text(p.name)),
    )
    return [MenuChoice(p.product_id, f"{t.text(p.name)} · {t.money(p.price)}") for p in products]


@dataclass
class Share:
    number: int
    amount: str
    amount_input: str


def split_shares(answer: pos.Split | None, t: Language, first: int = 1) -> list[Share]:
    """The equal shares pos-gateway worked out, numbered from `first` (the earlier ones of the
    split are paid)."""
    shares: list[Money] = answer.shares if answer is not None else []
    return [
        Share(n, t.money(money), money_input(money.amount_minor, money.currency))
        for n, money in enumerate(shares, start=first)
    ]


@dataclass
class TicketLine:
    quantity: int
    name: str
    options: str
    note: str


@dataclass
class Ticket:
    order_id: str
    round_number: int
    spot_name: str
    station: str
    station_text: str
    lines: list[TicketLine]
    sent_at: str
    sent_at_iso: str


def tickets_view(raw: Iterable[TicketAnswer], t: Language) -> list[Ticket]:
    return [
        Ticket(
            order_id=ticket.order_id,
            round_number=ticket.round_number,
            spot_name=ticket.spot_name or t.gettext(UNKNOWN_SPOT),
            station=ticket.station,
            station_text=station_name(ticket.station, t),
            lines=[
                TicketLine(
                    quantity=line.quantity,
                    name=t.text(line.name),
                    options=options_text(line.options, t),
                    note=line.note or "",
                )
                for line in ticket.lines
            ],
            sent_at=t.time(ticket.sent_at) if ticket.sent_at else "",
            sent_at_iso=ticket.sent_at.isoformat() if ticket.sent_at else "",
        )
        for ticket in raw
    ]


def stations(menu: Menu | None, tickets: Iterable[Ticket]) -> list[str]:
    """The stations to filter tickets by: the menu's, and any a ticket names."""
    found = {"kitchen"}
    found.update(p.station for p in (menu.products if menu is not None else []) if p.station)
    found.update(ticket.station for ticket in tickets)
    return sorted(found, key=lambda s: (s != "kitchen", s))


@dataclass
class OpenTable:
    spot_name: str
    session_id: str
    pin: str
    guests: int


def open_tables(spots: Iterable[Spot], sessions: Mapping[str, Session | None]) -> list[OpenTable]:
    """The spots with an open session, with its PIN and how many guests joined."""
    tables = []
    for spot in spots:
        session = sessions.get(spot.session_id) if spot.session_id else None
        if session is None or not session.open:
            continue
        tables.append(
            OpenTable(
                spot_name=spot.name,
                session_id=session.session_id,
                pin=session.pin or "",
                guests=len(session.guests),
            )
        )
    return sorted(tables, key=lambda table: table.spot_name)


# --- reading the console's forms --------------------------------------------------------------


def parse_amount(text: Any, currency: str = "EUR") -> int:
    """Minor units of an amount a cashier typed (`12.50`, `12,50`, `12 €`), more than zero."""
    message = N_("Write the amount as 12.50.")
    return parse_money(text, field="amount", message=message, currency=currency, positive=True)


def parse_quantity(text: Any, field: str) -> int:
    try:
        quantity = int(str(text).strip())
    except ValueError as exc:
        raise FormError(field, BAD_QUANTITY) from exc
    if not 0 <= quantity <= MAX_QUANTITY:
        raise FormError(field, BAD_QUANTITY)
    return quantity


def parse_parts(text: Any) -> int:
    try:
        parts = int(str(text).strip())
    except ValueError as exc:
        raise FormError("parts", BAD_PARTS) from exc
    if not 2 <= parts <= MAX_PARTS:
        raise FormError("parts", BAD_PARTS)
    return parts


@dataclass
class Amendment:
    lines: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None


def amended_round(form: Mapping[str, Any], line_ids: Iterable[str]) -> Amendment:
    """The round as the amend form says it should stand: each existing line's quantity (0
    removes it) and note, and a product to add; the body pos-gateway's amend takes."""
    lines: list[dict[str, Any]] = []
    for line_id in line_ids:
        quantity = parse_quantity(form.get(f"qty:{line_id}", 0), f"qty:{line_id}")
        if quantity == 0:
            continue
        line: dict[str, Any] = {"line_id": line_id, "quantity": quantity}
        note = str(form.get(f"note:{line_id}") or "").strip()[:500]
        if note:
            line["note"] = note
        lines.append(line)
    product_id = str(form.get("add_product") or "").strip()
    if product_id:
        quantity = parse_quantity(form.get("add_quantity") or 1, "add_quantity")
        if quantity:
            added: dict[str, Any] = {"product_id": product_id[:100], "quantity": quantity}
            note = str(form.get("add_note") or "").strip()[:500]
            if note:
                added["note"] = note
            lines.append(added)
    if not lines:
        raise FormError("lines", N_("A round keeps at least one line: reject it instead."))
    note = str(form.get("note") or "").strip()[:500]
    return Amendment(lines=lines, note=note or None)
