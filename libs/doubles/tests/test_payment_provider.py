"""The payment provider double over real HTTP: checkouts need the API key; the hosted page shows
the amount and its two buttons; paying or cancelling sends one signed webhook (retried while the
merchant fails) and brings the browser back to the return URL; it also runs as a program."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import socket
import sys
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from convive.runtime.testkit import eventually

API_KEY = "sk_test_key"
WEBHOOK_SECRET = "whsec_test_secret"  # noqa: S105 (the tests' own)


def _verify(received: Any) -> dict[str, Any]:
    """Check the delivery's signature as a merchant would; returns the event."""
    header = received.headers["sandbox-signature"]
    parts = dict(item.split("=", 1) for item in header.split(","))
    signed = parts["t"].encode() + b"." + received.body
    expected = hmac.new(WEBHOOK_SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected), "bad webhook signature"
    assert abs(time.time() - int(parts["t"])) < 60
    event: dict[str, Any] = json.loads(received.body)
    return event


async def resend(sandbox: httpx.AsyncClient, checkout_id: str) -> None:
    """The webhook sent again, as from a provider's dashboard: answered once delivered."""
    resent = await sandbox.post(f"/v1/checkouts/{checkout_id}/webhook/resend")
    assert resent.status_code == 200, resent.text


async def test_creating_a_checkout_needs_the_api_key_and_a_valid_body(
    sandbox: httpx.AsyncClient, receiver: Any
) -> None:
    body = {
        "amount": {"amount_minor": 1250, "currency": "EUR"},
        "reference": "order-1",
        "return_url": "https://venue.example/back",
    }
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"}):
        refused = await sandbox.post("/v1/checkouts", json=body, headers=headers)
        assert refused.status_code == 401
        assert refused.json()["error"]["type"] == "authentication_error"
    # without the key, a bad body is still a 401: nothing is read before authentication
    assert (
        await sandbox.post("/v1/checkouts", json={}, headers={"Authorization": ""})
    ).status_code == 401
    for bad in (
        {**body, "amount": {"amount_minor": 0, "currency": "EUR"}},
        {**body, "amount": {"amount_minor": 100, "currency": "euro"}},
        {**body, "return_url": "javascript:alert(1)"},
        {k: v for k, v in body.items() if k != "reference"},
    ):
        assert (await sandbox.post("/v1/checkouts", json=bad)).status_code == 400
    assert (await sandbox.get("/v1/checkouts/cs_unknown")).status_code == 404
    assert (await sandbox.get("/v1/checkouts/cs_x", headers={"Authorization": ""})).status_code == (
        401
    )


