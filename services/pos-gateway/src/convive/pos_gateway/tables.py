"""Every table of the pos-gateway service, in its one `metadata` (the migrations' environment
imports only this module).

Three kinds, by who writes them:

- the POS's own read models, written by the event store in the transaction of every append
  and rebuilt from the POS's own topic (`projections/own.py`): `devices`, `validations`,
  `payments`, `round_amendments`, `round_rejections`, `folio_posting_outcomes`;
- what the POS keeps of other services' facts (`projections/ordering.py`,
  `projections/table_session.py`): `orders`, `rounds`, `menu_products`, `folio_postings`;
  `sessions`, `session_guests`, `spots`, `profit_centres`, `folio_venue_settings`;
- tables the commands own, which no event could rebuild because what they keep must never be
  in an event: `staff_accounts` (password hashes), `pairing_codes` (as digests) and
  `attempt_throttles` (the counters that lock out password and code guessing).
"""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from convive.runtime.db import metadata as new_metadata

metadata = new_metadata()

# --- the POS's own read models ------------------------------------------------------------

devices = sa.Table(
    "devices",
    metadata,
    sa.Column("device_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("credential_sha256", sa.Text, nullable=False, unique=True),
    sa.Column("paired_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("paired_by", sa.Text, nullable=True),
    # Set with the DeviceRevoked event: from then on the credential is refused.
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_by", sa.Text, nullable=True),
)

validations = sa.Table(
    "validations",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("round_number", sa.Integer, primary_key=True),
    sa.Column("validated_by", sa.Text, nullable=False),
    sa.Column("device_id", sa.Text, nullable=False),
    sa.Column("validated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("staff_id", sa.Text, nullable=True),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("order_id", sa.Text, nullable=False, index=True),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("method", sa.Text, nullable=False),
    sa.Column("payment_card_token", sa.Text, nullable=True),
    sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("payment_id", sa.Text, nullable=True),
    sa.Column("paid_by_guest", sa.Text, nullable=True),
    sa.Column("fully_paid", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("balance_due_minor", sa.BigInteger, nullable=True),
    sa.Column("line_ids", JSONB, nullable=True),
    sa.Column("device_id", sa.Text, nullable=True),
    sa.Column("received_by", sa.Text, nullable=True),
)

round_amendments = sa.Table(
    "round_amendments",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("round_number", sa.Integer, primary_key=True),
    sa.Column("lines", JSONB, nullable=False),
    sa.Column("round_total_minor", sa.BigInteger, nullable=False),
    sa.Column("amended_by", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("amended_at", sa.DateTime(timezone=True), nullable=False),
    # The amendment's version on the order's POS stream: a later amendment is never
    # overwritten by an earlier one coming late from Kafka.
    sa.Column("stream_version", sa.Integer, nullable=False),
)

round_rejections = sa.Table(
    "round_rejections",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("round_number", sa.Integer, primary_key=True),
    sa.Column("rejected_by", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("device_id", sa.Text, nullable=False),
    sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
)

# How the posting of a concierge order to the PMS goes: the POS's own FolioPostingFailed and
# FolioPosted, on the posting's stream `folio-<offer_order_id>`. A row exists once a try was
# made or the charge was marked posted; before that, a confirmed order is due at once.
folio_posting_outcomes = sa.Table(
    "folio_posting_outcomes",
    metadata,
    sa.Column("offer_order_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    # FolioPostingFailed: the latest try's
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    # FolioPosted
    sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("pms_reference", sa.Text, nullable=True),
    sa.Column("method", sa.Text, nullable=True),
    sa.Column("posted_by", sa.Text, nullable=True),
    sa.Column("amount_minor", sa.BigInteger, nullable=True),
    sa.Column("currency", sa.Text, nullable=True),
    # The latest event's version on the posting's stream.
    sa.Column("version", sa.Integer, nullable=False),
    # What the posting worker looks for: the retries still to make, by when they are due.
    sa.Index(
        "ix_folio_posting_outcomes_due",
        "next_attempt_at",
        postgresql_where=sa.text("posted_at IS NULL"),
    ),
)

# --- what ordering said -------------------------------------------------------------------

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False, index=True),
    sa.Column("session_id", sa.Text, nullable=False),
    sa.Column("spot_id", sa.Text, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("order_total_minor", sa.BigInteger, nullable=False),
    sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
)

rounds = sa.Table(
    "rounds",
    metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("round_number", sa.Integer, primary_key=True),
    sa.Column("lines", JSONB, nullable=False),
    sa.Column("round_total_minor", sa.BigInteger, nullable=False),
    sa.Column("order_total_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("placed_by", sa.Text, nullable=False),
    sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
    # The round's event, so the POS's decisions on it carry the guest's correlation id.
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("correlation_id", sa.Text, nullable=False),
)

menu_products = sa.Table(
    "menu_products",
    metadata,
    sa.Column("venue_id", sa.Text, primary_key=True),
    sa.Column("product_id", sa.Text, primary_key=True),
    sa.Column("name", JSONB, nullable=False),
    sa.Column("price_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("available", sa.Boolean, nullable=False),
)

# Concierge orders to post to the PMS: ordering's OfferOrdered, OfferConfirmed, OfferCancelled.
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
)

# --- what table-session said --------------------------------------------------------------

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("spot_id", sa.Text, nullable=False),
    # Known from SessionOpened only (GuestJoined does not carry it).
    sa.Column("profit_centre_id", sa.Text, nullable=True),
)

session_guests = sa.Table(
    "session_guests",
    metadata,
    sa.Column("session_id", sa.Text, primary_key=True),
    sa.Column("guest_id", sa.Text, primary_key=True),
)

spots = sa.Table(
    "spots",
    metadata,
    sa.Column("spot_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("profit_centre_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
)

profit_centres = sa.Table(
    "profit_centres",
    metadata,
    sa.Column("profit_centre_id", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("mode", sa.Text, nullable=False),
)

# Each venue's PMS setting over time (VenueConfigured), one row per event: the setting that
# applies to a concierge order is the one in force when it was confirmed.
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

# --- owned by the commands, never in events -----------------------------------------------

staff_accounts = sa.Table(
    "staff_accounts",
    metadata,
    sa.Column("staff_id", sa.Text, primary_key=True),
    # Lower-cased, so that one person cannot hold two accounts by changing case.
    sa.Column("email", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("venue_ids", ARRAY(sa.Text), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),  # argon2id, with its own salt
    sa.Column("opened_by", sa.Text, nullable=True),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
)

pairing_codes = sa.Table(
    "pairing_codes",
    metadata,
    sa.Column("code_sha256", sa.Text, primary_key=True),
    sa.Column("venue_id", sa.Text, nullable=False),
    sa.Column("issued_by", sa.Text, nullable=False),  # the staff account
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("device_id", sa.Text, nullable=True),  # the device it paired
)

# One row per guarded key ("login:<email>", "pair:<client>"): failures counted since
# `window_started_at`; past the limit the key is locked until `locked_until`.
attempt_throttles = sa.Table(
    "attempt_throttles",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
)
