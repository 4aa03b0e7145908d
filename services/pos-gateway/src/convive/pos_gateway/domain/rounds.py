"""What staff decide on a round at the POS: validate it, or, while it is still pending,
amend it (quantities, products, notes) or reject it. Pure functions: a command and the order's
state in, new events out, or a domain error saying why not."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from convive.contracts import Event, Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import OrderLine
from convive.contracts.pos_gateway import OrderAmended, OrderRejected, OrderValidated
from convive.pos_gateway.domain.order import PosOrder, Round, line_total
from convive.runtime.domain import Conflict, DomainError, Invalid, NotFound


@dataclass(frozen=True)
class ValidateRound:
    order_id: str
    round_number: int
    staff: str
    device_id: str
    staff_id: str | None = None


@dataclass(frozen=True)
class AmendLine:
    """A line of the round as it should stand: an existing line (by id) with its new
    quantity, or a product of the menu to add. Quantity 0 removes the line."""

    quantity: int
    line_id: str | None = None
    product_id: str | None = None
    note: str | None = None  # None keeps an existing line's note, "" clears it


@dataclass(frozen=True)
class MenuItem:
    """A product of the venue's menu as the POS last learnt it."""

    product_id: str
    name: LocalizedText
    price: Money
    available: bool = True


@dataclass(frozen=True)
class AmendRound:
    order_id: str
    round_number: int
    staff: str
    device_id: str
    lines: tuple[AmendLine, ...]
    # Ids for the lines added, one per AmendLine without line_id (drawn by the caller).
    new_line_ids: tuple[str, ...] = ()
    menu: Mapping[str, MenuItem] = field(default_factory=dict)
    note: str | None = None
    staff_id: str | None = None


@dataclass(frozen=True)
class RejectRound:
    order_id: str
    round_number: int
    staff: str
    device_id: str
    reason: str
    staff_id: str | None = None


def _pending_round(state: PosOrder, number: int, doing: str) -> Round:
    """The round, if it is still pending; otherwise a refusal saying who decided on it."""
    state.require_known()
    found = state.rounds.get(number)
    if found is None:
        known = ", ".join(str(n) for n in sorted(state.rounds))
        raise NotFound(
            f"round {number} of order {state.order_id} is not known to the POS (yet); "
            f"known rounds: {known}",
            field="round_number",
        )
    tail = "" if doing == "validated" else f"; it can no longer be {doing}"
    done = state.validations.get(number)
    if done is not None:
        raise Conflict(
            f"round {number} was already validated by {done.staff} on {done.device_id}{tail}",
            details={"validated_by": done.staff, "device_id": done.device_id},
        )
    rejected = state.rejections.get(number)
    if rejected is not None:
        raise Conflict(
            f"round {number} was rejected by {rejected.staff} ({rejected.reason}); "
            f"it can no longer be {doing}",
            details={"rejected_by": rejected.staff, "device_id": rejected.device_id},
        )
    return found


def _require_not_paid_for(state: PosOrder, number: int, doing: str) -> None:
    # Guests may pay from the phone before the POS validates: money beyond the validated
    # rounds went to the pending ones, which must then stay as they were paid.
    if state.paid_minor > state.validated_minor:
        raise Conflict(
            f"round {number} of order {state.order_id} was already paid for by the guests; "
            f"it can no longer be {doing}"
        )


def decide_validate(state: PosOrder, command: ValidateRound) -> list[Event]:
    number = command.round_number
    _pending_round(state, number, "validated")
    return [
        OrderValidated(
            venue_id=state.venue_id,
            order_id=state.order_id,
            round_number=number,
            device_id=command.device_id,
            validated_by=command.staff,
            session_id=state.session_id or None,
            staff_id=command.staff_id,
        )
    ]


