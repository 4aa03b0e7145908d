"""Guests paying from the phone, over real HTTP on real Kafka and PostgreSQL, with the payment
provider's test double running for real: the POS opens a checkout for what is due, the guest
pays (or cancels) on the hosted page, the double calls the signed webhook back, and the POS
settles the order (or records the failure) once; bad signatures are refused with nothing
appended, replays append nothing twice; a room's order can go on the room."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from convive.contracts import EventEnvelope, events_topic
from convive.contracts.pos_gateway import (
    OnlinePaymentFailed,
    OnlinePaymentStarted,
    PaymentMethod,
    PaymentSettled,
)
from convive.contracts.table_session import JourneyMode, SpotKind
from convive.runtime.testkit import eventually, read_topic

pytestmark = pytest.mark.infra

WEBHOOK_SECRET = "whsec_test_pos_gateway"  # noqa: S105 (the tests' own, as in conftest)
RETURN_URL = "https://venue.example/t/tok123?step=paid"
WEBHOOK = "/payments/webhooks/sandbox"

Count = Callable[[], Awaitable[int]]


async def _own_events(kafka_bootstrap: str, namespace: str, expect: int) -> list[Any]:
    records = await read_topic(
        kafka_bootstrap, events_topic("pos-gateway", namespace), expect=expect
    )
    return [EventEnvelope.from_kafka(r.headers, r.value).event() for r in records]


async def _start(pos: httpx.AsyncClient, order_id: str, guest_id: str) -> httpx.Response:
    return await pos.post(
        f"/orders/{order_id}/online-payments",
        json={"guest_id": guest_id, "return_url": RETURN_URL},
    )


async def _device(pos: httpx.AsyncClient, venue_id: str = "venue-1") -> dict[str, str]:
    paired = await pos.post(f"/venues/{venue_id}/devices", json={"name": "Till"})
    assert paired.status_code == 201, paired.text
    return {"Authorization": f"Bearer {paired.json()['credential']}"}


def _signed(body: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> dict[str, str]:
    t = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Sandbox-Signature": f"t={t},v1={digest}", "Content-Type": "application/json"}


def _webhook_body(payment_id: str, order_id: str, amount_minor: int, status: str = "paid") -> bytes:
    return json.dumps(
        {
            "id": f"evt_{payment_id}_{status}_{amount_minor}",
            "object": "event",
            "type": f"checkout.{status}",
            "created": int(time.time()),
            "data": {
                "id": payment_id,
                "status": status,
                "amount": {"amount_minor": amount_minor, "currency": "EUR"},
                "reference": order_id,
            },
        }
    ).encode()


async def test_a_guest_pays_online_on_the_hosted_page_and_the_order_is_settled_once(
    pos_http: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    seated_order: Any,
    event_count: Count,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    seated = await seated_order(prices=(1450, 350))
    # before any validation at the POS (order_and_pay)
    started = await _start(pos_http, seated.order_id, seated.guest)
    assert started.status_code == 201, started.text
    body = started.json()
    payment_id = body["payment_id"]
    assert body["amount"] == {"amount_minor": 1800, "currency": "EUR"}
    assert body["provider"] == "sandbox"
    assert body["redirect_url"].startswith(f"{str(sandbox.base_url).rstrip('/')}/pay/")

    # the guest's browser on the provider's hosted page
    async with httpx.AsyncClient() as browser:
        page = await browser.get(body["redirect_url"])
        assert page.status_code == 200
        assert "18,00\u00a0EUR" in page.text
        assert "Payer / Pay" in page.text
        assert "Annuler / Cancel" in page.text
        paid = await browser.post(body["redirect_url"], data={"action": "pay"})
    assert paid.status_code == 303
    back = urlsplit(paid.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == "https://venue.example/t/tok123"
    assert parse_qs(back.query) == {
        "step": ["paid"],
        "payment": [payment_id],
        "status": ["paid"],
    }

    # the provider's webhook reached the POS and was accepted
    checkout = (await sandbox.get(f"/v1/checkouts/{payment_id}")).json()
    assert checkout["reference"] == seated.order_id
    assert checkout["webhook"]["delivered"] is True
    assert [d["status_code"] for d in checkout["webhook"]["deliveries"]] == [200]

    published = await _own_events(kafka_bootstrap, namespace, expect=2)
    assert [type(e) for e in published] == [OnlinePaymentStarted, PaymentSettled]
    start, settled = published
    assert isinstance(start, OnlinePaymentStarted)
    assert (start.payment_id, start.guest_id, start.amount.amount_minor) == (
        payment_id,
        seated.guest,
        1800,
    )
    assert start.session_id == seated.order.session_id
    assert isinstance(settled, PaymentSettled)
    assert settled.method is PaymentMethod.ONLINE
    assert settled.payment_id == payment_id
    assert settled.paid_by_guest == seated.guest
    assert settled.amount.amount_minor == 1800
    assert settled.order_id == seated.order_id
    assert settled.session_id == seated.order.session_id

    # the POS sees it paid; once the round is validated the order is done
    till = await _device(pos_http)
    view = (await pos_http.get(f"/orders/{seated.order_id}", headers=till)).json()
    assert view["paid"] == {"amount_minor": 1800, "currency": "EUR"}
    assert view["due"]["amount_minor"] == 0
    validated = await pos_http.post(
        f"/orders/{seated.order_id}/rounds/1/validate", json={"staff": "Ana"}, headers=till
    )
    assert validated.status_code == 200
    assert validated.json()["status"] == "paid"

    # nothing is due any more: neither online, nor on the room, nor at the till
    before = await event_count()
    again = await _start(pos_http, seated.order_id, seated.host)
    assert again.status_code == 409
    assert "already paid" in again.json()["error"]
    till_pay = await pos_http.post(
        f"/orders/{seated.order_id}/payments",
        json={"amount": {"amount_minor": 1800, "currency": "EUR"}, "method": "cash"},
        headers=till,
    )
    assert till_pay.status_code == 409
    assert await event_count() == before


async def test_a_cancelled_payment_is_recorded_as_failed_and_the_bill_stays_due(
    pos_http: httpx.AsyncClient,
    seated_order: Any,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    seated = await seated_order(prices=(900,))
    started = (await _start(pos_http, seated.order_id, seated.host)).json()
    async with httpx.AsyncClient() as browser:
        cancelled = await browser.post(started["redirect_url"], data={"action": "cancel"})
    assert cancelled.status_code == 303
    assert parse_qs(urlsplit(cancelled.headers["location"]).query)["status"] == ["cancelled"]

    published = await _own_events(kafka_bootstrap, namespace, expect=2)
    assert [type(e) for e in published] == [OnlinePaymentStarted, OnlinePaymentFailed]
    failed = published[1]
    assert isinstance(failed, OnlinePaymentFailed)
    assert (failed.payment_id, failed.reason) == (started["payment_id"], "cancelled")

    # still due: the guest can try again, for the same amount
    retry = await _start(pos_http, seated.order_id, seated.host)
    assert retry.status_code == 201
    assert retry.json()["amount"]["amount_minor"] == 900
    assert retry.json()["payment_id"] != started["payment_id"]


async def test_a_webhook_without_a_valid_recent_signature_is_refused_and_appends_nothing(
    pos_http: httpx.AsyncClient,
    seated_order: Any,
    event_count: Count,
) -> None:
    seated = await seated_order(prices=(1200,))
    started = (await _start(pos_http, seated.order_id, seated.guest)).json()
    body = _webhook_body(started["payment_id"], seated.order_id, 1200)
    before = await event_count()
    refusals = [
        {"Content-Type": "application/json"},  # no signature
        _signed(body, secret="not-the-secret"),  # noqa: S106
        _signed(body, at=int(time.time()) - 600),  # genuine, but replayed 10 minutes later
        _signed(body, at=int(time.time()) + 600),
        {"Sandbox-Signature": "v1=abc", "Content-Type": "application/json"},
        {"Sandbox-Signature": "t=soon,v1=abc", "Content-Type": "application/json"},
    ]
    for headers in refusals:
        refused = await pos_http.post(WEBHOOK, content=body, headers=headers)
        assert refused.status_code == 401, (headers, refused.text)
        assert refused.json()["error"]
    # signed right, but the body was altered after signing
    tampered = await pos_http.post(
        WEBHOOK, content=body.replace(b"1200", b"1"), headers=_signed(body)
    )
    assert tampered.status_code == 401
    assert await event_count() == before


async def test_a_replayed_webhook_is_accepted_and_appends_nothing_twice(
    pos_http: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
    seated_order: Any,
    event_count: Count,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    seated = await seated_order(prices=(2000,))
    started = (await _start(pos_http, seated.order_id, seated.guest)).json()
    async with httpx.AsyncClient() as browser:
        await browser.post(started["redirect_url"], data={"action": "pay"})
    settled_count = await event_count()
    # the provider sends it again (same event, fresh signature)
    resent = await sandbox.post(f"/v1/checkouts/{started['payment_id']}/webhook/resend")
    assert resent.status_code == 200
    assert [d["status_code"] for d in resent.json()["webhook"]["deliveries"]] == [200, 200]
    # and a byte-for-byte replay within the tolerance
    body = _webhook_body(started["payment_id"], seated.order_id, 2000)
    headers = _signed(body)
    for _ in range(2):
        replay = await pos_http.post(WEBHOOK, content=body, headers=headers)
        assert replay.status_code == 200
        assert replay.json()["outcome"] == "already_recorded"
        assert replay.json()["event_ids"] == []
    # a late "cancelled" for a settled payment changes nothing either
    late = _webhook_body(started["payment_id"], seated.order_id, 2000, status="cancelled")
    assert (await pos_http.post(WEBHOOK, content=late, headers=_signed(late))).status_code == 200
    assert await event_count() == settled_count

    published = await _own_events(kafka_bootstrap, namespace, expect=2)
    assert [type(e) for e in published] == [OnlinePaymentStarted, PaymentSettled]


async def test_a_paid_webhook_for_another_amount_fails_the_payment_instead_of_settling(
    pos_http: httpx.AsyncClient,
    seated_order: Any,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    seated = await seated_order(prices=(1500,))
    started = (await _start(pos_http, seated.order_id, seated.guest)).json()
    body = _webhook_body(started["payment_id"], seated.order_id, 100)
    answer = await pos_http.post(WEBHOOK, content=body, headers=_signed(body))
    assert answer.status_code == 200
    assert answer.json()["outcome"] == "failed: amount_mismatch"
    published = await _own_events(kafka_bootstrap, namespace, expect=2)
    assert [type(e) for e in published] == [OnlinePaymentStarted, OnlinePaymentFailed]
    assert published[1].reason == "amount_mismatch"
    # a signed webhook about a payment never started here is not found, and appends nothing
    stranger = _webhook_body("cs_unknown", seated.order_id, 1500)
    unknown = await pos_http.post(WEBHOOK, content=stranger, headers=_signed(stranger))
    assert unknown.status_code == 404


async def test_paying_online_is_refused_to_strangers_outside_pay_modes_and_on_bad_input(
    pos_http: httpx.AsyncClient,
    seated_order: Any,
    event_count: Count,
) -> None:
    seated = await seated_order()
    in_order_mode = await seated_order(mode=JourneyMode.ORDER)
    before = await event_count()

    stranger = await _start(pos_http, seated.order_id, "guest-of-another-table")
    assert stranger.status_code == 403
    assert stranger.json()["field"] == "guest_id"

    # in `order` mode the bill is paid to staff
    refused = await _start(pos_http, in_order_mode.order_id, in_order_mode.host)
    assert refused.status_code == 409
    assert "mode order" in refused.json()["error"]

    unknown = await _start(pos_http, "order-unknown", seated.host)
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "order_id"

    for bad, field in (
        ({"guest_id": seated.host}, "return_url"),
        ({"guest_id": seated.host, "return_url": "javascript:alert(1)"}, "return_url"),
        ({"guest_id": "", "return_url": RETURN_URL}, "guest_id"),
    ):
        answer = await pos_http.post(f"/orders/{seated.order_id}/online-payments", json=bad)
        assert answer.status_code == 400, answer.text
        assert answer.json()["field"] == field
    assert await event_count() == before


async def test_a_room_guest_charges_the_bill_to_the_room_and_a_table_cannot(
    pos_http: httpx.AsyncClient,
    seated_order: Any,
    event_count: Count,
    kafka_bootstrap: str,
    namespace: str,
) -> None:
    room = await seated_order(kind=SpotKind.ROOM, mode=JourneyMode.ORDER, prices=(2600, 400))
    table = await seated_order(kind=SpotKind.TABLE, prices=(1000,))
    before = await event_count()

    at_table = await pos_http.post(
        f"/orders/{table.order_id}/room-charge", json={"guest_id": table.host}
    )
    assert at_table.status_code == 409
    assert "only an order of a room" in at_table.json()["error"]
    stranger = await pos_http.post(
        f"/orders/{room.order_id}/room-charge", json={"guest_id": table.host}
    )
    assert stranger.status_code == 403
    missing = await pos_http.post(f"/orders/{room.order_id}/room-charge", json={})
    assert missing.status_code == 400
    assert await event_count() == before

    charged = await pos_http.post(
        f"/orders/{room.order_id}/room-charge", json={"guest_id": room.guest}
    )
    assert charged.status_code == 201, charged.text
    assert charged.json()["payment"] == {
        "amount": {"amount_minor": 3000, "currency": "EUR"},
        "method": "room_charge",
        "paid_by_guest": room.guest,
    }
    assert charged.json()["paid"] == {"amount_minor": 3000, "currency": "EUR"}
    twice = await pos_http.post(
        f"/orders/{room.order_id}/room-charge", json={"guest_id": room.host}
    )
    assert twice.status_code == 409
    assert await event_count() == before + 1

    published = await _own_events(kafka_bootstrap, namespace, expect=1)
    assert len(published) == 1
    settled = published[0]
    assert isinstance(settled, PaymentSettled)
    assert settled.method is PaymentMethod.ROOM_CHARGE
    assert settled.paid_by_guest == room.guest
    assert settled.amount.amount_minor == 3000
    assert settled.session_id == room.order.session_id

    # the POS's view learns it back from its own topic too (rebuildable)
    async def recorded() -> Any:
        till = await _device(pos_http)
        view = (await pos_http.get(f"/orders/{room.order_id}", headers=till)).json()
        return view if view["paid"]["amount_minor"] == 3000 else None

    await eventually(recorded)
