"""Posting confirmed concierge orders to the PMS: a try (by the worker when due, or by staff's
retry), staff marking a charge posted by hand, the postings as the back office lists them, and
the worker itself, a lifespan task and a `WakeableWorker` like the outbox relay.

Exactly once: a try holds its posting's row lock (`SELECT … FOR UPDATE SKIP LOCKED`, so
replicas never try the same posting at once) from reading the stream to committing its event,
and calls the PMS with the offer order's id as the idempotency key, so a crash after the PMS
took the charge but before `FolioPosted` was committed gets the same charge back on the next
try instead of a second one. Every writer of a posting's stream takes that lock first; the
stream's version check is the net under it.

The worker is woken by the projection (`pg_notify` when an order is confirmed or a venue set),
sleeps until the earliest scheduled retry, and polls slowly as a safety net.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.contracts import Event, EventEnvelope, Money
from convive.contracts.pos_gateway import FolioPosted, FolioPostingFailed
from convive.contracts.table_session import PmsIntegration
from convive.pos_gateway import folio
from convive.pos_gateway.folio_projections import (
    folio_postings,
    integration_at_confirmation,
    integration_of,
    record_failure,
    record_posted,
    venue_language,
    work_channel,
)
from convive.pos_gateway.pms import Pms, SandboxPms
from convive.pos_gateway.settings import Settings
from convive.runtime import db
from convive.runtime.domain import Conflict, NotFound
from convive.runtime.eventstore import EventStore
from convive.runtime.wakeup import WakeableWorker

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


# --- reading a posting ----------------------------------------------------------------------


def _posting_query() -> sa.Select[Any]:
    return sa.select(
        folio_postings,
        integration_at_confirmation().label("integration"),
        venue_language().label("language"),
    )


def _facts(row: sa.Row[Any]) -> folio.OfferOrderFacts:
    name = row.offer_name or {}
    return folio.OfferOrderFacts(
        offer_order_id=row.offer_order_id,
        venue_id=row.venue_id,
        amount=(
            Money(amount_minor=row.amount_minor, currency=row.currency)
            if row.amount_minor is not None and row.currency
            else None
        ),
        room=row.room,
        guest_name=row.guest_name,
        description=name.get(row.language or "fr") or name.get("fr") or name.get("en"),
        integration=integration_of(row.integration),
        confirmed=row.confirmed_at is not None,
        cancelled=row.cancelled_at is not None,
    )


def _due(now: datetime) -> list[sa.ColumnElement[bool]]:
    """A posting the worker tries: confirmed, not cancelled nor posted, its details known, of
    a venue posting automatically, and its time come."""
    t = folio_postings
    return [
        *_scheduled(),
        t.c.next_attempt_at <= now,
    ]


def _scheduled() -> list[sa.ColumnElement[bool]]:
    t = folio_postings
    return [
        t.c.confirmed_at.is_not(None),
        t.c.cancelled_at.is_(None),
        t.c.posted_at.is_(None),
        t.c.amount_minor.is_not(None),
        t.c.room.is_not(None),
        t.c.guest_name.is_not(None),
        t.c.next_attempt_at.is_not(None),
        integration_at_confirmation() == PmsIntegration.TWO_WAY.value,
    ]


STAFF_LOCK_WAIT_MS = 2000
"""How long a staff action waits for a posting another transaction holds before answering 409."""


async def _lock(conn: AsyncConnection, offer_order_id: str) -> sa.Row[Any]:
    """The posting, locked for this transaction; 409 while a try holds it."""
    row: sa.Row[Any] | None = (
        await conn.execute(
            _posting_query()
            .where(folio_postings.c.offer_order_id == offer_order_id)
            .with_for_update(of=folio_postings, skip_locked=True)
        )
    ).first()
    if row is not None:
        return row
    exists = await conn.scalar(
        sa.select(sa.literal(True)).where(folio_postings.c.offer_order_id == offer_order_id)
    )
    if exists:
        # Held by someone: a projection writing an event of it holds it for milliseconds, a
        # try at the PMS for as long as the PMS takes. Wait a little for the first.
        await conn.execute(sa.text(f"SET LOCAL lock_timeout = '{STAFF_LOCK_WAIT_MS}ms'"))
        try:
            async with conn.begin_nested():
                row = (
                    await conn.execute(
                        _posting_query()
                        .where(folio_postings.c.offer_order_id == offer_order_id)
                        .with_for_update(of=folio_postings)
                    )
                ).first()
        except DBAPIError:
            row = None
        if row is not None:
            return row
        raise Conflict(
            f"offer order {offer_order_id} is being posted to the PMS right now; "
            "look again in a moment",
            field="offer_order_id",
        )
    raise NotFound(
        f"offer order {offer_order_id} is not known to the POS (yet)", field="offer_order_id"
    )


# --- what the back office sees --------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def posting_view(row: sa.Row[Any]) -> dict[str, Any]:
    facts = _facts(row)
    posted = row.posted_at is not None
    state = folio.status(
        integration=facts.integration,
        cancelled=facts.cancelled,
        posted=posted,
        attempts=row.attempts,
    )
    scheduled = state in (folio.PostingStatus.PENDING, folio.PostingStatus.FAILING)
    return {
        "offer_order_id": row.offer_order_id,
        "venue_id": row.venue_id,
        "status": state.value,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "next_attempt_at": _iso(row.next_attempt_at) if scheduled else None,
        "pms_reference": row.pms_reference,
        "method": row.method,
        "posted_at": _iso(row.posted_at),
        "posted_by": row.posted_by,
        "integration": facts.integration.value,
        "amount": facts.amount.model_dump() if facts.amount is not None else None,
        "room": row.room,
        "guest_name": row.guest_name,
        "offer_name": row.offer_name,
        "confirmed_at": _iso(row.confirmed_at),
        "cancelled": facts.cancelled,
        # The PMS keeps a charge posted before the order was cancelled: staff refund it there.
        "cancelled_after_posting": facts.cancelled and posted,
    }


async def posting_views(
    conn: AsyncConnection,
    *,
    venue_id: str | None = None,
    offer_order_id: str | None = None,
    status: folio.PostingStatus | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Confirmed concierge orders with their posting, newest first."""
    t = folio_postings
    query = _posting_query().where(
        sa.or_(t.c.confirmed_at.is_not(None), t.c.posted_at.is_not(None))
    )
    if venue_id is not None:
        query = query.where(t.c.venue_id == venue_id)
    if offer_order_id is not None:
        query = query.where(t.c.offer_order_id == offer_order_id)
    query = query.order_by(sa.func.coalesce(t.c.confirmed_at, t.c.posted_at).desc())
    if status is None:
        query = query.limit(limit)
    views = [posting_view(row) for row in (await conn.execute(query)).all()]
    if status is not None:
        views = [v for v in views if v["status"] == status.value][:limit]
    return views


