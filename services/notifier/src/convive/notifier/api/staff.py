"""The back office's API: the e-mails of a venue and how their sending went, newest first (no
addresses: they are kept only while an e-mail is pending).

Like the other services' staff APIs, it trusts the gateway in front of it to have checked the
staff member's role and venues (decision 0008).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.notifier import queries
from convive.notifier.domain.emails import MailStatus
from convive.runtime.domain import Invalid


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
        if status is not None and status not in MailStatus._value2member_map_:
            raise Invalid(
                f"status must be one of {', '.join(s.value for s in MailStatus)}",
                field="status",
            )
        return await queries.venue_notifications(
            engine,
            venue_id,
            status=None if status is None else MailStatus(status),
            offer_order_id=offer_order_id,
            limit=limit,
        )
