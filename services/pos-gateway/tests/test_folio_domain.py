"""PMS folio posting as pure decisions: given what the POS knows of a concierge order and the
posting's history, when the PMS answers a try (or staff act), then these events (or this
refusal); the status the back office shows; the retry schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from convive.contracts import Money
from convive.contracts.pos_gateway import FolioPosted, FolioPostingFailed, FolioPostingMethod
from convive.contracts.table_session import PmsIntegration
from convive.pos_gateway.adapters.pms import SandboxPms
from convive.pos_gateway.domain.folio import (
    BackoffPolicy,
    Charged,
    FolioCharge,
    OfferOrderFacts,
    PostingHistory,
    PostingStatus,
    Refused,
    charge_to_post,
    decide_attempt,
    decide_mark_posted,
    fold,
    status_of,
)
from convive.runtime.domain import Conflict

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
POLICY = BackoffPolicy(base=30, cap=600, max_attempts=4)


def eur(cents: int) -> Money:
    return Money(amount_minor=cents, currency="EUR")


def facts(**changes: object) -> OfferOrderFacts:
    base: dict[str, object] = {
        "offer_order_id": "oo-1",
        "venue_id": "hotel-1",
        "amount": eur(4500),
        "room": "Room 112",
        "guest_name": "Ada Lovelace",
        "description": "Spa access",
        "integration": PmsIntegration.TWO_WAY,
        "confirmed": True,
        "cancelled": False,
    }
    base.update(changes)
    return OfferOrderFacts(**base)  # type: ignore[arg-type]


def failed(attempt: int, next_at: datetime | None = NOW) -> FolioPostingFailed:
    return FolioPostingFailed(
        venue_id="hotel-1",
        offer_order_id="oo-1",
        attempt=attempt,
        error="the PMS answered 503",
        next_attempt_at=next_at,
    )


def posted(method: FolioPostingMethod = FolioPostingMethod.AUTOMATIC) -> FolioPosted:
    return FolioPosted(
        venue_id="hotel-1",
        offer_order_id="oo-1",
        amount=eur(4500),
        method=method,
        pms_reference="chg_1",
        attempts=1,
    )


# --- the schedule ---------------------------------------------------------------------------


def test_the_wait_doubles_after_each_failure_up_to_the_cap() -> None:
    assert [POLICY.delay(n).total_seconds() for n in range(1, 8)] == [
        30,
        60,
        120,
        240,
        480,
        600,
        600,
    ]
    assert POLICY.delay(10_000) == timedelta(seconds=600)


def test_after_the_last_attempt_nothing_is_scheduled() -> None:
    assert POLICY.next_attempt_at(3, NOW) == NOW + timedelta(seconds=120)
    assert POLICY.next_attempt_at(4, NOW) is None


def test_a_policy_that_cannot_work_is_refused() -> None:
    for base, cap, attempts in ((0, 10, 3), (10, 5, 3), (1, 10, 0)):
        with pytest.raises(ValueError, match="backoff"):
            BackoffPolicy(base=base, cap=cap, max_attempts=attempts)


# --- a try's outcome ------------------------------------------------------------------------


def test_a_charge_the_pms_took_is_posted_with_its_reference_and_the_tries_it_took() -> None:
    history = fold([failed(1), failed(2)])
    events = decide_attempt(facts(), history, Charged("chg_9"), now=NOW, policy=POLICY)
    assert events == [
        FolioPosted(
            venue_id="hotel-1",
            offer_order_id="oo-1",
            amount=eur(4500),
            method=FolioPostingMethod.AUTOMATIC,
            pms_reference="chg_9",
            attempts=3,
        )
    ]


def test_a_failed_try_is_recorded_with_when_to_try_again() -> None:
    events = decide_attempt(
        facts(), fold([failed(1)]), Refused("the PMS answered 503"), now=NOW, policy=POLICY
    )
    assert events == [
        FolioPostingFailed(
            venue_id="hotel-1",
            offer_order_id="oo-1",
            attempt=2,
            error="the PMS answered 503",
            next_attempt_at=NOW + timedelta(seconds=60),
        )
    ]


def test_the_last_failed_try_schedules_nothing_more() -> None:
    history = fold([failed(1), failed(2), failed(3)])
    [event] = decide_attempt(facts(), history, Refused("down"), now=NOW, policy=POLICY)
    assert isinstance(event, FolioPostingFailed)
    assert (event.attempt, event.next_attempt_at) == (4, None)


def test_a_charge_the_pms_refuses_for_good_is_not_tried_again_automatically() -> None:
    answer = Refused("the PMS answered 422: room 112 has no guest in house", retryable=False)
    [event] = decide_attempt(facts(), PostingHistory(), answer, now=NOW, policy=POLICY)
    assert isinstance(event, FolioPostingFailed)
    assert (event.attempt, event.next_attempt_at) == (1, None)
    assert "no guest in house" in event.error


@pytest.mark.parametrize(
    ("changed", "history", "message"),
    [
        ({}, [posted()], r"already posted to the PMS \(PMS reference chg_1\)"),
        ({"cancelled": True}, [], "was cancelled"),
        ({"confirmed": False}, [], "not confirmed"),
        ({"integration": PmsIntegration.NONE}, [], "no PMS integration"),
        ({"integration": PmsIntegration.ONE_WAY}, [], "by hand"),
        ({"amount": None}, [], "not reached the POS yet"),
    ],
)
def test_nothing_is_sent_to_the_pms_for_an_order_that_must_not_be_posted_automatically(
    changed: dict[str, object], history: list[FolioPosted], message: str
) -> None:
    with pytest.raises(Conflict, match=message) as refused:
        charge_to_post(facts(**changed), fold(history))
    assert refused.value.field == "offer_order_id"


def test_the_charge_names_the_room_the_guest_the_amount_and_the_order() -> None:
    assert charge_to_post(facts(), PostingHistory()) == FolioCharge(
        room="Room 112",
        guest_name="Ada Lovelace",
        amount=eur(4500),
        description="Spa access",
        reference="oo-1",
    )


# --- staff posting by hand ------------------------------------------------------------------


def test_staff_mark_a_one_way_order_posted_by_hand() -> None:
    events = decide_mark_posted(
        facts(integration=PmsIntegration.ONE_WAY),
        PostingHistory(),
        staff="Camille",
        pms_reference="F-2231",
    )
    assert events == [
        FolioPosted(
            venue_id="hotel-1",
            offer_order_id="oo-1",
            amount=eur(4500),
            method=FolioPostingMethod.MANUAL,
            pms_reference="F-2231",
            posted_by="Camille",
        )
    ]


def test_a_two_way_posting_that_keeps_failing_may_be_posted_by_hand_but_not_one_not_tried() -> None:
    [event] = decide_mark_posted(facts(), fold([failed(1, None)]), staff="Camille")
    assert isinstance(event, FolioPosted)
    assert event.method is FolioPostingMethod.MANUAL
    with pytest.raises(Conflict, match="being posted to the PMS automatically"):
        decide_mark_posted(facts(), PostingHistory(), staff="Camille")


@pytest.mark.parametrize(
    ("changed", "history", "message"),
    [
        ({"integration": PmsIntegration.ONE_WAY}, [posted(FolioPostingMethod.MANUAL)], "already"),
        ({"integration": PmsIntegration.ONE_WAY, "cancelled": True}, [], "cancelled"),
        ({"integration": PmsIntegration.NONE}, [], "no PMS integration"),
    ],
)
def test_staff_cannot_mark_posted_what_is_posted_cancelled_or_not_for_a_pms(
    changed: dict[str, object], history: list[FolioPosted], message: str
) -> None:
    with pytest.raises(Conflict, match=message):
        decide_mark_posted(facts(**changed), fold(history), staff="Camille")


# --- status ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changed", "history", "expected"),
    [
        ({}, [], PostingStatus.PENDING),
        ({}, [failed(1)], PostingStatus.FAILING),
        ({}, [failed(1), posted()], PostingStatus.POSTED),
        ({"integration": PmsIntegration.ONE_WAY}, [], PostingStatus.TO_POST_BY_HAND),
        ({"integration": PmsIntegration.NONE}, [], PostingStatus.NOT_REQUIRED),
        ({"cancelled": True}, [], PostingStatus.NOT_REQUIRED),
        ({"cancelled": True}, [failed(1)], PostingStatus.NOT_REQUIRED),
        # cancelled after posting: the PMS keeps the charge, the posting stays posted
        ({"cancelled": True}, [posted()], PostingStatus.POSTED),
    ],
)
def test_the_status_the_back_office_shows(
    changed: dict[str, object], history: list[object], expected: PostingStatus
) -> None:
    assert status_of(facts(**changed), fold(history)) is expected  # type: ignore[arg-type]


def test_folding_keeps_the_latest_try_and_the_posting() -> None:
    later = NOW + timedelta(minutes=5)
    state = fold([failed(1), failed(2, later)])
    assert (state.attempts, state.next_attempt_at, state.posted) == (2, later, None)
    done = fold([failed(1), posted(FolioPostingMethod.MANUAL)])
    assert done.attempts == 1  # a manual posting is no try
    assert done.posted is not None
    assert done.next_attempt_at is None


# --- what the adapter makes of the PMS's answers --------------------------------------------


CHARGE = FolioCharge(
    room="Room 112",
    guest_name="Ada Lovelace",
    amount=eur(4500),
    description="Spa access",
    reference="oo-1",
)


def _pms(handler: httpx.MockTransport) -> SandboxPms:
    client = httpx.AsyncClient(base_url="http://pms.test", transport=handler)
    return SandboxPms(base_url="http://pms.test", api_key="k", client=client)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (201, {"charge_id": "chg_1"}, Charged("chg_1")),
        (503, {"error": {"message": "down"}}, Refused("the PMS answered 503: down")),
        (429, {"error": {"message": "slow down"}}, Refused("the PMS answered 429: slow down")),
        (
            422,
            {"error": {"message": "no guest in house"}},
            Refused("the PMS answered 422: no guest in house", retryable=False),
        ),
        (401, {"error": {"message": "bad key"}}, Refused("the PMS answered 401: bad key", False)),
        (201, {"unexpected": True}, Refused("the PMS answered 201 without a charge id")),
    ],
)
async def test_the_adapter_says_what_the_pms_answer_means(
    status: int, body: dict[str, object], expected: object
) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body)

    pms = _pms(httpx.MockTransport(answer))
    try:
        assert await pms.post_charge(CHARGE, idempotency_key="oo-1") == expected
    finally:
        await pms.aclose()
    assert seen[0].headers["idempotency-key"] == "oo-1"


async def test_an_unreachable_pms_is_a_failure_worth_retrying() -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    pms = _pms(httpx.MockTransport(unreachable))
    try:
        answer = await pms.post_charge(CHARGE, idempotency_key="oo-1")
    finally:
        await pms.aclose()
    assert answer == Refused("the PMS could not be reached (ConnectError)")
