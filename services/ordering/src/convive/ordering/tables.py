"""Every table of the ordering service's schema, in its one `metadata` (the migrations' env imports
only this module). The event store's own tables (events, outbox, consumers' bookkeeping) are the
runtime's.

Who writes each table:

- ordering's own read models (`projections/own.py`, written by the event store in every append
  and rebuilt from ordering's own topic): `production_tickets`, `offers`, `offer_orders`,
  `order_sessions`;
- what ordering keeps of table-session's facts (`projections/table_session.py`): `sessions`,
  `session_guests`, `profit_centres`, `spots`;
- what ordering keeps of pos-gateway's facts (`projections/pos_gateway.py`): `pos_rounds`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from convive.runtime.db import metadata as new_metadata

metadata = new_metadata()

# --- ordering's own read models --------------------------------------------------------------

production_tickets = sa.Table(
    "production_tickets",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("round_number", sa.Integer, primary_key=True),
    sa.Column("station", sa.Text, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("session_id", sa.Text, nullable=False),
    sa.Column("spot_name", sa.Text, nullable=True),
    sa.Column("lines", JSONB, nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_production_tickets_venue_sent", "venue_id", "sent_at"),
)
"""What each production station must make: one row per station of each round sent to
production (`SentToProduction`)."""

offers = sa.Table(
    "offers",
    metadata,
    sa.Column("offer_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False, index=True),
    sa.Column("name", JSONB, nullable=False),
    sa.Column("offer_type", sa.Text, nullable=False),
    sa.Column("price_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("description", JSONB, nullable=True),
    sa.Column("auto_confirm", sa.Boolean, nullable=False),
    sa.Column("available", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
"""The concierge offers as last published (`OfferPublished`), at their stream's version."""

offer_orders = sa.Table(
    "offer_orders",
    metadata,
    sa.Column("offer_order_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("offer_id", sa.Text, nullable=False),
    sa.Column("offer_name", JSONB, nullable=False),
    sa.Column("offer_type", sa.Text, nullable=False),
    sa.Column("price_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("spot_id", sa.Text, nullable=False),
    sa.Column("spot_name", sa.Text, nullable=False),
    sa.Column("session_id", sa.Text, nullable=True, index=True),
    sa.Column("guest_id", sa.Text, nullable=False),
    sa.Column("guest_name", sa.Text, nullable=False),
    sa.Column("guest_email", sa.Text, nullable=False),
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("automatic", sa.Boolean, nullable=False),
    sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("confirmed_by", sa.Text, nullable=True),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cancelled_by", sa.Text, nullable=True),
    sa.Column("cancel_reason", sa.Text, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_offer_orders_venue_ordered", "venue_id", "ordered_at"),
)
"""The guests' orders of concierge offers and what staff did with them, at their stream's
version (`OfferOrdered`, `OfferConfirmed`, `OfferCancelled`)."""

order_sessions = sa.Table(
    "order_sessions",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("session_id", sa.Text, nullable=False),
    sa.Column("venue_id", sa.Text, nullable=False),
)
"""Which session each order belongs to (`OrderPlaced`), so that a POS event naming only the
order finds its session stream."""

# --- table-session's facts -------------------------------------------------------------------

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("spot_id", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    # Known from SessionOpened only: a GuestJoined that comes first leaves them null.
    sa.Column("profit_centre_id", sa.Text, nullable=True),
    sa.Column("host_guest_id", sa.Text, nullable=True),
)
"""The table sessions table-session opened (and closed), where guests may order."""

session_guests = sa.Table(
    "session_guests",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("guest_id", sa.Text, primary_key=True),
)
"""The guests of each session (its host included): who may act on its cart."""

profit_centres = sa.Table(
    "profit_centres",
    metadata,
    sa.Column("venue_id", sa.Text, primary_key=True),
    sa.Column("profit_centre_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)
"""Each profit centre's journey mode as last configured: whether ordering is offered there."""

spots = sa.Table(
    "spots",
    metadata,
    sa.Column("spot_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("profit_centre_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
)
"""The tables and rooms: their names (for tickets) and kinds (offers are ordered from rooms)."""

# --- pos-gateway's facts ---------------------------------------------------------------------

pos_rounds = sa.Table(
    "pos_rounds",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("round_number", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.Text, nullable=False, index=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    # The round as last amended (null while not amended), and what staff said about it.
    sa.Column("lines", JSONB, nullable=True),
    sa.Column("round_total_minor", sa.BigInteger, nullable=True),
    sa.Column("currency", sa.Text, nullable=True),
    sa.Column("amendment_note", sa.Text, nullable=True),
    sa.Column("amended_by", sa.Text, nullable=True),
    sa.Column("rejected_reason", sa.Text, nullable=True),
    sa.Column("rejected_by", sa.Text, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)
"""What the POS decided about each round before validating it (pos-gateway's OrderAmended and
OrderRejected): the guests' view of the order, its totals and its tickets follow it."""
