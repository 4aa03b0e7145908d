"""Fixtures of the doubles' tests: an app served by uvicorn on a free port of this process, and
a webhook receiver that records what it is sent (and can refuse the first deliveries)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from litestar import Litestar, Request, Response, post

from convive.doubles.payment_provider import SandboxSettings, create_app
from convive.runtime.testkit import served

API_KEY = "sk_test_key"
WEBHOOK_SECRET = "whsec_test_secret"  # noqa: S105 (the tests' own)


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]


@dataclass
class Receiver:
    """A merchant's webhook endpoint: records each delivery; answers `fail_first` with 503."""

    url: str = ""
    fail_first: int = 0
    received: list[Received] = field(default_factory=list)

    def app(self) -> Litestar:
        @post("/webhook", status_code=200)
        async def webhook(request: Request[Any, Any, Any]) -> Response[str]:
            self.received.append(Received(await request.body(), dict(request.headers)))
            if len(self.received) <= self.fail_first:
                return Response("busy", status_code=503)
            return Response("ok", status_code=200)

        return Litestar(route_handlers=[webhook])


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    async with served(rec.app()) as base:
        rec.url = f"{base}/webhook"
        yield rec


@pytest.fixture
def sandbox_settings() -> SandboxSettings:
    # Short backoff and wait keep the retry tests quick.
    return SandboxSettings(
        api_key=API_KEY,
        webhook_secret=WEBHOOK_SECRET,
        webhook_backoff=0.05,
        webhook_backoff_max=0.2,
        webhook_attempts=4,
        webhook_wait=3.0,
    )


@pytest.fixture
async def sandbox(sandbox_settings: SandboxSettings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the double served over real HTTP, authenticated with its API key."""
    async with (
        served(create_app(sandbox_settings)) as base,
        httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10
        ) as client,
    ):
        yield client


NewCheckout = Callable[..., Any]


@pytest.fixture
def new_checkout(sandbox: httpx.AsyncClient, receiver: Receiver) -> NewCheckout:
    """`await new_checkout(amount_minor=1250)` creates a checkout; returns its JSON."""

    async def create(amount_minor: int = 1250, **extra: Any) -> dict[str, Any]:
        body = {
            "amount": {"amount_minor": amount_minor, "currency": "EUR"},
            "reference": "order-42",
            "return_url": "https://venue.example/t/abc?lang=en",
            "webhook_url": receiver.url,
            **extra,
        }
        response = await sandbox.post("/v1/checkouts", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return create