def decide_amend(state: PosOrder, command: AmendRound) -> list[Event]:
    """The round as staff say it should stand: kept lines keep their price and options, new
    products are priced from the menu, a quantity of 0 or an omitted line removes it."""
    number = command.round_number
    pending = _pending_round(state, number, "amended")
    _require_not_paid_for(state, number, "amended")
    if not command.lines:
        raise Invalid("an amended round needs at least one line", field="lines")
    current = {line.line_id: line for line in pending.lines}
    fresh = iter(command.new_line_ids)
    kept: set[str] = set()
    lines: list[OrderLine] = []
    for i, wanted in enumerate(command.lines):
        where = f"lines[{i}]"
        if wanted.quantity < 0:
            raise Invalid("a quantity cannot be negative", field=f"{where}.quantity")
        if wanted.line_id is not None:
            line = _kept_line(state, number, current, kept, wanted, where)
            kept.add(wanted.line_id)
            if line is not None:
                lines.append(line)
        elif wanted.product_id is not None:
            if wanted.quantity == 0:
                continue
            item = _menu_item(state, command.menu, wanted.product_id, where)
            lines.append(
                OrderLine(
                    line_id=next(fresh),
                    product_id=item.product_id,
                    name=item.name,
                    quantity=wanted.quantity,
                    unit_price=item.price,
                    note=wanted.note or None,
                    guest_id=pending.placed_by or "staff",
                )
            )
        else:
            raise Invalid(
                "each line needs a line_id (a line of the round) or a product_id (a product "
                "of the menu to add)",
                field=where,
            )
    if not lines:
        raise Invalid(f"round {number} would have no line left; reject it instead", field="lines")

    def shape(of: tuple[OrderLine, ...] | list[OrderLine]) -> list[tuple[str, int, str | None]]:
        return sorted((line.line_id, line.quantity, line.note) for line in of)

    if shape(lines) == shape(pending.lines):
        raise DomainError(
            f"round {number} already stands like this: nothing to amend", field="lines"
        )
    total = Money(amount_minor=sum(line_total(line) for line in lines), currency=state.currency)
    return [
        OrderAmended(
            venue_id=state.venue_id,
            order_id=state.order_id,
            session_id=state.session_id,
            round_number=number,
            lines=lines,
            round_total=total,
            device_id=command.device_id,
            amended_by=command.staff,
            staff_id=command.staff_id,
            note=command.note or None,
        )
    ]


def _kept_line(
    state: PosOrder,
    number: int,
    current: Mapping[str, OrderLine],
    kept: set[str],
    wanted: AmendLine,
    where: str,
) -> OrderLine | None:
    line_id = wanted.line_id or ""
    line = current.get(line_id)
    if line is None:
        raise Invalid(
            f"line {line_id} is not a line of round {number} of order {state.order_id}",
            field=f"{where}.line_id",
        )
    if line_id in kept:
        raise Invalid(f"line {line_id} is given twice", field=f"{where}.line_id")
    if wanted.product_id is not None and wanted.product_id != line.product_id:
        raise Invalid(
            f"line {line_id} is {line.product_id}, not {wanted.product_id}: to change the "
            "product, remove the line and add the other product",
            field=f"{where}.product_id",
        )
    if wanted.quantity == 0:
        return None
    note = line.note if wanted.note is None else (wanted.note or None)
    return line.model_copy(update={"quantity": wanted.quantity, "note": note})


def _menu_item(
    state: PosOrder, menu: Mapping[str, MenuItem], product_id: str, where: str
) -> MenuItem:
    item = menu.get(product_id)
    if item is None:
        raise Invalid(
            f"product {product_id} is not on the menu of venue {state.venue_id}",
            field=f"{where}.product_id",
        )
    if not item.available:
        raise Conflict(
            f"{item.name.en} ({product_id}) is not available", field=f"{where}.product_id"
        )
    if item.price.currency != state.currency:
        raise Conflict(
            f"{item.name.en} ({product_id}) is priced in {item.price.currency}, the order in "
            f"{state.currency}",
            field=f"{where}.product_id",
        )
    return item


def decide_reject(state: PosOrder, command: RejectRound) -> list[Event]:
    number = command.round_number
    _pending_round(state, number, "rejected")
    _require_not_paid_for(state, number, "rejected")
    reason = command.reason.strip()
    if not reason:
        raise Invalid("say why the round is rejected: the guests see it", field="reason")
    return [
        OrderRejected(
            venue_id=state.venue_id,
            order_id=state.order_id,
            session_id=state.session_id,
            round_number=number,
            reason=reason,
            device_id=command.device_id,
            rejected_by=command.staff,
            staff_id=command.staff_id,
        )
    ]