async def one_posting(engine: AsyncEngine, offer_order_id: str) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await posting_views(conn, offer_order_id=offer_order_id)
    if not found:
        raise NotFound(
            f"offer order {offer_order_id} has no folio posting (it is unknown to the POS or "
            "not confirmed yet)",
            field="offer_order_id",
        )
    return found[0]


# --- commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a command appended (nothing when there was nothing to do) and the posting after."""

    events: tuple[Event, ...]
    event_ids: tuple[str, ...]


async def _append(
    conn: AsyncConnection,
    store: EventStore,
    row: sa.Row[Any],
    history: Sequence[EventEnvelope],
    new_events: Sequence[Event],
) -> Outcome:
    stream = folio.folio_stream(row.offer_order_id)
    envelopes = [
        EventEnvelope.wrap(
            event,
            subject=stream,
            correlation_id=row.correlation_id,
            causation_id=row.confirmed_event_id,
        )
        for event in new_events
    ]
    result = await store.append(stream, envelopes, expected_version=len(history), conn=conn)
    for envelope in envelopes:
        await _write_through(conn, envelope.event(), envelope.time)
    return Outcome(tuple(new_events), result.event_ids)


async def _write_through(conn: AsyncConnection, event: Event, at: datetime) -> None:
    if isinstance(event, FolioPostingFailed):
        await record_failure(conn, event, at)
    elif isinstance(event, FolioPosted):
        await record_posted(conn, event, at)


async def _catch_up(conn: AsyncConnection, history: Sequence[EventEnvelope]) -> None:
    """Bring the row in line with the stream (after a rebuild of the projection, our own
    events may come back from Kafka later than the worker looks)."""
    for envelope in history:
        await _write_through(conn, envelope.event(), envelope.time)


async def _try(
    conn: AsyncConnection,
    store: EventStore,
    pms: Pms,
    policy: folio.BackoffPolicy,
    row: sa.Row[Any],
    *,
    by_staff: bool = False,
) -> Outcome:
    facts = _facts(row)
    history = await store.read_stream(folio.folio_stream(facts.offer_order_id), conn=conn)
    state = folio.fold(history)
    if state.posted is not None and not by_staff:
        await _catch_up(conn, history)
        return Outcome((), ())
    charge = folio.charge_to_post(facts, state)
    answer = await pms.post_charge(charge, idempotency_key=facts.offer_order_id)
    new_events = folio.decide_attempt(facts, state, answer, now=_now(), policy=policy)
    return await _append(conn, store, row, history, new_events)


