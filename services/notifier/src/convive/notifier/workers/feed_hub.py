"""Wakes the open SSE streams when their feed has new entries, ends a revoked device's streams,
and wakes the e-mail sender when an e-mail was planned.

One LISTEN connection per notifier process receives the projections' NOTIFYs (sent at commit,
by whichever notifier replica applied the events) and sets the wake-up events of the streams
following that feed. While the connection is down, streams fall back to polling (and a device's
stream checks its device is still paired each time); when it is back, every stream re-reads its
feed and re-checks its device once, so nothing committed meanwhile is missed.
Closing the hub (app shutdown, or SIGTERM/SIGINT under uvicorn) ends every stream at once, so
the server's graceful shutdown does not wait on streams that never end by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import asyncpg
from litestar import Litestar

from convive.notifier.domain.feeds import MAIL_DUE, FeedKind, parse_notification, parse_revocation

log = logging.getLogger(__name__)

FeedKey = tuple[FeedKind, str]


@dataclass(eq=False)
class Follower:
    """One open stream, as the hub sees it."""

    key: FeedKey
    device_id: str | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    revoked: bool = False
    """Its device was revoked: the stream must end now."""
    recheck: bool = False
    """Notifications may have been missed: the stream should check its device again."""


class FeedHub:
    """In-process fan-out of "feed X has news" to the streams following X."""

    def __init__(self, dsn: str, channel: str, *, reconnect_delay: float = 1.0) -> None:
        self.dsn = dsn
        self.channel = channel
        self.reconnect_delay = reconnect_delay
        self._waiters: dict[FeedKey, set[Follower]] = defaultdict(set)
        self._by_device: dict[str, set[Follower]] = defaultdict(set)
        self._mail_listeners: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._listening = False
        self._closed = False

    @property
    def listening(self) -> bool:
        """True while notifications arrive (streams need not poll)."""
        return self._listening

    @property
    def closed(self) -> bool:
        return self._closed

    @contextlib.contextmanager
    def follow(
        self, kind: FeedKind, feed_id: str, *, device_id: str | None = None
    ) -> Iterator[Follower]:
        """A follower whose `wake` is set whenever the feed may have new entries, its device
        was revoked, or the hub closes."""
        follower = Follower((kind, feed_id), device_id)
        self._waiters[follower.key].add(follower)
        if device_id is not None:
            self._by_device[device_id].add(follower)
        if self._closed:
            follower.wake.set()
        try:
            yield follower
        finally:
            _forget(self._waiters, follower.key, follower)
            if device_id is not None:
                _forget(self._by_device, device_id, follower)

    def streams(self) -> int:
        return sum(len(w) for w in self._waiters.values())

    def on_mail_due(self, callback: Callable[[], None]) -> None:
        """Call `callback` when an e-mail was planned (and when notifications may have been
        missed)."""
        self._mail_listeners.append(callback)

    def _wake(self, key: FeedKey) -> None:
        for follower in self._waiters.get(key, ()):
            follower.wake.set()

    def _wake_all(self, *, recheck: bool = False) -> None:
        for waiters in self._waiters.values():
            for follower in waiters:
                follower.recheck = recheck or follower.recheck
                follower.wake.set()

    def revoke(self, device_id: str) -> None:
        """End the streams of a device at once."""
        for follower in self._by_device.get(device_id, ()):
            follower.revoked = True
            follower.wake.set()

    def _mail_due(self) -> None:
        for callback in self._mail_listeners:
            callback()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload == MAIL_DUE:
            self._mail_due()
        elif (device_id := parse_revocation(payload)) is not None:
            self.revoke(device_id)
        elif (parsed := parse_notification(payload)) is not None:
            kind, feed_id, _seq = parsed
            self._wake((kind, feed_id))

    async def _listen(self) -> None:
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda *_, lost=lost: lost.set())
                await conn.add_listener(self.channel, self._on_notify)
                self._listening = True
                # Catch up on what committed while we were not listening.
                self._wake_all(recheck=True)
                self._mail_due()
                await lost.wait()
                raise ConnectionError("feed LISTEN connection closed")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("feed LISTEN connection lost; streams poll meanwhile", exc_info=True)
                await asyncio.sleep(self.reconnect_delay)
            finally:
                self._listening = False
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)

    def start(self) -> None:
        self._closed = False
        self._task = asyncio.create_task(self._listen(), name="notifier-feed-listen")

    async def close(self) -> None:
        """End every stream, then stop listening."""
        self.end_streams()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def end_streams(self) -> None:
        self._closed = True
        self._wake_all()

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Litestar) -> AsyncIterator[None]:
        """Listen while the app runs; end the streams as soon as the process is asked to stop."""
        self.start()
        restore = _end_streams_on_exit_signals(self)
        try:
            yield
        finally:
            restore()
            await self.close()


def _forget(index: dict[Any, set[Follower]], key: Any, follower: Follower) -> None:
    followers = index.get(key)
    if followers is not None:
        followers.discard(follower)
        if not followers:
            del index[key]


def _end_streams_on_exit_signals(hub: FeedHub) -> Any:
    """Chain SIGTERM/SIGINT handlers that end the streams before the server's own handler
    (uvicorn's graceful shutdown waits for open responses, and a stream never ends by itself).
    Returns a function restoring the previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        before = signal.getsignal(sig)
        if not callable(before):
            continue  # default or ignored: not ours to wrap

        def chained(signum: int, frame: FrameType | None, before: Any = before) -> None:
            loop.call_soon_threadsafe(hub.end_streams)
            before(signum, frame)

        signal.signal(sig, chained)
        previous[sig] = before

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
