"""Reading the orders: one order's known rounds for a decision (and what table-session said of
its guests, and the menu products an amendment adds), and the orders as a POS screen shows them
(rounds as they stand, amended or rejected, who validated them, what was paid and by which
payments, what is still due, the order's status)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.contracts import Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import OrderLine
from convive.contracts.table_session import JourneyMode, SpotKind
from convive.pos_gateway.domain import GuestFacts, MenuItem, PosOrder, Round
from convive.pos_gateway.tables import (
    menu_products,
    orders,
    payments,
    profit_centres,
    round_amendments,
    round_rejections,
    rounds,
    session_guests,
    sessions,
    spots,
    validations,
)
from convive.runtime.domain import NotFound


class OrderStatus(StrEnum):
    PENDING = "pending"  # some round waits for validation
    VALIDATED = "validated"  # every round validated or rejected, not paid yet
    PAID = "paid"
    REJECTED = "rejected"  # every round rejected: nothing to make, nothing to pay


class StatusFilter(StrEnum):
    PENDING = "pending"
    VALIDATED = "validated"
    PAID = "paid"
    REJECTED = "rejected"
    ALL = "all"


@dataclass(frozen=True)
class KnownOrder:
    """What the projection knows of an order, as the starting state of a decision."""

    state: PosOrder
    # Each round's (event id, correlation id): the POS's decisions on a round continue the
    # guest's correlation, caused by the round's event.
    round_events: dict[int, tuple[str, str]]


async def known_order(conn: AsyncConnection, order_id: str) -> KnownOrder | None:
    """The order's rounds as ordering announced them; the POS's own decisions (amendments
    included) are folded on top from its stream."""
    order = (await conn.execute(sa.select(orders).where(orders.c.order_id == order_id))).first()
    if order is None:
        return None
    known_rounds = (
        await conn.execute(
            sa.select(rounds).where(rounds.c.order_id == order_id).order_by(rounds.c.round_number)
        )
    ).all()
    if not known_rounds:
        return None
    state = PosOrder(
        order_id=order_id,
        venue_id=order.venue_id,
        session_id=order.session_id,
        rounds={
            r.round_number: Round(
                lines=tuple(OrderLine.model_validate(line) for line in r.lines),
                total=Money(amount_minor=r.round_total_minor, currency=r.currency),
                placed_by=r.placed_by,
            )
            for r in known_rounds
        },
    )
    return KnownOrder(
        state=state,
        round_events={r.round_number: (r.event_id, r.correlation_id) for r in known_rounds},
    )


async def guest_facts(
    conn: AsyncConnection, order_id: str, session_id: str, guest_id: str
) -> GuestFacts:
    """Is the guest one of the order's session, and what do its spot and profit centre
    offer (as far as table-session's events have told the POS)."""
    seated = await conn.scalar(
        sa.select(sa.func.count())
        .select_from(session_guests)
        .where(session_guests.c.session_id == session_id, session_guests.c.guest_id == guest_id)
    )
    spot = (
        await conn.execute(
            sa.select(spots.c.kind, spots.c.profit_centre_id)
            .select_from(orders.join(spots, spots.c.spot_id == orders.c.spot_id))
            .where(orders.c.order_id == order_id)
        )
    ).first()
    session_centre = await conn.scalar(
        sa.select(sessions.c.profit_centre_id).where(sessions.c.session_id == session_id)
    )
    centre = session_centre or (spot.profit_centre_id if spot is not None else None)
    mode = None
    if centre is not None:
        mode = await conn.scalar(
            sa.select(profit_centres.c.mode).where(profit_centres.c.profit_centre_id == centre)
        )
    return GuestFacts(
        guest_id=guest_id,
        seated=bool(seated),
        mode=JourneyMode(mode) if mode is not None else None,
        spot_kind=SpotKind(spot.kind) if spot is not None else None,
    )


async def menu_items(
    conn: AsyncConnection, venue_id: str, product_ids: Iterable[str]
) -> dict[str, MenuItem]:
    """The venue's products among `product_ids`, as the POS last learnt them."""
    wanted = sorted(set(product_ids))
    if not wanted:
        return {}
    rows = (
        await conn.execute(
            sa.select(menu_products).where(
                menu_products.c.venue_id == venue_id, menu_products.c.product_id.in_(wanted)
            )
        )
    ).all()
    return {
        row.product_id: MenuItem(
            product_id=row.product_id,
            name=LocalizedText.model_validate(row.name),
            price=Money(amount_minor=row.price_minor, currency=row.currency),
            available=row.available,
        )
        for row in rows
    }


def _same_round(table: sa.Table) -> Any:
    return sa.and_(
        table.c.order_id == rounds.c.order_id, table.c.round_number == rounds.c.round_number
    )


def _rounds_as_they_stand() -> Any:
    return rounds.outerjoin(round_amendments, _same_round(round_amendments)).outerjoin(
        round_rejections, _same_round(round_rejections)
    )


def _figure_columns() -> tuple[Any, Any, Any]:
    """The order's total (rounds as amended, rejected ones left out), what was paid, and its
    status, as columns of a query on `orders`."""
    due_round = sa.and_(
        rounds.c.order_id == orders.c.order_id, round_rejections.c.order_id.is_(None)
    )
    current_total = sa.func.coalesce(
        round_amendments.c.round_total_minor, rounds.c.round_total_minor
    )
    total = (
        sa.select(sa.func.coalesce(sa.func.sum(current_total), 0))
        .select_from(_rounds_as_they_stand())
        .where(due_round)
        .scalar_subquery()
    )
    round_count = (
        sa.select(sa.func.count())
        .select_from(_rounds_as_they_stand())
        .where(due_round)
        .scalar_subquery()
    )
    validated_count = (
        sa.select(sa.func.count())
        .select_from(_rounds_as_they_stand().join(validations, _same_round(validations)))
        .where(due_round)
        .scalar_subquery()
    )
    paid = (
        sa.select(sa.func.coalesce(sa.func.sum(payments.c.amount_minor), 0))
        .where(payments.c.order_id == orders.c.order_id)
        .scalar_subquery()
    )
    payment_count = (
        sa.select(sa.func.count())
        .select_from(payments)
        .where(payments.c.order_id == orders.c.order_id)
        .scalar_subquery()
    )
    status = sa.case(
        (round_count == 0, OrderStatus.REJECTED.value),
        (validated_count < round_count, OrderStatus.PENDING.value),
        (sa.and_(payment_count > 0, paid >= total), OrderStatus.PAID.value),
        else_=OrderStatus.VALIDATED.value,
    )
    return total.label("total_minor"), paid.label("paid_minor"), status.label("status")


async def order_views(
    conn: AsyncConnection,
    *,
    venue_id: str | None = None,
    order_id: str | None = None,
    status: StatusFilter = StatusFilter.ALL,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Orders newest first, each with its rounds as they stand, its payments, what is due
    and its status."""
    total, paid, order_status = _figure_columns()
    query = sa.select(orders, spots.c.name.label("spot_name"), total, paid, order_status)
    query = query.select_from(orders.outerjoin(spots, spots.c.spot_id == orders.c.spot_id))
    if venue_id is not None:
        query = query.where(orders.c.venue_id == venue_id)
    if order_id is not None:
        query = query.where(orders.c.order_id == order_id)
    if status is not StatusFilter.ALL:
        query = query.where(order_status == status.value)
    query = query.order_by(orders.c.placed_at.desc(), orders.c.order_id).limit(limit)
    heads = (await conn.execute(query)).all()
    if not heads:
        return []
    ids = [h.order_id for h in heads]
    paid_by_order = await _payments(conn, ids)
    rounds_by_order = await _rounds(conn, ids)
    views = []
    for h in heads:
        money = _money_of(h.currency)
        settled = paid_by_order[h.order_id]
        paid_lines = {line_id for p in settled for line_id in p["line_ids"] or ()}
        all_paid = h.status == OrderStatus.PAID.value
        for r in rounds_by_order[h.order_id]:
            for line in r["lines"]:
                line["paid"] = all_paid or line["line_id"] in paid_lines
        views.append(
            {
                "order_id": h.order_id,
                "session_id": h.session_id,
                "spot_id": h.spot_id,
                "spot_name": h.spot_name,
                "venue_id": h.venue_id,
                "placed_at": h.placed_at.isoformat(),
                "rounds": rounds_by_order[h.order_id],
                "total": money(int(h.total_minor)),
                "order_total": money(int(h.total_minor)),  # the name before amendments came
                "paid": money(int(h.paid_minor)),
                "due": money(int(h.total_minor) - int(h.paid_minor)),
                "payments": settled,
                "status": h.status,
            }
        )
    return views


async def order_view(engine: AsyncEngine, order_id: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await order_views(conn, order_id=order_id)
    if not found:
        raise NotFound(f"order {order_id} is not known to the POS (yet)", field="order_id")
    return found[0]


async def _rounds(conn: AsyncConnection, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    rows = (
        await conn.execute(
            sa.select(
                rounds,
                round_amendments.c.lines.label("amended_lines"),
                round_amendments.c.round_total_minor.label("amended_total_minor"),
                round_amendments.c.amended_by,
                round_amendments.c.note.label("amendment_note"),
                round_rejections.c.rejected_by,
                round_rejections.c.reason.label("rejected_reason"),
                round_rejections.c.rejected_at,
                validations.c.validated_by,
                validations.c.device_id,
                validations.c.validated_at,
            )
            .select_from(_rounds_as_they_stand().outerjoin(validations, _same_round(validations)))
            .where(rounds.c.order_id.in_(ids))
            .order_by(rounds.c.order_id, rounds.c.round_number)
        )
    ).all()
    by_order: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for r in rows:
        amended = r.amended_by is not None
        lines = r.amended_lines if amended else r.lines
        if r.rejected_by is not None:
            round_status = "rejected"
        elif r.validated_by is not None:
            round_status = "validated"
        else:
            round_status = "pending"
        by_order[r.order_id].append(
            {
                "round_number": r.round_number,
                "status": round_status,
                "lines": [_line(line) for line in lines],
                "round_total": _money(
                    r.amended_total_minor if amended else r.round_total_minor, r.currency
                ),
                "placed_by": r.placed_by,
                "placed_at": r.placed_at.isoformat(),
                "validated": r.validated_by is not None,
                "validated_by": r.validated_by,
                "device_id": r.device_id,
                "validated_at": r.validated_at.isoformat() if r.validated_at else None,
                "amended": amended,
                "amended_by": r.amended_by,
                "amendment_note": r.amendment_note,
                "rejected_by": r.rejected_by,
                "rejected_reason": r.rejected_reason,
                "rejected_at": r.rejected_at.isoformat() if r.rejected_at else None,
            }
        )
    return by_order


def _line(line: dict[str, Any]) -> dict[str, Any]:
    keep = ("line_id", "product_id", "name", "quantity", "unit_price", "note", "options")
    view = {key: line.get(key) for key in (*keep, "guest_id")}
    price = line["unit_price"]
    view["line_total"] = _money(price["amount_minor"] * line["quantity"], price["currency"])
    return view


async def _payments(conn: AsyncConnection, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    rows = (
        await conn.execute(
            sa.select(payments)
            .where(payments.c.order_id.in_(ids))
            .order_by(payments.c.settled_at, payments.c.event_id)
        )
    ).all()
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in rows:
        by_order[p.order_id].append(
            {
                "amount": _money(p.amount_minor, p.currency),
                "method": p.method,
                "line_ids": p.line_ids,
                "fully_paid": p.fully_paid,
                "balance_due": (
                    _money(p.balance_due_minor, p.currency)
                    if p.balance_due_minor is not None
                    else None
                ),
                "received_by": p.received_by,
                "device_id": p.device_id,
                "payment_id": p.payment_id,
                "paid_by_guest": p.paid_by_guest,
                "settled_at": p.settled_at.isoformat(),
            }
        )
    return by_order


def _money(amount_minor: int, currency: str) -> dict[str, Any]:
    return {"amount_minor": amount_minor, "currency": currency}


def _money_of(currency: str) -> Any:
    return lambda amount_minor: _money(amount_minor, currency)
