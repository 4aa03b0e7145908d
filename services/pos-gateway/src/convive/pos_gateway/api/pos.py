"""The HTTP API for paired POS devices: the venue's orders, and what staff do on them at the POS
(validate, amend or reject a round; take a payment, in full, in part or by items; split the
bill); and pairing a device, with a code a manager issued or directly (tests and the demo): the
calls a device makes before it has a credential.

A device is recognised by the bearer credential it received when it was paired (only its
SHA-256 is kept; a revoked device's credential is refused): a missing, unknown or revoked one
is answered 401 with a `WWW-Authenticate: Bearer` challenge, another venue's order 403."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_401_UNAUTHORIZED
from litestar.types import ExceptionHandlersMap
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncEngine

from convive.contracts import Money
from convive.contracts.pos_gateway import PaymentMethod
from convive.pos_gateway import domain
from convive.pos_gateway.api.bodies import Amount, Body
from convive.pos_gateway.commands import devices, rounds, till
from convive.pos_gateway.commands.staff import check_staff_id
from convive.pos_gateway.domain import Device
from convive.pos_gateway.queries.devices import paired_device
from convive.pos_gateway.queries.orders import StatusFilter, order_view, order_views
from convive.runtime import domain as domain_errors
from convive.runtime.eventstore import EventStore

REALM = "convive-pos"


class DeviceUnauthenticated(domain_errors.Unauthenticated):
    """No device credential, or one that no paired device holds."""

    def __init__(self, message: str, *, invalid_token: bool = False) -> None:
        super().__init__(message)
        self.invalid_token = invalid_token


def _bearer(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.strip().partition(" ")
    if not header:
        raise DeviceUnauthenticated(
            "this call needs a device credential: Authorization: Bearer <credential>"
        )
    if scheme.lower() != "bearer" or not credential.strip():
        raise DeviceUnauthenticated(
            "the Authorization header must be 'Bearer <device credential>'", invalid_token=True
        )
    return credential.strip()


async def authenticate_device(
    request: Request[Any, Any, Any], engine: NamedDependency[AsyncEngine]
) -> Device:
    """The paired device whose credential the request carries (a Litestar dependency)."""
    device = await paired_device(engine, domain.credential_digest(_bearer(request)))
    if device is None:
        raise DeviceUnauthenticated("unknown or revoked device credential", invalid_token=True)
    return device


def on_device_unauthenticated(
    _: Request[Any, Any, Any], exc: DeviceUnauthenticated
) -> Response[dict[str, object]]:
    """401 with the challenge a bearer-token client expects (RFC 6750)."""
    challenge = f'Bearer realm="{REALM}"'
    if exc.invalid_token:
        challenge += ', error="invalid_token"'
    return Response(
        {"status": HTTP_401_UNAUTHORIZED, "error": exc.message},
        status_code=HTTP_401_UNAUTHORIZED,
        headers={"WWW-Authenticate": challenge},
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {DeviceUnauthenticated: on_device_unauthenticated}

StaffName = Annotated[str, Field(min_length=1, max_length=100, description="who acts")]
StaffId = Annotated[
    str | None,
    Field(default=None, min_length=1, max_length=100, description="the logged-in staff account"),
]


class StaffAction(Body):
    staff: StaffName
    staff_id: StaffId = None


class AmendedLine(Body):
    line_id: str | None = Field(
        default=None, min_length=1, max_length=100, description="a line of the round to keep"
    )
    product_id: str | None = Field(
        default=None, min_length=1, max_length=100, description="a product of the menu to add"
    )
    quantity: int = Field(ge=0, le=999, description="0 removes the line")
    note: str | None = Field(
        default=None, max_length=500, description="for the kitchen; empty clears it"
    )


class AmendRound(StaffAction):
    lines: list[AmendedLine] = Field(
        min_length=1, max_length=200, description="the round as it should stand"
    )
    note: str | None = Field(default=None, max_length=500, description="told to the guests")


class RejectRound(StaffAction):
    reason: str = Field(min_length=1, max_length=500, description="shown to the guests")


class TillMethod(StrEnum):
    CASH = PaymentMethod.CASH.value
    CARD = PaymentMethod.CARD.value
    ROOM_CHARGE = PaymentMethod.ROOM_CHARGE.value


class Payment(Body):
    amount: Amount
    method: TillMethod
    payment_card_token: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the payment provider's token of the card, never the card number",
    )
    line_ids: list[str] | None = Field(
        default=None, min_length=1, max_length=500, description="split by items: these lines"
    )
    staff: str | None = Field(default=None, min_length=1, max_length=100)
    staff_id: StaffId = None


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


@get("/orders/{order_id:str}")
async def show_order(
    order_id: FromPath[str], device: NamedDependency[Device], engine: NamedDependency[AsyncEngine]
) -> dict[str, Any]:
    view = await order_view(engine, order_id)
    device.require_venue(view["venue_id"])
    return view


RoundNumber = Annotated[int, PathParameter(ge=1)]


async def _round_answer(
    engine: AsyncEngine,
    order_id: str,
    round_number: int,
    event_ids: Sequence[str],
    **decided: Any,
) -> dict[str, Any]:
    """What a decision on a round answers: what was decided, and the order as it now stands."""
    view = await order_view(engine, order_id)
    return {
        "order_id": order_id,
        "round_number": round_number,
        **decided,
        "status": view["status"],
        "order": view,
        "event_ids": list(event_ids),
    }


@post("/orders/{order_id:str}/rounds/{round_number:int}/validate", status_code=HTTP_200_OK)
async def validate_round(
    order_id: FromPath[str],
    round_number: RoundNumber,
    data: JSONBody[StaffAction],
    device: NamedDependency[Device],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Validate one round of a guest order; of two devices validating at once, one wins, the
    other hears who validated it and where (409 with `validated_by` and `device_id`)."""
    await check_staff_id(engine, data.staff_id, device.venue_id)
    result, event = await rounds.validate_round(
        engine,
        store,
        order_id=order_id,
        round_number=round_number,
        staff=data.staff,
        staff_id=data.staff_id,
        device=device,
    )
    return await _round_answer(
        engine,
        order_id,
        event.round_number,
        result.event_ids,
        validated_by=event.validated_by,
        device_id=event.device_id,
    )


