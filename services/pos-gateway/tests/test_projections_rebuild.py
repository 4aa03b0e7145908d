"""Every projection of the pos-gateway, its own read models included, equals a rebuild of it from
the topics: a scenario that writes to every one of them (ordering's orders, rounds, menu and
concierge orders; table-session's guests, spots, modes and PMS settings; the POS's devices,
validations, amendments, rejections, payments and postings to the PMS double), then a replay of
each projection into a shadow schema, compared row by row with the live tables."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from convive.contracts import EventEnvelope, Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import (
    MenuCategory,
    MenuProduct,
    MenuPublished,
    OfferConfirmed,
    OfferOrdered,
    OfferType,
)
from convive.contracts.table_session import PmsIntegration, VenueConfigured
from convive.doubles.pms import PmsSettings
from convive.doubles.pms import create_app as create_pms
from convive.pos_gateway.app import create_app, definition
from convive.pos_gateway.settings import Settings
from convive.runtime import consumers
from convive.runtime.testkit import assert_projections_rebuild, eventually, served

pytestmark = pytest.mark.infra

PMS_API_KEY = "pms_test_rebuild"
VENUE = "venue-1"
Publish = Callable[..., Awaitable[EventEnvelope]]


def eur(cents: int) -> Money:
    return Money(amount_minor=cents, currency="EUR")


async def ok(answer: Awaitable[httpx.Response], status: int = 200) -> Any:
    response = await answer
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def replay_from_the_beginning(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runtime's replay (`consumers.read_topics`) seeks its consumer to the beginning right
    after assigning it partitions, while the consumer's own first reset, to the latest offset
    (its default), may still be under way: when that one lands last, the replay starts at the
    end, sees no record and waits forever. It happens when several projections replay one
    topic in turn, as here. Until the runtime's consumer resets to the earliest offset itself,
    this test makes it so."""
    monkeypatch.setattr(
        consumers,
        "AIOKafkaConsumer",
        functools.partial(AIOKafkaConsumer, auto_offset_reset="earliest"),
    )


