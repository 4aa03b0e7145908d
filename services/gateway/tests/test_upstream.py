"""The gateway's client of the services: a read that meets a connection the server closed at
that moment is sent again; a command is not (it may have been done), and is answered 503."""

from __future__ import annotations

import httpx
import pytest

from convive.gateway.settings import Settings
from convive.gateway.upstream import Services, UpstreamError


def services_failing_once() -> tuple[Services, list[str]]:
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        if len(seen) == 1:
            raise httpx.ReadError("connection closed by the server", request=request)
        return httpx.Response(200, json={"ok": True})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    return Services(Settings(), client=client), seen


async def test_a_read_on_a_closed_connection_is_sent_again() -> None:
    services, seen = services_failing_once()
    status, body = await services.ordering.call("GET", "/sessions/s1/order")
    assert (status, body) == (200, {"ok": True})
    assert seen == ["GET", "GET"]


async def test_a_command_on_a_closed_connection_is_not_sent_again() -> None:
    services, seen = services_failing_once()
    with pytest.raises(UpstreamError) as refused:
        await services.ordering.call("POST", "/sessions/s1/cart/items", json={})
    assert refused.value.status == 503
    assert seen == ["POST"]