async def test_a_checkout_has_a_hosted_page_showing_the_amount_and_two_labelled_buttons(
    sandbox: httpx.AsyncClient, new_checkout: Any
) -> None:
    created = await new_checkout(amount_minor=123456)
    assert created["status"] == "open"
    assert created["id"].startswith("cs_")
    base = str(sandbox.base_url).rstrip("/")
    assert created["hosted_url"] == f"{base}/pay/{created['id']}"
    shown = await sandbox.get(f"/v1/checkouts/{created['id']}")
    assert shown.json()["amount"] == {"amount_minor": 123456, "currency": "EUR"}
    assert shown.json()["reference"] == "order-42"

    async with httpx.AsyncClient() as browser:
        page = await browser.get(created["hosted_url"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "1\u202f234,56\u00a0EUR" in html
    assert "EUR\u00a01,234.56" in html
    assert "name='action' value='pay'>Payer / Pay</button>" in html
    assert "name='action' value='cancel'>Annuler / Cancel</button>" in html
    assert f"action='/pay/{created['id']}'" in html
    assert '<html lang="fr">' in html
    assert (await sandbox.get("/pay/cs_unknown")).status_code == 404


async def test_paying_sends_one_signed_webhook_and_redirects_to_the_return_url(
    sandbox: httpx.AsyncClient, new_checkout: Any, receiver: Any
) -> None:
    created = await new_checkout(amount_minor=2500)
    paid = await sandbox.post(f"/pay/{created['id']}", data={"action": "pay"})
    assert paid.status_code == 303
    location = urlsplit(paid.headers["location"])
    assert (location.scheme, location.netloc, location.path) == (
        "https",
        "venue.example",
        "/t/abc",
    )
    assert parse_qs(location.query) == {
        "lang": ["en"],
        "payment": [created["id"]],
        "status": ["paid"],
    }
    # the page waited for the merchant to hear it
    assert len(receiver.received) == 1
    event = _verify(receiver.received[0])
    assert event["type"] == "checkout.paid"
    assert event["data"] == {
        "id": created["id"],
        "status": "paid",
        "amount": {"amount_minor": 2500, "currency": "EUR"},
        "reference": "order-42",
    }
    shown = (await sandbox.get(f"/v1/checkouts/{created['id']}")).json()
    assert shown["status"] == "paid"
    assert shown["webhook"]["event_id"] == event["id"]
    assert shown["webhook"]["delivered"] is True

    # submitting again (back button, double click) changes nothing and sends nothing: the
    # webhook sent again from the dashboard (a sentinel, delivered before the answer) is the
    # only delivery after the first
    again = await sandbox.post(f"/pay/{created['id']}", data={"action": "cancel"})
    assert again.status_code == 303
    assert parse_qs(urlsplit(again.headers["location"]).query)["status"] == ["paid"]
    await resend(sandbox, created["id"])
    assert len(receiver.received) == 1 + 1
    assert _verify(receiver.received[1]) == event
    # the page of a finished checkout says so and links back
    page = await sandbox.get(f"/pay/{created['id']}")
    assert "Payé / Paid" in page.text
    assert "Payer / Pay" not in page.text


async def test_cancelling_sends_a_cancelled_webhook(
    sandbox: httpx.AsyncClient, new_checkout: Any, receiver: Any
) -> None:
    created = await new_checkout()
    cancelled = await sandbox.post(f"/pay/{created['id']}", data={"action": "cancel"})
    assert cancelled.status_code == 303
    assert parse_qs(urlsplit(cancelled.headers["location"]).query)["status"] == ["cancelled"]
    event = _verify(receiver.received[0])
    assert event["type"] == "checkout.cancelled"
    assert event["data"]["status"] == "cancelled"
    assert (await sandbox.get(f"/v1/checkouts/{created['id']}")).json()["status"] == "cancelled"
    # anything but pay or cancel is refused and changes nothing
    other = await new_checkout()
    refused = await sandbox.post(f"/pay/{other['id']}", data={"action": "refund"})
    assert refused.status_code == 400
    assert (await sandbox.get(f"/v1/checkouts/{other['id']}")).json()["status"] == "open"


async def test_a_failing_webhook_is_retried_with_the_same_event_and_a_fresh_signature(
    sandbox: httpx.AsyncClient, new_checkout: Any, receiver: Any
) -> None:
    receiver.fail_first = 2
    created = await new_checkout()
    await sandbox.post(f"/pay/{created['id']}", data={"action": "pay"})

    async def delivered() -> Any:
        shown = (await sandbox.get(f"/v1/checkouts/{created['id']}")).json()
        return shown if shown["webhook"]["delivered"] else None

    shown = await eventually(delivered)
    assert [d["status_code"] for d in shown["webhook"]["deliveries"]] == [503, 503, 200]
    assert len(receiver.received) == 3
    events = [_verify(r) for r in receiver.received]
    assert len({e["id"] for e in events}) == 1


async def test_a_webhook_that_keeps_failing_stops_after_the_set_attempts(
    sandbox: httpx.AsyncClient, new_checkout: Any, receiver: Any
) -> None:
    receiver.fail_first = 100
    created = await new_checkout()
    await sandbox.post(f"/pay/{created['id']}", data={"action": "pay"})

    async def gave_up() -> Any:
        shown = (await sandbox.get(f"/v1/checkouts/{created['id']}")).json()
        return shown if len(shown["webhook"]["deliveries"]) >= 4 else None

    shown = await eventually(gave_up)
    # No fifth try: the merchant now accepts, and the webhook sent again from the dashboard (a
    # sentinel, delivered before the answer) is the only delivery after the four.
    receiver.fail_first = len(receiver.received)
    await resend(sandbox, created["id"])
    assert len(receiver.received) == 4 + 1  # webhook_attempts of the test settings, + sentinel
    assert shown["webhook"]["delivered"] is False


async def test_a_webhook_can_be_sent_again_as_from_a_providers_dashboard(
    sandbox: httpx.AsyncClient, new_checkout: Any, receiver: Any
) -> None:
    created = await new_checkout()
    assert (await sandbox.post(f"/v1/checkouts/{created['id']}/webhook/resend")).status_code == 409
    await sandbox.post(f"/pay/{created['id']}", data={"action": "pay"})
    resent = await sandbox.post(f"/v1/checkouts/{created['id']}/webhook/resend")
    assert resent.status_code == 200
    assert len(receiver.received) == 2
    first, second = (_verify(r) for r in receiver.received)
    assert first == second


async def test_an_idempotency_key_makes_a_retried_creation_answer_the_same_checkout(
    sandbox: httpx.AsyncClient, receiver: Any
) -> None:
    body = {
        "amount": {"amount_minor": 900, "currency": "EUR"},
        "reference": "order-7",
        "return_url": "https://venue.example/back",
    }
    headers = {"Idempotency-Key": "attempt-1"}
    first = await sandbox.post("/v1/checkouts", json=body, headers=headers)
    second = await sandbox.post("/v1/checkouts", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_it_runs_as_a_program_with_settings_from_the_environment() -> None:
    port = _free_port()
    env = {
        **os.environ,
        "CONVIVE_PAYMENT_SANDBOX_PORT": str(port),
        "CONVIVE_PAYMENT_SANDBOX_API_KEY": "sk_from_env",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "convive.doubles.payment_provider",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def up() -> bool:
                try:
                    return (await client.get("/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(up, within=30)
            body = {
                "amount": {"amount_minor": 100, "currency": "EUR"},
                "reference": "r",
                "return_url": "https://venue.example/back",
            }
            auth = {"Authorization": "Bearer sk_from_env"}
            created = await client.post("/v1/checkouts", json=body, headers=auth)
            assert created.status_code == 201
            assert created.json()["hosted_url"].startswith(f"http://127.0.0.1:{port}/pay/")
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=15)
