"""The read models of PMS folio posting: each venue's PMS setting over time (table-session's
`VenueConfigured`), and each concierge order to post (ordering's `OfferOrdered`,
`OfferConfirmed`, `OfferCancelled`) with how its posting goes (our own `FolioPostingFailed`,
`FolioPosted`, written when decided and read back from our topic so the tables rebuild from
Kafka alone).

Every fact is its own column, set by "insert, or update that column" and never by a later
fact of another kind, so events of three topics converge whatever order they arrive in. The
venue's setting that applies to an order is the one in force when the order was confirmed (by
event time), read at query time: a setting that arrives late is still applied right, and
changing it later does not turn an order staff posted by hand into an automatic one.

A confirmation and a venue setting notify the posting worker (`pg_notify` at commit).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, Insert, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope
from convive.contracts.ordering import OfferCancelled, OfferConfirmed, OfferOrdered
from convive.contracts.pos_gateway import FolioPosted, FolioPostingFailed, FolioPostingMethod
from convive.contracts.table_session import PmsIntegration, VenueConfigured
from convive.pos_gateway.projections import metadata
from convive.runtime import db
from convive.runtime.projections import Projection

folio_venue_settings = sa.Table(
    "folio_venue_settings",
    metadata,
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("configured_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("pms_integration", sa.Text, nullable=False),
    sa.Column("language", sa.Text, nullable=False),
    sa.Index("ix_folio_venue_settings_venue_id_configured_at", "venue_id", "configured_at"),
)

folio_postings = sa.Table(
    "folio_postings",
    metadata,
    sa.Column("offer_order_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False, index=True),
    # OfferOrdered
    sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("amount_minor", sa.BigInteger, nullable=True),
    sa.Column("currency", sa.Text, nullable=True),
    sa.Column("spot_id", sa.Text, nullable=True),
    sa.Column("room", sa.Text, nullable=True),
    sa.Column("guest_name", sa.Text, nullable=True),
    sa.Column("offer_name", JSONB, nullable=True),
    sa.Column("offer_type", sa.Text, nullable=True),
    # OfferConfirmed: the postings' events continue the confirmation's story
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("confirmed_by", sa.Text, nullable=True),
    sa.Column("confirmed_event_id", sa.Text, nullable=True),
    sa.Column("correlation_id", sa.Text, nullable=True),
    # OfferCancelled
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cancelled_by", sa.Text, nullable=True),
    # FolioPostingFailed: the latest try's
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    # FolioPosted
    sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("pms_reference", sa.Text, nullable=True),
    sa.Column("method", sa.Text, nullable=True),
    sa.Column("posted_by", sa.Text, nullable=True),
    # What the posting worker looks for: the tries still to make, by when they are due.
    sa.Index(
        "ix_folio_postings_due",
        "next_attempt_at",
        postgresql_where=sa.text("posted_at IS NULL AND cancelled_at IS NULL"),
    ),
)


def integration_at_confirmation() -> sa.ScalarSelect[str]:
    """The venue's PMS setting in force when the posting's order was confirmed (NULL: none
    was set then)."""
    s = folio_venue_settings
    return (
        sa.select(s.c.pms_integration)
        .where(
            s.c.venue_id == folio_postings.c.venue_id,
            s.c.configured_at <= folio_postings.c.confirmed_at,
        )
        .order_by(s.c.configured_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def venue_language() -> sa.ScalarSelect[str]:
    """The language the venue's staff read (the charge's description is in it)."""
    s = folio_venue_settings
    return (
        sa.select(s.c.language)
        .where(s.c.venue_id == folio_postings.c.venue_id)
        .order_by(s.c.configured_at.desc())
        .limit(1)
        .scalar_subquery()
    )


def integration_of(value: str | None) -> PmsIntegration:
    try:
        return PmsIntegration(value) if value else PmsIntegration.NONE
    except ValueError:  # a kind of integration added after this version: post nothing
        return PmsIntegration.NONE


def work_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel that wakes a schema's posting worker."""
    return f"convive_folio_{schema}"[:63]


async def notify_worker(conn: AsyncConnection) -> None:
    """Wake the posting workers of this schema when the transaction commits."""
    channel = work_channel(db.schema_of(conn.engine))
    await conn.execute(sa.select(sa.func.pg_notify(channel, "")))


# --- writers, shared by the handlers below and the commands' write-through -----------------


async def _merge_posting(
    conn: AsyncConnection,
    offer_order_id: str,
    venue_id: str,
    values: dict[str, Any],
    merge: Callable[[Insert], dict[str, Any]],
) -> None:
    """Insert the posting's row with `values`, or update the columns `merge` says for the
    incoming row (`Insert.excluded`) when it exists."""
    upsert = insert(folio_postings).values(
        offer_order_id=offer_order_id, venue_id=venue_id, **values
    )
    await conn.execute(
        upsert.on_conflict_do_update(
            index_elements=[folio_postings.c.offer_order_id], set_=merge(upsert)
        )
    )


def _incoming_when(
    condition: sa.ColumnElement[bool], upsert: Insert, *columns: str
) -> dict[str, sa.Case[object]]:
    """Each column takes the incoming value where `condition` holds and keeps its own else."""
    t = folio_postings
    return {c: sa.case((condition, upsert.excluded[c]), else_=t.c[c]) for c in columns}


def _first_kept(upsert: Insert, *columns: str) -> dict[str, sa.ColumnElement[Any]]:
    """Each column keeps its value once it has one."""
    t = folio_postings
    return {c: sa.func.coalesce(t.c[c], upsert.excluded[c]) for c in columns}


