"""The notifier run as its own process (`python -m convive.notifier`): asked to stop (SIGTERM)
while a stream is open, it ends the stream and exits, rather than waiting on the stream."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from typing import Any

import httpx
import pytest

from convive.runtime.testkit import eventually

pytestmark = pytest.mark.infra


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_sigterm_ends_open_streams_and_the_process_exits(
    service_settings: dict[str, Any], publish: Any, make_table: Any, feed_has: Any
) -> None:
    port = free_port()
    env = {
        **os.environ,
        **{f"CONVIVE_NOTIFIER_{k.upper()}": str(v) for k, v in service_settings.items()},
        "CONVIVE_NOTIFIER_PORT": str(port),
        "CONVIVE_NOTIFIER_LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "convive.notifier", env=env, stdout=asyncio.subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:

            async def ready() -> bool:
                assert process.returncode is None, "the notifier exited"
                try:
                    return (await client.get("/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, within=60)
            a = make_table("a")
            opened, spot = a.events()[0]
            await publish(opened, spot)
            await feed_has("session", a.session_id, 1)

            path = f"/events/sessions/{a.session_id}"
            async with client.stream("GET", path, params={"guest": a.host}) as response:
                assert response.status_code == 200
                lines = response.aiter_lines()
                async for line in lines:
                    if line.startswith("event: SessionOpened"):
                        break
                process.send_signal(signal.SIGTERM)

                async def rest_of_stream() -> list[str]:
                    return [line async for line in lines]

                # Without ending its streams the server would wait on this one for good.
                rest = await asyncio.wait_for(rest_of_stream(), timeout=30)
            assert not any(line.startswith("event:") for line in rest)
        code = await asyncio.wait_for(process.wait(), timeout=30)
        assert code in (0, -signal.SIGTERM)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
