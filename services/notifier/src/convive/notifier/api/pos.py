"""The POS devices' API: the live events of their venue (Server-Sent Events), for the paired
devices of that venue only."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter
from litestar.response import ServerSentEvent
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.notifier import queries
from convive.notifier.api.sse import (
    LastEventIdHeader,
    LastEventIdQuery,
    LiveHub,
    feed_stream,
    within_grace,
)
from convive.notifier.domain.feeds import FeedKind
from convive.notifier.domain.streams import bearer_credential, credential_digest, resume_position
from convive.notifier.settings import Settings
from convive.runtime.domain import Forbidden, Unauthenticated


class VenueStreams(Controller):
    path = "/events"
    tags = ["live events"]

    @get(
        "/venues/{venue_id:str}",
        summary="Live events of a venue, for its POS devices (Server-Sent Events)",
        description="Needs `Authorization: Bearer <device credential>` of a device of the venue: "
        "401 for an unknown credential, 403 for a device of another venue. Resume with "
        "`Last-Event-ID` or `?last_event_id=`.",
    )
    async def venue_events(
        self,
        venue_id: FromPath[str],
        engine: NamedDependency[AsyncEngine],
        feed_hub: NamedDependency[LiveHub],
        settings: NamedDependency[Settings],
        authorization: Annotated[
            str | None, HeaderParameter(name="authorization", required=False)
        ] = None,
        last_event_id_header: LastEventIdHeader = None,
        last_event_id: LastEventIdQuery = None,
    ) -> ServerSentEvent:
        digest = credential_digest(bearer_credential(authorization))
        after = resume_position(last_event_id_header, last_event_id)

        async def lookup() -> queries.Device | None:
            return await queries.device_with_credential(engine, digest)

        device = await within_grace(lookup, lambda d: d is not None, settings.access_grace)
        if device is None:
            raise Unauthenticated(
                "unknown or revoked device credential (a device paired a moment ago is known "
                "within seconds)",
                field="Authorization",
            )
        if device.venue_id != venue_id:
            raise Forbidden(
                f"this device belongs to another venue, not to {venue_id}", field="venue_id"
            )
        return ServerSentEvent(
            feed_stream(
                engine,
                feed_hub,
                settings,
                FeedKind.VENUE,
                venue_id,
                after,
                device_id=device.device_id,
            )
        )