def _most_attempts(upsert: Insert) -> dict[str, sa.ColumnElement[Any]]:
    return {"attempts": sa.func.greatest(folio_postings.c.attempts, upsert.excluded.attempts)}


async def record_failure(conn: AsyncConnection, event: FolioPostingFailed, at: datetime) -> None:
    """A failed try; the latest try's error and schedule win over an older one's."""
    t = folio_postings
    await _merge_posting(
        conn,
        event.offer_order_id,
        event.venue_id,
        {
            "attempts": event.attempt,
            "last_error": event.error,
            "last_failed_at": at,
            "next_attempt_at": event.next_attempt_at,
        },
        lambda upsert: {
            **_most_attempts(upsert),
            **_incoming_when(
                upsert.excluded.attempts >= t.c.attempts,
                upsert,
                "last_error",
                "last_failed_at",
                "next_attempt_at",
            ),
        },
    )


async def record_posted(conn: AsyncConnection, event: FolioPosted, at: datetime) -> None:
    automatic = event.method is FolioPostingMethod.AUTOMATIC
    # A stream holds one FolioPosted: the first one recorded stays.
    first = folio_postings.c.posted_at.is_(None)
    await _merge_posting(
        conn,
        event.offer_order_id,
        event.venue_id,
        {
            "amount_minor": event.amount.amount_minor,
            "currency": event.amount.currency,
            "attempts": event.attempts if automatic else 0,
            "posted_at": at,
            "pms_reference": event.pms_reference,
            "method": event.method.value,
            "posted_by": event.posted_by,
            "next_attempt_at": None,
        },
        lambda upsert: {
            **_first_kept(upsert, "amount_minor", "currency"),
            **_most_attempts(upsert),
            **_incoming_when(first, upsert, "posted_at", "pms_reference", "method", "posted_by"),
            "next_attempt_at": None,
        },
    )


# --- the projection -------------------------------------------------------------------------

folio = Projection("pos_gateway.folio_postings", tables=[folio_venue_settings, folio_postings])


@folio.on(VenueConfigured)
async def on_venue_configured(
    conn: AsyncConnection, event: VenueConfigured, envelope: EventEnvelope
) -> None:
    await conn.execute(
        insert(folio_venue_settings)
        .values(
            event_id=envelope.id,
            venue_id=event.venue_id,
            configured_at=envelope.time,
            pms_integration=event.pms_integration.value,
            language=event.language,
        )
        .on_conflict_do_nothing()
    )
    # A setting that arrives after a confirmation it applies to makes that order due now.
    await notify_worker(conn)


@folio.on(OfferOrdered)
async def on_offer_ordered(
    conn: AsyncConnection, event: OfferOrdered, envelope: EventEnvelope
) -> None:
    facts = {
        "ordered_at": envelope.time,
        "amount_minor": event.price.amount_minor,
        "currency": event.price.currency,
        "spot_id": event.spot_id,
        "room": event.spot_name,
        "guest_name": event.guest_name,
        "offer_name": event.offer_name.model_dump(),
        "offer_type": event.offer_type.value,
    }
    await _merge_posting(
        conn,
        event.offer_order_id,
        event.venue_id,
        facts,
        lambda upsert: {name: upsert.excluded[name] for name in facts},
    )
    # An order confirmed before its details arrived (another topic) is due from now on.
    await notify_worker(conn)


@folio.on(OfferConfirmed)
async def on_offer_confirmed(
    conn: AsyncConnection, event: OfferConfirmed, envelope: EventEnvelope
) -> None:
    t = folio_postings
    first = t.c.confirmed_at.is_(None)
    untried = sa.and_(t.c.attempts == 0, t.c.posted_at.is_(None))
    await _merge_posting(
        conn,
        event.offer_order_id,
        event.venue_id,
        {
            "confirmed_at": envelope.time,
            "confirmed_by": event.confirmed_by,
            "confirmed_event_id": envelope.id,
            "correlation_id": envelope.correlation_id,
            "next_attempt_at": envelope.time,  # due at once (when the venue posts automatically)
        },
        lambda upsert: {
            **_incoming_when(
                first,
                upsert,
                "confirmed_at",
                "confirmed_by",
                "confirmed_event_id",
                "correlation_id",
            ),
            "next_attempt_at": sa.case(
                (untried, sa.func.coalesce(t.c.next_attempt_at, upsert.excluded.next_attempt_at)),
                else_=t.c.next_attempt_at,
            ),
        },
    )
    await notify_worker(conn)


@folio.on(OfferCancelled)
async def on_offer_cancelled(
    conn: AsyncConnection, event: OfferCancelled, envelope: EventEnvelope
) -> None:
    await _merge_posting(
        conn,
        event.offer_order_id,
        event.venue_id,
        {"cancelled_at": envelope.time, "cancelled_by": event.cancelled_by},
        lambda upsert: _first_kept(upsert, "cancelled_at", "cancelled_by"),
    )


@folio.on(FolioPostingFailed)
async def on_folio_posting_failed(
    conn: AsyncConnection, event: FolioPostingFailed, envelope: EventEnvelope
) -> None:
    await record_failure(conn, event, envelope.time)


@folio.on(FolioPosted)
async def on_folio_posted(
    conn: AsyncConnection, event: FolioPosted, envelope: EventEnvelope
) -> None:
    await record_posted(conn, event, envelope.time)
