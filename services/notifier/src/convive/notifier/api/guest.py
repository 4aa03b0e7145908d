"""The guests' API: the live events of their table session (Server-Sent Events), for the guests
of that session only."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
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
from convive.notifier.domain.streams import resume_position
from convive.notifier.settings import Settings
from convive.runtime.domain import Forbidden, Invalid, NotFound


class SessionStreams(Controller):
    path = "/events"
    tags = ["live events"]

    @get(
        "/sessions/{session_id:str}",
        summary="Live events of a table session, for its guests (Server-Sent Events)",
        description="Needs `?guest=<guest id>` of a guest of the session: 404 for a session not "
        "known (yet), 403 for anyone else. Resume with `Last-Event-ID` or `?last_event_id=`.",
    )
    async def session_events(
        self,
        session_id: FromPath[str],
        engine: NamedDependency[AsyncEngine],
        feed_hub: NamedDependency[LiveHub],
        settings: NamedDependency[Settings],
        guest: Annotated[
            str | None, QueryParameter(name="guest", required=False, description="your guest id")
        ] = None,
        last_event_id_header: LastEventIdHeader = None,
        last_event_id: LastEventIdQuery = None,
    ) -> ServerSentEvent:
        if not guest:
            raise Invalid("guest is required: ?guest=<your guest id>", field="guest")
        after = resume_position(last_event_id_header, last_event_id)

        async def lookup() -> queries.SessionAccess:
            return await queries.session_access(engine, session_id, guest)

        access = await within_grace(lookup, lambda a: a.member, settings.access_grace)
        if not access.known:
            raise NotFound(
                f"session {session_id} is not known (yet): a session opened a moment ago "
                "shows up here within seconds, retry then",
                field="session_id",
            )
        if not access.member:
            raise Forbidden(
                f"guest {guest} is not a guest of session {session_id}: only its guests may "
                "follow it",
                field="guest",
            )
        return ServerSentEvent(
            feed_stream(engine, feed_hub, settings, FeedKind.SESSION, session_id, after)
        )
