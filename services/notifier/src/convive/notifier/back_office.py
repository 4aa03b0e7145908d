"""The notifier's back-office API: the e-mails of a venue and how their sending went, newest
first (no addresses: they are kept only while an e-mail is pending).

Like the other services' staff APIs, it trusts the gateway in front of it to have checked the
staff member's role and venues (decision 3).
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.notifier.emails import MailStatus
from convive.notifier.outgoing import outgoing_mails
from convive.runtime.domain import Invalid


def _when(value: Any) -> str | None:
    return None if value is None else value.isoformat()


class VenueNotifications(Controller):
    path = "/venues"
    tags = ["back office"]

    @get(
        "/{venue_id:str}/notifications",
        summary="The venue's e-mails (to guests and to the property), newest first",
        description="`status` is pending (not tried yet, or waiting for the venue's address), "
        "failing (tried again later), sent, or failed (given up).",
    )
    async def venue_notifications(
        self,
        venue_id: FromPath[str],
        engine: NamedDependency[AsyncEngine],
        status: Annotated[
            str | None, QueryParameter(required=False, description="only this status")
        ] = None,
        offer_order_id: Annotated[
            str | None, QueryParameter(required=False, description="only this offer order's")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500, description="at most")] = 100,
    ) -> list[dict[str, Any]]:
        query = sa.select(outgoing_mails).where(outgoing_mails.c.venue_id == venue_id)
        if status is not None:
            if status not in MailStatus._value2member_map_:
                raise Invalid(
                    f"status must be one of {', '.join(s.value for s in MailStatus)}",
                    field="status",
                )
            query = query.where(outgoing_mails.c.status == status)
        if offer_order_id is not None:
            query = query.where(outgoing_mails.c.offer_order_id == offer_order_id)
        query = query.order_by(
            outgoing_mails.c.created_at.desc(), outgoing_mails.c.notification_id
        ).limit(limit)
        async with engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            {
                "notification_id": r.notification_id,
                "channel": "email",
                "template": r.template,
                "recipient_role": r.recipient_role,
                "language": r.language,
                "status": r.status,
                "attempts": r.attempts,
                "last_error": r.last_error,
                "cause_event_id": r.cause_event_id,
                "offer_order_id": r.offer_order_id,
                "created_at": _when(r.created_at),
                "next_attempt_at": _when(r.next_attempt_at),
                "sent_at": _when(r.sent_at),
            }
            for r in rows
        ]
