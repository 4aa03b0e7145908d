"""The gateway's guest app at the request level, with every service as its own process: the
pages for unknown and retired codes, the language, the cookies' flags, forged seats refused,
guest actions through the gateway, and the live stream forwarded with resume."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from convive.runtime.testkit import DEADLINE, eventually

pytestmark = pytest.mark.infra

JSON = {"accept": "application/json"}


def phone(lang: str = "en-GB,en;q=0.9") -> httpx.AsyncClient:
    """A phone: its own cookie jar, its language; it does not follow redirects."""
    return httpx.AsyncClient(timeout=DEADLINE, headers={"accept-language": lang})


def set_cookie(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no Set-Cookie {name} in {response.headers.get_list('set-cookie')}")


async def seated(client: httpx.AsyncClient, url: str) -> dict[str, str]:
    page = await client.get(url)
    assert page.status_code == 200, page.text
    assert 'data-testid="guest-page"' in page.text
    session = page.text.split('data-session="', 1)[1].split('"', 1)[0]
    guest = page.text.split('data-guest="', 1)[1].split('"', 1)[0]
    assert session, "the phone was not seated"
    assert guest, "the phone was not seated"
    return {"session": session, "guest": guest}


async def add(client: httpx.AsyncClient, url: str, product: str, **extra: Any) -> httpx.Response:
    return await client.post(
        f"{url}/cart/items", json={"product_id": product, "quantity": 1, **extra}, headers=JSON
    )


async def test_unknown_and_retired_codes_have_their_own_pages(guest_venue: Any) -> None:
    await guest_venue.set_up()
    async with phone() as a:
        unknown = await a.get(f"{guest_venue.gateway}/t/no-such-token")
        assert unknown.status_code == 404
        assert "text/html" in unknown.headers["content-type"]
        assert "Unknown QR code" in unknown.text
        assert 'data-testid="problem-page"' in unknown.text

    async with httpx.AsyncClient(timeout=DEADLINE) as http:
        rotated = await http.post(
            f"{guest_venue.sessions}/spots/{guest_venue.spot['spot_id']}/token/rotate"
        )
    assert rotated.status_code == 200, rotated.text
    async with phone("fr-FR,fr;q=0.9") as b:
        old = await b.get(guest_venue.guest_url)
        assert old.status_code == 410
        assert "plus valable" in old.text
        fresh = await b.get(f"{guest_venue.gateway}/t/{rotated.json()['token']}")
        assert fresh.status_code == 200


async def test_language_from_the_browser_then_the_switch_is_remembered(guest_venue: Any) -> None:
    await guest_venue.set_up()
    async with phone("fr-FR,fr;q=0.9,en;q=0.8") as fr:
        page = await fr.get(guest_venue.guest_url)
        assert '<html lang="fr">' in page.text
        assert "Panier partagé" in page.text
        assert "Céréales contenant du gluten" in page.text
        assert "12,50" in page.text
    async with phone("de-DE,en-GB;q=0.8,fr;q=0.5") as en:
        page = await en.get(guest_venue.guest_url)
        assert '<html lang="en">' in page.text
        assert "Shared cart" in page.text
        assert "€12.50" in page.text
        switched = await en.get(guest_venue.guest_url, params={"lang": "fr"})
        assert '<html lang="fr">' in switched.text
        assert "convive_lang=fr" in set_cookie(switched, "convive_lang")
        again = await en.get(guest_venue.guest_url)  # no ?lang: the cookie remembers
        assert '<html lang="fr">' in again.text


async def test_cookies_are_signed_http_only_and_same_site(guest_venue: Any) -> None:
    await guest_venue.set_up()
    async with phone() as a:
        first = await a.get(guest_venue.guest_url)
        assert first.status_code == 200
        for name in ("convive_device", "convive_seat"):
            header = set_cookie(first, name).lower()
            assert "httponly" in header, header
            assert "samesite=lax" in header, header
            assert "path=/" in header, header
        assert "max-age=34560000" in set_cookie(first, "convive_device").lower()
        assert first.headers["cache-control"] == "no-store"
        assert first.headers["referrer-policy"] == "same-origin"
        # The same phone comes back: same device, same guest, no new device cookie.
        me = await seated(a, guest_venue.guest_url)
        again = await a.get(guest_venue.guest_url)
        assert f'data-guest="{me["guest"]}"' in again.text
        assert not any(
            h.startswith("convive_device=") for h in again.headers.get_list("set-cookie")
        )


async def test_a_forged_or_foreign_seat_is_refused(guest_venue: Any) -> None:
    await guest_venue.set_up()
    url = guest_venue.guest_url
    async with phone() as a, phone() as intruder:
        me = await seated(a, url)
        seat = a.cookies.get("convive_seat")
        assert seat
        # A seat cookie edited to name another guest: its signature no longer matches.
        payload, _, mac = seat.partition(".")
        forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac
        intruder.cookies.set("convive_seat", forged, domain="127.0.0.1")
        for response in (
            await add(intruder, url, "croque"),
            await intruder.get(f"{url}/fragments/cart"),
            await intruder.get(f"{guest_venue.gateway}/events/sessions/{me['session']}"),
            await intruder.post(f"{url}/cart/confirm", headers=JSON),
        ):
            assert response.status_code == 403, (response.request.url, response.text)
        # A guest id named by the browser is ignored: the seat decides who acts.
        body = {"product_id": "croque", "quantity": 1, "guest_id": "someone-else"}
        answer = await a.post(f"{url}/cart/items", json=body, headers=JSON)
        assert answer.status_code == 201, answer.text
        assert answer.json()["cart"]["lines"][0]["guest_id"] == me["guest"]
        # A cross-site form post is refused even with the right cookies.
        cross = await a.post(
            f"{url}/cart/confirm", headers={**JSON, "origin": "https://evil.example"}
        )
        assert cross.status_code == 403


async def test_guest_actions_answer_the_services_refusals(guest_venue: Any) -> None:
    await guest_venue.set_up()
    url = guest_venue.guest_url
    async with phone() as a:
        await seated(a, url)
        added = await add(a, url, "croque")
        assert added.status_code == 201, added.text
        line = added.json()["line_id"]
        sold_out = await add(a, url, "huitres")
        assert sold_out.status_code == 409, sold_out.text
        assert sold_out.json()["error"]
        unknown = await add(a, url, "no-such-dish")
        assert unknown.status_code == 422, unknown.text
        assert unknown.json()["field"] == "product_id"
        bad = await a.post(
            f"{url}/cart/items", json={"product_id": "croque", "quantity": -1}, headers=JSON
        )
        assert bad.status_code == 400
        assert bad.json()["field"] == "quantity"
        more = await a.post(
            f"{url}/cart/items/{line}/quantity", data={"quantity": "3"}, headers=JSON
        )
        assert more.status_code == 200, more.text
        fragment = await a.get(f"{url}/fragments/cart")
        assert fragment.status_code == 200
        assert 'data-testid="line-quantity" aria-label="Quantity: 3">3<' in fragment.text
        # A plain form post (no script) goes back to the page, with the message on it.
        plain = await a.post(f"{url}/cart/items", data={"product_id": "huitres"})
        assert plain.status_code == 303
        assert plain.headers["location"].startswith(f"/t/{guest_venue.spot['token']}")
        page = await a.get(url)
        assert 'data-testid="flash"' in page.text
        confirmed = await a.post(f"{url}/cart/confirm", headers=JSON)
        assert confirmed.status_code == 201, confirmed.text
        assert confirmed.json()["round_number"] == 1
        empty = await a.post(f"{url}/cart/confirm", headers=JSON)
        assert empty.status_code == 409


async def read_sse(
    client: httpx.AsyncClient,
    url: str,
    until: Callable[[list[dict[str, Any]]], bool],
    headers: dict[str, str] | None = None,
    within: float = DEADLINE,
) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            async with client.stream("GET", url, headers=headers, timeout=None) as response:
                assert response.status_code == 200, await response.aread()
                assert response.headers["content-type"].startswith("text/event-stream")
                current: dict[str, Any] = {}
                async for line in response.aiter_lines():
                    if line.startswith("id:"):
                        current["id"] = line[3:].strip()
                    elif line.startswith("event:"):
                        current["event"] = line[6:].strip()
                    elif line.startswith("data:"):
                        current["data"] = json.loads(line[5:].strip())
                    elif line == "" and current:
                        if "id" in current:
                            messages.append(current)
                        current = {}
                        if until(messages):
                            return messages
    raise AssertionError(f"the stream {url} did not deliver what was expected: {messages}")


async def test_live_events_are_forwarded_from_the_notifier_with_resume(guest_venue: Any) -> None:
    await guest_venue.set_up()
    url = guest_venue.guest_url
    async with phone() as a, phone() as b:
        me = await seated(a, url)
        other = await seated(b, url)
        assert other["session"] == me["session"]
        events_url = f"{guest_venue.gateway}/events/sessions/{me['session']}"

        def added(n: int) -> Callable[[list[dict[str, Any]]], bool]:
            return lambda ms: sum(m["event"] == "CartItemAdded" for m in ms) >= n

        listening = asyncio.create_task(read_sse(a, events_url, added(1)))
        assert (await add(b, url, "croque")).status_code == 201
        first = await listening
        item = next(m for m in first if m["event"] == "CartItemAdded")
        assert item["data"]["data"]["guest_id"] == other["guest"]
        assert item["data"]["data"]["product_id"] == "croque"

        assert (await add(b, url, "mousse")).status_code == 201
        # Reconnect as an EventSource does, after the last message it had: only what followed.
        resumed = await read_sse(a, events_url, added(1), headers={"last-event-id": item["id"]})
        assert all(int(m["id"]) > int(item["id"]) for m in resumed)
        again = [m for m in resumed if m["event"] == "CartItemAdded"]
        assert [m["data"]["data"]["product_id"] for m in again] == ["mousse"]

        # The same with the query parameter, for clients that cannot set headers.
        by_query = await read_sse(a, f"{events_url}?last_event_id={item['id']}", added(1))
        assert [m["id"] for m in by_query if m["event"] == "CartItemAdded"] == [
            m["id"] for m in again
        ]


async def test_the_stream_of_another_session_is_refused(guest_venue: Any) -> None:
    await guest_venue.set_up()
    async with phone() as a:
        me = await seated(a, guest_venue.guest_url)
        answer = await a.get(f"{guest_venue.gateway}/events/sessions/not-{me['session']}")
        assert answer.status_code == 403
        assert answer.json()["field"] == "session_id"


async def test_a_room_charges_its_bill_to_the_room(guest_venue: Any) -> None:
    await guest_venue.set_up(kind="room")
    url = guest_venue.guest_url
    async with phone() as a:
        await seated(a, url)
        page = await a.get(url)
        assert 'data-testid="room-charge"' not in page.text  # nothing ordered yet
        assert (await add(a, url, "croque")).status_code == 201
        assert (await a.post(f"{url}/cart/confirm", headers=JSON)).status_code == 201
        page = await a.get(url)
        assert 'data-testid="room-charge"' in page.text
        assert 'data-testid="pay"' not in page.text  # mode order: no online payment
        charged = await a.post(f"{url}/room-charge", headers=JSON)
        assert charged.status_code == 201, charged.text

        async def paid() -> bool:
            return 'data-testid="bill-paid"' in (await a.get(f"{url}/fragments/cart")).text

        await eventually(paid)


async def test_a_table_cannot_charge_to_a_room(guest_venue: Any) -> None:
    await guest_venue.set_up(kind="table")
    url = guest_venue.guest_url
    async with phone() as a:
        await seated(a, url)
        assert (await add(a, url, "croque")).status_code == 201
        assert (await a.post(f"{url}/cart/confirm", headers=JSON)).status_code == 201
        refused = await a.post(f"{url}/room-charge", headers=JSON)
        assert refused.status_code == 409
        assert refused.json()["field"] == "spot"
