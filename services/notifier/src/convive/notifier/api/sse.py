"""The Server-Sent Events stream of one feed, shared by the guests' session streams
(`api.guest`) and the POS devices' venue streams (`api.pos`), resumable with `Last-Event-ID`.

A stream is authorised once, when it opens; it then sends every entry of its feed after the
client's resume position, in order, and the new ones as they are committed (the live hub wakes
it: `workers.feed_hub`, which this module knows only as a `LiveHub`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Annotated, Protocol, TypeVar, runtime_checkable

from litestar.params import HeaderParameter, QueryParameter
from litestar.response import ServerSentEventMessage
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.notifier import queries
from convive.notifier.domain.feeds import FeedKind, message_data
from convive.notifier.settings import Settings

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


class Follower(Protocol):
    """One open stream, as the live hub sees it."""

    wake: asyncio.Event
    """Set when the feed may have new entries, the device was revoked, or the hub closes."""
    revoked: bool
    """The stream's device was revoked: the stream must end now."""
    recheck: bool
    """Notifications may have been missed: check the device again."""


@runtime_checkable  # Litestar checks a dependency's type when it injects it
class LiveHub(Protocol):
    """What a stream needs of the live hub (`workers.feed_hub.FeedHub`)."""

    @property
    def listening(self) -> bool: ...

    @property
    def closed(self) -> bool: ...

    def follow(
        self, kind: FeedKind, feed_id: str, *, device_id: str | None = None
    ) -> AbstractContextManager[Follower]: ...


async def within_grace(
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


async def feed_stream(
    engine: AsyncEngine,
    hub: LiveHub,
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
            if after > await queries.last_seq(engine, kind, feed_id):
                # A position this feed never reached comes from an older numbering (the feed
                # was rebuilt): send it all again; clients dedupe by the event id in `data`.
                log.info("resume position beyond the feed; replaying it", extra={"feed": feed_id})
                after = 0
            read = True
            while not hub.closed:
                if device_id is not None and (follower.recheck or not hub.listening):
                    # Without LISTEN a revocation is not heard: ask at each poll.
                    follower.recheck = False
                    follower.revoked = follower.revoked or not await queries.device_paired(
                        engine, device_id
                    )
                if follower.revoked:
                    log.info("device revoked; ending its stream", extra={"device": device_id})
                    return
                if read:
                    # Cleared before reading: a notification landing during the read wakes us.
                    wake.clear()
                    entries = await queries.feed_entries_after(
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
