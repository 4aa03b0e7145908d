"""Reading the POS's projections: one order's known rounds for a decision, and the orders as a
POS screen shows them (rounds, who validated them, what was paid, the order's status)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import Money
from convive.contracts.table_session import JourneyMode, SpotKind
from convive.pos_gateway.domain import GuestFacts, PosOrder
from convive.pos_gateway.projections import (
    orders,
    payments,
    profit_centres,
    rounds,
    session_guests,
    sessions,
    spots,
    validations,
)


class OrderStatus(StrEnum):
    PENDING = "pending"  # some round waits for validation
    VALIDATED = "validated"  # every round validated, not paid yet
    PAID = "paid"


class StatusFilter(StrEnum):
    PENDING = "pending"
    VALIDATED = "validated"
    PAID = "paid"
    ALL = "all"


@dataclass(frozen=True)
class KnownOrder:
    """What the projection knows of an order, as the starting state of a decision."""

    state: PosOrder
    # Each round's (event id, correlation id): the POS's decisions on a round continue the
    # guest's correlation, caused by the round's event.
    round_events: dict[int, tuple[str, str]]


async def known_order(conn: AsyncConnection, order_id: str) -> KnownOrder | None:
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
            r.round_number: Money(amount_minor=r.round_total_minor, currency=r.currency)
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


def _status_columns() -> tuple[Any, Any]:
    round_count = (
        sa.select(sa.func.count())
        .select_from(rounds)
        .where(rounds.c.order_id == orders.c.order_id)
        .scalar_subquery()
    )
    validated_count = (
        sa.select(sa.func.count())
        .select_from(
            rounds.join(
                validations,
                sa.and_(
                    validations.c.order_id == rounds.c.order_id,
                    validations.c.round_number == rounds.c.round_number,
                ),
            )
        )
        .where(rounds.c.order_id == orders.c.order_id)
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
        (validated_count < round_count, OrderStatus.PENDING.value),
        (
            sa.and_(payment_count > 0, paid >= orders.c.order_total_minor),
            OrderStatus.PAID.value,
        ),
        else_=OrderStatus.VALIDATED.value,
    )
    return paid.label("paid_minor"), status.label("status")


async def order_views(
    conn: AsyncConnection,
    *,
    venue_id: str | None = None,
    order_id: str | None = None,
    status: StatusFilter = StatusFilter.ALL,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Orders newest first, each with its rounds, validations, amount paid and status."""
    paid, order_status = _status_columns()
    query = sa.select(orders, paid, order_status)
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
    round_rows = (
        await conn.execute(
            sa.select(
                rounds,
                validations.c.validated_by,
                validations.c.device_id,
                validations.c.validated_at,
            )
            .select_from(
                rounds.outerjoin(
                    validations,
                    sa.and_(
                        validations.c.order_id == rounds.c.order_id,
                        validations.c.round_number == rounds.c.round_number,
                    ),
                )
            )
            .where(rounds.c.order_id.in_(ids))
            .order_by(rounds.c.order_id, rounds.c.round_number)
        )
    ).all()
    by_order: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for r in round_rows:
        by_order[r.order_id].append(
            {
                "round_number": r.round_number,
                "lines": r.lines,
                "round_total": _money(r.round_total_minor, r.currency),
                "placed_by": r.placed_by,
                "placed_at": r.placed_at.isoformat(),
                "validated": r.validated_by is not None,
                "validated_by": r.validated_by,
                "device_id": r.device_id,
                "validated_at": r.validated_at.isoformat() if r.validated_at else None,
            }
        )
    return [
        {
            "order_id": h.order_id,
            "session_id": h.session_id,
            "spot_id": h.spot_id,
            "venue_id": h.venue_id,
            "placed_at": h.placed_at.isoformat(),
            "rounds": by_order[h.order_id],
            "order_total": _money(h.order_total_minor, h.currency),
            "paid": _money(int(h.paid_minor), h.currency),
            "due": _money(h.order_total_minor - int(h.paid_minor), h.currency),
            "status": h.status,
        }
        for h in heads
    ]


def _money(amount_minor: int, currency: str) -> dict[str, Any]:
    return {"amount_minor": amount_minor, "currency": currency}
