"""Read models of what staff changed on rounds before validating them: each round's latest
amendment (its lines as they now stand) and its rejection, for the order views. Written by the
commands in the transaction of the decision, and again from the POS's own topic (so a rebuild
from Kafka alone restores them)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.pos_gateway import OrderAmended, OrderRejected
from convive.pos_gateway.schema import metadata
from convive.runtime.projections import Projection

round_amendments = sa.Table(
    "round_amendments",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("round_number", sa.Integer, primary_key=True),
    sa.Column("lines", JSONB, nullable=False),
    sa.Column("round_total_minor", sa.BigInteger, nullable=False),
    sa.Column("amended_by", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("amended_at", sa.DateTime(timezone=True), nullable=False),
    # The amendment's version on the order's POS stream: a later amendment written through
    # by a command is never overwritten by an earlier one coming late from Kafka.
    sa.Column("stream_version", sa.Integer, nullable=False),
)

round_rejections = sa.Table(
    "round_rejections",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("round_number", sa.Integer, primary_key=True),
    sa.Column("rejected_by", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("device_id", sa.Text, nullable=False),
    sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
)


async def record_amendment(
    conn: AsyncConnection, event: OrderAmended, at: datetime, stream_version: int
) -> None:
    upsert = insert(round_amendments).values(
        order_id=event.order_id,
        round_number=event.round_number,
        lines=[line.model_dump(mode="json") for line in event.lines],
        round_total_minor=event.round_total.amount_minor,
        amended_by=event.amended_by,
        note=event.note,
        amended_at=at,
        stream_version=stream_version,
    )
    newer = upsert.excluded.stream_version > round_amendments.c.stream_version
    await conn.execute(
        upsert.on_conflict_do_update(
            index_elements=[round_amendments.c.order_id, round_amendments.c.round_number],
            set_={
                name: getattr(upsert.excluded, name)
                for name in (
                    "lines",
                    "round_total_minor",
                    "amended_by",
                    "note",
                    "amended_at",
                    "stream_version",
                )
            },
            where=newer,
        )
    )


async def record_rejection(conn: AsyncConnection, event: OrderRejected, at: datetime) -> None:
    await conn.execute(
        insert(round_rejections)
        .values(
            order_id=event.order_id,
            round_number=event.round_number,
            rejected_by=event.rejected_by,
            reason=event.reason,
            device_id=event.device_id,
            rejected_at=at,
        )
        .on_conflict_do_nothing()
    )


round_changes = Projection("pos_gateway.round_changes", tables=[round_amendments, round_rejections])


@round_changes.on(OrderAmended)
async def on_order_amended(
    conn: AsyncConnection, event: OrderAmended, envelope: EventEnvelope
) -> None:
    await record_amendment(conn, event, envelope.time, envelope.stream_version or 0)


@round_changes.on(OrderRejected)
async def on_order_rejected(
    conn: AsyncConnection, event: OrderRejected, envelope: EventEnvelope
) -> None:
    await record_rejection(conn, event, envelope.time)
