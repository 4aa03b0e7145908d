"""Read models the pos-gateway service keeps from events: the venue's orders and rounds as
ordering announced them, the POS's own validations and payments, and the paired devices (and
their revocation). What table-session says is in `guests.py`, the rounds' amendments and
rejections in `round_changes.py`, the menus in `menu.py`; all are listed in `PROJECTIONS`.

Every fact has its own table keyed by what identifies it, written with "insert, or nothing if
already there", so a redelivered event, an event arriving before the one it refers to, and the
write-through of a command followed by its own event coming back from Kafka all converge.
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.ordering import OrderPlaced, RoundAdded
from convive.contracts.pos_gateway import (
    DevicePaired,
    DeviceRevoked,
    OrderValidated,
    PaymentSettled,
)
from convive.pos_gateway.guests import (
    guests_and_spots,
    profit_centres,
    session_guests,
    sessions,
    spots,
)
from convive.pos_gateway.menu import menus
from convive.pos_gateway.round_changes import round_changes
from convive.pos_gateway.schema import metadata
from convive.runtime.projections import Projection

devices = sa.Table(
    "devices",
    metadata,
    sa.Column("device_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("credential_sha256", sa.Text, nullable=False, unique=True),
    sa.Column("paired_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("paired_by", sa.Text, nullable=True),
    # Set with the DeviceRevoked event: from then on the credential is refused.
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_by", sa.Text, nullable=True),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False, index=True),
    sa.Column("session_id", sa.Text, nullable=False),
    sa.Column("spot_id", sa.Text, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("order_total_minor", sa.BigInteger, nullable=False),
    sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
)

rounds = sa.Table(
    "rounds",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("round_number", sa.Integer, primary_key=True),
    sa.Column("lines", JSONB, nullable=False),
    sa.Column("round_total_minor", sa.BigInteger, nullable=False),
    sa.Column("order_total_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("placed_by", sa.Text, nullable=False),
    sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
    # The round's event, so the POS's decisions on it carry the guest's correlation id.
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("correlation_id", sa.Text, nullable=False),
)

validations = sa.Table(
    "validations",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("round_number", sa.Integer, primary_key=True),
    sa.Column("validated_by", sa.Text, nullable=False),
    sa.Column("device_id", sa.Text, nullable=False),
    sa.Column("validated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("staff_id", sa.Text, nullable=True),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("order_id", sa.Text, nullable=False, index=True),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("payment_card_token", sa.Text, nullable=True),
    sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("payment_id", sa.Text, nullable=True),
    sa.Column("paid_by_guest", sa.Text, nullable=True),
    sa.Column("fully_paid", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("balance_due_minor", sa.BigInteger, nullable=True),
    sa.Column("line_ids", JSONB, nullable=True),
    sa.Column("device_id", sa.Text, nullable=True),
    sa.Column("received_by", sa.Text, nullable=True),
)

# --- writers, shared by the event handlers below and the commands' write-through ----------


async def record_device(conn: AsyncConnection, event: DevicePaired, at: datetime) -> None:
    await conn.execute(
        insert(devices)
        .values(
            device_id=event.device_id,
            venue_id=event.venue_id,
            name=event.name,
            credential_sha256=event.credential_sha256,
            paired_at=at,
            paired_by=event.paired_by,
        )
        .on_conflict_do_nothing()
    )


async def record_revocation(conn: AsyncConnection, event: DeviceRevoked, at: datetime) -> None:
    await conn.execute(
        devices.update()
        .where(devices.c.device_id == event.device_id, devices.c.revoked_at.is_(None))
        .values(revoked_at=at, revoked_by=event.revoked_by)
    )


async def record_round(
    conn: AsyncConnection, event: OrderPlaced | RoundAdded, envelope: EventEnvelope
) -> None:
    await conn.execute(
        insert(rounds)
        .values(
            order_id=event.order_id,
            round_number=event.round_number,
            lines=[line.model_dump(mode="json") for line in event.lines],
            round_total_minor=event.round_total.amount_minor,
            order_total_minor=event.order_total.amount_minor,
            currency=event.round_total.currency,
            placed_by=event.placed_by,
            placed_at=envelope.time,
            event_id=envelope.id,
            correlation_id=envelope.correlation_id,
        )
        .on_conflict_do_nothing()
    )
    # The order's total is the one ordering announced with the latest round known here
    # (a subquery inside ON CONFLICT would escape the schema translation, hence two steps).
    latest_total = await conn.scalar(
        sa.select(rounds.c.order_total_minor)
        .where(rounds.c.order_id == event.order_id)
        .order_by(rounds.c.round_number.desc())
        .limit(1)
    )
    upsert = insert(orders).values(
        order_id=event.order_id,
        venue_id=event.venue_id,
        session_id=event.session_id,
        spot_id=event.spot_id,
        currency=event.order_total.currency,
        order_total_minor=latest_total,
        placed_at=envelope.time,
    )
    await conn.execute(
        upsert.on_conflict_do_update(
            index_elements=[orders.c.order_id],
            set_={
                "order_total_minor": upsert.excluded.order_total_minor,
                "placed_at": sa.func.least(orders.c.placed_at, upsert.excluded.placed_at),
            },
        )
    )


async def record_validation(
    conn: AsyncConnection, event: OrderValidated, at: datetime, event_id: str
) -> None:
    await conn.execute(
        insert(validations)
        .values(
            order_id=event.order_id,
            round_number=event.round_number,
            validated_by=event.validated_by,
            device_id=event.device_id,
            validated_at=at,
            event_id=event_id,
            staff_id=event.staff_id,
        )
        .on_conflict_do_nothing()
    )


async def record_payment(
    conn: AsyncConnection, event: PaymentSettled, at: datetime, event_id: str
) -> None:
    await conn.execute(
        insert(payments)
        .values(
            event_id=event_id,
            order_id=event.order_id,
            amount_minor=event.amount.amount_minor,
            currency=event.amount.currency,
            method=event.method.value,
            payment_card_token=event.payment_card_token,
            settled_at=at,
            payment_id=event.payment_id,
            paid_by_guest=event.paid_by_guest,
            fully_paid=event.fully_paid,
            balance_due_minor=(
                event.balance_due.amount_minor if event.balance_due is not None else None
            ),
            line_ids=event.line_ids,
            device_id=event.device_id,
            received_by=event.received_by,
        )
        .on_conflict_do_nothing()
    )


# --- projections ------------------------------------------------------------------------

orders_at_pos = Projection("pos_gateway.orders", tables=[orders, rounds, validations, payments])


@orders_at_pos.on(OrderPlaced)
async def on_order_placed(
    conn: AsyncConnection, event: OrderPlaced, envelope: EventEnvelope
) -> None:
    await record_round(conn, event, envelope)


@orders_at_pos.on(RoundAdded)
async def on_round_added(conn: AsyncConnection, event: RoundAdded, envelope: EventEnvelope) -> None:
    await record_round(conn, event, envelope)


# Our own decisions are written when taken; reading them back from our topic keeps the
# projection rebuildable from Kafka alone.
@orders_at_pos.on(OrderValidated)
async def on_order_validated(
    conn: AsyncConnection, event: OrderValidated, envelope: EventEnvelope
) -> None:
    await record_validation(conn, event, envelope.time, envelope.id)


@orders_at_pos.on(PaymentSettled)
async def on_payment_settled(
    conn: AsyncConnection, event: PaymentSettled, envelope: EventEnvelope
) -> None:
    await record_payment(conn, event, envelope.time, envelope.id)


paired_devices = Projection("pos_gateway.devices", tables=[devices])


@paired_devices.on(DevicePaired)
async def on_device_paired(
    conn: AsyncConnection, event: DevicePaired, envelope: EventEnvelope
) -> None:
    await record_device(conn, event, envelope.time)


@paired_devices.on(DeviceRevoked)
async def on_device_revoked(
    conn: AsyncConnection, event: DeviceRevoked, envelope: EventEnvelope
) -> None:
    await record_revocation(conn, event, envelope.time)


# Tables of other modules, imported from here by code older than them.
__all__ = [
    "PROJECTIONS",
    "devices",
    "metadata",
    "orders",
    "payments",
    "profit_centres",
    "rounds",
    "session_guests",
    "sessions",
    "spots",
    "validations",
]

PROJECTIONS: Sequence[Projection] = (
    orders_at_pos,
    paired_devices,
    guests_and_spots,
    round_changes,
    menus,
)