@pytest.mark.usefixtures("replay_from_the_beginning")
async def test_every_projection_equals_its_rebuild_from_the_topics(
    service_settings: dict[str, Any],
    publish: Publish,
    seated_order: Callable[..., Awaitable[Any]],
) -> None:
    pms_double = create_pms(PmsSettings(api_key=PMS_API_KEY))
    async with served(pms_double) as pms_url:
        settings = Settings(
            **service_settings,
            pms_url=pms_url,
            pms_api_key=PMS_API_KEY,
            pms_backoff_base=0.2,
            pms_backoff_max=0.8,
        )
        async with (
            served(create_app(settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as pos,
        ):
            await _scenario(pos, publish, seated_order, pms_double.state.pms)
            await assert_projections_rebuild(definition(settings), settings)


async def _scenario(
    pos: httpx.AsyncClient,
    publish: Publish,
    seated_order: Callable[..., Awaitable[Any]],
    pms: Any,
) -> None:
    # staff and devices: an owner, a till, a device paired and revoked
    owner = await ok(
        pos.post(
            "/staff",
            json={
                "email": "odile@example.com",
                "name": "Odile",
                "role": "owner",
                "venue_ids": [VENUE],
                "password": "correct horse battery",
            },
        ),
        201,
    )
    as_owner = {"X-Convive-Staff": owner["staff_id"]}
    till = await ok(pos.post(f"/venues/{VENUE}/devices", json={"name": "Till"}), 201)
    device = {"Authorization": f"Bearer {till['credential']}"}
    lost = await ok(pos.post(f"/venues/{VENUE}/devices", json={"name": "Lost"}), 201)
    await ok(pos.post(f"/devices/{lost['device_id']}/revoke", headers=as_owner))

    # table-session's guests, spot and mode, ordering's first round, then two more and a menu
    seated = await seated_order(venue_id=VENUE, prices=(1450, 350))
    order = seated.order
    await publish(order.next_round(900))
    await publish(order.next_round(500))
    await publish(
        MenuPublished(
            venue_id=VENUE,
            currency="EUR",
            categories=[MenuCategory(category_id="drinks", name=LocalizedText(fr="B", en="D"))],
            products=[
                MenuProduct(
                    product_id="wine",
                    category_id="drinks",
                    name=LocalizedText(fr="Vin", en="Wine"),
                    price=eur(600),
                )
            ],
        ),
        f"menu-{VENUE}",
    )

    async def rounds_known() -> Any:
        view = await ok(pos.get(f"/orders/{order.order_id}", headers=device))
        return view if len(view["rounds"]) == 3 else None

    view = await eventually(rounds_known)
    [kept] = view["rounds"][1]["lines"]

    # validated, amended with a product of the menu, rejected; paid in part, then in full
    rounds = f"/orders/{order.order_id}/rounds"
    await ok(pos.post(f"{rounds}/1/validate", json={"staff": "Alice"}, headers=device))

    async def amended() -> bool:
        answer = await pos.post(
            f"{rounds}/2/amend",
            json={
                "staff": "Alice",
                "lines": [
                    {"line_id": kept["line_id"], "quantity": 2},
                    {"product_id": "wine", "quantity": 1},
                ],
            },
            headers=device,
        )
        assert answer.status_code in (200, 400), answer.text  # 400 until the menu is known
        return answer.status_code == 200

    await eventually(amended)
    await ok(pos.post(f"{rounds}/2/validate", json={"staff": "Alice"}, headers=device))
    rejection = {"staff": "Alice", "reason": "sold out"}
    await ok(pos.post(f"{rounds}/3/reject", json=rejection, headers=device))
    payments = f"/orders/{order.order_id}/payments"
    part = await ok(
        pos.post(
            payments,
            json={"amount": {"amount_minor": 1000, "currency": "EUR"}, "method": "cash"},
            headers=device,
        ),
        201,
    )
    assert part["fully_paid"] is False
    rest = await ok(
        pos.post(
            payments,
            json={
                "amount": part["due"],
                "method": "card",
                "payment_card_token": "tok_visa_42",
            },
            headers=device,
        ),
        201,
    )
    assert rest["fully_paid"] is True

    # a two-way hotel's concierge orders: one the PMS refuses, one it takes
    await publish(
        VenueConfigured(
            venue_id=VENUE, name="Hôtel du Port", pms_integration=PmsIntegration.TWO_WAY
        ),
        f"venue-{VENUE}",
    )
    pms.fail(422, message="room 112 has no guest in house")
    refused = await _order_and_confirm(publish)
    await _posting_when(pos, as_owner, refused, "failing")
    pms.recover()
    taken = await _order_and_confirm(publish)
    await _posting_when(pos, as_owner, taken, "posted")


async def _order_and_confirm(publish: Publish) -> str:
    offer_order_id = f"oo-{uuid.uuid4().hex[:10]}"
    stream = f"offer-order-{offer_order_id}"
    ordered = await publish(
        OfferOrdered(
            venue_id=VENUE,
            offer_order_id=offer_order_id,
            offer_id="spa",
            offer_name=LocalizedText(fr="Accès au spa", en="Spa access"),
            offer_type=OfferType.OFFER,
            price=eur(4500),
            spot_id="room-112",
            spot_name="Room 112",
            guest_id="guest-1",
            guest_name="Ada Lovelace",
            guest_email="ada@example.org",
        ),
        stream,
    )
    await publish(
        OfferConfirmed(venue_id=VENUE, offer_order_id=offer_order_id, automatic=True),
        stream,
        **ordered.caused(),
    )
    return offer_order_id


async def _posting_when(
    pos: httpx.AsyncClient, staff: dict[str, str], offer_order_id: str, status: str
) -> None:
    async def reached() -> bool:
        answer = await pos.get(f"/folio-postings/{offer_order_id}", headers=staff)
        return answer.status_code == 200 and answer.json()["status"] == status

    await eventually(reached)
