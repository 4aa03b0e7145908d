"""What the POS console shows, built from the services' answers (pure functions, no I/O): the
venue's orders with their rounds, lines and payments, what a cashier may do with each, the
production tickets per station, the open tables with their PINs; and the reading of the
console's forms (amounts, amended rounds).

Service fields are read defensively, as in `views`: a field a service does not send yet leaves
that part out of the page rather than breaking it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from convive.gateway.pos.i18n import PosTranslator
from convive.gateway.web.forms import FormError, money_input, parse_money

MAX_QUANTITY = 99
MAX_PARTS = 20
ROUND_STATUSES = frozenset({"pending", "validated", "rejected"})
PAYMENT_METHODS = ("cash", "card", "room_charge")


def _minor(money: Any) -> int:
    if isinstance(money, Mapping):
        try:
            return int(money.get("amount_minor", 0))
        except (TypeError, ValueError):
            return 0
    return 0


def _clock(iso: Any) -> str:
    """`HH:MM` of a service timestamp (the page's script shows it in the device's time zone)."""
    try:
        return datetime.fromisoformat(str(iso).replace("Z", "+00:00")).strftime("%H:%M")
    except ValueError:
        return ""


@dataclass
class PosLine:
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
class PosRound:
    number: int
    status: str  # pending | validated | rejected
    status_text: str
    lines: list[PosLine]
    total: str
    validated_by: str
    rejected_reason: str
    amended: bool

    @property
    def pending(self) -> bool:
        return self.status == "pending"


@dataclass
class PosPayment:
    amount: str
    method: str
    method_text: str
    received_by: str
    at: str
    at_iso: str
    part: bool
    lines: int


@dataclass
class PosOrder:
    order_id: str
    session_id: str
    spot_name: str
    status: str  # pending | validated | part_paid | paid | rejected
    status_text: str
    rounds: list[PosRound]
    total: str
    paid: str
    due: str
    due_minor: int
    currency: str
    payments: list[PosPayment]
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
    def unpaid_lines(self) -> list[PosLine]:
        return [
            line
            for r in self.rounds
            if r.status == "validated"
            for line in r.lines
            if not line.paid
        ]


def round_status(raw: Mapping[str, Any]) -> str:
    status = raw.get("status")
    if status in ROUND_STATUSES:
        return str(status)
    if raw.get("rejected_reason"):
        return "rejected"
    return "validated" if raw.get("validated") or raw.get("validated_by") else "pending"


def _options(options: Any, t: PosTranslator) -> str:
    return ", ".join(t.text(o.get("name")) for o in options or [] if isinstance(o, Mapping))


def pos_line(raw: Mapping[str, Any], t: PosTranslator) -> PosLine:
    unit = raw.get("unit_price") or {}
    try:
        quantity = int(raw.get("quantity", 1))
    except (TypeError, ValueError):
        quantity = 1
    total = raw.get("line_total") or (
        {"amount_minor": _minor(unit) * quantity, "currency": unit.get("currency")} if unit else {}
    )
    return PosLine(
        line_id=str(raw.get("line_id") or ""),
        product_id=str(raw.get("product_id") or ""),
        name=t.text(raw.get("name") or raw.get("product_name")),
        quantity=quantity,
        unit_price=t.money(unit),
        total=t.money(total),
        total_minor=_minor(total),
        note=str(raw.get("note") or ""),
        options=_options(raw.get("options"), t),
        paid=bool(raw.get("paid")),
    )


def _payment(raw: Mapping[str, Any], t: PosTranslator) -> PosPayment:
    method = str(raw.get("method") or "")
    key = f"method_{method}"
    when = raw.get("settled_at") or raw.get("paid_at") or raw.get("at") or ""
    return PosPayment(
        amount=t.money(raw.get("amount")),
        method=method,
        method_text=t(key) if key in t.strings else method,
        received_by=str(raw.get("received_by") or raw.get("staff") or ""),
        at=_clock(when) if when else "",
        at_iso=str(when),
        part=raw.get("fully_paid") is False,
        lines=len(raw.get("line_ids") or []),
    )


def order_status(rounds: list[PosRound], service_status: str, paid: int, due: int) -> str:
    live = [r for r in rounds if r.status != "rejected"]
    if rounds and not live:
        return "rejected"
    if service_status in ("paid", "closed") or (paid > 0 and due <= 0):
        return "paid"
    if any(r.pending for r in rounds):
        return "pending"
    return "part_paid" if paid > 0 else "validated"


def pos_order(
    raw: Mapping[str, Any],
    t: PosTranslator,
    spot_names: Mapping[str, str] | None = None,
    pin: str | None = None,
) -> PosOrder:
    rounds = []
    for r in raw.get("rounds") or []:
        status = round_status(r)
        rounds.append(
            PosRound(
                number=int(r.get("round_number", len(rounds) + 1)),
                status=status,
                status_text=t(f"round_status_{status}"),
                lines=[pos_line(line, t) for line in r.get("lines") or []],
                total=t.money(r.get("round_total")),
                validated_by=str(r.get("validated_by") or ""),
                rejected_reason=str(r.get("rejected_reason") or ""),
                amended=bool(r.get("amended")),
            )
        )
    total = raw.get("total") or raw.get("order_total") or {}
    paid = raw.get("paid") or {}
    due = raw.get("due")
    if due is None:
        due = {"amount_minor": _minor(total) - _minor(paid), "currency": total.get("currency")}
    status = order_status(rounds, str(raw.get("status") or ""), _minor(paid), _minor(due))
    spot_id = str(raw.get("spot_id") or "")
    spot_name = str(raw.get("spot_name") or (spot_names or {}).get(spot_id) or "")
    placed = raw.get("placed_at") or ""
    return PosOrder(
        order_id=str(raw.get("order_id") or ""),
        session_id=str(raw.get("session_id") or ""),
        spot_name=spot_name or t("unknown_spot"),
        status=status,
        status_text=t(f"order_status_{status}"),
        rounds=rounds,
        total=t.money(total),
        paid=t.money(paid) if _minor(paid) else "",
        due=t.money(due),
        due_minor=_minor(due),
        currency=str(due.get("currency") or total.get("currency") or "EUR"),
        payments=[_payment(p, t) for p in raw.get("payments") or [] if isinstance(p, Mapping)],
        placed_at=_clock(placed) if placed else "",
        placed_at_iso=str(placed),
        pin=pin,
    )


def order_list(
    raw: Iterable[Mapping[str, Any]],
    t: PosTranslator,
    spot_names: Mapping[str, str],
    *,
    open_only: bool,
) -> list[PosOrder]:
    """The venue's orders newest first; the open ones only (not paid, not all rejected) unless
    asked for all."""
    views = [pos_order(o, t, spot_names) for o in raw]
    return [o for o in views if not (open_only and o.closed)]


# --- the menu (to add a product to a round), split shares, tickets, tables ------------------


@dataclass
class MenuChoice:
    product_id: str
    label: str


def menu_choices(menu: Mapping[str, Any] | None, t: PosTranslator) -> list[MenuChoice]:
    if not menu:
        return []
    order = {
        str(c.get("category_id")): (c.get("position", 0), i)
        for i, c in enumerate(menu.get("categories") or [])
    }
    products = sorted(
        (p for p in menu.get("products") or [] if p.get("available", True)),
        key=lambda p: (order.get(str(p.get("category_id")), (999, 999)), t.text(p.get("name"))),
    )
    return [
        MenuChoice(str(p["product_id"]), f"{t.text(p.get('name'))} · {t.money(p.get('price'))}")
        for p in products
        if p.get("product_id")
    ]


@dataclass
class Share:
    number: int
    amount: str
    amount_input: str


def split_shares(answer: Mapping[str, Any] | None, t: PosTranslator, first: int = 1) -> list[Share]:
    """The equal shares pos-gateway worked out, numbered from `first` (the earlier ones of the
    split are paid)."""
    shares = []
    for n, money in enumerate((answer or {}).get("shares") or [], start=first):
        minor = _minor(money)
        currency = str(money.get("currency") or "EUR") if isinstance(money, Mapping) else "EUR"
        shares.append(Share(n, t.money(money), money_input(minor, currency)))
    return shares


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


def tickets_view(raw: Iterable[Mapping[str, Any]] | None, t: PosTranslator) -> list[Ticket]:
    tickets = []
    for ticket in raw or []:
        station = str(ticket.get("station") or "kitchen")
        sent = ticket.get("sent_at") or ""
        tickets.append(
            Ticket(
                order_id=str(ticket.get("order_id") or ""),
                round_number=int(ticket.get("round_number") or 0),
                spot_name=str(ticket.get("spot_name") or t("unknown_spot")),
                station=station,
                station_text=t.station(station),
                lines=[
                    TicketLine(
                        quantity=int(line.get("quantity") or 1),
                        name=t.text(line.get("name")),
                        options=_options(line.get("options"), t),
                        note=str(line.get("note") or ""),
                    )
                    for line in ticket.get("lines") or []
                ],
                sent_at=_clock(sent) if sent else "",
                sent_at_iso=str(sent),
            )
        )
    return tickets


def stations(menu: Mapping[str, Any] | None, tickets: Iterable[Ticket]) -> list[str]:
    """The stations to filter tickets by: the menu's, and any a ticket names."""
    found = {"kitchen"}
    for p in (menu or {}).get("products") or []:
        if p.get("station"):
            found.add(str(p["station"]))
    found.update(ticket.station for ticket in tickets)
    return sorted(found, key=lambda s: (s != "kitchen", s))


