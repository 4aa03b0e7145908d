"""The e-mails to send (`notifier.emails`): venues' settings from table-session, offer orders
from ordering, and the outgoing e-mails they cause.

An e-mail is planned in the transaction that applies its cause event, as a row keyed by its
notification id (so a redelivered event plans nothing more); the sender
(`convive.notifier.sender`) sends it after commit, woken by a NOTIFY. The recipient's address
lives in that row only until the e-mail is sent or given up.

A property e-mail goes to the venue's notification address, in the venue's language. When the
offer order comes before the venue's settings are known here (they come from another topic),
the row waits without a recipient until they are; a venue without an address gets no property
e-mail (logged).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.notifier import RecipientRole
from convive.contracts.ordering import OfferCancelled, OfferConfirmed, OfferOrdered
from convive.contracts.table_session import VenueConfigured
from convive.notifier import emails
from convive.notifier.domain import MAIL_DUE
from convive.notifier.emails import MailStatus, OfferOrderForMail, PlannedMail
from convive.notifier.projections import feed_channel, metadata, put_row
from convive.runtime import db
from convive.runtime.projections import Projection

log = logging.getLogger(__name__)

venues = sa.Table(
    "venues",
    metadata,
    sa.Column("venue_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("notification_email", sa.Text, nullable=True),
)

offer_orders = sa.Table(
    "offer_orders",
    metadata,
    sa.Column("offer_order_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("guest_name", sa.Text, nullable=False),
    sa.Column("guest_email", sa.Text, nullable=False),
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("context", JSONB, nullable=False),
)

outgoing_mails = sa.Table(
    "outgoing_mails",
    metadata,
    sa.Column("notification_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("recipient_role", sa.Text, nullable=False),
    sa.Column("cause_event_id", sa.Text, nullable=False),
    sa.Column("correlation_id", sa.Text, nullable=False),
    sa.Column("offer_order_id", sa.Text, nullable=True),
    sa.Column("language", sa.Text, nullable=True),
    sa.Column("recipient", sa.Text, nullable=True),
    sa.Column("reply_to", sa.Text, nullable=True),
    sa.Column("context", JSONB, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_outgoing_mails_due", "status", "next_attempt_at"),
    sa.Index("ix_outgoing_mails_venue_id_created_at", "venue_id", "created_at"),
)

SENDABLE = (MailStatus.PENDING.value, MailStatus.FAILING.value)

emails_projection = Projection("notifier.emails", tables=[outgoing_mails, offer_orders, venues])


def _awaiting_venue(venue_id: str) -> sa.ColumnElement[bool]:
    """Property e-mails planned before the venue's settings were known here."""
    return sa.and_(
        outgoing_mails.c.venue_id == venue_id,
        outgoing_mails.c.recipient_role == RecipientRole.PROPERTY.value,
        outgoing_mails.c.status == MailStatus.PENDING.value,
        outgoing_mails.c.recipient.is_(None),
    )


async def _announce(conn: AsyncConnection) -> None:
    channel = feed_channel(db.schema_of(conn.engine))
    await conn.execute(sa.select(sa.func.pg_notify(channel, MAIL_DUE)))


@emails_projection.on(VenueConfigured)
async def on_venue_configured(
    conn: AsyncConnection, event: VenueConfigured, _: EventEnvelope
) -> None:
    await put_row(
        conn,
        venues,
        "venue_id",
        venue_id=event.venue_id,
        name=event.name,
        language=event.language,
        notification_email=event.notification_email,
    )
    if event.notification_email:
        waiting = await conn.execute(
            outgoing_mails.update()
            .where(_awaiting_venue(event.venue_id))
            .values(recipient=event.notification_email, language=event.language)
        )
        if waiting.rowcount:
            await _announce(conn)
        return
    dropped = await conn.execute(outgoing_mails.delete().where(_awaiting_venue(event.venue_id)))
    if dropped.rowcount:
        log.warning(
            "venue has no notification address: property e-mails not sent",
            extra={"venue_id": event.venue_id, "count": dropped.rowcount},
        )


async def _plan(
    conn: AsyncConnection, venue_id: str, mails: list[PlannedMail], envelope: EventEnvelope
) -> None:
    if not mails:
        return
    venue = (await conn.execute(sa.select(venues).where(venues.c.venue_id == venue_id))).first()
    rows = []
    for mail in mails:
        recipient, language = mail.recipient, mail.language
        if mail.recipient_role is RecipientRole.PROPERTY and venue is not None:
            if not venue.notification_email:
                log.warning(
                    "venue has no notification address: no property e-mail",
                    extra={"venue_id": venue_id, "template": mail.template.value},
                )
                continue
            recipient, language = venue.notification_email, venue.language
        rows.append(
            {
                "notification_id": mail.notification_id,
                "venue_id": venue_id,
                "template": mail.template.value,
                "recipient_role": mail.recipient_role.value,
                "cause_event_id": mail.cause_event_id,
                "correlation_id": envelope.correlation_id,
                "offer_order_id": mail.context.get("offer_order_id"),
                "language": language,
                "recipient": recipient,
                "reply_to": mail.reply_to,
                "context": mail.context,
                "status": MailStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": sa.func.now(),
                "created_at": sa.func.now(),
            }
        )
    if rows:
        # Keyed by notification id: the same cause can never plan a second e-mail.
        await conn.execute(insert(outgoing_mails).values(rows).on_conflict_do_nothing())
        await _announce(conn)


async def _offer_order(conn: AsyncConnection, offer_order_id: str) -> OfferOrderForMail | None:
    row = (
        await conn.execute(
            sa.select(offer_orders).where(offer_orders.c.offer_order_id == offer_order_id)
        )
    ).first()
    if row is None:
        log.warning(
            "offer order not known here: no e-mail", extra={"offer_order_id": offer_order_id}
        )
        return None
    return OfferOrderForMail(
        offer_order_id=row.offer_order_id,
        venue_id=row.venue_id,
        guest_name=row.guest_name,
        guest_email=row.guest_email,
        language=row.language,
        context=row.context,
    )


@emails_projection.on(OfferOrdered)
async def on_offer_ordered(
    conn: AsyncConnection, event: OfferOrdered, envelope: EventEnvelope
) -> None:
    order = OfferOrderForMail.of(event)
    await conn.execute(
        insert(offer_orders)
        .values(
            offer_order_id=order.offer_order_id,
            venue_id=order.venue_id,
            guest_name=order.guest_name,
            guest_email=order.guest_email,
            language=order.language,
            context=order.context,
        )
        .on_conflict_do_nothing()
    )
    await _plan(conn, event.venue_id, emails.on_offer_ordered(order, event, envelope.id), envelope)


@emails_projection.on(OfferConfirmed)
async def on_offer_confirmed(
    conn: AsyncConnection, event: OfferConfirmed, envelope: EventEnvelope
) -> None:
    order = await _offer_order(conn, event.offer_order_id)
    if order is not None:
        mails = emails.on_offer_confirmed(order, event, envelope.id)
        await _plan(conn, event.venue_id, mails, envelope)


@emails_projection.on(OfferCancelled)
async def on_offer_cancelled(
    conn: AsyncConnection, event: OfferCancelled, envelope: EventEnvelope
) -> None:
    order = await _offer_order(conn, event.offer_order_id)
    if order is not None:
        mails = emails.on_offer_cancelled(order, event, envelope.id)
        await _plan(conn, event.venue_id, mails, envelope)
        # Its last e-mail is planned: the guest's address is no longer needed here.
        await conn.execute(
            offer_orders.delete().where(offer_orders.c.offer_order_id == event.offer_order_id)
        )
