"""Guests paying from the phone, given events (pure decisions), and the sandbox adapter's
webhook verification and its answer when the provider cannot be reached."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
import pytest

from convive.contracts import Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import OrderLine, OrderPlaced, RoundAdded
from convive.contracts.pos_gateway import (
    OnlinePaymentFailed,
    OnlinePaymentStarted,
    PaymentMethod,
    PaymentSettled,
)
from convive.contracts.table_session import JourneyMode, SpotKind
from convive.pos_gateway.adapters.payment_provider import (
    InvalidSignature,
    ProviderUnavailable,
    SandboxProvider,
)
from convive.pos_gateway.domain import (
    ChargeToRoom,
    GuestFacts,
    NotAGuest,
    PosOrder,
    ProviderOutcome,
    StartOnlinePayment,
    decide_online_outcome,
    decide_room_charge,
    decide_start_online,
)
from convive.pos_gateway.domain.order import fold
from convive.runtime.domain import Conflict, DomainError, NotFound

SECRET = "whsec_unit"  # noqa: S105 (the tests' own)


def eur(cents: int) -> Money:
    return Money(amount_minor=cents, currency="EUR")


def _round(number: int, total: int, order_total: int) -> OrderPlaced | RoundAdded:
    fields = {
        "order_id": "o1",
        "session_id": "s1",
        "venue_id": "v1",
        "spot_id": "t1",
        "placed_by": "g1",
        "round_number": number,
        "lines": [
            OrderLine(
                line_id=f"l{number}",
                product_id="p",
                name=LocalizedText(fr="Plat", en="Dish"),
                quantity=1,
                unit_price=eur(total),
                guest_id="g1",
            )
        ],
        "round_total": eur(total),
        "order_total": eur(order_total),
    }
    return OrderPlaced(**fields) if number == 1 else RoundAdded(**fields)


def order(*events: object) -> PosOrder:
    return fold(PosOrder(order_id="o1"), [_round(1, 1800, 1800), *events])  # type: ignore[list-item]


GUEST = GuestFacts(guest_id="g1", seated=True, mode=JourneyMode.ORDER_AND_PAY)


def started(payment_id: str = "cs_1", amount: int = 1800) -> OnlinePaymentStarted:
    return OnlinePaymentStarted(
        venue_id="v1",
        order_id="o1",
        session_id="s1",
        payment_id=payment_id,
        amount=eur(amount),
        provider="sandbox",
        guest_id="g1",
    )


def test_a_guest_starts_paying_the_amount_due_before_any_validation() -> None:
    [event] = decide_start_online(order(), StartOnlinePayment(GUEST, "cs_1", "sandbox"))
    assert event == started()


@pytest.mark.parametrize(
    ("guest", "error", "text"),
    [
        (GuestFacts("g9", seated=False), NotAGuest, "not a guest"),
        (GuestFacts("g1", seated=True, mode=JourneyMode.ORDER), Conflict, "mode order"),
        (GuestFacts("g1", seated=True, mode=JourneyMode.MENU), Conflict, "mode menu"),
    ],
)
def test_starting_is_refused_to_strangers_and_outside_pay_modes(
    guest: GuestFacts, error: type[DomainError], text: str
) -> None:
    with pytest.raises(error, match=text):
        decide_start_online(order(), StartOnlinePayment(guest, "cs_1", "sandbox"))


def test_starting_is_refused_when_nothing_is_due_or_the_due_amount_moved() -> None:
    paid = order(
        PaymentSettled(
            venue_id="v1", order_id="o1", session_id="s1", amount=eur(1800), method="cash"
        )
    )
    with pytest.raises(Conflict, match="already paid"):
        decide_start_online(paid, StartOnlinePayment(GUEST, "cs_1", "sandbox"))
    with pytest.raises(Conflict, match="changed to 1800"):
        decide_start_online(order(), StartOnlinePayment(GUEST, "cs_1", "sandbox", eur(900)))


def test_a_paid_outcome_settles_the_order_once() -> None:
    state = order(started())
    [settled] = decide_online_outcome(state, ProviderOutcome("cs_1", "paid", eur(1800)))
    assert isinstance(settled, PaymentSettled)
    assert (settled.method, settled.payment_id, settled.paid_by_guest) == (
        PaymentMethod.ONLINE,
        "cs_1",
        "g1",
    )
    after = fold(state, [settled])
    assert after.paid
    assert decide_online_outcome(after, ProviderOutcome("cs_1", "paid", eur(1800))) == []
    assert decide_online_outcome(after, ProviderOutcome("cs_1", "cancelled", eur(1800))) == []


@pytest.mark.parametrize(
    ("extra", "outcome", "reason"),
    [
        ((), ProviderOutcome("cs_1", "cancelled", eur(1800)), "cancelled"),
        ((), ProviderOutcome("cs_1", "paid", eur(1700)), "amount_mismatch"),
        (
            (),
            ProviderOutcome("cs_1", "paid", Money(amount_minor=1800, currency="USD")),
            "amount_mismatch",
        ),
        ((_round(2, 500, 2300),), ProviderOutcome("cs_1", "paid", eur(1800)), "amount_due_changed"),
        (
            (
                PaymentSettled(
                    venue_id="v1", order_id="o1", session_id="s1", amount=eur(1800), method="cash"
                ),
            ),
            ProviderOutcome("cs_1", "paid", eur(1800)),
            "already_paid",
        ),
    ],
)
def test_an_outcome_that_cannot_settle_the_order_fails_the_payment(
    extra: tuple[object, ...], outcome: ProviderOutcome, reason: str
) -> None:
    [event] = decide_online_outcome(order(started(), *extra), outcome)
    assert isinstance(event, OnlinePaymentFailed)
    assert event.reason == reason
    assert decide_online_outcome(fold(order(started(), *extra), [event]), outcome) == []  # type: ignore[arg-type]


def test_an_outcome_for_a_payment_never_started_is_not_found() -> None:
    with pytest.raises(NotFound):
        decide_online_outcome(order(), ProviderOutcome("cs_x", "paid", eur(1800)))


def test_only_a_room_charges_the_amount_due_to_the_room() -> None:
    room = GuestFacts("g1", seated=True, spot_kind=SpotKind.ROOM)
    [event] = decide_room_charge(order(), ChargeToRoom(room))
    assert isinstance(event, PaymentSettled)
    assert (event.method, event.amount, event.paid_by_guest) == (
        PaymentMethod.ROOM_CHARGE,
        eur(1800),
        "g1",
    )
    for kind in (SpotKind.TABLE, None):
        with pytest.raises(Conflict, match="only an order of a room"):
            decide_room_charge(order(), ChargeToRoom(GuestFacts("g1", True, spot_kind=kind)))
    with pytest.raises(NotAGuest):
        decide_room_charge(order(), ChargeToRoom(GuestFacts("g9", False, spot_kind=SpotKind.ROOM)))


def test_a_guest_pays_what_is_left_after_a_part_payment_and_that_pays_the_order_in_full() -> None:
    part = PaymentSettled(
        venue_id="v1",
        order_id="o1",
        session_id="s1",
        amount=eur(1000),
        method="cash",
        fully_paid=False,
        balance_due=eur(800),
    )
    room = GuestFacts("g1", seated=True, spot_kind=SpotKind.ROOM)
    [charged] = decide_room_charge(order(part), ChargeToRoom(room))
    assert isinstance(charged, PaymentSettled)
    assert (charged.amount, charged.fully_paid, charged.balance_due) == (eur(800), True, eur(0))
    [online] = decide_start_online(order(part), StartOnlinePayment(GUEST, "cs_2", "sandbox"))
    assert online.amount == eur(800)  # type: ignore[attr-defined]
    [settled] = decide_online_outcome(
        order(part, online), ProviderOutcome("cs_2", "paid", eur(800))
    )
    assert isinstance(settled, PaymentSettled)
    assert (settled.fully_paid, settled.balance_due) == (True, eur(0))


# --- the sandbox adapter ------------------------------------------------------------------


def _provider(handler: object = None) -> SandboxProvider:
    transport = httpx.MockTransport(handler or (lambda request: httpx.Response(500)))  # type: ignore[arg-type]
    return SandboxProvider(
        base_url="http://provider.invalid",
        api_key="k",
        webhook_secret=SECRET,
        client=httpx.AsyncClient(base_url="http://provider.invalid", transport=transport),
    )


def _signed(body: bytes, t: int) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"sandbox-signature": f"t={t},v1={digest}"}


BODY = json.dumps(
    {
        "id": "evt_1",
        "type": "checkout.paid",
        "data": {
            "id": "cs_1",
            "status": "paid",
            "amount": {"amount_minor": 1800, "currency": "EUR"},
            "reference": "o1",
        },
    }
).encode()


def test_a_webhook_is_trusted_only_signed_with_the_secret_within_the_tolerance() -> None:
    provider, now = _provider(), int(time.time())
    notice = provider.verify_webhook(BODY, _signed(BODY, now), now=now)
    assert notice is not None
    assert (notice.payment_id, notice.reference, notice.status, notice.amount) == (
        "cs_1",
        "o1",
        "paid",
        eur(1800),
    )
    assert provider.verify_webhook(BODY, _signed(BODY, now - 299), now=now) is not None
    for headers in (
        {},
        _signed(BODY, now - 301),
        _signed(BODY + b" ", now),
        {"sandbox-signature": f"t={now}"},
    ):
        with pytest.raises(InvalidSignature):
            provider.verify_webhook(BODY, headers, now=now)
    with pytest.raises(DomainError, match="not a checkout event"):
        provider.verify_webhook(b"[]", _signed(b"[]", now), now=now)
    other = json.dumps({"id": "evt_2", "type": "payout.created", "data": {}}).encode()
    assert provider.verify_webhook(other, _signed(other, now), now=now) is None


async def test_a_provider_that_fails_or_cannot_be_reached_is_a_502() -> None:
    with pytest.raises(ProviderUnavailable, match="HTTP 500"):
        await _provider().create_checkout(
            amount=eur(100),
            reference="o1",
            return_url="https://x/",
            webhook_url="https://y/",
            idempotency_key="k1",
        )

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ProviderUnavailable, match="could not be reached"):
        await _provider(unreachable).create_checkout(
            amount=eur(100),
            reference="o1",
            return_url="https://x/",
            webhook_url="https://y/",
            idempotency_key="k1",
        )
