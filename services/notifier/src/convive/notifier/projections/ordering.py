"""What the notifier keeps of ordering's facts: the concierge offer orders (what their e-mails
say, and the guest's address while one may still be written), and the e-mails each offer event
causes (`domain.emails` decides which), planned as rows of `outgoing_mails`.

An e-mail is planned in the transaction that applies its cause, as a row keyed by its
notification id (so a redelivered event plans nothing more), and the sender
(`workers.mail_sender`) is woken to send it after commit. A property e-mail goes to the venue's
notification address, in the venue's language; while the venue's settings are not known here
(they come from another topic) it waits without a recipient (see `table_session`).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.notifier import RecipientRole
from convive.contracts.ordering import OfferCancelled, OfferConfirmed, OfferOrdered
from convive.notifier.domain import emails
from convive.notifier.domain.emails import (
    SETTLED,
    MailStatus,
    OfferOrderForMail,
    PlannedMail,
    without_personal_data,
)
from convive.notifier.domain.feeds import MAIL_DUE
from convive.notifier.projections.announcements import announce
from convive.notifier.tables import offer_orders, outgoing_mails, venues

log = logging.getLogger(__name__)


async def offer_ordered(conn: AsyncConnection, event: OfferOrdered, cause: EventEnvelope) -> None:
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
    await _plan(conn, event.venue_id, emails.on_offer_ordered(order, event, cause.id), cause)


async def offer_confirmed(
    conn: AsyncConnection, event: OfferConfirmed, cause: EventEnvelope
) -> None:
    order = await _offer_order(conn, event.offer_order_id)
    if order is not None:
        await _plan(conn, event.venue_id, emails.on_offer_confirmed(order, event, cause.id), cause)


async def offer_cancelled(
    conn: AsyncConnection, event: OfferCancelled, cause: EventEnvelope
) -> None:
    order = await _offer_order(conn, event.offer_order_id)
    if order is None:
        return
    await _plan(conn, event.venue_id, emails.on_offer_cancelled(order, event, cause.id), cause)
    # Its last e-mail is planned: the guest's address is no longer needed here.
    await conn.execute(
        offer_orders.delete().where(offer_orders.c.offer_order_id == event.offer_order_id)
    )


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
    return OfferOrderForMail(**row._mapping)


async def _plan(
    conn: AsyncConnection, venue_id: str, mails: list[PlannedMail], cause: EventEnvelope
) -> None:
    if not mails:
        return
    venue = (await conn.execute(sa.select(venues).where(venues.c.venue_id == venue_id))).first()
    planned = 0
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
        await _put_planned(
            conn,
            {
                "notification_id": mail.notification_id,
                "venue_id": venue_id,
                "template": mail.template.value,
                "recipient_role": mail.recipient_role.value,
                "cause_event_id": mail.cause_event_id,
                "correlation_id": cause.correlation_id,
                "offer_order_id": mail.context.get("offer_order_id"),
                "language": language,
                "recipient": recipient,
                "reply_to": mail.reply_to,
                "context": mail.context,
                "status": MailStatus.PENDING.value,
                "attempts": 0,
                # When its cause happened, not when it was applied here: the same in a rebuild.
                "created_at": cause.time,
                "planned": True,
            },
        )
        planned += 1
    if planned:
        await announce(conn, MAIL_DUE)


async def _put_planned(conn: AsyncConnection, row: dict[str, Any]) -> None:
    """Insert a planned e-mail; keyed by notification id, the same cause never plans a second
    one. A row already there but not `planned` holds only the outcome of its tries (a replay
    read the notifier's own topic first): it gets what the plan says, and nothing personal if
    it is settled already."""
    stmt = insert(outgoing_mails).values(**row)
    settled = outgoing_mails.c.status.in_([s.value for s in SETTLED])
    kept = sa.literal(without_personal_data(row["context"]), JSONB)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["notification_id"],
            set_={
                "planned": True,
                "offer_order_id": stmt.excluded.offer_order_id,
                "created_at": stmt.excluded.created_at,
                "language": sa.func.coalesce(outgoing_mails.c.language, stmt.excluded.language),
                "recipient": sa.case((settled, sa.null()), else_=stmt.excluded.recipient),
                "reply_to": sa.case((settled, sa.null()), else_=stmt.excluded.reply_to),
                "context": sa.case((settled, kept), else_=stmt.excluded.context),
            },
            where=outgoing_mails.c.planned.is_(False),
        )
    )
