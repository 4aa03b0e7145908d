"""A Server-Sent Events reader for the platform benchmark: one stream read in a task of its own,
each message's arrival time recorded under a key, and a future per key that someone waits for."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

Key = tuple[str, str]
KeyOf = Callable[[str, dict[str, Any]], Key | None]


class StreamRefused(RuntimeError):
    """The server answered the stream request with something other than 200."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"{status}: {text[:300]}")
        self.status = status


class SseStream:
    """One open stream. `key_of(event_type, data)` names a message (or None to ignore it);
    `when(key)` is a future of the moment the message with that key arrived, resolved at
    once when it already has."""

    def __init__(self, client: httpx.AsyncClient, url: str, key_of: KeyOf, **request: Any) -> None:
        self.client = client
        self.url = url
        self.key_of = key_of
        self.request = request
        self.arrived: dict[Key, float] = {}
        self.waiting: dict[Key, asyncio.Future[float]] = {}
        self.messages = 0
        self.error: BaseException | None = None
        self._response: httpx.Response | None = None
        self._task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Send the request; raises StreamRefused on a non-200 answer (the caller may retry)."""
        request = self.client.build_request("GET", self.url, **self.request)
        response = await self.client.send(request, stream=True)
        if response.status_code != 200:
            body = await response.aread()
            await response.aclose()
            raise StreamRefused(response.status_code, body.decode(errors="replace"))
        self._response = response
        self._task = asyncio.create_task(self._pump(response))

    async def _pump(self, response: httpx.Response) -> None:
        event_type, data = "", ""
        try:
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    event_type = line[6:].strip()
                elif line.startswith("data:"):
                    data = line[5:].strip()
                elif line == "":
                    if data:
                        self._dispatch(event_type, data, time.monotonic())
                    event_type, data = "", ""
        except (httpx.HTTPError, asyncio.CancelledError) as exc:
            self.error = exc
            if isinstance(exc, asyncio.CancelledError):
                raise

    def _dispatch(self, event_type: str, data: str, now: float) -> None:
        self.messages += 1
        key = self.key_of(event_type, json.loads(data))
        if key is None or key in self.arrived:
            return
        self.arrived[key] = now
        future = self.waiting.pop(key, None)
        if future is not None and not future.done():
            future.set_result(now)

    def when(self, key: Key) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        if key in self.arrived:
            future.set_result(self.arrived[key])
        else:
            self.waiting[key] = future
        return future

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._response is not None:
            with contextlib.suppress(httpx.HTTPError):
                await self._response.aclose()


async def open_with_retry(stream: SseStream, *, within: float, retry_on: set[int]) -> None:
    """Open `stream`, retrying while the server answers one of `retry_on` (what it has not
    learnt yet), for at most `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        try:
            await stream.open()
            return
        except StreamRefused as refused:
            if refused.status not in retry_on or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)
