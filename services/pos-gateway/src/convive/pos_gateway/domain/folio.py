"""Posting a confirmed concierge order's charge to the guest's folio in the hotel's PMS, as pure
decisions: what state a posting is in, whether it may be tried (automatically, two-way) or marked
posted by hand (one-way), what a try's answer from the PMS becomes (`FolioPosted`, or
`FolioPostingFailed` with when to try again), and the retry schedule. No I/O: the facts come
from the projection, the history from the posting's own stream `folio-<offer_order_id>`.

The retry schedule is computed here rather than by a retry library (tenacity and the like retry
a call inside one running process): a posting's next try must survive restarts and be shared by
every replica, so the schedule is data, `next_attempt_at` in the failure event, and its delay a
pure function of the number of failed tries, tested as such.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from convive.contracts import Event, EventEnvelope, Money
from convive.contracts.pos_gateway import FolioPosted, FolioPostingFailed, FolioPostingMethod
from convive.contracts.table_session import PmsIntegration
from convive.runtime import domain as runtime_domain
from convive.runtime.domain import Conflict


def folio_stream(offer_order_id: str) -> str:
    """The stream of the POS's postings of one concierge order to the PMS."""
    return f"folio-{offer_order_id}"


class PostingStatus(StrEnum):
    NOT_REQUIRED = "not_required"  # no PMS integration, or cancelled before it was posted
    TO_POST_BY_HAND = "to_post_by_hand"  # one-way: staff post it in the PMS, then say so
    PENDING = "pending"  # two-way: not tried yet
    POSTED = "posted"
    FAILING = "failing"  # two-way: tried and failed; retried at next_attempt_at (if any)


@dataclass(frozen=True)
class BackoffPolicy:
    """Exponential backoff between automatic tries: `base` seconds after the first failure,
    doubling each time, never more than `cap`; after `max_attempts` tries, no more automatic
    ones (staff retry or post by hand)."""

    base: float = 30.0
    cap: float = 3600.0
    max_attempts: int = 10

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap < self.base or self.max_attempts < 1:
            raise ValueError("backoff needs 0 < base <= cap and at least one attempt")

    def delay(self, failed_attempts: int) -> timedelta:
        """How long to wait after the `failed_attempts`-th failed try (1, 2, …)."""
        exponent = max(0, failed_attempts - 1)
        # Capping the exponent first keeps 2**n small for a long-failing posting.
        seconds = self.cap if exponent >= 64 else min(self.cap, self.base * 2**exponent)
        return timedelta(seconds=seconds)

    def next_attempt_at(self, failed_attempts: int, now: datetime) -> datetime | None:
        if failed_attempts >= self.max_attempts:
            return None
        return now + self.delay(failed_attempts)


@dataclass(frozen=True)
class OfferOrderFacts:
    """What the POS knows of a concierge order from ordering's and table-session's events."""

    offer_order_id: str
    venue_id: str
    amount: Money | None = None  # None until OfferOrdered reached the POS
    room: str | None = None
    guest_name: str | None = None
    description: str | None = None
    integration: PmsIntegration = PmsIntegration.NONE  # the venue's, when it was confirmed
    confirmed: bool = False
    cancelled: bool = False


@dataclass(frozen=True)
class PostingHistory:
    """The posting's own stream, folded."""

    attempts: int = 0
    posted: FolioPosted | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None


def evolve(state: PostingHistory, event: Event) -> PostingHistory:
    if isinstance(event, FolioPostingFailed):
        return replace(
            state,
            attempts=max(state.attempts, event.attempt),
            last_error=event.error,
            next_attempt_at=event.next_attempt_at,
        )
    if isinstance(event, FolioPosted):
        attempts = state.attempts
        if event.method is FolioPostingMethod.AUTOMATIC:
            attempts = max(attempts, event.attempts)
        return replace(state, posted=event, attempts=attempts, next_attempt_at=None)
    return state


def fold(history: Iterable[Event | EventEnvelope]) -> PostingHistory:
    """The posting's stream, folded."""
    return runtime_domain.fold(evolve, PostingHistory(), history)


def status(
    *,
    integration: PmsIntegration,
    cancelled: bool,
    posted: bool,
    attempts: int,
) -> PostingStatus:
    """A confirmed order's posting status. Posted stays posted, even when the order is
    cancelled afterwards: the PMS holds the charge, and taking it back is the hotel's call."""
    if posted:
        return PostingStatus.POSTED
    if cancelled or integration is PmsIntegration.NONE:
        return PostingStatus.NOT_REQUIRED
    if integration is PmsIntegration.ONE_WAY:
        return PostingStatus.TO_POST_BY_HAND
    return PostingStatus.FAILING if attempts > 0 else PostingStatus.PENDING


