"""A background worker that does a round of work, then sleeps until woken: in-process by
`wake()`, by PostgreSQL NOTIFY on a channel (work committed by other processes or inside
callers' transactions), or when the pause its round asked for ends (a slow poll as a safety net,
or the time the next piece of work falls due).

Subclasses say what a round does in `work_round`; the outbox relay and the POS folio-posting
worker are two.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging

import asyncpg

log = logging.getLogger(__name__)

_FIRST_BACKOFF = 0.2
_MAX_BACKOFF = 10.0


class WakeableWorker(abc.ABC):
    def __init__(
        self, *, name: str, channel: str | None = None, log_extra: dict[str, str] | None = None
    ) -> None:
        """`name` names the task and the log lines (with `log_extra`); `channel` is the NOTIFY
        channel `run` listens on when given a DSN."""
        self.name = name
        self.channel = channel
        self.log_extra = log_extra or {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @abc.abstractmethod
    async def work_round(self) -> float:
        """Do the work there is now; returns how many seconds to sleep unless woken."""

    def wake(self) -> None:
        self._wake.set()

    async def run(self, listen_dsn: str | None = None) -> None:
        """Work until cancelled. With `listen_dsn`, also wake on NOTIFY from other processes.
        A failed round is retried after a growing pause that wake-ups do not cut short."""
        listener = (
            asyncio.create_task(self._listen(listen_dsn))
            if listen_dsn and self.channel is not None
            else None
        )
        backoff = _FIRST_BACKOFF
        try:
            while True:
                self._wake.clear()  # before looking: a wake-up during the round is not lost
                try:
                    pause = await self.work_round()
                    backoff = _FIRST_BACKOFF
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("%s failed; retrying", self.name, extra=self.log_extra)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, _MAX_BACKOFF)
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=pause)
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener

    def start(self, listen_dsn: str | None = None) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self.run(listen_dsn), name=self.name)
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _listen(self, dsn: str) -> None:
        assert self.channel is not None
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(dsn)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda *_, lost=lost: lost.set())
                await conn.add_listener(self.channel, lambda *_: self._wake.set())
                self._wake.set()  # catch up on what was committed while not listening
                await lost.wait()
                raise ConnectionError("LISTEN connection closed")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning(
                    "%s LISTEN connection lost; reconnecting",
                    self.name,
                    exc_info=True,
                    extra=self.log_extra,
                )
                await asyncio.sleep(1.0)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)
