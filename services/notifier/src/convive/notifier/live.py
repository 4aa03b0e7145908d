"""Wakes the open SSE streams when their feed has new entries.

One LISTEN connection per notifier process receives the feed projection's NOTIFYs (sent at
commit, by whichever notifier replica applied the events) and sets the wake-up events of the
streams following that feed. While the connection is down, streams fall back to polling; when
it is back, every stream re-reads its feed once, so nothing committed meanwhile is missed.
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
from collections.abc import AsyncIterator, Iterator
from types import FrameType
from typing import Any

import asyncpg
from litestar import Litestar

from convive.notifier.domain import FeedKind, parse_notification

log = logging.getLogger(__name__)

FeedKey = tuple[FeedKind, str]


class FeedHub:
    """In-process fan-out of "feed X has news" to the streams following X."""

    def __init__(self, dsn: str, channel: str, *, reconnect_delay: float = 1.0) -> None:
        self.dsn = dsn
        self.channel = channel
        self.reconnect_delay = reconnect_delay
        self._waiters: dict[FeedKey, set[asyncio.Event]] = defaultdict(set)
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
    def follow(self, kind: FeedKind, feed_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever the feed may have new entries (or the hub closes)."""
        wake = asyncio.Event()
        key = (kind, feed_id)
        self._waiters[key].add(wake)
        if self._closed:
            wake.set()
        try:
            yield wake
        finally:
            waiters = self._waiters.get(key)
            if waiters is not None:
                waiters.discard(wake)
                if not waiters:
                    del self._waiters[key]

    def streams(self) -> int:
        return sum(len(w) for w in self._waiters.values())

    def _wake(self, key: FeedKey) -> None:
        for wake in self._waiters.get(key, ()):
            wake.set()

    def _wake_all(self) -> None:
        for waiters in self._waiters.values():
            for wake in waiters:
                wake.set()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        parsed = parse_notification(payload)
        if parsed is not None:
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
                self._wake_all()  # catch up on what committed while we were not listening
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
