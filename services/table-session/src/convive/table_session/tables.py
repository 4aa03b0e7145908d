"""Every table of the table-session service and their one `metadata` (the migrations' env.py
imports only this module). Each table is written by one projection: `projections.own` keeps
the venues, profit centres, spots (with their current QR token), replaced tokens, sessions and
their guests from this service's own events; `subscriptions.orders` keeps `confirmed_orders`
from ordering's `OrderPlaced`."""

from __future__ import annotations

import sqlalchemy as sa

from convive.runtime.db import metadata as new_metadata

metadata = new_metadata()

profit_centres = sa.Table(
    "profit_centres",
    metadata,
    sa.Column("profit_centre_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

venues = sa.Table(
    "venues",
    metadata,
    sa.Column("venue_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("notification_email", sa.Text, nullable=True),
    sa.Column("pms_integration", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("time_zone", sa.Text, nullable=False, server_default="Europe/Paris"),
)
"""Each venue's current settings (from VenueConfigured)."""

spots = sa.Table(
    "spots",
    metadata,
    sa.Column("spot_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False, index=True),
    sa.Column("profit_centre_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("token", sa.Text, nullable=True, unique=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("session_id", sa.Text, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("spot_id", sa.Text, nullable=False, index=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("profit_centre_id", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("pin", sa.Text, nullable=False),
    sa.Column("host_guest_id", sa.Text, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("close_reason", sa.Text, nullable=True),
)

session_guests = sa.Table(
    "session_guests",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("guest_id", sa.Text, primary_key=True),
    sa.Column("device_id", sa.Text, nullable=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
)

retired_tokens = sa.Table(
    "retired_tokens",
    metadata,
    sa.Column("token", sa.Text, primary_key=True),
    sa.Column("spot_id", sa.Text, nullable=False),
    sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
)

confirmed_orders = sa.Table(
    "confirmed_orders",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("order_id", sa.Text, nullable=False),
    sa.Column("spot_id", sa.Text, nullable=False),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
)
"""Sessions with a confirmed order, from ordering's OrderPlaced: from then on a new phone needs
the session's PIN to join."""