@post("/orders/{order_id:str}/rounds/{round_number:int}/amend", status_code=HTTP_200_OK)
async def amend_round(
    order_id: FromPath[str],
    round_number: RoundNumber,
    data: JSONBody[AmendRound],
    device: NamedDependency[Device],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Change a round before it is validated: `lines` is the round as it should stand."""
    await check_staff_id(engine, data.staff_id, device.venue_id)
    result, event = await rounds.amend_round(
        engine,
        store,
        order_id=order_id,
        round_number=round_number,
        lines=[
            domain.AmendLine(
                quantity=line.quantity,
                line_id=line.line_id,
                product_id=line.product_id,
                note=line.note,
            )
            for line in data.lines
        ],
        note=data.note,
        staff=data.staff,
        staff_id=data.staff_id,
        device=device,
    )
    return await _round_answer(
        engine,
        order_id,
        event.round_number,
        result.event_ids,
        round_total=event.round_total.model_dump(),
    )


@post("/orders/{order_id:str}/rounds/{round_number:int}/reject", status_code=HTTP_200_OK)
async def reject_round(
    order_id: FromPath[str],
    round_number: RoundNumber,
    data: JSONBody[RejectRound],
    device: NamedDependency[Device],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Refuse a round before it is validated: it will be neither made nor paid."""
    await check_staff_id(engine, data.staff_id, device.venue_id)
    result, event = await rounds.reject_round(
        engine,
        store,
        order_id=order_id,
        round_number=round_number,
        reason=data.reason,
        staff=data.staff,
        staff_id=data.staff_id,
        device=device,
    )
    return await _round_answer(
        engine,
        order_id,
        event.round_number,
        result.event_ids,
        rejected_by=event.rejected_by,
        reason=event.reason,
    )


@post("/orders/{order_id:str}/payments", status_code=HTTP_201_CREATED)
async def settle_payment(
    order_id: FromPath[str],
    data: JSONBody[Payment],
    device: NamedDependency[Device],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Take a payment once every round is validated: any amount up to what is due, or the
    unpaid total of `line_ids`. The one that leaves nothing due is `fully_paid`."""
    await check_staff_id(engine, data.staff_id, device.venue_id)
    result, event = await till.settle_payment(
        engine,
        store,
        order_id=order_id,
        amount=Money(amount_minor=data.amount.amount_minor, currency=data.amount.currency),
        method=PaymentMethod(data.method.value),
        payment_card_token=data.payment_card_token,
        line_ids=data.line_ids,
        staff=data.staff,
        staff_id=data.staff_id,
        device=device,
    )
    view = await order_view(engine, order_id)
    return {
        "order_id": order_id,
        "paid": view["paid"],
        "due": view["due"],
        "status": view["status"],
        "fully_paid": event.fully_paid,
        "payment": {
            "amount": event.amount.model_dump(),
            "method": event.method.value,
            "payment_card_token": event.payment_card_token,
            "line_ids": event.line_ids,
            "fully_paid": event.fully_paid,
            "balance_due": event.balance_due.model_dump() if event.balance_due else None,
        },
        "order": view,
        "event_ids": list(result.event_ids),
    }


@get("/orders/{order_id:str}/split")
async def split_bill(
    order_id: FromPath[str],
    device: NamedDependency[Device],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
    parts: Annotated[int, QueryParameter(ge=1, le=100, description="how many shares")],
) -> dict[str, Any]:
    """What is due in equal shares (the remainder cents on the first ones); each share is
    then paid as a part payment."""
    shares = await till.split_bill(engine, store, order_id=order_id, parts=parts, device=device)
    return {"order_id": order_id, "parts": parts, "shares": [s.model_dump() for s in shares]}


class PairDevice(Body):
    name: str = Field(min_length=1, max_length=100, description="how staff call the device")


class PairWithCode(PairDevice):
    code: str = Field(min_length=1, max_length=20, description="XXXX-XXXX, from a manager")


def paired(device: devices.PairedDevice) -> dict[str, Any]:
    """What pairing answers: the device, and its credential, shown this once."""
    return {
        "device_id": device.device_id,
        "venue_id": device.venue_id,
        "name": device.name,
        "credential": device.credential,
        "event_ids": list(device.event_ids),
    }


@post("/devices/pair", status_code=HTTP_201_CREATED)
async def pair_with_code(
    data: JSONBody[PairWithCode],
    request: Request[Any, Any, Any],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Pair this device with a code; its credential is in the answer, once."""
    client = request.client.host if request.client is not None else "unknown"
    device = await devices.pair_with_code(
        engine, store, code=data.code, name=data.name, client=client
    )
    return paired(device)


@post("/venues/{venue_id:str}/devices", status_code=HTTP_201_CREATED)
async def pair_device(
    venue_id: FromPath[str],
    data: JSONBody[PairDevice],
    engine: NamedDependency[AsyncEngine],
    store: NamedDependency[EventStore],
) -> dict[str, Any]:
    """Pair a POS device to the venue directly (tests and the demo). The credential is shown
    once: only its digest is kept."""
    return paired(await devices.pair_device(engine, store, venue_id, data.name))


ROUTES = [
    list_orders,
    show_order,
    validate_round,
    amend_round,
    reject_round,
    settle_payment,
    split_bill,
    pair_with_code,
    pair_device,
]
