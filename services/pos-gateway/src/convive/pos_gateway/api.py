"""The pos-gateway HTTP API: pairing devices, and, for paired devices, the venue's orders,
validating a round and settling the bill; for guests (through the gateway), paying the bill
from the phone online or on the room, and the payment provider's webhook."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import Money
from convive.contracts.pos_gateway import OnlinePaymentFailed, PaymentMethod, PaymentSettled
from convive.pos_gateway import commands
from convive.pos_gateway.auth import EXCEPTION_HANDLERS, Device, authenticate_device
from convive.pos_gateway.payments.provider import PaymentProvider
from convive.pos_gateway.queries import StatusFilter, order_views
from convive.pos_gateway.settings import Settings
from convive.runtime.errors import NotFound
from convive.runtime.eventstore import EventStore


class _Body(BaseModel):
    # An unexpected field is refused: a client sending e.g. a card number under another name
    # must hear about it rather than have it silently dropped.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PairDevice(_Body):
    name: str = Field(min_length=1, max_length=100, description="how staff call the device")


class ValidateRound(_Body):
    staff: str = Field(min_length=1, max_length=100, description="who validates")


class Amount(_Body):
    amount_minor: int = Field(ge=0, description="amount in minor units, e.g. cents")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")


class Payment(_Body):
    amount: Amount
    method: PaymentMethod
    payment_card_token: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the payment provider's token of the card, never the card number",
    )


@post("/venues/{venue_id:str}/devices", status_code=HTTP_201_CREATED)
async def pair_device(
    venue_id: FromPath[str],
    data: JSONBody[PairDevice],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Pair a POS device to the venue. The credential is shown once: only its digest is kept."""
    paired = await commands.pair_device(engine, store, venue_id, data.name)
    return {
        "device_id": paired.device_id,
        "venue_id": paired.venue_id,
        "name": paired.name,
        "credential": paired.credential,
        "event_ids": list(paired.event_ids),
    }


@get("/venues/{venue_id:str}/orders")
async def list_orders(
    venue_id: FromPath[str],
    device: NamedDependency[Device],
    engine: NamedDependency[AsyncEngine],
    status: Annotated[StatusFilter, QueryParameter()] = StatusFilter.ALL,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """The venue's orders as the POS knows them, newest first."""
    device.require_venue(venue_id)
    async with engine.connect() as conn:
        return await order_views(conn, venue_id=venue_id, status=status, limit=limit)


async def _order_view(engine: AsyncEngine, order_id: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await order_views(conn, order_id=order_id)
    if not found:
        raise NotFound(f"order {order_id} is not known to the POS (yet)", field="order_id")
    return found[0]


@get("/orders/{order_id:str}")
async def show_order(
    order_id: FromPath[str], device: NamedDependency[Device], engine: NamedDependency[AsyncEngine]
) -> dict[str, Any]:
    view = await _order_view(engine, order_id)
    device.require_venue(view["venue_id"])
    return view


@post("/orders/{order_id:str}/rounds/{round_number:int}/validate", status_code=HTTP_200_OK)
async def validate_round(
    order_id: FromPath[str],
    round_number: Annotated[int, PathParameter(ge=1)],
    data: JSONBody[ValidateRound],
    device: NamedDependency[Device],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Validate one round of a guest order; of two devices validating at once, one wins."""
    result, event = await commands.validate_round(
        engine,
        store,
        order_id=order_id,
        round_number=round_number,
        staff=data.staff,
        device=device,
    )
    view = await _order_view(engine, order_id)
    return {
        "order_id": order_id,
        "round_number": event.round_number,
        "validated_by": event.validated_by,
        "device_id": event.device_id,
        "status": view["status"],
        "order": view,
        "event_ids": list(result.event_ids),
    }


@post("/orders/{order_id:str}/payments", status_code=HTTP_201_CREATED)
async def settle_payment(
    order_id: FromPath[str],
    data: JSONBody[Payment],
    device: NamedDependency[Device],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Settle the bill: every round validated, the exact amount still due."""
    result, event = await commands.settle_payment(
        engine,
        store,
        order_id=order_id,
        amount=Money(amount_minor=data.amount.amount_minor, currency=data.amount.currency),
        method=data.method,
        payment_card_token=data.payment_card_token,
        device=device,
    )
    view = await _order_view(engine, order_id)
    return {
        "order_id": order_id,
        "paid": view["paid"],
        "status": view["status"],
        "payment": {
            "amount": event.amount.model_dump(),
            "method": event.method.value,
            "payment_card_token": event.payment_card_token,
        },
        "order": view,
        "event_ids": list(result.event_ids),
    }


# --- guests paying from the phone ---------------------------------------------------------


class StartOnlinePayment(_Body):
    guest_id: str = Field(min_length=1, max_length=200, description="the paying guest")
    return_url: str = Field(
        pattern=r"^https?://",
        max_length=2000,
        description="where the provider sends the guest's browser back",
    )


class ChargeRoom(_Body):
    guest_id: str = Field(min_length=1, max_length=200, description="the guest of the room")


def _payment_provider(state: State) -> PaymentProvider:
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
    started = await commands.start_online_payment(
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
    result, new_events = await commands.record_provider_outcome(engine, store, notice)
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
    result, event = await commands.charge_to_room(
        engine, store, order_id=order_id, guest_id=data.guest_id
    )
    view = await _order_view(engine, order_id)
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


router = Router(
    path="/",
    route_handlers=[
        pair_device,
        list_orders,
        show_order,
        validate_round,
        settle_payment,
        start_online_payment,
        sandbox_webhook,
        charge_to_room,
    ],
    dependencies={
        "device": Provide(authenticate_device),
        "payment_provider": Provide(_payment_provider, sync_to_thread=False),
    },
    exception_handlers=EXCEPTION_HANDLERS,
)
