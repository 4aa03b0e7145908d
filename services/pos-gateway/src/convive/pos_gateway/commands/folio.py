"""Posting confirmed concierge orders to the PMS: a try (the worker's, on the next posting due,
or staff's retry) and staff marking a charge posted by hand, each appended to the posting's
stream `folio-<offer_order_id>` (the event store writes how the posting goes with it).

Exactly once: a try holds its posting's row lock (`SELECT … FOR UPDATE SKIP LOCKED`, so
replicas never try the same posting at once) from reading the stream to committing its event,
and calls the PMS with the offer order's id as the idempotency key, so a crash after the PMS
took the charge but before `FolioPosted` was committed gets the same charge back on the next
try instead of a second one. Every writer of a posting's stream takes that lock first; the
stream's version check is the net under it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from convive.contracts import Event, EventEnvelope
from convive.contracts.pos_gateway import FolioPosted
from convive.pos_gateway.adapters.pms import Pms
from convive.pos_gateway.domain import folio
from convive.pos_gateway.projections import own
from convive.pos_gateway.queries import folio_postings as postings
from convive.pos_gateway.settings import Settings
from convive.pos_gateway.tables import folio_postings
from convive.runtime.domain import Conflict, NotFound
from convive.runtime.eventstore import EventStore

log = logging.getLogger(__name__)

STAFF_LOCK_WAIT_MS = 2000
"""How long a staff action waits for a posting another transaction holds before answering 409."""


def backoff_policy(settings: Settings) -> folio.BackoffPolicy:
    return folio.BackoffPolicy(
        base=settings.pms_backoff_base,
        cap=settings.pms_backoff_max,
        max_attempts=settings.pms_max_attempts,
    )


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outcome:
    """What a command appended (nothing when there was nothing to do)."""

    events: tuple[Event, ...]
    event_ids: tuple[str, ...]


async def _lock(conn: AsyncConnection, offer_order_id: str) -> sa.Row[Any]:
    """The posting, locked for this transaction; 409 while a try holds it."""
    locked = postings.postings_to_lock().where(postings.of_order(offer_order_id))
    row: sa.Row[Any] | None = (
        await conn.execute(locked.with_for_update(of=folio_postings, skip_locked=True))
    ).first()
    if row is not None:
        return row
    if await postings.posting_known(conn, offer_order_id):
        # Held by someone: a projection writing an event of it holds it for milliseconds, a
        # try at the PMS for as long as the PMS takes. Wait a little for the first.
        await conn.execute(sa.text(f"SET LOCAL lock_timeout = '{STAFF_LOCK_WAIT_MS}ms'"))
        try:
            async with conn.begin_nested():
                row = (await conn.execute(locked.with_for_update(of=folio_postings))).first()
        except DBAPIError:
            row = None
        if row is not None:
            return row
        raise Conflict(
            f"offer order {offer_order_id} is being posted to the PMS right now; "
            "look again in a moment",
            field="offer_order_id",
        )
    # Known from the POS's own events only: ordering's facts have not come yet, so nothing
    # can be decided on it (the decision refuses, nothing is appended, nothing to lock).
    unconfirmed = await postings.unlocked_posting(conn, offer_order_id)
    if unconfirmed is not None:
        return unconfirmed
    raise NotFound(
        f"offer order {offer_order_id} is not known to the POS (yet)", field="offer_order_id"
    )


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
    return Outcome(tuple(new_events), result.event_ids)


async def _try(
    conn: AsyncConnection,
    store: EventStore,
    pms: Pms,
    policy: folio.BackoffPolicy,
    row: sa.Row[Any],
    *,
    by_staff: bool = False,
) -> Outcome:
    facts = postings.facts_of(row)
    history = await store.read_stream(folio.folio_stream(facts.offer_order_id), conn=conn)
    state = folio.fold(history)
    if state.posted is not None and not by_staff:
        # Posted already, but the read model does not say so yet (after a rebuild, the POS's
        # own events may come back from Kafka later than the worker looks): bring it in line
        # with the stream, so that the posting stops being due.
        await own.projection.apply(conn, history)
        return Outcome((), ())
    charge = folio.charge_to_post(facts, state)
    answer = await pms.post_charge(charge, idempotency_key=facts.offer_order_id)
    new_events = folio.decide_attempt(facts, state, answer, now=_now(), policy=policy)
    return await _append(conn, store, row, history, new_events)


async def try_next_due(
    engine: AsyncEngine, store: EventStore, pms: Pms, policy: folio.BackoffPolicy
) -> bool:
    """Claim one posting that is due and try it; False when none is (or all are taken)."""
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                postings.postings_to_lock()
                .where(*postings.due(_now()))
                .order_by(postings.by_next_attempt())
                .limit(1)
                .with_for_update(of=folio_postings, skip_locked=True)
            )
        ).first()
        if row is None:
            return False
        outcome = await _try(conn, store, pms, policy, row)
    if outcome.event_ids:
        store.notify_committed(len(outcome.event_ids))
    for event in outcome.events:
        log.info(
            "folio posting %s",
            "posted" if isinstance(event, FolioPosted) else "failed",
            extra={"offer_order_id": row.offer_order_id, "event": event.event_type},
        )
    return True


async def retry_now(
    engine: AsyncEngine,
    store: EventStore,
    pms: Pms,
    policy: folio.BackoffPolicy,
    *,
    offer_order_id: str,
    staff: str,
) -> Outcome:
    """Staff ask for a try at once (a failing posting, or one not tried yet)."""
    async with engine.begin() as conn:
        row = await _lock(conn, offer_order_id)
        log.info(
            "folio posting retried by staff",
            extra={"offer_order_id": offer_order_id, "staff": staff},
        )
        outcome = await _try(conn, store, pms, policy, row, by_staff=True)
    store.notify_committed(len(outcome.event_ids))
    return outcome


async def mark_posted(
    engine: AsyncEngine,
    store: EventStore,
    *,
    offer_order_id: str,
    staff: str,
    pms_reference: str | None,
) -> Outcome:
    """Staff posted the charge in the PMS by hand."""
    async with engine.begin() as conn:
        row = await _lock(conn, offer_order_id)
        history = await store.read_stream(folio.folio_stream(offer_order_id), conn=conn)
        new_events = folio.decide_mark_posted(
            postings.facts_of(row), folio.fold(history), staff=staff, pms_reference=pms_reference
        )
        outcome = await _append(conn, store, row, history, new_events)
    store.notify_committed(len(outcome.event_ids))
    return outcome