def status_of(facts: OfferOrderFacts, state: PostingHistory) -> PostingStatus:
    return status(
        integration=facts.integration,
        cancelled=facts.cancelled,
        posted=state.posted is not None,
        attempts=state.attempts,
    )


# --- the PMS's answer to a try --------------------------------------------------------------


@dataclass(frozen=True)
class Charged:
    """The PMS took the charge (or had taken it under this idempotency key already)."""

    pms_reference: str


@dataclass(frozen=True)
class Refused:
    """The PMS could not be reached or did not take the charge. `retryable` says whether the
    same try may succeed later (unreachable, 5xx, 429) or not (the PMS refused this charge:
    staff must look into it)."""

    error: str
    retryable: bool = True


PmsAnswer = Charged | Refused


@dataclass(frozen=True)
class FolioCharge:
    """What is posted to the PMS: the room's folio, whose guest, how much, for what."""

    room: str
    guest_name: str
    amount: Money
    description: str
    reference: str


# --- decisions ------------------------------------------------------------------------------


def _require_open(facts: OfferOrderFacts, state: PostingHistory) -> None:
    if state.posted is not None:
        known = state.posted.pms_reference
        reference = f" (PMS reference {known})" if known else ""
        raise Conflict(
            f"offer order {facts.offer_order_id} is already posted to the PMS{reference}",
            field="offer_order_id",
        )
    if facts.cancelled:
        raise Conflict(
            f"offer order {facts.offer_order_id} was cancelled: there is nothing to post",
            field="offer_order_id",
        )
    if not facts.confirmed:
        raise Conflict(
            f"offer order {facts.offer_order_id} is not confirmed: it is posted once confirmed",
            field="offer_order_id",
        )
    if facts.integration is PmsIntegration.NONE:
        raise Conflict(
            f"venue {facts.venue_id} has no PMS integration: nothing is posted",
            field="offer_order_id",
        )


def charge_to_post(facts: OfferOrderFacts, state: PostingHistory) -> FolioCharge:
    """The charge a try posts, once it may be tried: a confirmed, uncancelled, unposted order
    of a two-way venue whose details reached the POS."""
    _require_open(facts, state)
    if facts.integration is PmsIntegration.ONE_WAY:
        raise Conflict(
            f"venue {facts.venue_id} posts to its PMS by hand (one-way): post the charge in "
            "the PMS, then mark it posted",
            field="offer_order_id",
        )
    if facts.amount is None or facts.room is None or facts.guest_name is None:
        raise Conflict(
            f"offer order {facts.offer_order_id}'s details have not reached the POS yet",
            field="offer_order_id",
        )
    return FolioCharge(
        room=facts.room,
        guest_name=facts.guest_name,
        amount=facts.amount,
        description=facts.description or "Concierge order",
        reference=facts.offer_order_id,
    )


def decide_attempt(
    facts: OfferOrderFacts,
    state: PostingHistory,
    answer: PmsAnswer,
    *,
    now: datetime,
    policy: BackoffPolicy,
) -> list[Event]:
    """What one try's answer from the PMS becomes."""
    charge = charge_to_post(facts, state)
    attempt = state.attempts + 1
    if isinstance(answer, Charged):
        return [
            FolioPosted(
                venue_id=facts.venue_id,
                offer_order_id=facts.offer_order_id,
                amount=charge.amount,
                method=FolioPostingMethod.AUTOMATIC,
                pms_reference=answer.pms_reference,
                attempts=attempt,
            )
        ]
    next_at = policy.next_attempt_at(attempt, now) if answer.retryable else None
    return [
        FolioPostingFailed(
            venue_id=facts.venue_id,
            offer_order_id=facts.offer_order_id,
            attempt=attempt,
            error=answer.error[:1000],
            next_attempt_at=next_at,
        )
    ]


def decide_mark_posted(
    facts: OfferOrderFacts,
    state: PostingHistory,
    *,
    staff: str,
    pms_reference: str | None = None,
) -> list[Event]:
    """Staff say they posted the charge in the PMS themselves: the way of one-way venues, and
    the way out for a two-way posting that keeps failing (never for one not tried yet, which
    the POS is about to post itself)."""
    _require_open(facts, state)
    if facts.integration is PmsIntegration.TWO_WAY and state.attempts == 0:
        raise Conflict(
            f"offer order {facts.offer_order_id} is being posted to the PMS automatically",
            field="offer_order_id",
        )
    if facts.amount is None:
        raise Conflict(
            f"offer order {facts.offer_order_id}'s details have not reached the POS yet",
            field="offer_order_id",
        )
    return [
        FolioPosted(
            venue_id=facts.venue_id,
            offer_order_id=facts.offer_order_id,
            amount=facts.amount,
            method=FolioPostingMethod.MANUAL,
            pms_reference=pms_reference,
            posted_by=staff,
        )
    ]
