"""The notifier's HTTP API: Server-Sent Events streams of a table session (for its guests) and
of a venue (for its POS devices), resumable with `Last-Event-ID`.

A stream is authorised once, when it opens; it then sends every entry of its feed after the
client's resume position, in order, and the new ones as they are committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, TypeVar

import sqlalchemy as sa
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.notifier.domain import (
    FeedEntry,
    FeedKind,
    bearer_credential,
    credential_digest,
    message_data,
    resume_position,
)
from convive.notifier.live import FeedHub
from convive.notifier.projections import devices, feed_entries, feeds, session_guests, sessions
from convive.notifier.settings import Settings
from convive.runtime.domain import Forbidden, Invalid, NotFound, Unauthenticated

T = TypeVar("T")

log = logging.getLogger(__name__)

LastEventIdHeader = Annotated[
    str | None,
    HeaderParameter(name="last-event-id", required=False, description="resume after this id"),
]
LastEventIdQuery = Annotated[
    str | None,
    QueryParameter(
        name="last_event_id",
        required=False,
        description="resume after this feed id (for clients that cannot set headers)",
    ),
]


async def _within_grace(
    lookup: Callable[[], Awaitable[T]], ok: Callable[[T], bool], grace: float
) -> T:
    """`lookup()` until `ok` or `grace` seconds passed: what a stream asks for may have just
    happened (a scan, a pairing) and be on its way to our projection."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while True:
        found = await lookup()
        if ok(found) or loop.time() >= deadline:
            return found
        await asyncio.sleep(min(0.1, max(0.0, deadline - loop.time())))


async def _read_entries(
    engine: AsyncEngine, kind: FeedKind, feed_id: str, after: int, limit: int
) -> list[FeedEntry]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.select(feed_entries)
            .where(
                feed_entries.c.feed_kind == kind.value,
                feed_entries.c.feed_id == feed_id,
                feed_entries.c.seq > after,
            )
            .order_by(feed_entries.c.seq)
            .limit(limit)
        )
        return [
            FeedEntry(
                seq=r.seq,
                event_id=r.event_id,
                type=r.type,
                time=r.time,
                subject=r.subject,
                data=r.data,
            )
            for r in rows
        ]


async def _last_seq(engine: AsyncEngine, kind: FeedKind, feed_id: str) -> int:
    async with engine.connect() as conn:
        last = await conn.scalar(
            sa.select(feeds.c.last_seq).where(
                feeds.c.feed_kind == kind.value, feeds.c.feed_id == feed_id
            )
        )
    return int(last or 0)


async def _device_paired(engine: AsyncEngine, device_id: str) -> bool:
    async with engine.connect() as conn:
        found = await conn.scalar(
            sa.select(sa.literal(True)).where(devices.c.device_id == device_id)
        )
    return bool(found)


async def feed_stream(
    engine: AsyncEngine,
    hub: FeedHub,
    settings: Settings,
    kind: FeedKind,
    feed_id: str,
    after: int,
    *,
    device_id: str | None = None,
) -> AsyncIterator[ServerSentEventMessage]:
    """The SSE messages of one feed after `after`, then live ones, with heartbeats, until the
    client leaves (the response is cancelled), the hub closes, the stream's device is revoked,
    or the database fails (the stream ends; the client reconnects with its Last-Event-ID)."""
    loop = asyncio.get_running_loop()
    with hub.follow(kind, feed_id, device_id=device_id) as follower:
        wake = follower.wake
        # Following first, then checking: a revocation committed after the request's check
        # and before we followed would otherwise leave this stream open.
        follower.recheck = device_id is not None
        yield ServerSentEventMessage(data=None, comment="connected", retry=settings.sse_retry_ms)
        last_sent = loop.time()
        try:
            if after > await _last_seq(engine, kind, feed_id):
                # A position this feed never reached comes from an older numbering (the feed
                # was rebuilt): send it all again; clients dedupe by the event id in `data`.
                log.info("resume position beyond the feed; replaying it", extra={"feed": feed_id})
                after = 0
            read = True
            while not hub.closed:
                if device_id is not None and (follower.recheck or not hub.listening):
                    # Without LISTEN a revocation is not heard: ask at each poll.
                    follower.recheck = False
                    follower.revoked = follower.revoked or not await _device_paired(
                        engine, device_id
                    )
                if follower.revoked:
                    log.info("device revoked; ending its stream", extra={"device": device_id})
                    return
                if read:
                    # Cleared before reading: a notification landing during the read wakes us.
                    wake.clear()
                    entries = await _read_entries(
                        engine, kind, feed_id, after, settings.feed_page_size
                    )
                    for entry in entries:
                        yield ServerSentEventMessage(
                            id=entry.seq, event=entry.type, data=message_data(entry)
                        )
                        after = entry.seq
                    if entries:
                        last_sent = loop.time()
                    if len(entries) == settings.feed_page_size:
                        continue
                idle = settings.heartbeat_interval - (loop.time() - last_sent)
                timeout = idle if hub.listening else min(idle, settings.feed_poll_interval)
                try:
                    await asyncio.wait_for(wake.wait(), timeout=max(timeout, 0.0))
                    read = True
                except TimeoutError:
                    # While LISTEN works, only a notification means new entries: an idle
                    # stream costs no query. Without it, poll.
                    read = not hub.listening
                    if loop.time() - last_sent >= settings.heartbeat_interval:
                        yield ServerSentEventMessage(data=None, comment="keep-alive")
                        last_sent = loop.time()
        except SQLAlchemyError:
            log.warning("feed unreadable; ending the stream", exc_info=True)


class EventStreams(Controller):
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
        feed_hub: NamedDependency[FeedHub],
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

        async def lookup() -> tuple[bool, bool]:
            async with engine.connect() as conn:
                known = await conn.scalar(
                    sa.select(sa.literal(True)).where(sessions.c.session_id == session_id)
                )
                member = await conn.scalar(
                    sa.select(sa.literal(True)).where(
                        session_guests.c.session_id == session_id,
                        session_guests.c.guest_id == guest,
                    )
                )
            return bool(known), bool(member)

        known, member = await _within_grace(lookup, lambda f: f[1], settings.access_grace)
        if not known:
            raise NotFound(
                f"session {session_id} is not known (yet): a session opened a moment ago "
                "shows up here within seconds, retry then",
                field="session_id",
            )
        if not member:
            raise Forbidden(
                f"guest {guest} is not a guest of session {session_id}: only its guests may "
                "follow it",
                field="guest",
            )
        return ServerSentEvent(
            feed_stream(engine, feed_hub, settings, FeedKind.SESSION, session_id, after)
        )

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
        feed_hub: NamedDependency[FeedHub],
        settings: NamedDependency[Settings],
        authorization: Annotated[
            str | None, HeaderParameter(name="authorization", required=False)
        ] = None,
        last_event_id_header: LastEventIdHeader = None,
        last_event_id: LastEventIdQuery = None,
    ) -> ServerSentEvent:
        digest = credential_digest(bearer_credential(authorization))
        after = resume_position(last_event_id_header, last_event_id)

        async def lookup() -> sa.Row[tuple[str, str]] | None:
            async with engine.connect() as conn:
                return (
                    await conn.execute(
                        sa.select(devices.c.device_id, devices.c.venue_id).where(
                            devices.c.credential_sha256 == digest
                        )
                    )
                ).first()

        device = await _within_grace(lookup, lambda d: d is not None, settings.access_grace)
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
