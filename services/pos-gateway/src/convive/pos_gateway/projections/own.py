"""The POS's own read models: what it decided, from its own events. The event store writes them
in the transaction of every append (`ServiceDefinition(own_read_models=projection)`, and
`commands.event_store` for a store made outside a request), so a command's answer and the very
next query already show its decision; the same projection, subscribed to the POS's own topic,
rebuilds them from Kafka alone.

- `devices`: paired devices (`DevicePaired`) and their revocation (`DeviceRevoked`): a revoked
  device's credential is refused from the commit of its revocation on;
- `validations`, `round_amendments`, `round_rejections`: staff's decisions on rounds; a round's
  latest amendment stands (by its version on the order's POS stream);
- `payments`: every `PaymentSettled`, at the till or from the phone;
- `folio_posting_outcomes`: how each posting of a concierge order to the PMS goes (the latest
  `FolioPostingFailed`, then `FolioPosted`), by the version of the posting's stream.

Every write is idempotent: a fact keyed by what identifies it is inserted once; a row that
changes remembers the stream version it stands at and never goes back.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.pos_gateway import (
    DevicePaired,
    DeviceRevoked,
    FolioPosted,
    FolioPostingFailed,
    FolioPostingMethod,
    OrderAmended,
    OrderRejected,
    OrderValidated,
    PaymentSettled,
)
from convive.pos_gateway.tables import (
    devices,
    folio_posting_outcomes,
    payments,
    round_amendments,
    round_rejections,
    validations,
)
from convive.runtime.projections import Projection, stream_version, upsert_if_newer

projection = Projection(
    "pos_gateway.own",
    tables=[
        devices,
        validations,
        round_amendments,
        round_rejections,
        payments,
        folio_posting_outcomes,
    ],
)


# --- devices --------------------------------------------------------------------------------


@projection.on(DevicePaired)
async def on_device_paired(
    conn: AsyncConnection, event: DevicePaired, envelope: EventEnvelope
) -> None:
    await conn.execute(
        insert(devices)
        .values(
            device_id=event.device_id,
            venue_id=event.venue_id,
            name=event.name,
            credential_sha256=event.credential_sha256,
            paired_at=envelope.time,
            paired_by=event.paired_by,
        )
        .on_conflict_do_nothing()
    )


@projection.on(DeviceRevoked)
async def on_device_revoked(
    conn: AsyncConnection, event: DeviceRevoked, envelope: EventEnvelope
) -> None:
    await conn.execute(
        devices.update()
        .where(devices.c.device_id == event.device_id, devices.c.revoked_at.is_(None))
        .values(revoked_at=envelope.time, revoked_by=event.revoked_by)
    )


# --- decisions on rounds --------------------------------------------------------------------


@projection.on(OrderValidated)
async def on_order_validated(
    conn: AsyncConnection, event: OrderValidated, envelope: EventEnvelope
) -> None:
    await conn.execute(
        insert(validations)
        .values(
            order_id=event.order_id,
            round_number=event.round_number,
            validated_by=event.validated_by,
            device_id=event.device_id,
            validated_at=envelope.time,
            event_id=envelope.id,
            staff_id=event.staff_id,
        )
        .on_conflict_do_nothing()
    )


@projection.on(OrderAmended)
async def on_order_amended(
    conn: AsyncConnection, event: OrderAmended, envelope: EventEnvelope
) -> None:
    await upsert_if_newer(
        conn,
        round_amendments,
        {"order_id": event.order_id, "round_number": event.round_number},
        {
            "lines": [line.model_dump(mode="json") for line in event.lines],
            "round_total_minor": event.round_total.amount_minor,
            "amended_by": event.amended_by,
            "note": event.note,
            "amended_at": envelope.time,
        },
        version=stream_version(envelope),
        version_column="stream_version",
    )


@projection.on(OrderRejected)
async def on_order_rejected(
    conn: AsyncConnection, event: OrderRejected, envelope: EventEnvelope
) -> None:
    await conn.execute(
        insert(round_rejections)
        .values(
            order_id=event.order_id,
            round_number=event.round_number,
            rejected_by=event.rejected_by,
            reason=event.reason,
            device_id=event.device_id,
            rejected_at=envelope.time,
        )
        .on_conflict_do_nothing()
    )


# --- payments -------------------------------------------------------------------------------


@projection.on(PaymentSettled)
async def on_payment_settled(
    conn: AsyncConnection, event: PaymentSettled, envelope: EventEnvelope
) -> None:
    balance_due = event.balance_due.amount_minor if event.balance_due is not None else None
    await conn.execute(
        insert(payments)
        .values(
            event_id=envelope.id,
            order_id=event.order_id,
            amount_minor=event.amount.amount_minor,
            currency=event.amount.currency,
            method=event.method.value,
            payment_card_token=event.payment_card_token,
            settled_at=envelope.time,
            payment_id=event.payment_id,
            paid_by_guest=event.paid_by_guest,
            fully_paid=event.fully_paid,
            balance_due_minor=balance_due,
            line_ids=event.line_ids,
            device_id=event.device_id,
            received_by=event.received_by,
        )
        .on_conflict_do_nothing()
    )


# --- postings to the PMS --------------------------------------------------------------------


@projection.on(FolioPostingFailed)
async def on_folio_posting_failed(
    conn: AsyncConnection, event: FolioPostingFailed, envelope: EventEnvelope
) -> None:
    """A failed try: the latest try's error and schedule stand."""
    await upsert_if_newer(
        conn,
        folio_posting_outcomes,
        {"offer_order_id": event.offer_order_id},
        {
            "attempts": event.attempt,
            "last_error": event.error,
            "last_failed_at": envelope.time,
            "next_attempt_at": event.next_attempt_at,
        },
        version=stream_version(envelope),
        on_insert={"venue_id": event.venue_id},
    )


@projection.on(FolioPosted)
async def on_folio_posted(
    conn: AsyncConnection, event: FolioPosted, envelope: EventEnvelope
) -> None:
    """The charge is in the PMS: nothing more is tried. The tries made before stay counted
    (a posting by hand after failures keeps their number and the last error)."""
    counted: dict[str, object] = {}
    if event.method is FolioPostingMethod.AUTOMATIC:
        counted["attempts"] = event.attempts
    await upsert_if_newer(
        conn,
        folio_posting_outcomes,
        {"offer_order_id": event.offer_order_id},
        {
            **counted,
            "posted_at": envelope.time,
            "pms_reference": event.pms_reference,
            "method": event.method.value,
            "posted_by": event.posted_by,
            "amount_minor": event.amount.amount_minor,
            "currency": event.amount.currency,
            "next_attempt_at": None,
        },
        version=stream_version(envelope),
        on_insert={"venue_id": event.venue_id, "attempts": 0},
    )
