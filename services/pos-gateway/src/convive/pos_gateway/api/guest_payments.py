"""The HTTP API of guests paying from the phone (through the gateway, server-side, naming the
guest): online through the payment provider's hosted page, or on the room; and the provider's
webhook, its word on an online payment, trusted only with a valid, recent signature."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts.pos_gateway import OnlinePaymentFailed, PaymentSettled
from convive.pos_gateway.adapters.payment_provider import PaymentProvider
from convive.pos_gateway.api.bodies import Body
from convive.pos_gateway.commands import guest_payments
from convive.pos_gateway.queries.orders import order_view
from convive.pos_gateway.settings import Settings
from convive.runtime.domain import NotFound
from convive.runtime.eventstore import EventStore


class StartOnlinePayment(Body):
    guest_id: str = Field(min_length=1, max_length=200, description="the paying guest")
    return_url: str = Field(
        pattern=r"^https?://",
        max_length=2000,
        description="where the provider sends the guest's browser back",
    )


class ChargeRoom(Body):
    guest_id: str = Field(min_length=1, max_length=200, description="the guest of the room")


def payment_provider_of(state: State) -> PaymentProvider:
    """The payment provider's client the app holds (a Litestar dependency)."""
    provider: PaymentProvider = state.payment_provider
    return provider


@post("/orders/{order_id:str}/online-payments", status_code=HTTP_201_CREATED)
async def start_online_payment(
    order_id: FromPath[str],
    data: JSONBody[StartOnlinePayment],
    request: Request[Any, Any, Any],
    settings: NamedDependency[Settings],
    payment_provider: NamedDependency[PaymentProvider],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """A guest pays what is due from the phone: the answer's redirect_url is the provider's
    hosted page; the outcome comes by the provider's webhook."""
    webhook_url = settings.payment_webhook_url or (
        f"{str(request.base_url).rstrip('/')}/payments/webhooks/{payment_provider.name}"
    )
    started = await guest_payments.start_online_payment(
        engine,
        store,
        payment_provider,
        order_id=order_id,
        guest_id=data.guest_id,
        return_url=data.return_url,
        webhook_url=webhook_url,
    )
    event = started.event
    return {
        "payment_id": event.payment_id,
        "redirect_url": started.redirect_url,
        "order_id": order_id,
        "amount": event.amount.model_dump(),
        "provider": event.provider,
        "status": "started",
        "event_ids": list(started.result.event_ids),
    }


@post("/payments/webhooks/sandbox", status_code=HTTP_200_OK)
async def sandbox_webhook(
    request: Request[Any, Any, Any],
    payment_provider: NamedDependency[PaymentProvider],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """The provider's word on a payment, trusted only with a valid, recent signature over the
    raw body. Answered 200 once recorded (or already recorded), so the provider stops."""
    if payment_provider.name != "sandbox":
        raise NotFound("this service does not use the sandbox payment provider")
    notice = payment_provider.verify_webhook(await request.body(), request.headers)
    if notice is None:
        return {"status": "ignored", "event_ids": []}
    result, new_events = await guest_payments.record_provider_outcome(engine, store, notice)
    outcome = "already_recorded"
    for event in new_events:
        if isinstance(event, PaymentSettled):
            outcome = "settled"
        elif isinstance(event, OnlinePaymentFailed):
            outcome = f"failed: {event.reason}"
    return {
        "status": "ok",
        "payment_id": notice.payment_id,
        "outcome": outcome,
        "event_ids": list(result.event_ids) if result is not None else [],
    }


@post("/orders/{order_id:str}/room-charge", status_code=HTTP_201_CREATED)
async def charge_to_room(
    order_id: FromPath[str],
    data: JSONBody[ChargeRoom],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """A guest of a room puts what is due on the room's bill (only for rooms)."""
    result, event = await guest_payments.charge_to_room(
        engine, store, order_id=order_id, guest_id=data.guest_id
    )
    view = await order_view(engine, order_id)
    return {
        "order_id": order_id,
        "paid": view["paid"],
        "status": view["status"],
        "payment": {
            "amount": event.amount.model_dump(),
            "method": event.method.value,
            "paid_by_guest": event.paid_by_guest,
        },
        "event_ids": list(result.event_ids),
    }


ROUTES = [start_online_payment, sandbox_webhook, charge_to_room]