@dataclass
class OpenTable:
    spot_name: str
    session_id: str
    pin: str
    guests: int


def open_tables(
    spots: Iterable[Mapping[str, Any]] | None, sessions: Mapping[str, Mapping[str, Any] | None]
) -> list[OpenTable]:
    tables = []
    for spot in spots or []:
        session_id = spot.get("session_id")
        if not session_id:
            continue
        session = sessions.get(str(session_id)) or {}
        if session.get("status", "open") != "open":
            continue
        tables.append(
            OpenTable(
                spot_name=str(spot.get("name") or ""),
                session_id=str(session_id),
                pin=str(session.get("pin") or ""),
                guests=len(session.get("guests") or []),
            )
        )
    return sorted(tables, key=lambda table: table.spot_name)


# --- reading the console's forms --------------------------------------------------------------


def parse_amount(text: Any, currency: str = "EUR") -> int:
    """Minor units of an amount a cashier typed (`12.50`, `12,50`, `12 €`), more than zero."""
    return parse_money(text, field="amount", message="bad_amount", currency=currency, positive=True)


def parse_quantity(text: Any, field: str) -> int:
    try:
        quantity = int(str(text).strip())
    except ValueError as exc:
        raise FormError(field, "bad_quantity") from exc
    if not 0 <= quantity <= MAX_QUANTITY:
        raise FormError(field, "bad_quantity")
    return quantity


def parse_parts(text: Any) -> int:
    try:
        parts = int(str(text).strip())
    except ValueError as exc:
        raise FormError("parts", "bad_parts") from exc
    if not 2 <= parts <= MAX_PARTS:
        raise FormError("parts", "bad_parts")
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
        raise FormError("lines", "amend_empty")
    note = str(form.get("note") or "").strip()[:500]
    return Amendment(lines=lines, note=note or None)
