"""The PMS double over real HTTP: posting a charge needs the API key, a valid body and an
idempotency key; a repeated key answers the same charge and posts nothing more; the control API
makes it fail for a number of calls or until told otherwise, and lists what it received; it also
runs as a program."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from convive.doubles.pms import PmsSettings, create_app
from convive.runtime.testkit import eventually, served

API_KEY = "pms_test_key"
CHARGES = "/api/v1/folio-charges"


@pytest.fixture
async def pms() -> AsyncIterator[httpx.AsyncClient]:
    """A client of the double served over real HTTP, with its API key."""
    async with (
        served(create_app(PmsSettings(api_key=API_KEY))) as base,
        httpx.AsyncClient(base_url=base, headers={"X-Api-Key": API_KEY}, timeout=10) as client,
    ):
        yield client


def _charge(**changes: Any) -> dict[str, Any]:
    return {
        "room": "112",
        "guest_name": "Ada Lovelace",
        "amount": {"amount_minor": 4500, "currency": "EUR"},
        "description": "Spa access",
        "reference": "offer-order-1",
        **changes,
    }


async def _received(pms: httpx.AsyncClient) -> dict[str, Any]:
    answer = await pms.get("/_control/charges")
    assert answer.status_code == 200
    received: dict[str, Any] = answer.json()
    return received


async def test_posting_a_charge_answers_the_pms_charge_id(pms: httpx.AsyncClient) -> None:
    posted = await pms.post(CHARGES, json=_charge(), headers={"Idempotency-Key": "k-1"})
    assert posted.status_code == 201, posted.text
    charge = posted.json()
    assert charge["charge_id"].startswith("chg_")
    assert charge["room"] == "112"
    assert charge["guest_name"] == "Ada Lovelace"
    assert charge["amount"] == {"amount_minor": 4500, "currency": "EUR"}
    assert charge["reference"] == "offer-order-1"
    shown = await pms.get(f"{CHARGES}/{charge['charge_id']}")
    assert shown.json() == charge
    assert [c["charge_id"] for c in (await pms.get(CHARGES, params={"room": "112"})).json()] == [
        charge["charge_id"]
    ]
    assert (await pms.get(CHARGES, params={"room": "113"})).json() == []
    assert (await pms.get(f"{CHARGES}/chg_unknown")).status_code == 404


async def test_the_same_idempotency_key_answers_the_same_charge_and_posts_it_once(
    pms: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": "offer-order-7"}
    first = await pms.post(CHARGES, json=_charge(), headers=headers)
    second = await pms.post(CHARGES, json=_charge(), headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    received = await _received(pms)
    assert len(received["charges"]) == 1
    assert [r["status_code"] for r in received["requests"]] == [201, 201]
    # the same key for another charge is refused, and posts nothing
    other = await pms.post(CHARGES, json=_charge(room="113"), headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["type"] == "idempotency_key_reused"
    assert len((await _received(pms))["charges"]) == 1


async def test_posting_needs_the_api_key_a_valid_body_and_an_idempotency_key(
    pms: httpx.AsyncClient,
) -> None:
    key = {"Idempotency-Key": "k"}
    for headers in ({"X-Api-Key": ""}, {"X-Api-Key": "wrong"}):
        refused = await pms.post(CHARGES, json=_charge(), headers={**headers, **key})
        assert refused.status_code == 401
        assert refused.json()["error"]["type"] == "authentication_error"
    # without the key, even a bad body is a 401: nothing is read before authentication
    assert (await pms.post(CHARGES, json={}, headers={"X-Api-Key": ""})).status_code == 401
    assert (await pms.get(CHARGES, headers={"X-Api-Key": ""})).status_code == 401
    for bad in (
        _charge(amount={"amount_minor": 0, "currency": "EUR"}),
        _charge(amount={"amount_minor": 100, "currency": "euro"}),
        _charge(room=""),
        _charge(card_number="4242424242424242"),
        {k: v for k, v in _charge().items() if k != "guest_name"},
    ):
        assert (await pms.post(CHARGES, json=bad, headers=key)).status_code == 400
    missing = await pms.post(CHARGES, json=_charge())
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "Idempotency-Key"
    assert (await _received(pms))["charges"] == []


async def test_it_fails_for_the_next_calls_it_is_told_then_posts_again(
    pms: httpx.AsyncClient,
) -> None:
    told = await pms.put("/_control/failure", json={"status": 503, "times": 2})
    assert told.status_code == 200
    headers = {"Idempotency-Key": "k-retry"}
    for _ in range(2):
        failed = await pms.post(CHARGES, json=_charge(), headers=headers)
        assert failed.status_code == 503
        assert failed.json()["error"]["type"] == "unavailable"
        assert failed.headers["retry-after"] == "1"
    posted = await pms.post(CHARGES, json=_charge(), headers=headers)
    assert posted.status_code == 201
    received = await _received(pms)
    assert [r["status_code"] for r in received["requests"]] == [503, 503, 201]
    assert len(received["charges"]) == 1
    assert received["failing"] is False


async def test_it_fails_until_told_otherwise_with_the_status_and_message_given(
    pms: httpx.AsyncClient,
) -> None:
    await pms.put(
        "/_control/failure", json={"status": 422, "message": "room 112 has no guest in house"}
    )
    for _ in range(3):
        refused = await pms.post(CHARGES, json=_charge(), headers={"Idempotency-Key": "k"})
        assert refused.status_code == 422
        assert refused.json()["error"] == {
            "type": "charge_refused",
            "message": "room 112 has no guest in house",
        }
    assert (await _received(pms))["failing"] is True
    assert (await pms.delete("/_control/failure")).status_code == 200
    assert (
        await pms.post(CHARGES, json=_charge(), headers={"Idempotency-Key": "k"})
    ).status_code == 201
    for bad in ({"status": 200}, {"status": 503, "times": 0}, {"status": 503, "nope": 1}):
        assert (await pms.put("/_control/failure", json=bad)).status_code == 400
    assert (await pms.post("/_control/reset")).status_code == 200
    assert await _received(pms) == {"charges": [], "requests": [], "failing": False}


async def test_in_process_tests_turn_the_same_knobs() -> None:
    app = create_app(PmsSettings(api_key=API_KEY))
    sandbox = app.state.pms
    sandbox.fail(502, times=1)
    async with (
        served(app) as base,
        httpx.AsyncClient(base_url=base, headers={"X-Api-Key": API_KEY}) as client,
    ):
        headers = {"Idempotency-Key": "k"}
        assert (await client.post(CHARGES, json=_charge(), headers=headers)).status_code == 502
        assert (await client.post(CHARGES, json=_charge(), headers=headers)).status_code == 201
    assert [c.room for c in sandbox.charges.values()] == ["112"]
    assert [r.status_code for r in sandbox.requests] == [502, 201]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_it_runs_as_a_program_with_its_port_on_the_command_line() -> None:
    port = _free_port()
    env = {**os.environ, "CONVIVE_PMS_SANDBOX_API_KEY": "pms_from_env"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "convive.doubles.pms",
        "--port",
        str(port),
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
            posted = await client.post(
                CHARGES,
                json=_charge(),
                headers={"X-Api-Key": "pms_from_env", "Idempotency-Key": "k"},
            )
            assert posted.status_code == 201, posted.text
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=15)