class FolioWorker(WakeableWorker):
    """Tries the postings that are due, one at a time per process; replicas share the work
    through row locks."""

    def __init__(
        self,
        engine: AsyncEngine,
        store: EventStore,
        pms: Pms,
        policy: folio.BackoffPolicy,
        *,
        poll_interval: float = 30.0,
    ) -> None:
        self.engine = engine
        self.store = store
        self.pms = pms
        self.policy = policy
        self.poll_interval = poll_interval
        channel = work_channel(db.schema_of(engine))
        super().__init__(name=f"folio-{channel}", channel=channel)

    async def work_round(self) -> float:
        await self.work_due()
        return await self.seconds_to_next()

    async def try_next_due(self) -> bool:
        """Claim one posting that is due and try it; False when none is (or all are taken)."""
        now = _now()
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    _posting_query()
                    .where(*_due(now))
                    .order_by(folio_postings.c.next_attempt_at)
                    .limit(1)
                    .with_for_update(of=folio_postings, skip_locked=True)
                )
            ).first()
            if row is None:
                return False
            outcome = await _try(conn, self.store, self.pms, self.policy, row)
        if outcome.event_ids:
            self.store.notify_committed(len(outcome.event_ids))
        for event in outcome.events:
            log.info(
                "folio posting %s",
                "posted" if isinstance(event, FolioPosted) else "failed",
                extra={"offer_order_id": row.offer_order_id, "event": event.event_type},
            )
        return True

    async def work_due(self) -> int:
        """Try every posting due now; returns how many were claimed."""
        tried = 0
        while await self.try_next_due():
            tried += 1
        return tried

    async def seconds_to_next(self) -> float:
        """How long until the earliest scheduled try (at most the poll interval)."""
        async with self.engine.connect() as conn:
            earliest: datetime | None = await conn.scalar(
                sa.select(sa.func.min(folio_postings.c.next_attempt_at)).where(*_scheduled())
            )
        if earliest is None:
            return self.poll_interval
        return min(self.poll_interval, max(0.0, (earliest - _now()).total_seconds()))

    async def retry_now(self, offer_order_id: str, staff: str) -> Outcome:
        """Staff ask for a try at once (a failing posting, or one not tried yet)."""
        async with self.engine.begin() as conn:
            row = await _lock(conn, offer_order_id)
            log.info(
                "folio posting retried by staff",
                extra={"offer_order_id": offer_order_id, "staff": staff},
            )
            outcome = await _try(conn, self.store, self.pms, self.policy, row, by_staff=True)
        self.store.notify_committed(len(outcome.event_ids))
        return outcome

    async def mark_posted(
        self, offer_order_id: str, staff: str, pms_reference: str | None
    ) -> Outcome:
        """Staff posted the charge in the PMS by hand."""
        async with self.engine.begin() as conn:
            row = await _lock(conn, offer_order_id)
            history = await self.store.read_stream(folio.folio_stream(offer_order_id), conn=conn)
            new_events = folio.decide_mark_posted(
                _facts(row), folio.fold(history), staff=staff, pms_reference=pms_reference
            )
            outcome = await _append(conn, self.store, row, history, new_events)
        self.store.notify_committed(len(outcome.event_ids))
        return outcome


def backoff_policy(settings: Settings) -> folio.BackoffPolicy:
    return folio.BackoffPolicy(
        base=settings.pms_backoff_base,
        cap=settings.pms_backoff_max,
        max_attempts=settings.pms_max_attempts,
    )


def folio_posting(
    settings: Settings,
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """A lifespan running the posting worker (on `app.state.folio_worker`) with its PMS
    client."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        runtime = app.state.runtime
        pms = SandboxPms(
            base_url=settings.pms_url,
            api_key=settings.pms_api_key.get_secret_value(),
            timeout=settings.pms_timeout,
        )
        worker = FolioWorker(
            runtime.engine,
            runtime.store,
            pms,
            backoff_policy(settings),
            poll_interval=settings.folio_poll_interval,
        )
        app.state.folio_worker = worker
        worker.start(listen_dsn=db.plain_dsn(settings.database_url))
        try:
            yield
        finally:
            await worker.stop()
            await pms.aclose()

    return lifespan
