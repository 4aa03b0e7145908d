"""Every table of the notifier's schema and its one `metadata` (what the migrations compare
with). Who writes each one:

- `sessions`, `session_guests`, `devices`: who may follow which feed (the `notifier.access`
  projection, from table-session's and pos-gateway's events);
- `feeds`, `feed_entries`: what each session's guests and each venue's devices may follow (the
  `notifier.feeds` projection, from the three relayed services' events);
- `venues`, `offer_orders`, `outgoing_mails`: the e-mails to send and how their sending went
  (the `notifier.emails` projection, from table-session's and ordering's events and the
  notifier's own record of each try);
- `mail_retries`: when a failing e-mail is tried next: the sender's schedule, written by it
  alone (a setting decides the delay, not an event), so a rebuild of the read models keeps it.

The event store's own tables (events, outbox, consumer bookkeeping) are the runtime's.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from convive.runtime.db import metadata as new_metadata

metadata = new_metadata()

# --- who may follow which feed --------------------------------------------------------------

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("spot_id", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
)

session_guests = sa.Table(
    "session_guests",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("guest_id", sa.Text, primary_key=True),
)

devices = sa.Table(
    "devices",
    metadata,
    sa.Column("device_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("credential_sha256", sa.Text, nullable=False, index=True),
)

# --- the feeds: each numbers its entries 1, 2, 3… (the SSE id a client resumes from) --------

feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("feed_kind", sa.Text, primary_key=True),
    sa.Column("feed_id", sa.Text, primary_key=True),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
)

feed_entries = sa.Table(
    "feed_entries",
    metadata,
    sa.Column("feed_kind", sa.Text, primary_key=True),
    sa.Column("feed_id", sa.Text, primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("data", JSONB, nullable=False),
    sa.UniqueConstraint("feed_kind", "feed_id", "event_id"),
)

# --- e-mails ----------------------------------------------------------------------------------

venues = sa.Table(
    "venues",
    metadata,
    sa.Column("venue_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("notification_email", sa.Text, nullable=True),
    sa.Column("time_zone", sa.Text, nullable=False, server_default="Europe/Paris"),
)

offer_orders = sa.Table(
    "offer_orders",
    metadata,
    sa.Column("offer_order_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("guest_name", sa.Text, nullable=False),
    sa.Column("guest_email", sa.Text, nullable=False),
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("context", JSONB, nullable=False),
)

outgoing_mails = sa.Table(
    "outgoing_mails",
    metadata,
    sa.Column("notification_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("recipient_role", sa.Text, nullable=False),
    sa.Column("cause_event_id", sa.Text, nullable=False),
    sa.Column("correlation_id", sa.Text, nullable=False),
    sa.Column("offer_order_id", sa.Text, nullable=True),
    sa.Column("language", sa.Text, nullable=True),
    sa.Column("recipient", sa.Text, nullable=True),
    sa.Column("reply_to", sa.Text, nullable=True),
    sa.Column("context", JSONB, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    # False while only the outcome of its tries is known: a replay read the notifier's own
    # topic before the event that planned the e-mail (topics have no order between them).
    sa.Column("planned", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Index("ix_outgoing_mails_status_created_at", "status", "created_at"),
    sa.Index("ix_outgoing_mails_venue_id_created_at", "venue_id", "created_at"),
)

mail_retries = sa.Table(
    "mail_retries",
    metadata,
    sa.Column("notification_id", sa.Text, primary_key=True),
    sa.Column("retry_at", sa.DateTime(timezone=True), nullable=False),
)
